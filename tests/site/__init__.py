"""A local Sputnik edition for end-to-end crawl tests (see README.md here)."""
from tests.site.faults import (Chunked, Fault, Gzip, Redirect, Reset, ServerError, Slow, Status,
                               TooManyRequests)
from tests.site.requestlog import LoggedRequest, RequestLog
from tests.site.server import SputnikSite, default_site

__all__ = [
    "Chunked", "Fault", "Gzip", "LoggedRequest", "Redirect", "RequestLog", "Reset",
    "ServerError", "Slow", "SputnikSite", "Status", "TooManyRequests", "default_site",
]
