"""A small DOM for the HTML pages' tests: html.parser builds it, and refuses a page
whose tags do not nest (an unclosed or stray tag), so a test that parses a page
also checks that it is well-formed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})
# SVG elements written self-closing (<rect/>): html.parser reports them as start+end
SELF_CLOSING = frozenset({"rect", "path", "circle", "line"})


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Element):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Descendants with this tag and these attribute values (class_: one of its classes)."""
        cls = attrs.pop("class_", None)
        return [e for e in self.iter() if e is not self and (tag is None or e.tag == tag)
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
                and (cls is None or cls in (e.attrs.get("class") or "").split())]

    def find(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def __getitem__(self, key: str) -> str:
        value = self.attrs[key]
        assert value is not None
        return value


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.node = self.root

    def handle_starttag(self, tag, attrs):
        el = Element(tag, dict(attrs), self.node)
        self.node.children.append(el)
        if tag not in VOID:
            self.node = el

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Element(tag, dict(attrs), self.node))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.node.tag == tag, f"</{tag}> closes <{self.node.tag}>"
        assert self.node.parent is not None
        self.node = self.node.parent

    def handle_data(self, data):
        self.node.children.append(data)


def parse(text: str) -> Element:
    """The page's DOM; AssertionError when its tags do not nest."""
    b = _Builder()
    b.feed(text)
    b.close()
    assert b.node is b.root, f"<{b.node.tag}> is never closed"
    return b.root


_URL = re.compile(r"(?:https?:|ftp:|file:|url\(|@import)", re.I)


def external_references(root: Element, text: str) -> list[str]:
    """Whatever a browser would fetch: src=, href= other than #anchors, <link>,
    <script>, a URL or @import anywhere in the text."""
    found = [f"<{e.tag} {k}={v}>" for e in root.iter() for k, v in e.attrs.items()
             if k in ("src", "srcset", "data", "poster", "action")
             or (k in ("href", "xlink:href") and not (v or "").startswith("#"))]
    found += [f"<{e.tag}>" for e in root.iter() if e.tag in ("link", "script", "iframe", "object",
                                                             "embed", "img", "base")]
    found += _URL.findall(text)
    return found
