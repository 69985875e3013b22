"""The zoo's precompiled form (cnncost.cache): the same Document as a fresh parse,
and never an error when the cache is unusable."""

from __future__ import annotations

import os

import pytest

from cnncost import cache, zoo
from cnncost.resolve import load, load_file


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOST_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CNNCOST_NO_CACHE", raising=False)
    return tmp_path


@pytest.mark.parametrize("name", zoo.names())
def test_cached_zoo_file_equals_a_fresh_parse(name, cache_dir):
    fresh = load_file(zoo.HERE / f"{name}.yaml", display=f"<zoo:{name}>")
    first = load(name)  # builds and writes the cache
    assert list(cache_dir.rglob(f"{name}-*.pickle")), "nothing was cached"
    second = load(name)  # read from the cache
    for doc in (first, second):
        assert doc == fresh
        assert list(doc.networks) == list(fresh.networks)
        for key, net in fresh.networks.items():  # what equality leaves out: the spans
            assert doc.networks[key].graph() == net.graph()
            assert doc.networks[key].input_span == net.input_span


def test_a_corrupt_cache_file_is_rebuilt(cache_dir):
    load("resnet18")
    [file] = cache_dir.rglob("resnet18-*.pickle")
    file.write_bytes(b"not a pickle")
    assert load("resnet18") == load_file(zoo.HERE / "resnet18.yaml", display="<zoo:resnet18>")


def test_an_unwritable_cache_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CNNCOST_CACHE_DIR", str(blocker / "sub"))  # under a file: mkdir fails
    assert load("resnet18").networks["resnet18"].name == "resnet18"


def test_no_cache_reads_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOST_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CNNCOST_NO_CACHE", "1")
    load("resnet18")
    assert not list(tmp_path.rglob("*.pickle"))


def test_set_vars_never_come_from_the_cache(cache_dir):
    from cnncost.costs import analyze
    plain = load("efficientnet_b0")  # cached
    wide = load("efficientnet_b0", overrides={"width": 2.0})
    fresh = load_file(zoo.HERE / "efficientnet_b0.yaml", overrides={"width": 2.0})
    assert wide == fresh and wide != plain
    first = lambda doc: analyze(next(iter(doc.networks.values())).graph()).rows[0]  # noqa: E731
    assert first(wide).output.c == 2 * first(plain).output.c  # the stem conv, twice as wide
    assert len(list(cache_dir.rglob("efficientnet_b0-*.pickle"))) == 1


def test_the_fingerprint_follows_the_sources(tmp_path, monkeypatch):
    before = cache.fingerprint()
    module = os.path.join(cache.PACKAGE, "cache.py")
    st = os.stat(module)
    try:
        os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert cache.fingerprint() != before
    finally:
        os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.fingerprint() == before
