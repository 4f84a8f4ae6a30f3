"""Every log line of the process, with credentials masked and forged lines defused.

Two things from outside end up in log lines: URLs that carry credentials
(``-o ftp://user:password@host/...`` is echoed by Scrapy's "Stored …" and
"Error storing …" lines) and values with line breaks (a title, a header, a
URL) that would print a line looking like one of ours. Rewriting single
messages misses the next one, and Scrapy replaces its log handler when a
crawler starts, so a handler filter would be lost: this installs a log record
class for the whole process instead. Its message, built only when a handler
prints it, escapes control characters in every argument and masks the password
of any ``scheme://user:password@`` in the result and in tracebacks.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
# scheme://user:password@ : the password part only.
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:)[^/@\s]*(?P<tail>@)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Arguments of Scrapy's own multi-line listings (pformat output, whose strings
# are repr'd already): their line breaks are layout, not input.
STRUCTURED_ARGUMENTS = frozenset({"addons", "enabledlist", "settings", "enginestatus",
                                  "liverefs", "stackdumps"})
_PLAIN_TYPES = (int, float, bool, type(None))


def mask_credentials(text: str) -> str:
    return _USERINFO.sub(rf"\g<head>{MASK}\g<tail>", text)


def escape_controls(text: str) -> str:
    """``\\n`` for a line feed and so on: a value stays on its log line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def safe_argument(value: Any) -> Any:
    if isinstance(value, _PLAIN_TYPES):
        return value
    text = value if isinstance(value, str) else str(value)
    return escape_controls(text) if _CONTROL.search(text) else value


def safe_arguments(args: Any) -> Any:
    if isinstance(args, Mapping):
        return {key: value if key in STRUCTURED_ARGUMENTS else safe_argument(value)
                for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(safe_argument(value) for value in args)
    return safe_argument(args)


class SafeLogRecord(logging.LogRecord):
    """A log record whose printed message and traceback are safe to show."""

    _exc_text: str | None = None

    def getMessage(self) -> str:
        message = str(self.msg)
        if self.args:
            message = message % safe_arguments(self.args)
        return mask_credentials(message)

    @property  # type: ignore[override]
    def exc_text(self) -> str | None:
        return self._exc_text

    @exc_text.setter
    def exc_text(self, value: str | None) -> None:
        # Formatters cache the formatted traceback here: masked once, on the way in.
        self._exc_text = mask_credentials(value) if value else value


def install() -> None:
    """Makes every later log record of the process a SafeLogRecord (idempotent)."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(SafeLogRecord)
