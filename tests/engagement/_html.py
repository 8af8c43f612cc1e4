"""Small HTML helpers for asserting on rendered pages without a browser."""

from __future__ import annotations

from html.parser import HTMLParser

UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _FormControls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, str] = {}  # id -> name
        self.unnamed: list[str] = []
        self.label_targets: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.label_targets.add(attributes["for"])
        elif tag in {"input", "select", "textarea"}:
            if tag == "input" and attributes.get("type") in UNLABELLED_INPUT_TYPES:
                return
            if attributes.get("id"):
                self.controls[attributes["id"]] = attributes.get("name") or ""
            else:
                self.unnamed.append(attributes.get("name") or tag)


def visible_form_controls(html: str) -> _FormControls:
    """The visible inputs, selects and textareas of a page and the ids that labels point at."""
    parser = _FormControls()
    parser.feed(html)
    return parser
