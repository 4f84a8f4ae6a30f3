"""Reading the parts of special pages: players (audio, video) and live-entry times.

Shared by the layouts: the same player and dateline markup appears in the
2021 desktop pages and their AMP copies (``amp-audio``, ``amp-video``).
"""
from __future__ import annotations

import re
from typing import Any

from crawler.extract.blocks import Element, css, element_text, first
from crawler.extract.page import Page
from crawler.normalize import normalize_datetime

_SOURCE = css("source[src]")
_UNIXTIME = css("[data-unixtime]")
# Attributes that hold a player's media URL, best first.
_URL_ATTRIBUTES = ("data-media", "data-src", "src")
# "03:57 GMT 28.04.2022" (English edition) or "10:25 24.02.2022" (newsroom time).
_ENTRY_TIME = re.compile(
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})\s*(?P<gmt>GMT|UTC)?\s*(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4})"
)


def media_of(player: Element | None, page: Page) -> dict[str, Any] | None:
    """``{"url", "duration"}`` of an audio/video element or player div, or None."""
    if player is None:
        return None
    url = next(filter(None, (player.get(name) for name in _URL_ATTRIBUTES)), None)
    if not url:
        source = first(_SOURCE, player)
        url = source.get("src") if source is not None else None
    if not url:
        return None
    duration = player.get("data-duration") or player.get("duration")
    return {"url": page.absolute(url), "duration": duration}


def live_time(element: Element | None, timezone: str) -> str | None:
    """The instant of a live entry: ``data-unixtime`` if given, else its visible
    time, read as GMT where the page says so and as newsroom time otherwise."""
    if element is None:
        return None
    stamped = element if element.get("data-unixtime") else first(_UNIXTIME, element)
    if stamped is not None:
        return normalize_datetime(stamped.get("data-unixtime"), timezone)
    match = _ENTRY_TIME.search(element_text(element) or "")
    if match is None:
        return None
    parts = {key: int(value) for key, value in match.groupdict().items() if key != "gmt"}
    wall = (f"{parts['y']:04d}-{parts['mo']:02d}-{parts['d']:02d}"
            f"T{parts['h']:02d}:{parts['mi']:02d}")
    return normalize_datetime(wall + ("Z" if match.group("gmt") else ""), timezone)
