"""CLI behaviour: invariants of every format, exit codes, inputs, help."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clihelp import run
from cnncost.cli import main

SPECS = [
    "he2015-a",
    "he2015-j",
    "Input(28,28,192) -> concat[ 64F(1,1) | 96F(1,1) → 128F(3,3) | max-p(3,3,1,p=1) → 32F(1,1) ]",
    "Input(56,56,64) -> res[ 64F(3,3,b=0) -> bn -> relu -> 64F(3,3,b=0) -> bn ] -> relu -> gap -> 10fc",
]
METRICS = ("params", "macs", "flops", "complexity", "activations", "ops")


@pytest.mark.parametrize("spec", SPECS)
def test_json_sums_equal_totals(spec):
    code, out, _ = run("analyze", spec, "--format", "json")
    assert code == 0
    data = json.loads(out)
    layers, totals = data["layers"], data["totals"]
    for m in METRICS:
        assert sum(layer[m] for layer in layers) == totals[m], m
        assert sum(s[m] for s in data["stages"]) == totals[m], m
    assert totals["flops"] == 2 * totals["macs"]
    assert [layer["index"] for layer in layers] == list(range(1, len(layers) + 1))
    for layer in layers:
        h, w, c = layer["output"]
        assert layer["activations"] == h * w * c
        assert all(i < layer["index"] for i in layer["inputs"])  # topological order
    assert set(data) >= {"name", "input", "padding", "totals", "stages", "layers"}
    assert set(totals) >= {*METRICS, "conv_layers"}


@pytest.mark.parametrize("spec", SPECS)
def test_csv_one_row_per_layer_and_sums(spec):
    _, js, _ = run("analyze", spec, "--format", "json")
    data = json.loads(js)
    code, out, _ = run("analyze", spec, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(data["layers"])
    for m in METRICS:
        assert sum(int(r[m]) for r in rows) == data["totals"][m]


@pytest.mark.parametrize("spec", SPECS)
def test_stage_csv_sums(spec):
    _, js, _ = run("analyze", spec, "--format", "json")
    totals = json.loads(js)["totals"]
    _, out, _ = run("analyze", spec, "--format", "csv", "--stages")
    rows = list(csv.DictReader(io.StringIO(out)))
    for m in METRICS:
        assert sum(int(r[m]) for r in rows) == totals[m]


def test_seed_chain_map_sizes_under_he2015():
    """notation §1 under the he2015 policy: 109, 36, 36, 18, 18, 18, 18."""
    spec = ("Input(224,224,3) → 64F(7,7,3,s=2) → max-p(3,3,3) → 128F(5,5,64) → max-p(2,2,2) → "
            "256F(3,3,128) → 256F(3,3,256) → 256F(3,3,256) → spp(6*6,3*3,2*2,1*1) → 4096fc → "
            "4096fc → 1000fc → softmax")
    _, out, _ = run("analyze", spec, "--padding", "he2015", "--format", "json")
    sizes = [layer["output"][0] for layer in json.loads(out)["layers"][:7]]
    assert sizes == [(224 - 7) // 2 + 1, (109 - 3) // 3 + 1, 36, 36 // 2, 18, 18, 18]


def test_outputs_are_deterministic():
    for fmt in ("table", "csv", "markdown", "json"):
        assert run("analyze", "he2015-j", "-f", fmt) == run("analyze", "he2015-j", "-f", fmt)


@pytest.mark.parametrize("args", [
    ["analyze", "64F(3,3) -> maxp"],
    ["analyze", "64F(3,3)", "--input", "banana"],
    ["analyze", "no/such/file.yaml"],
    ["analyze", "he2015", "--variant", "Z"],
    ["analyze", ""],
    ["analyze", "(((("],
])
def test_bad_input_exits_2_with_one_message(args):
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and "Traceback" not in err


def test_files_directory_binary_and_not_utf8(tmp_path):
    (tmp_path / "bin.cnn").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.cnn").write_bytes("Input(8,8,3) -> relu # café".encode("latin-1"))
    assert run("analyze", str(tmp_path))[2].startswith(f"error: {tmp_path} is a directory")
    assert "is a binary file" in run("analyze", str(tmp_path / "bin.cnn"))[2]
    assert "is not UTF-8 text" in run("analyze", str(tmp_path / "latin.cnn"))[2]


def test_notation_file(tmp_path):
    path = tmp_path / "net.cnn"
    path.write_text("Input(32,32,3)\n  -> 16F(3,3) # first conv\n  -> gap -> 10fc\n")
    code, out, _ = run("analyze", str(path), "-f", "json")
    data = json.loads(out)
    assert code == 0 and data["name"] == "net"
    assert data["totals"]["params"] == (3 * 3 * 3 * 16 + 16) + (16 * 10 + 10)


def test_input_override_and_conflict():
    code, out, _ = run("analyze", "he2015-a", "--input", "200x200x3", "-f", "json")
    assert code == 0 and json.loads(out)["input"] == [200, 200, 3]
    code, _, err = run("analyze", "Input(8,8,3) -> relu", "--input", "9x9x3")
    assert code == 2 and "but the input given is 9x9x3" in err


def test_variant_option():
    _, out, _ = run("analyze", "he2015", "--variant", "b", "-f", "json")
    assert json.loads(out)["name"] == "B"


def test_every_command_has_help_and_an_example():
    for name, command in main.commands.items():
        code, out, _ = run(name, "--help")
        assert code == 0, name
        assert command.help and "Examples:" in command.help, name
        assert f"cnncost {name}" in out, name


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text('name: "=HYPERLINK(\\"http://x\\")"\ninput: 8x8x3\nstages:\n'
                    '  "=1+1": 8F(3,3)\n  "@SUM(A1)": gap\n  "-2": 10fc\n  "+3": relu\n')
    code, out, _ = run("analyze", str(path), "--format", "csv")
    assert code == 0
    stages = [row.split(",")[3] for row in out.splitlines()[1:]]
    assert stages == ["'=1+1", "'@SUM(A1)", "-2", "+3"]  # numbers are not formulas
    code, out, _ = run("compare", str(path), "he2015-a", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[1][0] == "'=HYPERLINK(\"http://x\")"
    code, out, _ = run("diff", "he2015-a", "he2015-b", "--format", "csv")
    deltas = [int(row[6]) for row in list(csv.reader(io.StringIO(out)))[1:]]
    assert min(deltas) < 0  # negative numbers stay numbers


def test_files_that_cannot_be_written_are_bad_input(tmp_path):
    pytest.importorskip("torch")
    missing = tmp_path / "no" / "such"
    code, out, err = run("export", "--torch", "Input(8,8,3) -> relu", "-o", str(missing / "m.py"))
    assert code == 2 and err.startswith(f"error: cannot write the module to {missing / 'm.py'}: ")
    assert "Traceback" not in err and "hint: check that the folder exists" in err
    code, _, err = run("replace", "he2015-a", "--stage", "3", "--emit-variants", str(missing / "v.yaml"))
    assert code == 2 and err.startswith("error: cannot write the variants to ")


def _cli(*args: str, stdout: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnncost", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=60)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_on_stdout_is_one_message():
    with open("/dev/full", "w") as full:
        done = _cli("analyze", "Input(8,8,3) -> relu", "--format", "csv", stdout=full)
    assert done.returncode == 2
    assert done.stderr == ("error: cannot write the output: No space left on device\n"
                           "  hint: check where stdout goes (a full disk, a closed file)\n")


def test_a_closed_pipe_keeps_the_exit_status():
    """`check … | head -1`: the reader leaves early, the budget verdict stands."""
    proc = subprocess.Popen([sys.executable, "-m", "cnncost", "check", "resnet50", "--max-params", "1M",
                             "--format", "markdown"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before anything is written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and b"Traceback" not in err and b"BrokenPipe" not in err


def test_how_a_spec_argument_is_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gap").mkdir()  # a folder named like a layer does not hide it
    code, out, _ = run("analyze", "gap", "--input", "8x8x3", "--format", "csv")
    assert code == 0 and out.splitlines()[1].startswith("1,pool1,global_pool,")
    code, _, err = run("analyze", "./gap")  # an explicit path to a folder
    assert code == 2 and err.startswith("error: ./gap is a directory")
    code, _, err = run("analyze", "relu -> 3/", "--input", "8x8x3")  # notation, not a path
    assert code == 2 and err.startswith("error: expected the pooling stride after '/'")
    code, _, err = run("analyze", "nets/x.yaml")
    assert code == 2 and err.startswith("error: no such file: nets/x.yaml")
    (tmp_path / "mynet").write_text("Input(8,8,3) -> 4F(1,1)\n")  # a bare file name
    code, out, _ = run("analyze", "mynet", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 3 * 4 + 4


HOSTILE = "=cmd|x[/][red]"  # a formula, a markdown pipe and rich markup at once


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "json"])
@pytest.mark.parametrize("command", [
    ["analyze", "{f}"], ["analyze", "{f}", "--stages"], ["compare", "{f}", "Input(8,8,3) -> relu"],
    ["diff", "{f}", "Input(8,8,3) -> relu"], ["check", "Input(8,8,3) -> 8F(1,1)", "--baseline", "{f}"],
])
def test_user_names_are_shown_as_text_in_every_format(tmp_path, command, fmt):
    path = tmp_path / "n.yaml"
    path.write_text(f'name: "{HOSTILE}"\ninput: 8x8x3\nstages:\n  "{HOSTILE}": 8F(3,3) -> relu\n')
    code, out, err = run(*[a.replace("{f}", str(path)) for a in command], "--format", fmt)
    assert code in (0, 1) and err == ""
    if fmt == "table":
        assert "x[/][red]" in out  # markup shown, not applied
    if fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
        assert any(c.startswith("'" + HOSTILE) for c in cells)
        assert not any(c.startswith(HOSTILE) for c in cells)
    if fmt == "markdown":  # a pipe in a name does not split a cell: every row has the header's
        import re
        for table in re.findall(r"(?:^\|.*\n)+", out, re.M):
            counts = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
            assert len(counts) == 1
        assert "=cmd" in out
    if fmt == "json":
        assert HOSTILE in json.loads(out).__repr__() or HOSTILE in out


@pytest.mark.parametrize("args,message", [
    (["analyze", "relu", "--input", ""],
     "error: --input '' is not an input shape\n  hint: write height x width x channels, e.g. 224x224x3\n"),
    (["analyze", "resnet18", "--variant", "x"],
     "error: variant x: resnet18 is one network, not a variants file\n  hint: drop --variant\n"),
    (["zoo", "resnet18", "--format", "json"],
     "error: `cnncost zoo resnet18` prints the spec file; --format is for the list\n"
     "  hint: cnncost zoo --format json lists every entry; cnncost analyze resnet18 --format json "
     "gives its costs\n"),
])
def test_usage_mistakes_get_a_message_and_a_hint(args, message):
    code, out, err = run(*args)
    assert (code, out, err) == (2, "", message)


BIG = "1" + "0" * 400


@pytest.mark.parametrize("args,start", [
    (["analyze", f"Input(8,8,3) -> {BIG}F(3,3)"], "error: the number 1000000000000000000… is too large"),
    (["analyze", f"Input(8,8,3) -> {{{BIG}}}F(3,3)"], "error: {" + BIG[:39] + "…}: the value is too large"),
    (["analyze", "relu", "--input", "1" + "0" * 5000 + "x8x3"], "error: the number 1000000000000000000…"),
    (["analyze", f"relu x {BIG}", "--input", "8x8x3"], "error: the number 1000000000000000000…"),
    (["check", "resnet50", "--max-params", BIG], "error: --max-params: '1000000000000000000000"),
    (["check", "resnet50", "--baseline", "resnet18", "--max-increase", ""],
     "error: --max-increase: '' is not a percentage"),
    (["sweep", "mobilenet_v1", "--resolution", ""], "error: --resolution: '' is not a list"),
])
def test_huge_numbers_and_empty_options_are_bad_input(args, start):
    code, out, err = run(*args)
    assert code == 2 and out == "" and err.startswith(start) and "hint:" in err


def test_the_largest_sizes_still_count_exactly():
    n = 999_999_999
    code, out, _ = run("analyze", f"Input(8,8,3) -> {n}F(3,3) -> {n}F(3,3)", "--format", "json")
    totals = json.loads(out)["totals"]
    assert code == 0 and totals["params"] == (27 * n + n) + (9 * n * n + n)
    code, out, _ = run("analyze", f"Input(8,8,3) -> {n}F(3,3) -> {n}F(3,3)")
    assert code == 0 and "576E" in out  # 5.76e20 MACs in the table's units


@pytest.mark.parametrize("args,message", [
    (["analyze", "resnet50", "--padding", "foo"],
     "error: Invalid value for '--padding': 'foo' is not one of 'same', 'he2015', 'tf'.\n"
     "  hint: `cnncost analyze --help` lists its options and arguments\n"),
    (["analyze"], "error: Missing argument 'SPEC'.\n"
     "  hint: `cnncost analyze --help` lists its options and arguments\n"),
    (["analyze", "->"], "error: No such option '->'.\n  hint: `cnncost analyze --help` lists its options "
     "and arguments; a spec that starts with '-' goes after `--`\n"),
    (["analyze", "resnet50", "--format"], "error: Option '--format' requires an argument.\n"
     "  hint: `cnncost analyze --help` lists its options and arguments\n"),
    (["scale", "mobilenet_v1", "--resolution", "1.5"],
     "error: Invalid value for '--resolution': '1.5' is not a valid integer.\n"
     "  hint: `cnncost scale --help` lists its options and arguments\n"),
])
def test_usage_errors_are_one_message_with_a_hint(args, message):
    code, out, err = run(*args)
    assert (code, out, err) == (2, "", message)


def test_bare_command_prints_the_help():
    code, out, err = run()
    assert code == 0 and out.startswith("Usage: ") and "Commands:" in out and err == ""


def test_variant_suggestions_keep_the_files_spelling():
    code, _, err = run("analyze", "he2015", "--variant", "j-prim")
    assert code == 2 and err.startswith("error: no variant 'j-prim' in he2015 (did you mean 'J-prime'?)")


@pytest.mark.parametrize("how,message", [
    ("started with it closed", "error: there is no standard output to write to (it is closed)\n"
     "  hint: redirect it to a file, e.g. > out.txt\n"),
    ("closed while running", "error: cannot write the output: Bad file descriptor\n"
     "  hint: check where stdout goes (a full disk, a closed file)\n"),
])
def test_a_closed_stdout_is_one_message(how, message):
    if how == "started with it closed":  # the shell's `>&-`
        args = ["sh", "-c", '"$0" -m cnncost analyze resnet18 >&-', sys.executable]
    else:
        args = [sys.executable, "-c", "import os, runpy, sys; os.close(1); "
                "sys.argv = ['cnncost', 'analyze', 'resnet18']; "
                "runpy.run_module('cnncost', run_name='__main__')"]
    done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, message)


def test_formats_are_the_reports():
    from cnncost.cli import BENCHMARK_JSON, FORMATS, GITHUB, HTML
    from cnncost.report import Format
    # every command's formats, and those only some commands have (docs/ci.md, docs/html.md)
    extra = {GITHUB, BENCHMARK_JSON, HTML}
    assert set(FORMATS) | extra == {f.value for f in Format} and not set(FORMATS) & extra


def test_every_budget_metric_has_a_max_option():
    from cnncost.metrics import BUDGETS
    code, out, _ = run("check", "--help")
    assert code == 0
    assert all(f"{m.flag} N" in out for m in BUDGETS) and "--max-flops" in out
    assert {"--max-peak-memory", "--max-param-bytes", "--max-train-flops"} <= \
        {m.flag for m in BUDGETS}


INTERNAL = ("error: internal error: RuntimeError: boom — this is a bug in cnncost; "
            "please report it")


@pytest.fixture
def broken(monkeypatch):
    """A bug in the core: analyze raises something that is not a CnnCostError."""
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")
    monkeypatch.setattr("cnncost.costs.analyze", boom)


def test_an_internal_error_is_one_line_and_exit_3(broken):
    code, out, err = run("analyze", "he2015-a", "--format", "json")
    assert (code, out) == (3, "")
    assert err == INTERNAL + " (rerun with --debug for the traceback)\n"


def test_debug_shows_the_traceback_of_an_internal_error(broken):
    code, out, err = run("--debug", "analyze", "he2015-a")
    assert (code, out) == (3, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: boom\n" in err and err.endswith("\n" + INTERNAL + "\n")


def test_exit_codes_stay_distinct(monkeypatch):
    assert run("check", "he2015-a", "--max-params", "1M")[0] == 1  # over budget
    assert run("diff", "he2015-a", "he2015-b", "--exit-code")[0] == 1
    assert run("analyze", "he2015-a", "--padding", "foo")[0] == 2  # usage
    monkeypatch.setattr("cnncost.costs.analyze", lambda *a, **k: 1 / 0)
    assert run("analyze", "64F(3,3) -> maxp")[0] == 2  # bad input is found before the bug
    code, _, err = run("check", "he2015-a", "--max-params", "1M")
    assert code == 3 and err.startswith("error: internal error: ZeroDivisionError: division by zero — ")


# --- memory and training cost (notation §12) on the command line --------------------

SMALL = "Input(32,32,3) → 16F(3,3) → bn → relu → max-p → 10fc"


def test_memory_metrics_in_json_follow_batch_and_dtype():
    """Hand formulas: 32·32·16 outputs of conv1, × batch × bytes per element."""
    for batch, dtype, size in ((1, "fp32", 4), (8, "fp16", 2), (3, "int8", 1)):
        code, out, err = run("analyze", SMALL, "--batch", str(batch), "--dtype", dtype, "-f", "json")
        assert code == 0, err
        data = json.loads(out)
        assert (data["batch"], data["dtype"]) == (batch, dtype)
        conv = data["layers"][0]
        assert conv["activation_bytes"] == 32 * 32 * 16 * batch * size
        assert conv["param_bytes"] == (3 * 3 * 3 * 16 + 16) * size
        t = data["totals"]
        assert t["peak_activation_bytes"] == (32 * 32 * 3 + 2 * 32 * 32 * 16) * batch * size
        assert t["peak_layer"] == "bn1"
        assert t["train_flops"] == batch * (4 * 3 * 3 * 3 * 16 * 32 * 32 + 6 * 4096 * 10)


def test_every_analysing_command_takes_batch_and_dtype():
    for args in (["analyze", "resnet18"], ["compare", "he2015-a", "he2015-b"],
                 ["diff", "he2015-a", "he2015-b"], ["check", "resnet18", "--max-params", "1G"],
                 ["scale", "mobilenet_v1", "--width", "0.5"], ["sweep", "mobilenet_v1", "--width", "0.5"],
                 ["replace", "he2015-a", "--stage", "3", "--top", "1"]):
        code, out, err = run(*args, "--batch", "4", "--dtype", "bf16", "-f", "json")
        assert code == 0, (args, err)


def test_check_memory_budgets_with_si_and_binary_units():
    peak = (32 * 32 * 3 + 2 * 32 * 32 * 16) * 8 * 4  # 1,146,880 bytes at batch 8
    ok = run("check", SMALL, "--batch", "8", "--max-peak-memory", f"{peak}B")
    over = run("check", SMALL, "--batch", "8", "--max-peak-memory", f"{peak - 1}")
    assert (ok[0], over[0]) == (0, 1)
    # 1.09375 MiB = 1,146,880 bytes exactly; 1.14688 MB = 1,146,880 bytes
    assert run("check", SMALL, "--batch", "8", "--max-peak-memory", "1.09375MiB")[0] == 0
    assert run("check", SMALL, "--batch", "8", "--max-peak-memory", "1.14688MB")[0] == 0
    assert run("check", SMALL, "--batch", "8", "--max-peak-memory", "1.14687MB")[0] == 1
    assert run("check", SMALL, "--max-param-bytes", "2GiB", "--max-train-flops", "10G")[0] == 0
    code, out, _ = run("check", SMALL, "--max-train-flops", "1K", "-f", "json")
    assert code == 1 and json.loads(out)["limits"][0]["metric"] == "train_flops"


@pytest.mark.parametrize("args,message", [
    (["--batch", "0"], "0 is not a batch size"),
    (["--batch", "x"], "'x' is not a valid integer"),
    (["--dtype", "fp64x"], "'fp64x' is not one of 'fp32', 'fp16', 'bf16', 'int8'"),
    (["--device", "h200"], "no device 'h200'"),
])
def test_memory_options_refuse_bad_values(args, message):
    code, _, err = run("analyze", SMALL, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_check_refuses_a_bad_byte_amount():
    code, _, err = run("check", SMALL, "--max-peak-memory", "2 gigs")
    assert code == 2 and "is not an amount of bytes" in err and "KiB" in err


@pytest.mark.parametrize("text,message", [
    ("name: x\nsource: y\npeak_flops: {fp32: 1.0e+12, fp16: 1.0e+12, bf16: 1.0e+12, int8: 1.0e+12}\n",
     "lacks bandwidth"),
    ("name: x\nsource: y\npeak_flops: {fp32: 1.0e+12, fp16: 1.0e+12, bf16: 1.0e+12, int8: 1.0e+12}\n"
     "bandwidth: -5\n", "bandwidth must be a positive number, not -5"),
    ("name: x\nsource: y\npeak_flops: {fp32: 1.0e+12}\nbandwidth: 1.0e+9\n",
     "peak_flops needs exactly fp32, fp16, bf16, int8"),
    ("[1, 2]\n", "must be a mapping"),
])
def test_device_files_are_checked(tmp_path, text, message):
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    code, _, err = run("analyze", SMALL, "--device", str(path))
    assert code == 2 and message in err


def test_roofline_is_the_larger_of_compute_and_memory_time(tmp_path):
    """By hand, on a device of 1 TFLOP/s and 1 GB/s: conv1 does 2·3·3·3·16·32·32 FLOPs
    (884,736 → 0.88 µs) and moves (448 params + 3,072 inputs + 16,384 outputs) · 4 bytes
    (79,616 → 79.6 µs): memory bound."""
    path = tmp_path / "dev.yaml"
    path.write_text("name: toy\nsource: made up\npeak_flops: {fp32: 1e12, fp16: 1e12, bf16: 1e12, "
                    "int8: 1e12}\nbandwidth: 1e9\n")
    code, out, err = run("analyze", SMALL, "--device", str(path), "-f", "json")
    assert code == 0, err
    conv = json.loads(out)["layers"][0]
    assert conv["bound"] == "memory"
    assert conv["roofline_s"] == pytest.approx((448 + 3072 + 16384) * 4 / 1e9, rel=1e-12)
    code, table, _ = run("analyze", SMALL, "--device", "nvidia-h100-sxm")
    assert code == 0 and "roofline" in table and "lower bound" in table


def test_memory_columns_use_binary_units():
    code, out, err = run("analyze", SMALL, "--batch", "8", "--columns", "memory", "-f", "markdown")
    assert code == 0, err
    assert "| live bytes |" in out and "1.09 MiB" in out  # 1,146,880 bytes = 1.09375 MiB


# --- --count TOOL (notation §13) and importing models (.onnx, --torch) ---------------

def test_count_adds_one_total_and_per_layer_values():
    code, out, err = run("analyze", "resnet50", "--count", "torchvision", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["totals"]["count"] == {"tool": "torchvision", "value": data["totals"]["macs"]}
    assert [d["count"] for d in data["layers"]] == [d["macs"] for d in data["layers"]]
    code, out, _ = run("analyze", "resnet50", "--count", "flopcounter", "-f", "json")
    assert json.loads(out)["totals"]["count"]["value"] == 2 * 4_089_184_256  # notation §13
    code, table, _ = run("analyze", "resnet18", "--count", "fvcore")
    assert code == 0 and "fvcore would report" in table


def test_count_on_compare_diff_and_check():
    data = json.loads(run("compare", "resnet18", "resnet34", "--count", "torchvision", "-f", "json")[1])
    assert all(v["totals"]["count"]["value"] == v["totals"]["macs"] for v in data["variants"])
    d = json.loads(run("diff", "resnet18", "resnet34", "--count", "torchvision", "-f", "json")[1])
    assert d["totals"]["delta_count"] == d["totals"]["delta_macs"]
    macs = 4_089_184_256
    assert run("check", "resnet50", "--count", "torchvision", "--max-count", str(macs))[0] == 0
    assert run("check", "resnet50", "--count", "torchvision", "--max-count", str(macs - 1))[0] == 1
    code, _, err = run("check", "resnet50", "--max-count", "4G")
    assert code == 2 and "--max-count needs --count TOOL" in err


def test_an_unknown_tool_is_named_with_the_close_one():
    code, _, err = run("analyze", "resnet18", "--count", "fvcor")
    assert code == 2 and "unknown tool 'fvcor' (did you mean 'fvcore'?)" in err
    assert "torchinfo" in err  # the list


def test_onnx_models_are_specs_and_import_prints_them(tmp_path):
    pytest.importorskip("onnx")
    torch = pytest.importorskip("torch")
    from cnncost.notation import parse_spec
    from cnncost.torch_export import export_torch
    spec = "Input(16,16,3) -> 8F(3,3,b=0) -> relu -> res[ 8F(3,3) -> relu ] -> gap -> 10fc"
    source = export_torch(parse_spec(spec))
    ns: dict = {}
    exec(source, ns)
    path = tmp_path / "tiny.onnx"
    torch.onnx.export(ns["Net"]().eval(), torch.zeros(1, 3, 16, 16), str(path), dynamo=False)
    ours = json.loads(run("analyze", spec, "-f", "json")[1])["totals"]
    for args in (["analyze", str(path)], ["check", str(path), "--max-params", "1M"]):
        code, out, err = run(*args, "-f", "json")
        assert code == 0, err
    theirs = json.loads(run("analyze", str(path), "-f", "json")[1])["totals"]
    assert (theirs["params"], theirs["macs"]) == (ours["params"], ours["macs"])
    code, text, err = run("import", str(path))
    assert code == 0, err
    assert json.loads(run("analyze", text, "-f", "json")[1])["totals"]["macs"] == ours["macs"]
    py = tmp_path / "tiny.py"
    py.write_text(source)
    code, text2, err = run("import", "--torch", f"{py}:Net", "--input", "16x16x3")
    assert code == 0, err
    assert json.loads(run("analyze", text2, "-f", "json")[1])["totals"]["params"] == ours["params"]


def test_import_refuses_what_it_cannot_read(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    code, _, err = run("analyze", str(bad))
    assert code == 2 and "Traceback" not in err
    code, _, err = run("import", "--torch", "nocolon", "--input", "8x8x3")
    assert code == 2 and "FILE.py:ClassName" in err
    code, _, err = run("import", "--torch", f"{tmp_path}/x.py:Net")
    assert code == 2 and "needs its input shape" in err


def test_diff_and_compare_show_the_memory_metrics_on_request():
    code, out, err = run("diff", "resnet18", "resnet34", "--columns", "memory", "-f", "markdown")
    assert code == 0, err
    assert "Δlive bytes" in out and "Δsaved bytes" in out and "MiB" in out
    code, out, err = run("compare", "resnet18", "resnet34", "--columns", "memory", "--dtype",
                         "fp16", "-f", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    params = {"resnet18": 11_689_512, "resnet34": 21_797_672}  # torchvision's num_params
    assert {r["model"]: int(r["param_bytes"]) for r in rows} == {k: 2 * v for k, v in params.items()}


@pytest.mark.parametrize("columns", ["60", "80", "120"])
@pytest.mark.parametrize("args", [
    ["analyze", "shufflenet_v2_x1_0"], ["analyze", "resnet50", "--stages"],
    ["diff", "resnet50", "resnet50_v1"], ["compare", "he2015"],
    ["check", "resnet50", "--max-params", "1M"], ["zoo"],
    ["analyze", "resnet18", "--columns", "memory", "--batch", "8"],
])
def test_a_log_or_a_file_never_gets_a_cut_value(args, columns):
    """Output that is not a terminal prints wider rather than cut a number, a name or a
    shape with '…' (a CI log is 80 columns)."""
    from click.testing import CliRunner
    result = CliRunner(env={"COLUMNS": columns, "NO_COLOR": "1", "TERM": "dumb"}).invoke(
        main, args, catch_exceptions=False)
    assert result.exit_code in (0, 1)
    assert "…" not in result.stdout
