"""The one exception of page extraction."""
from __future__ import annotations


class NotAnArticle(Exception):
    """The page is not an article this project can read.

    ``reason`` is a short slug (``no_title``, ``no_body``, ``unknown_layout``,
    ``not_html``) that callers count as ``article/skipped/<reason>``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
