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
    assert list(cache_dir.rglob(f"{name}-*.marshal")), "nothing was cached"
    second = load(name)  # read from the cache
    for doc in (first, second):
        assert doc == fresh
        assert list(doc.networks) == list(fresh.networks)
        for key, net in fresh.networks.items():  # what equality leaves out: the spans
            assert doc.networks[key].graph() == net.graph()
            assert doc.networks[key].input_span == net.input_span


def test_a_corrupt_cache_file_is_rebuilt(cache_dir):
    load("resnet18")
    [file] = cache_dir.rglob("resnet18-*.marshal")
    file.write_bytes(b"not a marshal file")
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
    assert not list(tmp_path.rglob("*.marshal"))


def test_set_vars_never_come_from_the_cache(cache_dir):
    from cnncost.costs import analyze
    plain = load("efficientnet_b0")  # cached
    wide = load("efficientnet_b0", overrides={"width": 2.0})
    fresh = load_file(zoo.HERE / "efficientnet_b0.yaml", overrides={"width": 2.0})
    assert wide == fresh and wide != plain
    first = lambda doc: analyze(next(iter(doc.networks.values())).graph()).rows[0]  # noqa: E731
    assert first(wide).output.c == 2 * first(plain).output.c  # the stem conv, twice as wide
    assert len(list(cache_dir.rglob("efficientnet_b0-*.marshal"))) == 1


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


@pytest.mark.parametrize("name", ["resnet50", "inception_v3", "regnet", "he2015", "efficientnet_b0"])
def test_the_kept_form_makes_the_same_objects_shared_as_they_were(name):
    """cache.decode(cache.encode(doc)): an equal Document, its spans and layers
    included, with an object the document shares (a layer typed once and used on
    many rows, a Source) made once, as unpickling made it."""
    import marshal

    from cnncost.errors import Source
    doc = load_file(zoo.HERE / f"{name}.yaml", display=f"<zoo:{name}>")
    back = cache.decode(marshal.loads(marshal.dumps(cache.encode(doc), 4)))
    assert back == doc
    for key, net in doc.networks.items():
        assert back.networks[key].graph() == net.graph()
        assert back.networks[key].input_span == net.input_span

    def objects(x, found):
        if isinstance(x, (tuple, list)):
            for y in x:
                objects(y, found)
        elif isinstance(x, dict):
            for y in x.values():
                objects(y, found)
        elif hasattr(type(x), "__record_fields__"):
            found.append(x)
            for f in type(x).__record_fields__:
                objects(getattr(x, f.name), found)
        return found
    ours, theirs = objects(back, []), objects(doc, [])
    assert len(ours) == len(theirs) and len({id(x) for x in ours}) == len({id(x) for x in theirs})
    assert len({id(x) for x in ours if type(x) is Source}) == \
        len({id(x) for x in theirs if type(x) is Source})


def test_a_kept_file_naming_another_class_is_not_read(cache_dir):
    """Reading the cache makes only cnncost's value classes: a file whose table
    names anything else (a tampered or foreign file) is rebuilt, never run."""
    import marshal
    load("resnet18")
    [file] = cache_dir.rglob("resnet18-*.marshal")
    table, *rest = marshal.loads(file.read_bytes())
    for wrong in (("os", "system"), ("cnncost.cli", "main")):
        file.write_bytes(marshal.dumps((((wrong),) + table[1:], *rest), 4))
        with pytest.raises(TypeError, match="not a cnncost"):
            cache.decode(marshal.loads(file.read_bytes()))
        assert load("resnet18") == load_file(zoo.HERE / "resnet18.yaml", display="<zoo:resnet18>")
