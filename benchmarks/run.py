"""cnncost's speed and scale benchmarks (`make bench`); results go in docs/performance.md.

1. Whole-process time of `cnncost analyze resnet50 --format json` (and the
   table), as a ratio to a bare `python -c pass` measured in the same run.
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

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLI = shutil.which("cnncost", path=str(Path(PY).parent)) or "cnncost"


def wall(cmd: list[str], runs: int) -> float:
    """Median wall time of a command, in seconds (after one warm-up run)."""
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def process_times(runs: int) -> None:
    spec = "resnet50"
    from cnncost import zoo
    if zoo.find(spec) is None:
        spec = "he2015-a"
    base = wall([PY, "-c", "pass"], runs)
    print(f"\n## Whole-process time (median of {runs})\n")
    print("| command | seconds | × python -c pass |")
    print("|---|---:|---:|")
    print(f"| python -c pass | {base:.3f} | 1.00 |")
    env = dict(os.environ, COLUMNS="100")
    for args in (["analyze", spec, "--format", "json"], ["analyze", spec]):
        t = wall([CLI, *args], runs) if env else 0.0
        print(f"| cnncost {' '.join(args)} | {t:.3f} | {t / base:.2f} |")


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
    process_times(5 if quick else 21)
    scale()
    candidates()
    frameworks()
    roofline()


if __name__ == "__main__":
    main()
