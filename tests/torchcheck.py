"""Build a spec in PyTorch (through `cnncost export --torch`) and measure it there."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class Measured:
    params: int  # sum of p.numel() over the module's parameters
    macs: int  # FlopCounterMode's total / 2
    shapes: list[tuple[int, int, int]]  # every layer's output, as H×W×C


def measure(source: str, meta: bool = True) -> Measured:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    namespace: dict = {}
    exec(compile(source, "<exported>", "exec"), namespace)
    device = torch.device("meta") if meta else torch.device("cpu")
    with device:
        net = namespace["Net"]().eval()
        shapes: list[tuple[int, int, int]] = []
        for layer in net.layers:
            layer.register_forward_hook(
                lambda m, i, o: shapes.append((o.shape[2], o.shape[3], o.shape[1])))
        x = torch.zeros(1, *net.input_shape)
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            net(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return Measured(sum(p.numel() for p in net.parameters()), flops // 2, shapes)
