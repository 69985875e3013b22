"""The example specs (specs/examples/) against independent PyTorch modules.

Every spec file under specs/ must load and analyse. For each example that proves a new
layer kind (transposed conv, upsampling, pixel (un)shuffle, LayerNorm, layer scale,
element-wise products, channel padding), the module below is written here from the
paper's or the PyTorch tutorial's definition with torch.nn layers — not from
`cnncost export --torch` — and cnncost's totals must equal PyTorch's exactly:
params == sum(p.numel()), MACs == FlopCounterMode / 2 (meta device), and the final
output shape. The U-Net and the DCGAN generator (and, cheaply, the others) are also
checked layer by layer through the module that `export --torch` writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncost.costs import analyze
from cnncost.resolve import load, one_network

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from cnncost.torch_export import export_torch  # noqa: E402
from torchcheck import measure  # noqa: E402

ROOT = Path(__file__).parent.parent
SPECS = ROOT / "specs"
EXAMPLES = SPECS / "examples"


# --- every spec on disk loads and analyses ----------------------------------------

def spec_files() -> list[Path]:
    return sorted(p for p in SPECS.rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.mark.parametrize("path", spec_files(), ids=lambda p: str(p.relative_to(SPECS)))
def test_every_spec_file_loads_and_analyses(path):
    doc = load(str(path))
    assert doc.networks
    for net in doc.networks.values():
        result = analyze(net.graph())
        assert result.rows and result.totals.params >= 0 and result.totals.macs >= 0


# --- independent PyTorch modules ----------------------------------------------------

def double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())


class UNet(nn.Module):
    """Ronneberger et al. 2015, Fig. 1, with padded 3×3 convs (as PyTorch ports)."""

    def __init__(self, c_in: int = 1, classes: int = 2, base: int = 64):
        super().__init__()
        w = [base * 2 ** i for i in range(5)]  # 64 … 1024
        self.enc = nn.ModuleList([double_conv(c_in, w[0])] +
                                 [double_conv(w[i], w[i + 1]) for i in range(4)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2)
                                 for i in reversed(range(4))])
        self.dec = nn.ModuleList([double_conv(w[i + 1], w[i]) for i in reversed(range(4))])
        self.out = nn.Conv2d(w[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.enc):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        skips.pop()
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([skips.pop(), up(x)], 1))
        return self.out(x)


def cbr(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class FPNP2(nn.Module):
    """Lin et al. 2017 §3: laterals 1×1, nearest ×2 top-down, 3×3 on P2 (d = 256)."""

    def __init__(self, d: int = 256):
        super().__init__()
        self.stem = cbr(3, 32, 2)
        widths = [64, 128, 256, 512]
        self.stages = nn.ModuleList([cbr(c, w, 2) for c, w in zip([32] + widths, widths)])
        self.lateral = nn.ModuleList([nn.Conv2d(w, d, 1) for w in widths])
        self.smooth = nn.Conv2d(d, d, 3, padding=1)

    def forward(self, x):
        x = self.stem(x)
        cs = []
        for stage in self.stages:
            x = stage(x)
            cs.append(x)  # C2 … C5
        p = self.lateral[3](cs[3])
        for i in (2, 1, 0):
            p = self.lateral[i](cs[i]) + F.interpolate(p, scale_factor=2, mode="nearest")
        return self.smooth(p)  # P2


class LayerNorm2d(nn.Module):
    """ConvNeXt's channels_first LayerNorm: over C at each position."""

    def __init__(self, c: int):
        super().__init__()
        self.norm = nn.LayerNorm(c, eps=1e-6)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """facebookresearch/ConvNeXt models/convnext.py Block (drop path = identity)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)  # N, H, W, C
        y = self.gamma * self.pwconv2(self.act(self.pwconv1(self.norm(y))))
        return x + y.permute(0, 3, 1, 2)


def convnext_t_stage1() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 96, 4, stride=4), LayerNorm2d(96),
                         *[ConvNeXtBlock(96) for _ in range(3)])


def espcn(r: int = 3, c: int = 1) -> nn.Module:
    """Shi et al. 2016: (5,64) tanh, (3,32) tanh, (3, r²c), periodic shuffle."""
    return nn.Sequential(nn.Conv2d(c, 64, 5, padding=2), nn.Tanh(),
                         nn.Conv2d(64, 32, 3, padding=1), nn.Tanh(),
                         nn.Conv2d(32, c * r * r, 3, padding=1), nn.PixelShuffle(r))


def dcgan_generator(nz: int = 100, ngf: int = 64, nc: int = 3) -> nn.Module:
    """The PyTorch DCGAN tutorial's Generator, verbatim."""
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())


def darknet_conv(cin: int, cout: int, k: int) -> nn.Sequential:
    """[convolutional] batch_normalize=1 size=k pad=1 activation=leaky."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.LeakyReLU(0.1))


class YOLOv2Tail(nn.Module):
    """darknet cfg/yolov2.cfg layers 17–30, from layer 16's 26×26×512 output."""

    def __init__(self):
        super().__init__()
        self.deep = nn.Sequential(
            nn.MaxPool2d(2, 2),
            darknet_conv(512, 1024, 3), darknet_conv(1024, 512, 1), darknet_conv(512, 1024, 3),
            darknet_conv(1024, 512, 1), darknet_conv(512, 1024, 3),
            darknet_conv(1024, 1024, 3), darknet_conv(1024, 1024, 3))
        self.route = darknet_conv(512, 64, 1)
        self.reorg = nn.PixelUnshuffle(2)
        self.head = nn.Sequential(darknet_conv(1024 + 256, 1024, 3), nn.Conv2d(1024, 425, 1))

    def forward(self, x16):
        layer24 = self.deep(x16)
        layer27 = self.reorg(self.route(x16))
        return self.head(torch.cat([layer27, layer24], 1))  # route -1, -4


class CBAMAsSpecified(nn.Module):
    """specs/examples/cbam.yaml: CBAM with the two differences its header states."""

    def __init__(self, c: int = 256, r: int = 16):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(c, c // r), nn.ReLU(), nn.Linear(c // r, c))
        self.reduce = nn.Conv2d(c, 2, 1, bias=False)  # learned, in place of [mean_c; max_c]
        self.spatial = nn.Sequential(nn.Conv2d(2, 1, 7, padding=3, bias=False), nn.BatchNorm2d(1))

    def forward(self, x):
        gate = torch.sigmoid(self.mlp(x.mean((2, 3))))  # the avg-pooled branch only
        x = x * gate[:, :, None, None]
        return x * torch.sigmoid(self.spatial(self.reduce(x)))


class CBAMPaper(nn.Module):
    """Woo et al. 2018 Eq. (2)–(3): shared MLP on avg and max, [mean_c; max_c] → 7×7."""

    def __init__(self, c: int = 256, r: int = 16):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(c, c // r), nn.ReLU(), nn.Linear(c // r, c))
        self.spatial = nn.Sequential(nn.Conv2d(2, 1, 7, padding=3, bias=False), nn.BatchNorm2d(1))

    def forward(self, x):
        gate = torch.sigmoid(self.mlp(x.mean((2, 3))) + self.mlp(x.amax((2, 3))))
        x = x * gate[:, :, None, None]
        s = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
        return x * torch.sigmoid(self.spatial(s))


class BasicBlockA(nn.Module):
    """He et al. 2016 §4.2 basic block; option A shortcut when the width doubles."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.pad:
            x = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + x)


class ResNet20A(nn.Module):
    def __init__(self, n: int = 3, classes: int = 10):
        super().__init__()
        layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
        cin = 16
        for w in (16, 32, 64):
            for i in range(n):
                layers.append(BasicBlockA(cin, w, 2 if (i == 0 and w != 16) else 1))
                cin = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


# --- the comparison ------------------------------------------------------------------

def torch_counts(make, shape):
    """params, MACs (FlopCounterMode / 2) and output shape as H×W×C, on the meta device."""
    with torch.device("meta"):
        net = make().eval()
        x = torch.zeros(1, shape[2], shape[0], shape[1])
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            y = net(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    out = (y.shape[2], y.shape[3], y.shape[1]) if y.dim() == 4 else (1, 1, y.shape[1])
    return sum(p.numel() for p in net.parameters()), flops // 2, out


def graph_of(name: str):
    return one_network(load(str(EXAMPLES / f"{name}.yaml"))).graph()


MODULES = {
    "unet": UNet,
    "fpn_neck": FPNP2,
    "convnext_block": convnext_t_stage1,
    "espcn": espcn,
    "dcgan_generator": dcgan_generator,
    "yolov2_passthrough": YOLOv2Tail,
    "cbam": CBAMAsSpecified,
    "resnet20_option_a": ResNet20A,
}

# cnncost's totals, as checked against the modules above (and quoted in the report).
EXPECTED = {
    "unet": (31_030_658, 48_096_083_968, (256, 256, 2)),
    "fpn_neck": (2_406_432, 2_857_893_888, (64, 64, 256)),
    "convnext_block": (242_784, 752_338_944, (56, 56, 96)),
    "espcn": (22_729, 5_212_569_600, (1080, 1920, 1)),
    "dcgan_generator": (3_576_704, 104_628_224, (64, 64, 3)),
    "yolov2_passthrough": (46_358_057, 7_848_608_768, (13, 13, 425)),
    "cbam": (9_076, 1_921_152, (56, 56, 256)),
    "resnet20_option_a": (269_722, 40_551_040, (1, 1, 10)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_example_agrees_with_an_independent_pytorch_module(name):
    graph = graph_of(name)
    ours = analyze(graph)
    out = ours.rows[-1].output
    params, macs, shape = torch_counts(MODULES[name], (graph.input.h, graph.input.w, graph.input.c))
    assert ours.totals.params == params
    assert ours.totals.macs == macs
    assert (out.h, out.w, out.c) == shape
    assert (params, macs, shape) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_layer_shape_through_the_exported_module(name):
    """`export --torch`'s module: same totals and every layer's output shape."""
    graph = graph_of(name)
    ours = analyze(graph)
    exported = measure(export_torch(graph))
    assert exported.params == ours.totals.params
    assert exported.macs == ours.totals.macs
    assert exported.shapes == [(r.output.h, r.output.w, r.output.c) for r in ours.rows]


def test_unet_and_dcgan_shapes_by_level():
    """The maps the papers draw: U-Net's 256 → 16 → 256 and DCGAN's 4 → 64."""
    unet = [(r.output.h, r.output.c) for r in analyze(graph_of("unet")).rows
            if r.kind == "tconv"]
    assert unet == [(32, 512), (64, 256), (128, 128), (256, 64)]
    gan = [(r.output.h, r.output.w, r.output.c) for r in analyze(graph_of("dcgan_generator")).rows
           if r.kind == "tconv"]
    assert gan == [(4, 4, 512), (8, 8, 256), (16, 16, 128), (32, 32, 64), (64, 64, 3)]


def test_cbam_differs_from_the_paper_exactly_as_its_header_says():
    c, r, h, w = 256, 16, 56, 56
    spec_params, spec_macs, _ = torch_counts(CBAMAsSpecified, (h, w, c))
    paper_params, paper_macs, shape = torch_counts(CBAMPaper, (h, w, c))
    assert shape == (h, w, c)
    assert spec_params - paper_params == 2 * c == 512  # the learned 1×1 reduction
    mlp_macs = 2 * c * (c // r)
    assert mlp_macs == 8_192
    assert paper_macs - spec_macs == mlp_macs - 2 * c * h * w  # MLP once, plus the 1×1
    assert 2 * c * h * w == 1_605_632
    assert 2 * c * (c // r) + c // r + c == 8_464  # the MLP's params, as in the paper


def test_resnet20_has_the_papers_027m_params():
    params = analyze(graph_of("resnet20_option_a")).totals.params
    assert params == 269_722 and round(params / 1e6, 2) == 0.27
