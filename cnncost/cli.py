"""The command line: read input, call the core, emit, choose the exit code.

Exit codes, decided here and nowhere else:

    0  success
    1  a budget (`check`) or `diff --exit-code` failed
    2  bad input or usage: one message with the position and a hint, no traceback
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from typing import Any

import click

from .errors import CnnCostError


class Exit(enum.IntEnum):
    OK = 0
    FAILED = 1
    BAD_INPUT = 2


FORMATS = ("table", "csv", "markdown", "json")


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--format, shared by every command that reports."""
    return click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format; csv and json carry exact integers.")(f)


def spec_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--input and --padding, shared by every command that reads specs."""
    f = click.option("--padding", type=click.Choice(["same", "he2015"]), default=None,
                     help="Padding policy (overrides the spec's own; default same).")(f)
    f = click.option("--input", "-i", "input_shape", default=None, metavar="HxWxC",
                     help="Input shape, e.g. 224x224x3 (overrides the spec's own).")(f)
    return f


def emit(value: Any) -> None:
    """The one path to stdout: strings as they are, rich renderables via a Console."""
    if isinstance(value, str):
        sys.stdout.write(value)
        return
    from rich.console import Console
    Console(highlight=False).print(value)


def _overrides(input_shape: str | None, padding: str | None) -> tuple[Any, Any]:
    from .model import Padding
    from .notation import parse_shape
    return (parse_shape(input_shape) if input_shape else None,
            Padding(padding) if padding else None)


def network_cost(ref: str, input_shape: str | None, padding: str | None,
                 variant: str | None = None) -> Any:
    """Resolve a SPEC argument and analyse it."""
    from .costs import analyze
    from .resolve import load, one_network
    shape, pad = _overrides(input_shape, padding)
    net = one_network(load(ref), variant)
    return analyze(net.graph(shape, pad))


class Group(click.Group):
    """Turns CnnCostError into one message on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CnnCostError as e:
            click.echo(str(e), err=True)
            ctx.exit(Exit.BAD_INPUT)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"],
                                           "max_content_width": 100})
@click.version_option(package_name="cnncost")
def main() -> None:
    """What does this CNN architecture cost? Exact params, MACs, He & Sun's
    complexity and receptive fields, from the papers' notation.

    SPEC is a built-in name (see `cnncost zoo`), a spec file (.yaml or notation
    text), or the notation itself in quotes.
    """


@main.command()
@click.argument("spec")
@spec_options
@output_options
@click.option("--stages", "-s", is_flag=True, help="One row per stage instead of per layer.")
@click.option("--variant", default=None, help="Which variant of a variants file (default: its baseline).")
def analyze(spec: str, input_shape: str | None, padding: str | None, fmt: str, stages: bool,
            variant: str | None) -> None:
    """Per-layer output shape, params, MACs, complexity and share of the total.

    \b
    Examples:
      cnncost analyze he2015-a
      cnncost analyze "Input(224,224,3) → 64F(7,7,3,s=2) → max-p(3,3,3) → 4096fc" --padding he2015
      cnncost analyze resnet50 --stages --format markdown
    """
    from .report import Format, render_analysis
    net = network_cost(spec, input_shape, padding, variant)
    emit(render_analysis(net, Format(fmt), stages))


@main.command()
@output_options
def layers(fmt: str) -> None:
    """Every layer name the notation knows, with its arguments and an example.

    \b
    Examples:
      cnncost layers
      cnncost layers --format markdown
    """
    from .report import Format, render_layers
    emit(render_layers(Format(fmt)))
