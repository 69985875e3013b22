"""The command line: read input, call the core, emit, choose the exit code.

Exit codes, decided here and nowhere else:

    0  success
    1  a budget (`check`) or `diff --exit-code` failed
    2  bad input or usage: one message with the position and a hint, no traceback
    3  an internal error, a bug in cnncost: one message; the traceback with `cnncost --debug …`
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from typing import Any

import click

from . import commands
from .commands import float_list as _float_list, int_list as _int_list
from .errors import CnnCostError, shorten
from .piped import no_color, piped_table as _piped_table, whole_width as _whole_width


class Exit(enum.IntEnum):
    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    INTERNAL = 3


FORMATS = ("table", "csv", "markdown", "json")  # every command that reports
# formats only some commands have: @output_options(extra=(HTML, …)); each is a report.Format
HTML, GITHUB, BENCHMARK_JSON = "html", "github", "benchmark-json"
_EXTRA_HELP = {HTML: "html: one self-contained page (docs/html.md)",
               GITHUB: "github: GitHub workflow commands (::error on the spec's line)",
               BENCHMARK_JSON: "benchmark-json: github-action-benchmark's customSmallerIsBetter"}


def output_options(f: Callable[..., Any] | None = None, *,
                   extra: tuple[str, ...] = ()) -> Any:
    """--format, shared by every command that reports; `extra` adds formats that only
    this command has (a command without them refuses them, exit 2, listing its own)."""
    if f is None:
        return lambda g: output_options(g, extra=extra)
    more = "".join(f"; {_EXTRA_HELP[x]}" for x in extra)
    return click.option("--format", "-f", "fmt", type=click.Choice(FORMATS + extra),
                        default="table", show_default=True,
                        help=f"Output format; csv and json carry exact integers{more}.")(f)


def github_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """With --format github, bad input is also an ::error workflow command on stdout
    (on the spec's line where the error has one); the message on stderr and exit
    status 2 are as ever. Goes right above the command's function."""
    import functools

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except CnnCostError as e:
            if kwargs.get("fmt") == GITHUB:
                from .ci import github_error
                emit(github_error(e))
            raise
    return command


def step_summary(summary: str, result: Any) -> None:
    """Append cnncost.ci's `summary`(result), markdown, to $GITHUB_STEP_SUMMARY when
    GitHub Actions sets it (never overwrite: a job's steps append to the same file).
    Failing to is a warning on stderr: the command's own result and exit status stand."""
    import os
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    from . import ci
    text = getattr(ci, summary)(result)
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        click.echo(f"warning: cannot append the step summary to {path}: {e.strerror or e}",
                   err=True)


def budget_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--max-<key> for every metric a budget can limit (metrics.BUDGETS)."""
    from .metrics import BUDGETS
    for m in reversed(BUDGETS):  # click lists options in the order they are applied, last first
        units = "KB/MB/GB (SI) or KiB/MiB/GiB (binary)" if m.unit == "bytes" else "K/M/G/T suffixes"
        f = click.option(m.flag, default=None, metavar="N",
                         help=f"Largest allowed {m.label} — {m.meaning}; {units}.")(f)
    return f


DTYPES = ("fp32", "fp16", "bf16", "int8")


def columns_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """--columns: which metrics the tables show (JSON always has them all): a preset
    (a str) or the keys asked for (a tuple; metrics.column_choices)."""
    return click.option("--columns", default="default", show_default=True, metavar="LIST",
                        callback=_columns,
                        help="Which columns the table and markdown show: default (the costs), "
                             "memory (memory and training, binary units), or keys joined by "
                             "commas, e.g. params,macs,flops,activations,rf,jump. CSV has the "
                             "costs and those asked for; JSON has all.")(f)


def _columns(ctx: click.Context, param: Any, value: str) -> str | tuple[str, ...]:
    from .metrics import parse_columns
    try:
        keys = parse_columns(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx, param) from None
    return value if keys is None else keys


def metrics_asked(columns: str | tuple[str, ...], command: str) -> tuple[Any, ...]:
    """The metrics a --columns list names, for a command that shows metrics only;
    () for a preset."""
    if not isinstance(columns, tuple):
        return ()
    from .metrics import BY_KEY, LAYER_VALUES
    other = [k for k in columns if k in LAYER_VALUES]
    if other:
        raise click.BadParameter(f"{command} shows metrics, and {', '.join(other)} "
                                 f"{'is' if len(other) == 1 else 'are'} a layer's; choose from: "
                                 + ", ".join(k for k in BY_KEY),
                                 param_hint="'--columns'")
    return tuple(BY_KEY[k] for k in columns)


def share_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """--share: which metric the share column (and its bar) divides (metrics.SHARES)."""
    from .metrics import SHARES
    return click.option("--share", type=click.Choice(SHARES), default="complexity",
                        show_default=True,
                        help="What the share column (and its bar) is the share of.")(f)


def _depth(ctx: click.Context, param: Any, value: int | None) -> int | None:
    if value is not None and value < 0:
        raise click.BadParameter(f"{value} is not a depth: give 0 (the whole network), 1 (its "
                                 "stages), 2 (their blocks) or more, e.g. --depth 2", ctx, param)
    return value


def count_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """--count TOOL: one more total, reproducing exactly what another tool reports."""
    return click.option("--count", "count_tool", default=None, metavar="TOOL",
                        help="Also report what TOOL would count (torchvision, flopcounter, "
                             "fvcore, ptflops, ptflops-aten, thop, torchinfo, torchscan, "
                             "deepspeed): docs/counting.md.")(f)


def counted(net: Any, tool: str | None) -> Any:
    """The tool's Count of the network, or None without --count."""
    if tool is None:
        return None
    from .counting import count
    return count(net, tool)


def memory_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--batch and --dtype, shared by every command that analyses (notation §12)."""
    f = click.option("--dtype", type=click.Choice(DTYPES), default="fp32", show_default=True,
                     help="Element type of weights and activations, for the memory metrics.")(f)
    f = click.option("--batch", type=int, default=1, show_default=True, metavar="N",
                     callback=_positive_batch,
                     help="Samples per batch, for activation memory and training FLOPs.")(f)
    return f


def _positive_batch(ctx: click.Context, param: Any, value: int) -> int:
    if value < 1:
        raise click.BadParameter(f"{value} is not a batch size: give a whole number ≥ 1, e.g. "
                                 "--batch 8", ctx, param)
    return value


def _remember(ctx: click.Context, param: Any, value: Any) -> None:
    ctx.meta[f"cnncost.{param.name}"] = value


def variant_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--variant and --set, shared by every command that reads specs (spec_options has
    them; scale, sweep and fmt, which take no --input, use them alone). They apply to
    the command's SPEC arguments, through load_spec."""
    f = click.option("--set", "set_vars", multiple=True, metavar="NAME=VALUE",
                     expose_value=False, callback=_remember_set,
                     help="Set a variable of the spec's YAML `vars:` (repeatable), e.g. "
                          "--set width=0.5 --set n=3.")(f)
    f = click.option("--variant", default=None, metavar="NAME", expose_value=False,
                     callback=_remember,
                     help="Which variant of a variants file (case-insensitive; SPEC:NAME "
                          "does the same). Default: the baseline; compare and fmt: all.")(f)
    return f


def _remember_set(ctx: click.Context, param: Any, values: tuple[str, ...]) -> None:
    """--set NAME=VALUE, each checked: a name, `=`, a number (an int when written as one)."""
    import re
    out: dict[str, float | int] = {}
    for item in values:
        name, eq, text = (x.strip() for x in item.partition("="))
        if not eq or not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise CnnCostError(f"--set {shorten(item)}: write NAME=VALUE",
                               hint="e.g. --set width=0.5, for a variable of the spec's "
                                    "YAML `vars:`")
        value = _set_value(text)
        if value is None:
            raise CnnCostError(f"--set {shorten(item)}: {name} must be a number",
                               hint=f"e.g. --set {name}=2 or --set {name}=0.5")
        if name in out:
            raise CnnCostError(f"--set sets {name} twice", hint="give each variable once")
        out[name] = value
    ctx.meta["cnncost.set"] = out


def _set_value(text: str) -> float | int | None:
    """'3' → 3, '0.5' or '1e3' → a float; anything else (abc, nan, 1_0) → None."""
    import math
    import re
    if len(text) > 32 or not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        return None
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    value = float(text)
    return value if math.isfinite(value) else None


def spec_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--input, --padding, --allow-unsupported, and variant_options' --variant and --set:
    shared by every command that reads specs."""
    f = variant_options(f)
    f = click.option("--allow-unsupported", is_flag=True, expose_value=False, callback=_remember,
                     help="An imported model (.onnx): cost what has a rule and list the "
                          "nodes that have none, instead of refusing it.")(f)
    f = click.option("--padding", type=click.Choice(["same", "he2015", "tf"]), default=None,
                     help="Padding policy (overrides the spec's own; default same).")(f)
    f = click.option("--input", "-i", "input_shape", default=None, metavar="HxWxC",
                     help="Input shape, e.g. 224x224x3 (overrides the spec's own).")(f)
    return f


def emit(value: Any) -> None:
    """The one path to stdout: strings as they are, rich renderables via a Console.

    A reader that went away (`| head`) silences the rest of the output but not
    the exit status (`check … | head -1` still fails over budget); any other
    write error (a full disk) is bad-input status 2 with one message."""
    from .report import Chunks  # loaded already: the command rendered with it
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise CnnCostError("there is no standard output to write to (it is closed)",
                           hint="redirect it to a file, e.g. > out.txt")
    try:
        if isinstance(value, str):
            sys.stdout.write(value)
        elif isinstance(value, Chunks):  # a long document (JSON), piece by piece
            for piece in value:
                sys.stdout.write(piece)
        elif (text := _piped_table(value)) is not None:
            sys.stdout.write(text)
        else:
            from rich.console import Console
            # user text is never markup; NO_COLOR: no style at all, bold included
            plain = {"color_system": None} if no_color() else {}
            console = Console(highlight=False, markup=False, **plain)
            if not console.is_terminal:  # a log or a file: wider, rather than cut a value
                console = Console(highlight=False, markup=False, **plain,
                                  width=_whole_width(value, console.width))
            console.print(value)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as e:
        _silence_stdout()  # so the flush at exit does not fail a second time
        raise CnnCostError(f"cannot write the output: {e.strerror or e}",
                           hint="check where stdout goes (a full disk, a closed file)") from None


def _silence_stdout() -> None:
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. under a test runner)
        pass


def write_file(path: str, text: str, what: str) -> None:
    """Write a file the user named; failing is bad input (exit 2), not a traceback."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CnnCostError(f"cannot write {what} to {path}: {e.strerror or e}",
                           hint="check that the folder exists and is writable") from None


def _overrides(input_shape: str | None, padding: str | None) -> tuple[Any, Any]:
    from .model import Padding
    from .notation import parse_shape
    return (parse_shape(input_shape, "--input") if input_shape is not None else None,
            Padding(padding) if padding else None)


STDIN = "-"  # a SPEC of `-`: the spec text (notation or YAML) on standard input


def load_spec(ref: str, shape: Any = None, overrides: Any = None, chosen: bool = True) -> Any:
    """resolve.load with what the command line says: the input shape (an ONNX model
    with a dynamic input needs it), --allow-unsupported and, where `chosen` (a
    command's SPEC arguments, not check's --baseline), --variant and --set. `-` reads
    the spec text from standard input (once: `diff -:A -:B` reads it once)."""
    from .resolve import load, load_text, narrowed
    ctx = click.get_current_context(silent=True)
    meta: dict[str, Any] = ctx.meta if ctx is not None else {}
    variant = meta.get("cnncost.variant") if chosen else None
    if chosen and meta.get("cnncost.set"):
        overrides = _with_set(overrides, meta["cnncost.set"])
    base, own = _split_variant(ref)
    if variant is not None and own is not None:
        if own.lower() != variant.lower():
            raise CnnCostError(f"{shorten(ref)} names variant {own}, and --variant says "
                               f"{variant}", hint=f"give one of them: {base}:{variant}, or "
                                                  f"drop --variant")
        variant = None  # SPEC:VARIANT has chosen it
    if base == STDIN:
        doc = load_text(_stdin_text(), "<stdin>", "stdin", overrides)
        if own is not None:
            doc = narrowed(doc, own, "", ref)
    else:
        allow = bool(meta.get("cnncost.allow_unsupported"))
        doc = load(ref, overrides, input_shape=shape, allow_unsupported=allow)
    return doc if variant is None else narrowed(doc, variant)


def _split_variant(ref: str) -> tuple[str, str | None]:
    """resolve.split_variant, and `-:B`: variant B of the spec on standard input."""
    from .resolve import VARIANT_WORD, split_variant
    if ref.startswith(STDIN + ":") and VARIANT_WORD.fullmatch(ref[2:]):
        return STDIN, ref[2:]
    return split_variant(ref)


def _with_set(overrides: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any]:
    """The command's own overrides (scale's --width) and --set's, which must not overlap."""
    both = sorted(set(overrides or {}) & set(values))
    if both:
        raise CnnCostError(f"--set {both[0]}={values[both[0]]} and --{both[0]} both set "
                           f"{both[0]}", hint="give one of them")
    return {**(overrides or {}), **values}


def _stdin_text() -> str:
    """The whole of standard input as text, read on first use and kept."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.find_root().meta if ctx is not None else {}
    if "cnncost.stdin" in meta:
        return str(meta["cnncost.stdin"])
    stream = sys.stdin
    if stream is None:
        raise CnnCostError("SPEC is '-' but there is no standard input (it is closed)",
                           hint="pipe the spec in, e.g. cat model.yaml | cnncost analyze -")
    try:
        if stream.isatty():
            raise CnnCostError("SPEC is '-' (read the spec from standard input), which is a "
                               "terminal", hint="pipe the spec in, e.g. "
                                                "cat model.yaml | cnncost analyze -")
    except (AttributeError, ValueError):
        pass
    from .resolve import MAX_FILE_BYTES, spec_text
    buffer = getattr(stream, "buffer", None)
    try:
        data = buffer.read(MAX_FILE_BYTES + 1) if buffer is not None else \
            stream.read(MAX_FILE_BYTES + 1).encode("utf-8")
    except OSError as e:
        raise CnnCostError(f"cannot read standard input: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise CnnCostError(f"standard input is not UTF-8 text (byte {e.start})") from None
    text = spec_text(data, "standard input", "a spec is text",
                     "a spec is UTF-8 text: YAML or the arrow notation", binary=False)
    if not text.strip():
        raise CnnCostError("SPEC is '-' but standard input is empty",
                           hint="pipe the spec in, e.g. cat model.yaml | cnncost analyze -")
    meta["cnncost.stdin"] = text
    return text


def _load(ref: str, overrides: Any = None) -> Any:
    """load_spec as search.scaled calls it: (ref, overrides)."""
    return load_spec(ref, None, overrides)


def network_cost(ref: str, input_shape: str | None, padding: str | None, batch: int = 1,
                 dtype: str = "fp32", chosen: bool = True) -> Any:
    """Resolve a SPEC argument (its variant: load_spec's) and analyse it."""
    from .costs import analyze
    from .resolve import one_network
    shape, pad = _overrides(input_shape, padding)
    net = one_network(load_spec(ref, shape, chosen=chosen))
    cost = analyze(net.graph(shape, pad), batch, dtype)
    if cost.graph.uncosted:
        click.echo("note: not costed (no rule for them): " + ", ".join(cost.graph.uncosted),
                   err=True)
    return cost


class Group(click.Group):
    """Turns CnnCostError and click's usage errors into one message on stderr
    (`error: …` and a hint) and exit status 2, and any other exception (a bug)
    into one message and exit status 3."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CnnCostError as e:
            click.echo(e.for_cli(), err=True)
            ctx.exit(Exit.BAD_INPUT)
        except (click.ClickException, click.Abort, click.exceptions.Exit, EOFError):
            raise  # click's own: usage errors, ^C, ctx.exit
        except Exception as e:
            _internal_error(e, debug=ctx.params.get("debug", False))
            ctx.exit(Exit.INTERNAL)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["standalone_mode"] = False  # so usage errors come here, not to click's printer
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as e:
            if type(e).__name__ == "NoArgsIsHelpError":  # bare `cnncost`: the help, as asked
                click.echo(e.format_message())
                sys.exit(Exit.OK)
            if e.ctx is not None and e.ctx.command is not self:
                path = " ".join(["cnncost", *e.ctx.command_path.split()[1:]])
            else:  # some parser errors come without their command: find it in the arguments
                given = kwargs.get("args") if kwargs.get("args") is not None else (
                    args[0] if args else sys.argv[1:])
                command = next((a for a in given or () if a in self.commands), None)
                path = "cnncost" + (f" {command}" if command else "")
            hint = f"`{path} --help` lists its options and arguments"
            if "No such option" in e.format_message():
                hint += "; a spec that starts with '-' goes after `--`"
            click.echo(f"error: {e.format_message()}\n  hint: {hint}", err=True)
            sys.exit(Exit.BAD_INPUT)
        except click.Abort:
            click.echo("error: interrupted", err=True)
            sys.exit(Exit.BAD_INPUT)
        except click.ClickException as e:
            click.echo(f"error: {e.format_message()}", err=True)
            sys.exit(Exit.BAD_INPUT)
        sys.exit(code if isinstance(code, int) else Exit.OK)


def _internal_error(e: Exception, debug: bool) -> None:
    """A bug: one line on stderr, after the traceback under --debug."""
    if debug:
        import traceback
        click.echo("".join(traceback.format_exception(e)).rstrip("\n"), err=True)
    rerun = "" if debug else " (rerun with --debug for the traceback)"
    click.echo(f"error: internal error: {type(e).__name__}: {e} — this is a bug in cnncost; "
               f"please report it{rerun}", err=True)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"],
                                           "max_content_width": 100})
@click.version_option(package_name="cnncost")
@click.option("--debug", is_flag=True, help="On an internal error (exit 3), show its traceback.")
def main(debug: bool) -> None:
    """What does this CNN architecture cost? Exact params, MACs, He & Sun's
    complexity and receptive fields, from the papers' notation.

    SPEC is a built-in name (see `cnncost zoo`), a spec file (.yaml or notation
    text), the notation itself in quotes, or `-`: the spec text on standard input
    (YAML when its first line that is not a comment is `key:`, else notation).

    With NO_COLOR set, the terminal table has no styles (no bold) and plain words
    for emoji (check's "within budget"/"OVER BUDGET", zoo's "yes"/"no"); markdown,
    CSV and JSON are documents and stay as they are.
    """


@main.command()
@click.argument("spec")
@spec_options
@memory_options
@output_options(extra=(HTML, BENCHMARK_JSON))
@click.option("--stages", "-s", is_flag=True, help="One row per stage instead of per layer.")
@columns_option
@click.option("--device", default=None, metavar="NAME|FILE",
              help="A device (a preset or a device file) for the roofline: per layer the least "
                   "time it can take, and whether compute or memory bounds it.")
@count_option
@click.option("--depth", type=int, default=None, metavar="N", callback=_depth,
              help="Fold what is deeper than level N into one row with its totals: 0 the whole "
                   "network, 1 its stages, 2 their blocks (named blocks, branch merges, "
                   "repeats), 3 what is inside them, …; JSON adds each layer's path and the "
                   "rows as blocks.")
@share_option
def analyze(spec: str, input_shape: str | None, padding: str | None, batch: int, dtype: str,
            fmt: str, stages: bool, columns: str | tuple[str, ...], device: str | None,
            count_tool: str | None, depth: int | None, share: str) -> None:
    """Per-layer output shape, params, MACs, complexity and share of the total;
    with --columns memory, the memory and training cost (docs/memory.md); with
    --depth N, one row per block (docs/conventions.md).

    \b
    Examples:
      cnncost analyze he2015-a
      cnncost analyze "Input(224,224,3) → 64F(7,7,3,s=2) → max-p(3,3,3) → 4096fc" --padding he2015
      cnncost analyze resnet50 --stages --format markdown
      cnncost analyze resnet18 --batch 32 --dtype fp16 --columns memory
      cnncost analyze mobilenet_v2 --device nvidia-a100-sxm4-80gb --format json
      cnncost analyze resnet50 --count fvcore
      cnncost analyze resnet50 --format benchmark-json
      cnncost analyze googlenet --format html > googlenet.html
      cnncost analyze specs/he2015.yaml:B
      cnncost analyze resnet18 --depth 2 --columns params,macs,flops,rf --share macs
    """
    from .report import Format, render_analysis
    if stages and depth is not None:
        raise CnnCostError("--stages and --depth are two views; give one",
                           hint="--depth 1 is one row per stage with the layer table's columns")
    if count_tool is not None:
        from .counting import tool
        tool(count_tool)  # an unknown tool is an error before any work
    net = network_cost(spec, input_shape, padding, batch, dtype)
    dev = None
    if device is not None:
        from .memory import load_device
        dev = load_device(device)
    emit(render_analysis(net, Format(fmt), stages, columns == "memory", dev,
                         counted(net, count_tool), depth,
                         columns if isinstance(columns, tuple) else None, share))


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


def _short(ref: str) -> str:
    text = " ".join(ref.split())
    return shorten(text, 28)


def network_costs(refs: tuple[str, ...], input_shape: str | None, padding: str | None,
                  batch: int = 1, dtype: str = "fp32") -> tuple[list[Any], int | None]:
    """Analyse every network the arguments name; a variants file gives all its variants.
    Returns the costs and the position among them of the first variants file's
    baseline (when there is one)."""
    from .costs import analyze
    shape, pad = _overrides(input_shape, padding)
    nets, baseline = [], None
    for ref in refs:
        doc = load_spec(ref, shape)
        if doc.is_variants and baseline is None and doc.baseline is not None:
            baseline = len(nets) + list(doc.networks).index(doc.baseline)
        for key, spec in doc.networks.items():
            from .record import replace
            named = spec if spec.name else replace(spec, name=_short(ref) if ref != STDIN
                                                   else "stdin")
            nets.append(analyze(named.graph(shape, pad), batch, dtype))
    return nets, baseline


@main.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--baseline", "-b", default=None,
              help="Which model the relative columns divide by (default: the variants file's "
                   "baseline, else the first).")
@spec_options
@memory_options
@output_options(extra=(HTML, BENCHMARK_JSON))
@count_option
@columns_option
def compare(specs: tuple[str, ...], baseline: str | None, input_shape: str | None,
            padding: str | None, batch: int, dtype: str, fmt: str, count_tool: str | None,
            columns: str) -> None:
    """Models side by side: each stage in the paper's notation, depth, params,
    MACs, Eq. (1) complexity and comp. (relative to the baseline) — He & Sun's Table 1.

    \b
    Examples:
      cnncost compare he2015
      cnncost compare he2015-a he2015-b he2015-e --baseline he2015-a
      cnncost compare specs/he2015.yaml --format markdown
      cnncost compare he2015 --format benchmark-json > cnncost-benchmark.json
      cnncost compare he2015 --format html > he2015.html
    """
    from .comparison import compare as compare_
    from .report import Format, render_comparison
    nets, doc_baseline = network_costs(specs, input_shape, padding, batch, dtype)
    emit(render_comparison(compare_(nets, baseline if baseline is not None else doc_baseline),
                           Format(fmt), [counted(n, count_tool) for n in nets]
                           if count_tool else None, columns == "memory",
                           _family(specs, len(nets)), metrics_asked(columns, "compare")))


def _family(specs: tuple[str, ...], networks: int) -> str:
    """What benchmark-json puts before each model's name: the SPEC when one SPEC
    names several models (a variants file: 'he2015 A params'), else nothing."""
    if len(specs) != 1 or networks < 2:
        return ""
    return ("stdin" if specs[0] == STDIN else " ".join(specs[0].split())) + " "


@main.command()
@click.argument("a")
@click.argument("b")
@spec_options
@memory_options
@output_options(extra=(HTML,))
@click.option("--all", "show_all", is_flag=True, help="Also list the layers that did not change.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the two differ (as git diff --exit-code).")
@count_option
@columns_option
def diff(a: str, b: str, input_shape: str | None, padding: str | None, batch: int, dtype: str,
         fmt: str, show_all: bool, exit_code: bool, count_tool: str | None, columns: str) -> None:
    """Layers removed (-), added (+) or changed (~) from A to B, aligned stage by
    stage, with Δparams, ΔMACs and ΔEq. (1) per layer, per stage and in total.
    Under GitHub Actions ($GITHUB_STEP_SUMMARY set) it also appends a summary to
    the job's page (docs/ci.md).

    \b
    Examples:
      cnncost diff he2015-a he2015-j
      cnncost diff old.yaml new.yaml --exit-code --format markdown
      cnncost diff he2015-a he2015-j --format html > a-to-j.html
      cnncost diff specs/he2015.yaml:A specs/he2015.yaml:J
    """
    from .comparison import diff as diff_
    from .report import Format, render_diff
    result = diff_(network_cost(a, input_shape, padding, batch, dtype),
                   network_cost(b, input_shape, padding, batch, dtype))
    counts = (counted(result.a, count_tool), counted(result.b, count_tool)) if count_tool else None
    emit(render_diff(result, Format(fmt), show_all, counts, columns == "memory",
                     metrics_asked(columns, "diff")))
    step_summary("diff_summary", result)
    if exit_code and result.differs:
        raise SystemExit(Exit.FAILED)


@main.command()
@click.argument("spec")
@budget_options
@click.option("--baseline", default=None, metavar="SPEC",
              help="Compare with this spec: params, MACs and complexity may grow by --max-increase.")
@click.option("--max-increase", default=None, metavar="PCT", help="Allowed growth over --baseline, e.g. 2% (default 0%).")
@spec_options
@memory_options
@output_options(extra=(GITHUB, BENCHMARK_JSON))
@count_option
@click.option("--max-count", default=None, metavar="N",
              help="Largest allowed --count total (what that tool would report).")
@github_errors
def check(spec: str, baseline: str | None, max_increase: str | None, input_shape: str | None,
          padding: str | None, batch: int, dtype: str, fmt: str, count_tool: str | None,
          max_count: str | None, **max_values: str | None) -> None:
    """Gate CI on a budget: exit 0 within it, 1 over it, 2 on bad input. The
    report says which limit failed, by how much, and which stages grew most.
    Under GitHub Actions ($GITHUB_STEP_SUMMARY set) it also appends a summary to
    the job's page; --format github annotates the spec's lines (docs/ci.md).

    \b
    Examples:
      cnncost check resnet50 --max-params 30M --max-macs 4.5G
      cnncost check he2015-e --baseline he2015-a --max-increase 2%
      cnncost check model.yaml --baseline main.yaml --format markdown > comment.md
      cnncost check resnet50 --batch 8 --max-peak-memory 2GiB --max-train-flops 300G
      cnncost check model.yaml --max-params 30M --format github
    """
    from .comparison import check as check_, parse_amount, parse_percent
    from .metrics import BUDGETS
    from .report import Format, render_check
    limits = {m.key: parse_amount(v, m.flag, m.unit == "bytes") for m in BUDGETS
              if (v := max_values[m.flag[2:].replace("-", "_")])}
    if max_increase is not None and baseline is None:
        raise CnnCostError("--max-increase needs --baseline", hint="e.g. --baseline main.yaml --max-increase 2%")
    pct = parse_percent(max_increase, "--max-increase") if max_increase is not None else None
    base = network_cost(baseline, input_shape, padding, batch, dtype, chosen=False) \
        if baseline is not None else None
    if max_count is not None and count_tool is None:
        raise CnnCostError("--max-count needs --count TOOL", hint="e.g. --count fvcore --max-count 4.2G")
    net = network_cost(spec, input_shape, padding, batch, dtype)
    count = counted(net, count_tool)
    if max_count is not None:
        limits["count"] = parse_amount(max_count, "--max-count")
    result = check_(net, limits, base, pct, count)
    emit(render_check(result, Format(fmt)))
    step_summary("check_summary", result)
    if not result.ok:
        raise SystemExit(Exit.FAILED)


@main.command()
@click.argument("spec")
@variant_options
def fmt(spec: str) -> None:
    """Print the canonical form of a spec; loading it gives the same networks.

    A network with `same` padding and no stage labels prints as its notation.
    One with another padding policy or labelled stages, and a variants file,
    print as YAML whose stages are canonical notation (the notation alone has
    no padding policy or labels); variants come out in full, `from:` resolved.

    \b
    Examples:
      cnncost fmt "Input(224,224,3) -> (7,64)/2 -> 3/3 -> (3,256)x3"
      cnncost fmt he2015 --variant J
    """
    from .model import Document
    from .printer import format_document
    doc = load_spec(spec)
    if doc.is_variants and len(doc.networks) == 1:
        net = next(iter(doc.networks.values()))
        doc = Document({net.name: net})
    emit(format_document(doc))


@main.command(name="import")
@click.argument("model")
@click.option("--torch", "from_torch", is_flag=True,
              help="MODEL is FILE.py:ClassName, a torch.nn.Module built with no arguments "
                   "(PyTorch is an optional extra).")
@click.option("--input", "-i", "input_shape", default=None, metavar="HxWxC",
              help="Input shape: needed for --torch and for an ONNX model with a dynamic input.")
@click.option("--allow-unsupported", is_flag=True,
              help="Cost what has a rule and list the nodes that have none, instead of refusing.")
def import_command(model: str, from_torch: bool, input_shape: str | None,
                   allow_unsupported: bool) -> None:
    """Print an ONNX model (or a PyTorch module) as a cnncost spec — the canonical
    YAML or notation `cnncost fmt` prints — to read, edit, commit and scale.
    Every command also reads a .onnx file directly (reading ONNX needs the onnx
    extra: pip install 'cnncost[onnx]').

    \b
    Examples:
      cnncost import model.onnx > model.yaml
      cnncost import model.onnx --input 224x224x3 --allow-unsupported
      cnncost import --torch models.py:Net --input 224x224x3
    """
    from .notation import parse_shape
    from .printer import format_document
    shape = parse_shape(input_shape, "--input") if input_shape is not None else None
    if from_torch:
        imported = _import_torch(model, shape, allow_unsupported)
    else:
        from .onnx_import import import_onnx
        imported = import_onnx(model, shape, allow_unsupported=allow_unsupported)
    if imported.uncosted:
        click.echo("note: not costed (no rule for them): "
                   + ", ".join(f"{u.op} {u.name}" for u in imported.uncosted), err=True)
    emit(format_document(imported.document))


def _import_torch(ref: str, shape: Any, allow_unsupported: bool) -> Any:
    """FILE.py:ClassName → the module's class, built with no arguments, traced."""
    import importlib.util
    import runpy
    path, _, cls = ref.rpartition(":")
    if not path or not cls:
        raise CnnCostError(f"--torch takes FILE.py:ClassName, not '{shorten(ref)}'",
                           hint="e.g. cnncost import --torch models.py:Net --input 224x224x3")
    if shape is None:
        raise CnnCostError("importing a PyTorch module needs its input shape",
                           hint="pass --input 224x224x3")
    if importlib.util.find_spec("torch") is None:
        raise CnnCostError("import --torch needs PyTorch, which is not installed",
                           hint="pip install 'cnncost[torch]'")
    try:
        namespace = runpy.run_path(path)
    except OSError as e:
        raise CnnCostError(f"cannot read {path}: {e.strerror or e}") from None
    if cls not in namespace:
        from .errors import did_you_mean
        raise CnnCostError(f"{path} defines no '{cls}'"
                           + did_you_mean(cls, [k for k in namespace if k[:1].isupper()]),
                           hint="name a torch.nn.Module class defined in the file")
    from .torch_import import import_torch
    return import_torch(namespace[cls](), shape, allow_unsupported=allow_unsupported)


@main.command()
@click.argument("spec")
@click.option("--torch", "to_torch", is_flag=True, required=True,
              help="Write a PyTorch module (the only target so far).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
@spec_options
def export(spec: str, to_torch: bool, output: str | None, input_shape: str | None,
           padding: str | None) -> None:
    """Write SPEC as Python source defining a torch.nn.Module `Net` with the same
    layers, padding and shapes (PyTorch is an optional extra: pip install 'cnncost[torch]').

    \b
    Examples:
      cnncost export --torch he2015-a -o he2015_a.py
      cnncost export --torch "Input(32,32,3) -> 16F(3,3) -> relu -> gap -> 10fc"
    """
    import importlib.util
    if importlib.util.find_spec("torch") is None:
        raise CnnCostError("export --torch needs PyTorch, which is not installed",
                           hint="pip install 'cnncost[torch]' (or pip install torch)")
    from .resolve import one_network
    from .torch_export import export_torch
    shape, pad = _overrides(input_shape, padding)
    text = export_torch(one_network(load_spec(spec, shape)).graph(shape, pad))
    if output is not None:
        write_file(output, text, "the module")
    else:
        emit(text)


@main.command(name="zoo")
@click.argument("name", required=False)
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default=None,
              help="Format of the list (default table); csv and json carry exact integers.")
def zoo_command(name: str | None, fmt: str | None) -> None:
    """List every built-in spec — its source, input, params and MACs beside the
    published figures — or print one spec's file.

    \b
    Examples:
      cnncost zoo
      cnncost zoo --format markdown
      cnncost zoo resnet50
    """
    from . import zoo
    from .report import Format, render_zoo
    if name is not None:
        if fmt is not None:
            raise CnnCostError(f"`cnncost zoo {name}` prints the spec file; --format is for the list",
                               hint=f"cnncost zoo --format {fmt} lists every entry; "
                                    f"cnncost analyze {name} --format {fmt} gives its costs")
        found = zoo.find(name)
        if found is None:
            from .errors import did_you_mean
            from .resolve import zoo_entry_names
            raise CnnCostError(f"no built-in spec '{name}'" + did_you_mean(name, zoo_entry_names()),
                               hint="`cnncost zoo` lists them")
        with open(found[0], encoding="utf-8") as f:
            emit(f.read())
        return
    emit(render_zoo(zoo_entries(), Format(fmt or "table")))


def zoo_entries() -> list[tuple[str, Any, Any]]:
    """(name, NetworkSpec, NetworkCost) for every built-in network, variants expanded."""
    from . import zoo
    from .costs import analyze
    from .resolve import load
    out = []
    for file_name in zoo.names():
        doc = load(file_name)
        for key, net in doc.networks.items():
            name = zoo.entry_name(file_name, key) if doc.is_variants else file_name
            out.append((name, net, analyze(net.graph())))
    return out


def _positive(value: float | None, what: str, example: str) -> None:
    """A multiplier or size that must be a positive finite number."""
    import math
    if value is not None and not (math.isfinite(value) and value > 0):
        raise CnnCostError(f"{what} must be a positive number, not {value:g}", hint=f"e.g. {what} {example}")


@main.command(name="replace")
@click.argument("spec")
@click.option("--stage", required=True, help="The stage whose convolutions to replace (its label).")
@click.option("--tolerance", default=commands.TOLERANCE, show_default=True,
              help="Allowed Eq. (1) deviation from the stage's.")
@click.option("--sizes", default=commands.SIZES, show_default=True, help="Filter sizes s to try.")
@click.option("--depth", "depth_range", default=commands.DEPTHS, show_default=True,
              help="Conv layers in the stage, lo..hi.")
@click.option("--widths", default=None, help="Widths n to try (default: multiples of 8 up to twice the stage's).")
@click.option("--top", default=0, help="Show only the best N candidates (default 0: all that match).")
@click.option("--emit-variants", type=click.Path(dir_okay=False), default=None,
              help="Write the top candidates as a variants YAML for `cnncost compare`; "
                   "`-` writes it to standard output instead of the table.")
@spec_options
@memory_options
@output_options
def replace_command(spec: str, stage: str, tolerance: str, sizes: str, depth_range: str,
                    widths: str | None, top: int, emit_variants: str | None,
                    input_shape: str | None, padding: str | None, batch: int, dtype: str,
                    fmt: str) -> None:
    """He & Sun's layer replacement: conv stacks for one stage whose Eq. (1)
    complexity stays within --tolerance of the original stage's, on the real map
    sizes. Ranked deeper first, then closer to the budget, then fewer params.

    \b
    Examples:
      cnncost replace he2015-a --stage 3 --tolerance 8%
      cnncost replace he2015-a --stage 3 --sizes 2,3 --emit-variants stage3.yaml
    """
    from .commands import replace
    from .report import Format, plural, render_replace
    from .search import variants_yaml
    shape, pad = _overrides(input_shape, padding)
    net_spec, net, info, shown, found, evaluated, tol = replace(
        lambda: load_spec(spec, shape), stage, tolerance, sizes, depth_range, widths, top, shape, pad,
        batch, dtype)
    if emit_variants == STDIN:  # the variants are the output, to pipe on: `| cnncost compare -`
        emit(variants_yaml(net_spec, net, info, shown))
        click.echo(f"note: {plural(len(shown), 'candidate')} written to standard output as "
                   "variants (the table is not shown)", err=True)
        return
    if emit_variants is not None:
        write_file(emit_variants, variants_yaml(net_spec, net, info, shown), "the variants")
    emit(render_replace(net, info, shown, found, evaluated, tol, Format(fmt)))


@main.command()
@click.argument("spec")
@click.option("--width", type=float, default=None, help="Width multiplier w (the spec's `width` var).")
@click.option("--depth", type=float, default=None, help="Depth multiplier d (the spec's `depth` var).")
@click.option("--resolution", type=int, default=None, help="Input size R (R×R).")
@click.option("--phi", type=float, default=None, help="EfficientNet compound coefficient φ.")
@click.option("--alpha", type=float, default=1.2, show_default=True, help="Depth base α (with --phi).")
@click.option("--beta", type=float, default=1.1, show_default=True, help="Width base β (with --phi).")
@click.option("--gamma", type=float, default=1.15, show_default=True, help="Resolution base γ (with --phi).")
@memory_options
@output_options
@click.option("--stages", "-s", is_flag=True, help="One row per stage.")
@variant_options
def scale(spec: str, width: float | None, depth: float | None, resolution: int | None,
          phi: float | None, alpha: float, beta: float, gamma: float, batch: int, dtype: str,
          fmt: str, stages: bool) -> None:
    """Apply width, depth and resolution multipliers with the model's own rounding
    (the spec's `vars:` width and depth; which layers scale is written in the spec).
    A multiplier that changes nothing — no layer uses it, or the rounding gives the
    spec's own layers — is said on standard error.

    \b
    Examples:
      cnncost scale mobilenet_v1 --width 0.5 --resolution 160
      cnncost scale efficientnet_b0 --width 1.1 --depth 1.2 --resolution 260
      cnncost scale efficientnet_b0 --phi 1
    """
    from .report import Format, render_analysis
    from .search import compound, scaled
    for value, what, example in ((width, "--width", "0.5"), (depth, "--depth", "1.2"),
                                 (resolution, "--resolution", "160"), (alpha, "--alpha", "1.2"),
                                 (beta, "--beta", "1.1"), (gamma, "--gamma", "1.15")):
        _positive(value, what, example)
    if phi is not None and not -10 <= phi <= 10:
        raise CnnCostError(f"--phi {phi:g} is outside -10..10", hint="EfficientNet-B1…B7 are φ = 1…7")
    base = scaled(_load, spec)
    given = [(f"--{k} {v:g}", k, v) for k, v in (("width", width), ("depth", depth)) if v is not None]
    if phi is not None:
        if width is not None or depth is not None or resolution is not None:
            raise CnnCostError("--phi sets width, depth and resolution; give it alone")
        w, d, r = compound(phi, alpha, beta, gamma)
        width, depth, resolution = w, d, round(base.input.h * r)
    net = scaled(_load, spec, width, depth, resolution, None, batch, dtype)
    emit(render_analysis(net, Format(fmt), stages))
    if phi is not None:
        given = [(f"--phi {phi:g}", "", None)] if _same(net, base) else []
    for flag, var, value in given:
        if var and not _same(scaled(_load, spec, **{var: value}), base):
            continue
        why = "it is the spec's own network" if not var else (
            f"this spec declares `{var}` but no layer uses it"
            if _same(scaled(_load, spec, **{var: 4 * value}), base) else
            f"with the model's rounding its layers are those of the spec's own {var}")
        click.echo(f"note: {flag} changes nothing: {why}", err=True)
    if resolution is not None and phi is None and net.input == base.input:
        click.echo(f"note: --resolution {resolution} changes nothing: it is the spec's own "
                   "input size", err=True)


def _same(a: Any, b: Any) -> bool:
    """Whether two analyses are of the same network: the same layers on the same input."""
    return bool(a.input == b.input and a.graph.nodes == b.graph.nodes)


@main.command()
@click.argument("spec")
@click.option("--width", "widths", default=None, help="Width multipliers (default 0.25,0.5,0.75,1.0).")
@click.option("--resolution", "resolutions", default=None, help="Input sizes (default: the spec's).")
@click.option("--target-macs", default=None, help="For each resolution, the largest width within this many MACs.")
@memory_options
@output_options
@variant_options
def sweep(spec: str, widths: str | None, resolutions: str | None, target_macs: str | None,
          batch: int, dtype: str, fmt: str) -> None:
    """Params and MACs over a grid of width multipliers × resolutions
    (MobileNet's Tables 6–7), or the largest width within a MACs budget.

    \b
    Examples:
      cnncost sweep mobilenet_v1 --width 0.25,0.5,0.75,1.0 --resolution 128,160,192,224
      cnncost sweep mobilenet_v1 --resolution 160,224 --target-macs 400M
    """
    from .comparison import parse_amount
    from .report import Format, render_sweep
    from .search import MAX_WIDTH, largest_width, scaled
    if target_macs is not None and widths is not None:
        raise CnnCostError("--target-macs finds the width itself; --width is for the grid",
                           hint="drop --width, or drop --target-macs")
    ws = _float_list(widths if widths is not None else "0.25,0.5,0.75,1.0", "--width",
                     "0.25,0.5,0.75,1.0")
    rs = (_int_list(resolutions, "--resolution", "128,160,192,224") if resolutions is not None
          else (scaled(_load, spec).input.h,))
    if target_macs is not None:
        budget = parse_amount(target_macs, "--target-macs")
        found = [(r, *largest_width(lambda w, r=r: scaled(_load, spec, w, None, r, None, batch,
                                                          dtype), budget))
                 for r in rs]
        emit(render_sweep(None, found, budget, Format(fmt)))
        capped = [str(r) for r, w, _ in found if w is not None and w >= MAX_WIDTH]
        if capped:  # the search range ends at 4×: say so rather than imply it is the largest
            click.echo(f"note: at resolution {', '.join(capped)} the budget allows width "
                       f"{MAX_WIDTH:.2f}, where the search stops; wider was not tried", err=True)
        return
    cells = [[scaled(_load, spec, w, None, r, None, batch, dtype) for r in rs]
             for w in with_progress(ws, len(ws) * len(rs))]
    emit(render_sweep((ws, rs, cells), None, None, Format(fmt)))


def with_progress(items: Any, total: int) -> Any:
    """A rich progress bar on stderr for long sweeps, only on a terminal."""
    if total < 50 or not sys.stderr.isatty():
        return items
    from rich.console import Console
    from rich.progress import track
    return track(items, description="sweeping", console=Console(stderr=True), transient=True)
