"""Small HTTP facts shared by live crawling, replay and the web-archive sources."""
from __future__ import annotations

from twisted.python.failure import Failure

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def is_html_type(content_type: str | None) -> bool:
    """Whether a Content-Type (or an index's mime field) names an HTML page."""
    return (content_type or "").split(";")[0].strip().lower() in HTML_TYPES


def failure_reason(failure: Failure) -> str:
    """A stats-key word for a failed request: the HTTP status, else the error's name."""
    response = getattr(failure.value, "response", None)
    return f"status_{response.status}" if response is not None else failure.type.__name__
