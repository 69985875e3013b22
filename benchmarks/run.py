"""cnncost's speed and scale benchmarks (`make bench`); results go in docs/performance.md.

1. The speed issue's targets, whole process: each command as a ratio to a bare
   `python -c pass` measured in the same run, with its peak RSS, and "met" or
   "not met"; then the warm in-process time of each phase (load, lower, cost,
   JSON, table) for ResNet-50 and a 10k-layer chain, to locate a regression.
2. Parse + analysis time and peak traced memory for generated specs of 1k,
   10k and 100k layers (written out, not repeated, so parsing is measured too).
3. Candidates per second of `replace`'s vectorised evaluation.
4. If PyTorch with fvcore or ptflops is installed: the same ResNet-50 count by them.
5. With PyTorch: the roofline lower bound checked against every convolution of
   ResNet-50 and MobileNetV2 timed on this CPU (benchmarks/roofline.py).

Run: .venv/bin/python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLI = shutil.which("cnncost", path=str(Path(PY).parent)) or "cnncost"


def wall(cmd: list[str], runs: int, stdin: bytes | None = None) -> tuple[float, int]:
    """Median wall time of a command (after one warm-up run), in seconds, and the
    largest peak RSS of its runs, in bytes (os.wait4's rusage of that child)."""
    (secs, rss), _ = wall_beside(cmd, None, runs, stdin)
    return secs, rss


def wall_beside(cmd: list[str], base: list[str] | None, runs: int, stdin: bytes | None = None,
                terminal: bool = False) -> tuple[tuple[float, int], float]:
    """wall(cmd), and the median wall time of `base` run alternately with it (each
    run of cmd right after one of base), so that a ratio of the two is measured in
    the same moments: this machine's speed drifts by a third within minutes. With
    `terminal`, cmd writes to a pseudo-terminal (as at the prompt, TERM=xterm-256color),
    read as it writes."""
    times, base_times, rss = [], [], 0
    for i in range(runs + 1):
        if base is not None:
            t0 = time.perf_counter()
            subprocess.run(base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            if i:
                base_times.append(time.perf_counter() - t0)
        out, reader = subprocess.DEVNULL, None
        if terminal:
            import pty
            import threading
            main, out = pty.openpty()
            reader = threading.Thread(target=_drain, args=(main,))
            reader.start()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else
                                subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL,
                                env={**os.environ, "TERM": "xterm-256color"} if terminal else None)
        if stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, _, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = 0  # reaped by wait4 above: Popen must not wait on it again
        if reader is not None:
            os.close(out)  # the reader sees the end once the child's output is read
            reader.join()
        if i:  # the first run warms the disk cache and the zoo cache
            times.append(elapsed)
            rss = max(rss, usage.ru_maxrss * 1024)
    return (statistics.median(times), rss), statistics.median(base_times) if base_times else 0.0


def _drain(fd: int) -> None:
    """Read a pseudo-terminal's output until its other end is closed, then close it."""
    try:
        while os.read(fd, 1 << 16):
            pass
    except OSError:  # EIO: the other end is closed and everything is read
        pass
    os.close(fd)


class Target(NamedTuple):
    """One row of the speed issue's table: a command, its limit as a multiple of a
    bare interpreter's start (or in seconds), and optionally a peak-RSS limit."""

    what: str
    cmd: list[str]
    ratio: float | None = None
    seconds: float | None = None
    rss_mb: float | None = None
    runs: int | None = None
    terminal: bool = False  # written to a pseudo-terminal, as at the prompt


def targets(runs: int) -> None:
    """The speed issue's targets, whole process, as ratios to `python -c pass`
    measured in the same run; each row says met or not met."""
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="cnncost-bench-"))
    specs = {}
    for n in (10_000, 100_000):
        specs[n] = tmp / f"chain{n}.cnn"
        specs[n].write_text(generated(n), encoding="utf-8")
    rows = [
        Target("`analyze resnet50 --format json` through the installed `cnncost` script",
               [CLI, "analyze", "resnet50", "--format", "json"], ratio=2),
        Target("`analyze resnet50` terminal table (174 rows) at a terminal", [CLI, "analyze", "resnet50"],
               ratio=6, terminal=True),
        Target("10k-layer spec, JSON", [CLI, "analyze", str(specs[10_000]), "--format", "json"],
               ratio=10, runs=max(3, runs // 4)),
        Target("100k-layer spec, JSON", [CLI, "analyze", str(specs[100_000]), "--format", "json"],
               ratio=90, rss_mb=200, runs=3),
        Target("`replace` whole process, default grid (`replace he2015-a --stage 3`)",
               [CLI, "replace", "he2015-a", "--stage", "3"], ratio=3),
        Target("the table of a 10k-layer spec at a terminal", [CLI, "analyze", str(specs[10_000])],
               seconds=1.5, runs=3, terminal=True),
    ]
    print(f"\n## Targets (whole process, median of {runs} unless fewer are shown)\n")
    print("Each ratio divides by `python -c pass`, run alternately with the command (its "
          "median is the python start column).\n")
    print("| what | seconds | python start (s) | × python start | peak RSS (MB) | target | met? |")
    print("|---|---:|---:|---:|---:|---|---|")
    os.environ["COLUMNS"] = "100"  # the tables' width, for every command below
    for t in rows:
        (secs, rss), base = wall_beside(t.cmd, [PY, "-c", "pass"], t.runs or runs,
                                        terminal=t.terminal)
        limit = []
        ok = True
        if t.ratio is not None:
            limit.append(f"≤ {t.ratio:g}×")
            ok &= secs <= t.ratio * base
        if t.seconds is not None:
            limit.append(f"≤ {t.seconds:g} s")
            ok &= secs <= t.seconds
        if t.rss_mb is not None:
            limit.append(f"≤ {t.rss_mb:g} MB")
            ok &= rss <= t.rss_mb * 1e6
        print(f"| {t.what} | {secs:.3f} | {base:.3f} | {secs / base:.1f} | {rss / 1e6:.0f} | "
              f"{' · '.join(limit)} | {'met' if ok else '**not met**'} |")
    shutil.rmtree(tmp, ignore_errors=True)


def phases(runs: int) -> None:
    """The warm call of each phase, in-process (imports done, caches filled), so a
    regression can be located: load, lower, cost, JSON, table."""
    from functools import partial

    from cnncost.costs import analyze
    from cnncost.report import Format, render_analysis
    from cnncost.resolve import load, one_network
    from cnncost.notation import parse
    print(f"\n## Warm phases (in-process, median of {runs})\n")
    print("| phase | resnet50 (ms) | 10k-layer chain (ms) | µs per layer (10k) |")
    print("|---|---:|---:|---:|")
    text = generated(10_000)

    def median_ms(f, n: int = runs) -> float:
        f()
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
        return 1000 * statistics.median(ts)

    spec50 = one_network(load("resnet50"))
    g50 = spec50.graph()
    net50 = analyze(g50)
    parsed = parse(text)
    from cnncost.model import NetworkSpec, Padding
    spec10 = NetworkSpec("chain", parsed.input, Padding.SAME, ((None, parsed.chain),))
    g10 = spec10.graph()
    net10 = analyze(g10)
    import io
    from rich.console import Console

    def table(net) -> None:  # as a terminal shows it: rich's layout
        Console(file=io.StringIO(), width=100).print(render_analysis(net, Format.TABLE))

    def piped(net) -> None:  # as a pipe or a file gets it (cli._piped_table)
        tables = render_analysis(net, Format.TABLE)
        if tables.plain_text(100) is None:
            table(net)

    def json_text(net) -> str:  # JSON comes as jsondoc.Chunks: written piece by piece
        return str(render_analysis(net, Format.JSON))
    cases = [
        ("load (zoo: cached document; chain: parse the text)", partial(load, "resnet50"),
         partial(parse, text)),
        ("lower to a graph", spec50.graph, spec10.graph),
        ("shapes and costs (analyze)", partial(analyze, g50), partial(analyze, g10)),
        ("JSON", partial(json_text, net50), partial(json_text, net10)),
        ("table laid out by rich (100 columns; what wraps or hides columns)", partial(table, net50),
         partial(table, net10)),
        ("table written directly (100 columns; at a terminal or to a pipe)", partial(piped, net50),
         partial(piped, net10)),
    ]
    for name, small, big in cases:
        a = median_ms(small)
        b = median_ms(big, 1 if "table" in name else runs)  # the 10k table: once, it is slow
        print(f"| {name} | {a:.2f} | {b:.1f} | {1000 * b / 10_000:.1f} |")


def generated(n_layers: int) -> str:
    """A written-out chain of n layers: 1×1 convs and ReLUs, with a pool now and then."""
    parts = ["Input(32,32,16)"]
    for i in range(n_layers // 2):
        parts.append("16F(1,1)")
        parts.append("relu")
    return " -> ".join(parts)


def scale() -> None:
    from cnncost import analyze, parse_spec
    print("\n## Analysis time and peak memory by spec size\n")
    print("| layers | parse + analyse (s) | s per 1k layers | peak traced memory (MB) |")
    print("|---:|---:|---:|---:|")
    for n in (1_000, 10_000, 100_000):
        text = generated(n)
        tracemalloc.start()
        t0 = time.perf_counter()
        net = analyze(parse_spec(text))
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(net.rows) == n
        # timing without tracemalloc's overhead
        t0 = time.perf_counter()
        analyze(parse_spec(text))
        elapsed = time.perf_counter() - t0
        print(f"| {n:,} | {elapsed:.3f} | {1000 * elapsed / n:.4f} | {peak / 1e6:.1f} |")


def candidates() -> None:
    from cnncost import analyze
    from cnncost.resolve import load, one_network
    from cnncost.search import replace
    net = analyze(one_network(load("he2015-a")).graph())
    widths = tuple(range(8, 8 * 2048 + 1, 8))
    t0 = time.perf_counter()
    _, found, evaluated = replace(net, "3", 0.05, (1, 2, 3, 4, 5, 6, 7, 9, 11), (1, 16), widths)
    elapsed = time.perf_counter() - t0
    print("\n## Vectorised replacement search\n")
    print(f"{evaluated:,} candidates for He & Sun's model A, stage 3, evaluated in {elapsed:.3f} s: "
          f"**{evaluated / elapsed / 1e6:.2f} million candidates per second** "
          f"({len(found):,} within ±5%).")


def frameworks() -> None:
    print("\n## The same count by framework tools\n")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch is not installed; skipped.")
        return
    from cnncost import zoo
    if zoo.find("resnet50") is None:
        print("No resnet50 in the zoo; skipped.")
        return
    code = ("import time, torch; t0 = time.perf_counter(); "
            "from cnncost.resolve import load; from cnncost.torch_export import export_torch; "
            "ns = {}; exec(export_torch(load('resnet50').networks['resnet50'].graph()), ns); "
            "m = ns['Net']().eval(); x = torch.zeros(1, 3, 224, 224); "
            "from torch.utils.flop_counter import FlopCounterMode; c = FlopCounterMode(display=False)\n"
            "with c, torch.no_grad(): m(x)\n"
            "print(c.get_total_flops() // 2, sum(p.numel() for p in m.parameters()), "
            "round(time.perf_counter() - t0, 2))")
    t0 = time.perf_counter()
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    total = time.perf_counter() - t0
    print("| tool | ResNet-50 MACs | params | whole process (s) |")
    print("|---|---:|---:|---:|")
    if out.returncode == 0:
        macs, params, _ = out.stdout.split()
        print(f"| PyTorch FlopCounterMode (CPU forward pass) | {int(macs):,} | {int(params):,} | {total:.2f} |")
    t0 = time.perf_counter()
    res = subprocess.run([CLI, "analyze", "resnet50", "--format", "json"], capture_output=True, text=True)
    t = time.perf_counter() - t0
    import json
    tot = json.loads(res.stdout)["totals"]
    print(f"| cnncost | {tot['macs']:,} | {tot['params']:,} | {t:.2f} |")
    build = ("import time; t0 = time.perf_counter(); import torch; "
             "from cnncost.resolve import load; from cnncost.torch_export import export_torch; "
             "ns = {}; exec(export_torch(load('resnet50').networks['resnet50'].graph()), ns); "
             "m = ns['Net']().eval()\n")
    tools = {
        "ptflops": build + ("from ptflops import get_model_complexity_info\n"
                            "macs, params = get_model_complexity_info(m, (3, 224, 224), as_strings=False, "
                            "print_per_layer_stat=False, verbose=False)\n"
                            "print(int(macs), int(params), 0)"),
        "fvcore": build + ("from fvcore.nn import FlopCountAnalysis\n"
                           "f = FlopCountAnalysis(m, torch.zeros(1, 3, 224, 224))\n"
                           "print(int(f.total()), sum(p.numel() for p in m.parameters()), 0)"),
    }
    for name, code in tools.items():
        try:
            __import__(name)
        except ImportError:
            print(f"| {name} | not installed | | |")
            continue
        t0 = time.perf_counter()
        out = subprocess.run([PY, "-c", code], capture_output=True, text=True)
        total = time.perf_counter() - t0
        if out.returncode == 0:
            macs, params, _ = out.stdout.split()[-3:]
            print(f"| {name} | {int(macs):,} | {int(params):,} | {total:.2f} |")
        else:
            print(f"| {name} | failed: {out.stderr.strip().splitlines()[-1][:60]} | | |")


def roofline() -> None:
    """benchmarks/roofline.py: the roofline is a lower bound on this CPU (needs torch)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        print("\n## Roofline\n\nPyTorch is not installed; skipped.")
        return
    print()
    args = [PY, str(ROOT / "benchmarks" / "roofline.py")] + (["--quick"] if "--quick" in sys.argv else [])
    subprocess.run(args, check=False)


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"# cnncost benchmarks — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    targets(5 if quick else 21)
    phases(3 if quick else 5)
    scale()
    candidates()
    frameworks()
    roofline()


if __name__ == "__main__":
    main()
