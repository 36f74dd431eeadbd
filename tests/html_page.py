"""Reading an HTML page back in tests: its data-figure texts, chart bars, tags and text."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


class Parsed(HTMLParser):
    """What a test needs of a page: the data-figure texts, the chart's bars, every tag and
    attribute, and the text a person reads."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: dict[str, str] = {}
        self.classes: dict[str, set[str]] = {}  # data-figure -> the classes of its element
        self.bars: list[tuple[str, Decimal]] = []
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._open: list[tuple[str, str | None, list[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, closed=tag in VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs, closed=True)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        found = dict(attrs)
        if tag == "rect" and "data-bar" in found:
            self.bars.append((found["data-bar"] or "", Decimal(found["width"] or "")))
        if "data-figure" in found:
            self.classes[found["data-figure"] or ""] = set((found.get("class") or "").split())
        if not closed:
            self._open.append((tag, found.get("data-figure"), []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, figure, text = self._open.pop()
            if figure is not None:
                assert figure not in self.figures, f"data-figure {figure!r} twice"
                self.figures[figure] = "".join(text)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, figure, text in self._open:
            if figure is not None:
                text.append(data)
        if self._open and self._open[-1][0] == "style":
            self.styles.append(data)


def figures(html: str) -> dict[str, str]:
    return Parsed(html).figures
