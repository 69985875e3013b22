"""Reusable parameterised blocks: define an MBConv or a bottleneck once, use it with arguments.

In YAML::

    blocks:
      bottleneck(w, s=1): add[ {w}F(1,1,b=0) → bn → relu → {w}F(3,3,s={s},b=0) → bn → relu
                              → {w*4}F(1,1,b=0) → bn | id ] → relu
    spec: … → bottleneck(64)×3 → bottleneck(128, s=2) → …

A block's body is notation text in which ``{expression}`` is replaced by the
value of an integer expression over the block's parameters: numbers, + − * / //
%, parentheses, and the functions in :data:`FUNCTIONS`. Nothing else is
evaluated (no attribute access, no other names), so a spec file cannot run code.
"""

from __future__ import annotations

import math
import operator
import warnings
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Callable

from . import lazyre
from .errors import CnnCostError, Source, Span, did_you_mean, shorten
from .record import Record

SIGNATURE = lazyre.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*)\s*"
                            r"(?:\(\s*(.*?)\s*\))?\s*")
PLACEHOLDER = lazyre.compile(r"\{([^{}]*)\}")
_CIN = lazyre.compile(r"\bcin\b")
_PARAM = lazyre.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(-?\d+(?:\.\d+)?))?")  # name[=number]


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """MobileNet/EfficientNet channel rounding: the nearest multiple of `divisor`,
    at least `min_value` (default divisor), never below 90% of v."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


MAX_REGNET_DEPTH = 1000  # blocks; keeps regnet_*() from being asked to loop for ever


def regnet_stages(w_0: float, w_a: float, w_m: float, depth: float,
                  group_width: float) -> tuple[tuple[int, int, int], ...]:
    """RegNet's quantised linear rule: (width, depth, group width) of every stage.

    Radosavovic et al. 2020, "Designing Network Design Spaces" (arXiv 2003.13678),
    §3.3 Eqs. (2)–(4): block j of `depth` has the continuous width u_j = w_0 + w_a·j;
    s_j = round(log(u_j / w_0) / log(w_m)) quantises it to w_0·w_m^s_j, rounded to a
    multiple of 8; consecutive blocks of one width form a stage. Then the stage
    widths are made compatible with the group width (bottleneck multiplier 1.0):
    group width min(g, w), width rounded to a multiple of it with `div`.

    This is torchvision's BlockParams.from_init_params followed by
    BlockParams._adjust_widths_groups_compatibilty (models/regnet.py), step for step,
    with Python floats (torchvision computes in float32, pycls in float64; the
    results agree for every torchvision RegNet, see tests/test_regnet_rule.py).
    Rounding is half to even in all three, as here.
    """
    if not all(math.isfinite(v) for v in (w_0, w_a, w_m)):
        raise ValueError("RegNet settings must be finite numbers")
    if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
        raise ValueError("invalid RegNet settings: need w_a ≥ 0, w_0 > 0 a multiple of 8, w_m > 1")
    if depth != int(depth) or not 1 <= depth <= MAX_REGNET_DEPTH:
        raise ValueError(f"the depth must be a whole number from 1 to {MAX_REGNET_DEPTH}")
    if group_width != int(group_width) or group_width < 1:
        raise ValueError("the group width must be a whole number ≥ 1")
    block_widths = []
    for j in range(int(depth)):
        s = round(math.log((j * w_a + w_0) / w_0) / math.log(w_m))
        block_widths.append(int(round(w_0 * w_m ** s / 8) * 8))
    stages: list[list[int]] = []  # [width, depth] of each run of equal widths
    for w in block_widths:
        if stages and stages[-1][0] == w:
            stages[-1][1] += 1
        else:
            stages.append([w, 1])
    out = []
    for w, d in stages:
        g = min(int(group_width), w)  # bottleneck width int(w·1.0) = w
        out.append((make_divisible(w, g), d, g))
    return tuple(out)


_REGNET_KNOWN: dict[tuple[float, ...], tuple[tuple[int, int, int], ...]] = {}  # at most 256


def _regnet_stage(w_0: float, w_a: float, w_m: float, depth: float, group_width: float,
                  stage: float) -> tuple[int, int, int]:
    # a spec asks for each stage's width, depth and group width: the rule runs once
    # for its settings (a dict, not functools.lru_cache: functools and collections
    # cost a sixth of a bare interpreter's start to import)
    key = (w_0, w_a, w_m, depth, group_width)
    stages = _REGNET_KNOWN.get(key)
    if stages is None:
        stages = regnet_stages(*key)
        if len(_REGNET_KNOWN) >= 256:
            _REGNET_KNOWN.clear()
        _REGNET_KNOWN[key] = stages
    if stage != int(stage) or not 1 <= stage <= len(stages):
        raise ValueError(f"this RegNet has stages 1 to {len(stages)}, not {stage}")
    return stages[int(stage) - 1]


def regnet_w(w_0: float, w_a: float, w_m: float, depth: float, group_width: float,
             stage: float) -> int:
    """The width (output channels) of RegNet stage `stage` (from 1); see regnet_stages."""
    return _regnet_stage(w_0, w_a, w_m, depth, group_width, stage)[0]


def regnet_d(w_0: float, w_a: float, w_m: float, depth: float, group_width: float,
             stage: float) -> int:
    """The number of blocks of RegNet stage `stage` (from 1); see regnet_stages."""
    return _regnet_stage(w_0, w_a, w_m, depth, group_width, stage)[1]


def regnet_g(w_0: float, w_a: float, w_m: float, depth: float, group_width: float,
             stage: float) -> int:
    """The group width of RegNet stage `stage` (from 1), after the compatibility
    adjustment; its 3×3 convolution has width / group width groups."""
    return _regnet_stage(w_0, w_a, w_m, depth, group_width, stage)[2]


FUNCTIONS: dict[str, Callable[..., float | int]] = {
    "div": make_divisible,  # div(v, 8): MobileNet's _make_divisible
    "ceil": math.ceil,
    "floor": math.floor,
    "round": round,
    "int": int,
    "max": max,
    "min": min,
    # regnet_w/_d/_g(w_0, w_a, w_m, depth, group_width, stage): RegNet's stage
    # width, depth and group width from its quantised linear rule (regnet_stages)
    "regnet_w": regnet_w,
    "regnet_d": regnet_d,
    "regnet_g": regnet_g,
}

_BINOPS = {"Add": operator.add, "Sub": operator.sub, "Mult": operator.mul,
           "Div": operator.truediv, "FloorDiv": operator.floordiv, "Mod": operator.mod}


def evaluate(expr: str, env: dict[str, float | int]) -> float | int:
    """Evaluate a block expression; ValueError with a reason on anything else."""
    import ast  # only specs with {expressions} need it
    try:
        with warnings.catch_warnings():  # '1x' warns before it fails
            warnings.simplefilter("ignore")
            tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise ValueError("not an expression") from None
    except (RecursionError, MemoryError):  # e.g. {------…1}: the parser's own stack
        raise ValueError("the expression is nested too deeply") from None

    def ev(node: ast.AST) -> float | int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise ValueError(f"unknown name '{node.id}'" + did_you_mean(node.id, env))
            return env[node.id]
        if isinstance(node, ast.BinOp) and type(node.op).__name__ in _BINOPS:
            right = ev(node.right)
            if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and right == 0:
                raise ValueError("division by zero")
            return _BINOPS[type(node.op).__name__](ev(node.left), right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in FUNCTIONS and not node.keywords):
            args = [ev(a) for a in node.args]
            try:
                return FUNCTIONS[node.func.id](*args)
            except (ArithmeticError, TypeError, ValueError) as e:
                raise ValueError(f"{node.func.id}(): {e}") from None
        raise ValueError("only numbers, parameters, + - * / // %, and "
                         + ", ".join(FUNCTIONS) + "() are allowed")

    try:
        value = ev(tree)
    except (ArithmeticError, RecursionError) as e:
        raise ValueError(f"cannot evaluate: {e}") from None
    if abs(value) > 10**15 or not math.isfinite(value):  # an int is compared before any float()
        raise ValueError("the value is too large")
    return value


class Block(Record):
    name: str  # lower-case name used in specs
    params: tuple[tuple[str, float | int | None], ...]  # (name, default or None)
    body: str  # notation text with {expression} placeholders
    source: Source  # where the body was written, for errors

    @property
    def reads_cin(self) -> bool:
        """Whether the body uses `cin`, the channels that reach the block, without
        declaring it: then it is expanded once shape inference knows them."""
        if any(p == "cin" for p, _ in self.params):
            return False
        return any(_CIN.search(m.group(1)) for m in PLACEHOLDER.finditer(self.body))

    @property
    def signature(self) -> str:
        return f"{self.name}(" + ", ".join(p if d is None else f"{p}={d}" for p, d in self.params) + ")"

    def expand(self, args: list[float | int], kwargs: dict[str, float | int], span: Span,
               variables: dict[str, float | int] | None = None) -> Source:
        """The body with every placeholder replaced, as a Source to parse."""
        env: dict[str, float | int] = {}
        names = [p for p, _ in self.params]
        usage = f"call it as {self.signature}"
        if len(args) > len(names):
            raise CnnCostError(f"block {self.signature} takes {len(names)} arguments, "
                               f"not {len(args)}", span, hint=usage)
        env.update(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise CnnCostError(f"block {self.signature} has no parameter '{key}'"
                                   + did_you_mean(key, names), span,
                                   hint=usage)
            if key in env:
                raise CnnCostError(f"block {self.name}: '{key}' is given twice", span,
                                   hint=usage)
            env[key] = value
        for p, default in self.params:
            if p not in env:
                if default is None:
                    raise CnnCostError(f"block {self.signature} needs its argument '{p}'", span,
                                       hint=usage)
                env[p] = default
        text = substitute(self.source, {**(variables or {}), **env}, f"in block {self.name}: ",
                          self.body)
        call = ", ".join([*(str(a) for a in args), *(f"{k}={v}" for k, v in kwargs.items())])
        return Source(text, f"{self.source.name or 'spec'}: block {self.name}({call})")


def substitute(source: Source, env: dict[str, float | int], what: str = "",
               text: str | None = None) -> str:
    """Replace every {expression} in the text by its whole-number value."""
    body = source.text if text is None else text

    def one(m: re.Match[str]) -> str:
        expr = shorten(m.group(1))
        try:
            value = evaluate(m.group(1), env)
        except ValueError as e:
            raise CnnCostError(f"{what}{{{expr}}}: {e}", Span(source, m.start(), m.end()),
                               hint="variables come from YAML `vars:` and block parameters"
                               if "unknown name" in str(e) else
                               "write a whole-number expression, e.g. {w*4} or {div(w*0.75, 8)}"
                               ) from None
        if value != int(value):
            raise CnnCostError(f"{what}{{{expr}}} = {value} is not a whole number",
                               Span(source, m.start(), m.end()),
                               hint="round it with int(), round(), ceil() or div()")
        return str(int(value))

    return PLACEHOLDER.sub(one, body)


def parse_signature(key: str, body: str, source: Source, span: Span) -> Block:
    """'bottleneck(w, s=1)' and its body → Block."""
    m = SIGNATURE.fullmatch(key)
    if not m:
        raise CnnCostError(f"'{key}' is not a block signature", span,
                           hint="write name(param, param=default), e.g. bottleneck(w, s=1)")
    params: list[tuple[str, float | int | None]] = []
    for part in filter(None, (p.strip() for p in (m.group(2) or "").split(","))):
        pm = _PARAM.fullmatch(part)
        if not pm:
            raise CnnCostError(f"block parameter '{part}' must be a name or name=number", span,
                               hint="write name(param, param=default), e.g. bottleneck(w, s=1)")
        default = pm.group(2)
        if any(name == pm.group(1) for name, _ in params):
            raise CnnCostError(f"block parameter '{pm.group(1)}' appears twice", span,
                               hint="give each parameter its own name")
        params.append((pm.group(1), None if default is None else
                       (float(default) if "." in default else int(default))))
    return Block(m.group(1).lower(), tuple(params), body, source)
