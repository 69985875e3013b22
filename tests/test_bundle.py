"""The script imports the package's modules from one file (cnncost.bundle): the same
bytecode as their sources', a module edited since read from its source, and the
same output with the bundle as without it."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys

import pytest

from cnncost import bundle


@pytest.fixture
def built(tmp_path):
    file = str(tmp_path / "bundle.bin")
    count = bundle.build(file)
    fd = os.open(file, os.O_RDONLY)
    yield file, count, bundle.Finder(fd)
    os.close(fd)


def test_it_holds_every_module_compiled_from_its_source(built):
    file, count, finder = built
    names = [name for name, _, _ in bundle.modules()]
    assert count == len(names) == len(finder.index) and set(finder.index) == set(names)
    assert {"cnncost", "cnncost.layers", "cnncost.layers.conv", "cnncost.zoo", "cnncost.bundle"} \
        <= set(names)
    for name, path, is_package in bundle.modules():
        origin, cached, package, mtime_ns, size, start, end = finder.index[name]
        assert (origin, package) == (path, is_package) and size == os.path.getsize(path)
        with open(path, "rb") as f:
            expected = compile(f.read(), path, "exec", dont_inherit=True)
        got = marshal.loads(os.pread(finder.fd, end - start, finder.base + start))
        assert got == expected  # code objects compare by their bytecode, constants and names


def test_a_module_comes_with_its_file_and_package(built):
    _, _, finder = built
    spec = finder.find_spec("cnncost.layers")
    assert spec.loader is finder and spec.origin.endswith(os.path.join("layers", "__init__.py"))
    assert spec.submodule_search_locations == [os.path.dirname(spec.origin)]
    spec = finder.find_spec("cnncost.costs")
    assert spec.cached.endswith(".pyc") and spec.submodule_search_locations is None
    module = type(sys)("cnncost.costs")
    module.__package__ = "cnncost"
    finder.exec_module(module)
    import cnncost.costs
    assert module.analyze.__code__ == cnncost.costs.analyze.__code__
    assert finder.find_spec("json") is None and finder.find_spec("cnncost.nothing") is None
    assert finder.missed  # a module of ours it does not hold


def test_an_edited_module_is_read_from_its_source(built):
    _, _, finder = built
    path = finder.index["cnncost.metrics"][0]
    st = os.stat(path)
    try:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # one nanosecond later
        assert finder.find_spec("cnncost.metrics") is None and finder.missed
    finally:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    finder.missed = False
    assert finder.find_spec("cnncost.metrics") is not None and not finder.missed
    finder.index["cnncost.metrics"] = ("/nowhere/metrics.py", *finder.index["cnncost.metrics"][1:])
    assert finder.find_spec("cnncost.metrics") is None and finder.missed  # moved since


def test_without_pread_it_is_neither_read_nor_written(tmp_path, monkeypatch):
    file = tmp_path / "bundle.bin"
    bundle.build(str(file))
    monkeypatch.setattr(bundle, "FILE", str(file))
    monkeypatch.setattr(bundle, "_USABLE", False)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert bundle.install() is None
    file.unlink()
    bundle.refresh(None)
    assert not file.exists()


def test_a_file_of_another_layout_is_not_read(tmp_path, monkeypatch):
    file = tmp_path / "bundle.bin"
    file.write_bytes(b"cnncost-bundle-0" + b"\0" * 64)
    monkeypatch.setattr(bundle, "FILE", str(file))
    before = list(sys.meta_path)
    assert bundle.install() is None and sys.meta_path == before
    monkeypatch.setenv("CNNCOST_NO_BUNDLE", "1")
    bundle.build(str(file))
    assert bundle.install() is None and sys.meta_path == before


def test_refresh_writes_it_where_python_writes_bytecode(tmp_path, monkeypatch):
    file = tmp_path / "sub" / "bundle.bin"
    monkeypatch.setattr(bundle, "FILE", str(file))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    bundle.refresh(None)
    assert not file.exists()  # PYTHONDONTWRITEBYTECODE: nothing written
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    file.parent.mkdir()
    bundle.refresh(None)  # none was found: written
    assert file.exists()
    fd = os.open(file, os.O_RDONLY)
    try:
        finder = bundle.Finder(fd)
        file.unlink()
        bundle.refresh(finder)  # it gave every module asked for: left as it is
        assert not file.exists()
        finder.missed = True
        bundle.refresh(finder)
        assert file.exists()
    finally:
        os.close(fd)


ARGS = [["analyze", "resnet50", "--format", "json"], ["analyze", "he2015-a"],
        ["replace", "he2015-a", "--stage", "3"], ["analyze", "googlenet", "--format", "markdown"],
        ["zoo", "--format", "csv"], ["analyze", "nope"]]


@pytest.mark.parametrize("args", ARGS)
def test_the_script_answers_the_same_with_the_bundle(args, tmp_path):
    """A real process of the script, with the bundle (built here, where the script
    reads it) and without: the same output, the same status, and its modules
    imported from the bundle."""
    bundle.build()
    code = ("import sys; sys.argv = ['cnncost', *sys.argv[1:]]\n"
            "import cnncost.entry as e\n"
            "def done(status):\n"
            "    m = sys.modules['cnncost.costs']\n"
            "    sys.stderr.write(f'\\n{type(m.__spec__.loader).__name__} {m.__file__}')\n"
            "    sys.stderr.flush(); import os; os._exit(status)\n"
            "e._exit = done\n"
            "try:\n"
            "    e.main()\n"
            "except SystemExit as x:\n"
            "    done(x.code if isinstance(x.code, int) else 1)\n")
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    runs = [subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                           env={**env, **extra}) for extra in ({}, {"CNNCOST_NO_BUNDLE": "1"})]
    with_it, without = runs
    assert with_it.returncode == without.returncode and with_it.stdout == without.stdout
    err, _, where = with_it.stderr.rpartition("\n")
    assert err == without.stderr.rpartition("\n")[0]
    import cnncost.costs
    assert where == f"Finder {cnncost.costs.__file__}"
    assert without.stderr.rpartition("\n")[2].startswith("SourceFileLoader ")
