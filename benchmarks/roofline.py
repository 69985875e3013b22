"""The roofline is a lower bound: every convolution measured here runs no faster.

Measures this machine on one thread — a large matmul for the peak FLOP/s, the
fastest of several copies (cache-sized to DRAM-sized) for the bandwidth — writes that as a cnncost device file, then times every
convolution of ResNet-50 and MobileNetV2 (batch 1, fp32, the modules
`export --torch` writes) with torch.utils.benchmark and compares each with
cnncost's roofline_s on that device. Every layer must take at least its bound,
or the device file is wrong.

Run: .venv/bin/python benchmarks/roofline.py [--quick] [--device-out FILE]
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure_device(quick: bool) -> dict:
    import torch
    from torch.utils import benchmark
    peak = 0.0
    for n in ((1024, 2048) if quick else (1024, 2048, 4096)):
        a, b = torch.randn(n, n), torch.randn(n, n)
        t = benchmark.Timer("a @ b", globals={"a": a, "b": b}).blocked_autorange(min_run_time=1)
        peak = max(peak, 2 * n ** 3 / min(t.times))  # the best run: a peak, not a typical rate
    # The highest bandwidth any layer can see: a copy that fits in the caches (small
    # layers' tensors do), not only DRAM's — a lower bound must use the fastest.
    bandwidth = 0.0
    for n in (2 ** 15, 2 ** 18, 2 ** 21, 2 ** 26):  # 128 KB … 256 MB of fp32
        src = torch.empty(n)
        dst = torch.empty_like(src)
        t = benchmark.Timer("dst.copy_(src)", globals={"src": src, "dst": dst}
                            ).blocked_autorange(min_run_time=0.3)
        bandwidth = max(bandwidth, 2 * n * 4 / min(t.times))  # read and write
    return {"name": "this-machine-1-thread",
            "source": f"measured by benchmarks/roofline.py: {peak / 1e9:.1f} GFLOP/s "
                      f"(fp32 matmul), {bandwidth / 1e9:.1f} GB/s (fastest copy), torch threads 1",
            "peak_flops": {"fp32": peak, "fp16": peak, "bf16": peak, "int8": peak},
            "bandwidth": bandwidth}


def main() -> None:
    import torch
    from torch.utils import benchmark

    from cnncost.costs import analyze
    from cnncost.graph import infer
    from cnncost.memory import load_device, roofline
    from cnncost.resolve import load, one_network
    from cnncost.torch_export import export_torch

    quick = "--quick" in sys.argv
    torch.set_num_threads(1)
    spec = measure_device(quick)
    out = Path(sys.argv[sys.argv.index("--device-out") + 1]) if "--device-out" in sys.argv \
        else Path("/tmp/cnncost-this-machine.yaml")
    out.write_text("".join(f"{k}: {v!r}\n" if not isinstance(v, dict) else
                           f"{k}:\n" + "".join(f"  {a}: {b!r}\n" for a, b in v.items())
                           for k, v in spec.items()), encoding="utf-8")
    device = load_device(str(out))
    print(f"## Roofline on this machine ({device.source})\n")
    print("| network | conv layers | measured ≥ bound | median measured/bound | by kind (median) |")
    print("|---|---:|---:|---:|---|")
    all_ok = True
    for name in ("resnet50", "mobilenet_v2"):
        graph = one_network(load(name)).graph()
        net = analyze(graph)
        infos = infer(graph)
        ns: dict = {}
        exec(compile(export_torch(graph), name, "exec"), ns)
        model = ns["Net"]().eval()
        ratios, by_kind = [], defaultdict(list)
        ok = 0
        convs = [k for k, r in enumerate(net.rows) if r.kind in ("conv", "dw")]
        if quick:
            convs = convs[::4]
        for k in convs:
            row, layer = net.rows[k], model.layers[k]
            x = torch.randn(1, infos[k].inputs[0].c, infos[k].inputs[0].h, infos[k].inputs[0].w)
            with torch.no_grad():
                t = benchmark.Timer("layer(x)", globals={"layer": layer, "x": x}
                                    ).blocked_autorange(min_run_time=0.05 if quick else 0.2)
            bound, _ = roofline(2 * row.macs, row.bytes_moved, device, "fp32")
            measured = min(t.times)
            ratios.append(measured / bound)
            by_kind[row.kind].append(measured / bound)
            ok += measured >= bound
        all_ok &= ok == len(convs)
        kinds = ", ".join(f"{k} {statistics.median(v):.2f}×" for k, v in by_kind.items())
        print(f"| {name} | {len(convs)} | {ok}/{len(convs)} | {statistics.median(ratios):.2f}× "
              f"| {kinds} |")
    print("\nEvery layer at or above its bound." if all_ok else
          "\nSOME LAYER RAN FASTER THAN ITS BOUND: the device file is wrong.")


if __name__ == "__main__":
    main()
