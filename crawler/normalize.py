"""Field normalisers: one spelling per item field, whatever the page wrote.

Every function here is pure and idempotent: feeding its output back in gives
the same output, because an item pipeline re-applies ``normalize_fields`` to
items from any source (live crawl, replay, older feeds).
"""
from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from w3lib.url import safe_url_string

from crawler.editions import Edition, desktop_host_of
from crawler.urls import article_id_from_url, canonical_article_url, publication_date_from_url

ARTICLE_FIELDS: tuple[str, ...] = (
    "url", "article_id", "site", "title", "description", "published", "modified",
    "section", "keywords", "authors", "image", "language", "publisher", "body",
    # Page kinds (issue 12 §3-4), after the fields every page has.
    "kind", "credits", "live_entries", "audio", "gallery", "video",
)

# --- dates ------------------------------------------------------------------

# Offsets as the platform writes them: Z, +01, +0100, +01:00; :SS only appears
# in our own output for historic local mean time (Paris before 1911).
_OFFSET = r"\s*(?P<off>Z|[+-]\d{2}(?::?\d{2}(?::\d{2})?)?)?"
_ISO = re.compile(  # 2021-12-27T10:25+0100, 2021-12-27T10:25:00+01:00, 2021-12-27 10:25
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[T ](?P<h>\d{2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,]\d+)?)?" + _OFFSET
)
_COMPACT = re.compile(  # article:published_time: 20211227T1025+0100
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})T(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})?" + _OFFSET
)
_VISIBLE = re.compile(  # the dateline readers see: 10:25 27.12.2021 (newsroom local time)
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})\s+(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4})"
)
# data-unixtime: seconds since 1970-01-01 UTC. As text, only 9 to 11 digits
# (1973 to 5138): eight digits are far more likely a YYYYMMDD day.
_EPOCH = re.compile(r"\d{9,11}")


@lru_cache(maxsize=32)
def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _fixed_offset(text: str) -> tzinfo:
    if text == "Z":
        return timezone.utc
    digits = text[1:].replace(":", "")
    hours, minutes, seconds = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    if minutes > 59 or seconds > 59:
        raise ValueError(f"bad UTC offset {text!r}")
    delta = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return timezone(-delta if text[0] == "-" else delta)  # ValueError past 24h


def _localize(naive: datetime, zone: tzinfo) -> datetime | None:
    """Read a wall-clock time in ``zone``; None for times skipped by DST."""
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return aware


def _from_match(match: re.Match[str], zone: tzinfo) -> datetime | None:
    parts = match.groupdict()
    naive = datetime(
        int(parts["y"]), int(parts["mo"]), int(parts["d"]),
        int(parts["h"]), int(parts["mi"]), int(parts.get("s") or 0),
    )
    offset = parts.get("off")
    return naive.replace(tzinfo=_fixed_offset(offset)) if offset else _localize(naive, zone)


def _parse_datetime(value: str | int, zone: tzinfo) -> datetime | None:
    if isinstance(value, int):
        return datetime.fromtimestamp(value, tz=zone)
    text = value.strip()
    if _EPOCH.fullmatch(text):
        return datetime.fromtimestamp(int(text), tz=zone)
    for pattern in (_ISO, _COMPACT, _VISIBLE):
        match = pattern.fullmatch(text)
        if match:
            return _from_match(match, zone)
    return None


# Answers for text values, and each answer as its own (normalising is
# idempotent): the pipeline re-normalises what extraction gave, and a page's
# dates are read from several places. Cleared whole when full.
_DATETIMES: dict[tuple[str, str], str | None] = {}
_DATETIMES_MAX = 1024


def normalize_datetime(value: str | int | None, tz: str) -> str | None:
    """Any date form of the platform → ``YYYY-MM-DDTHH:MM:SS+HH:MM`` in ``tz``.

    The instant is kept and rendered with the publisher's offset (``tz`` is the
    edition's zone), so two spellings of one instant give one string. Values
    without an offset are wall-clock time in ``tz``. A date without a time is
    refused rather than given an invented midnight. Never raises.
    """
    if type(value) is not str:
        return _normalize_datetime(value, tz)
    key = (value, tz)
    if key in _DATETIMES:
        return _DATETIMES[key]
    if len(_DATETIMES) >= _DATETIMES_MAX:
        _DATETIMES.clear()
    answer = _DATETIMES[key] = _normalize_datetime(value, tz)
    if answer is not None:
        _DATETIMES[(answer, tz)] = answer
    return answer


def _normalize_datetime(value: str | int | None, tz: str) -> str | None:
    zone = _zone(tz)
    if zone is None or value is None or isinstance(value, bool):
        return None
    try:
        moment = _parse_datetime(value if isinstance(value, int) else str(value), zone)
        if moment is None:
            return None
        return moment.astimezone(zone).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return None


def find_visible_datetime(text: str | None) -> str | None:
    """The ``10:25 27.12.2021`` part of a dateline such as ``(mis à jour: …)``."""
    match = _VISIBLE.search(text or "")
    return match.group(0) if match else None


# --- language ---------------------------------------------------------------

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def _subtag(part: str) -> str:
    if len(part) == 2 and part.isalpha():
        return part.upper()  # region: FR
    if len(part) == 4 and part.isalpha():
        return part.title()  # script: Latn
    return part.lower()


def normalize_language(value: str | None, default: str) -> str:
    """``fr_FR``, ``fr-fr``, ``fr`` → ``fr-FR`` (BCP 47) when default is ``fr-FR``."""
    text = str(value).strip() if value is not None else ""
    if not _LANGUAGE_TAG.fullmatch(text):
        return default
    primary, *rest = text.replace("_", "-").split("-")
    primary = primary.lower()
    if not rest:
        default_primary = default.replace("_", "-").split("-")[0].lower()
        if primary == default_primary:
            return default
        return primary
    return "-".join([primary, *(_subtag(part) for part in rest)])


# --- text -------------------------------------------------------------------

# Invisible characters that only get in the way of search and comparison.
# ZWNJ/ZWJ (U+200C/D) are kept: Persian and emoji sequences need them, and
# other editions of the platform publish in those scripts.
_INVISIBLE = "\u200b\u2060\ufeff\u00ad\u180e"
_LINE_CONTROLS = "\t\n\r\x0b\x0c\x85"  # read as spaces
_OTHER_CONTROLS = "".join(chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))
                          if chr(code) not in _LINE_CONTROLS)
# Character classes in regular expressions, not str.translate tables: a
# translate with a dict looks up every character in Python, and clean_text
# runs over every text of every page (profiled: a third of replay time).
_DROPPED = re.compile(f"[{re.escape(_INVISIBLE + _OTHER_CONTROLS)}]")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
# What clean_text could change: a character dropped or decoded, whitespace
# other than single inner spaces. Text without any (and in NFC) is returned
# as it is: most text reaching the pipeline was cleaned by the extraction.
_UNCLEAN = re.compile(f"[&{re.escape(_INVISIBLE + _OTHER_CONTROLS)}]|[^\\S ]|^ | $|  ")


def _is_clean(text: str) -> bool:
    """Nothing for clean_text to change, NFC aside."""
    if not text:
        return False
    # isprintable() is False for every character _UNCLEAN's class matches
    # (controls, format characters, whitespace but the space), and runs in
    # C at about 2 ns a character: 13 µs for a 5 KB body, where the regex's
    # alternation took 107 µs. Text it rejects (ZWNJ, say) gets the regex.
    if not text.isprintable():
        return _UNCLEAN.search(text) is None
    return "&" not in text and "  " not in text and text[0] != " " and text[-1] != " "


def _clean_once(text: str) -> str:
    text = _DROPPED.sub("", text)  # line controls are whitespace: split() drops them
    text = html.unescape(text)  # double-escaped CMS text (&amp;#x27;) needs a second round
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())  # str.split() and re's \s agree on what whitespace is


def clean_text(value: str | None) -> str | None:
    """Entities decoded, invisible and control characters dropped, NFC,
    whitespace (NBSP included) collapsed to single spaces; None when empty."""
    if value is None:
        return None
    text = str(value)
    if _is_clean(text) and unicodedata.is_normalized("NFC", text):
        return text
    while True:  # a later round only decodes or drops characters, so this ends
        cleaned = _clean_once(text)
        # Without an entity, one round leaves nothing a second could change.
        if cleaned == text or "&" not in text:
            return cleaned or None
        text = cleaned


def clean_body(value: str | None) -> str | None:
    """``clean_text`` per paragraph; paragraphs (split at blank lines) joined by
    exactly one blank line, empty ones dropped; None when nothing is left."""
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (clean_text(part) for part in _BLANK_LINE.split(text))
    return "\n\n".join(part for part in paragraphs if part) or None


def unique_texts(values: Iterable[Any]) -> list[str]:
    """Cleaned, non-empty values, first occurrence kept (compared ignoring case)."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        text = clean_text(None if value is None else str(value))
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result


def split_list(value: str | None, separator: str = ",") -> list[str]:
    """``"russie, otan"`` → ``["russie", "otan"]`` (meta keywords, analytics:authors)."""
    return [part for part in (clean_text(p) for p in (value or "").split(separator)) if part]


# --- URLs -------------------------------------------------------------------


def canonical_url(url: str | None) -> str | None:
    """One spelling per URL, as the publisher linked it; None unless http(s).

    Not ``w3lib.url.canonicalize_url``: it sorts query arguments and re-encodes
    the path, which gives URLs the site never served and that no longer match
    the WARC capture. ``safe_url_string`` only escapes what is not allowed in a
    URL (spaces, non-ASCII) and IDNA-encodes the host; then the scheme and host
    are lowercased and the fragment (never sent to the server) is dropped.
    """
    if url is None:
        return None
    # A plain str as the key: lxml's text results are str subclasses that
    # keep their whole document alive.
    return _canonical_url(url if type(url) is str else str(url))


# A URL as the platform writes its own: lowercase http(s) host of plain
# labels (no IDNA "xn--"), a path of characters no URL standard escapes, no
# "." segment, no port, query or fragment. safe_url_string and the
# lowercasing give it back unchanged (a property test holds the two paths
# together), and most URLs of a page are such: 30-110 µs each spared.
_PLAIN_URL = re.compile(
    r"https?://(?:(?!xn--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?!xn--)[a-z][a-z0-9-]{0,61}[a-z0-9]"
    r"(?:/(?!\.)[A-Za-z0-9._~:,=+-]*)+"
)


# The extraction and the pipeline ask for the same page URL in a row.
@lru_cache(maxsize=256)
def _canonical_url(url: str) -> str | None:
    if _PLAIN_URL.fullmatch(url):
        return url
    return _escaped_url(url)


def _escaped_url(url: str) -> str | None:
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(safe_url_string(url.strip()))
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
    except ValueError:
        return None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = userinfo + at + hostport.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))


def host_of(url: str | None) -> str | None:
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


# --- page kinds: live entries, audio, gallery, video ---------------------------

_CLOCK = re.compile(r"(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{2})")
_ISO_DURATION = re.compile(r"PT(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)(?:\.\d+)?S)?",
                           re.IGNORECASE)


def normalize_duration(value: Any) -> int | None:
    """``PT1H2M3S``, ``1:02:03``, ``62:03``, ``3723`` → seconds (int); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) and value >= 0 else None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    match = _ISO_DURATION.fullmatch(text) or _CLOCK.fullmatch(text)
    if not match or not any(match.groupdict().values()):
        return None
    parts = {key: int(number or 0) for key, number in match.groupdict().items()}
    return parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a list field; anything else (hostile or old input) is no list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _live_entries(value: Any, tz: str) -> list[dict[str, Any]]:
    entries = []
    for entry in _dicts(value):
        text = clean_body(None if entry.get("text") is None else str(entry.get("text")))
        if text:
            entries.append({"time": normalize_datetime(_date_value(entry.get("time")), tz),
                            "text": text})
    return entries


def _media(value: Any, *names: str) -> dict[str, Any] | None:
    """An ``audio``/``video`` object: a URL (else None), duration in seconds, text names."""
    url = canonical_url(_str(value.get("url"))) if isinstance(value, dict) else None
    if not url:
        return None
    media: dict[str, Any] = {"url": url, "duration": normalize_duration(value.get("duration"))}
    media.update({name: clean_text(_str(value.get(name))) for name in names})
    return media


def _texts(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else []


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _gallery(value: Any) -> list[dict[str, Any]]:
    pictures = ({"image": canonical_url(_str(item.get("image"))),
                 "caption": clean_text(_str(item.get("caption")))} for item in _dicts(value))
    return [picture for picture in pictures if picture["image"] or picture["caption"]]


def _kind_fields(fields: dict[str, Any], tz: str) -> dict[str, Any]:
    kind = clean_text(_str(fields.get("kind")))
    return {
        "kind": kind.lower() if kind else None,
        "credits": unique_texts(_texts(fields.get("credits"))),
        "live_entries": _live_entries(fields.get("live_entries"), tz),
        "audio": _media(fields.get("audio"), "show"),
        "gallery": _gallery(fields.get("gallery")),
        "video": _media(fields.get("video")),
    }


# --- items ------------------------------------------------------------------


def _as_list(value: Any, split: bool) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_list(value) if split else [value]
    return list(value)


def _date_value(value: Any) -> str | int | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def normalize_fields(fields: dict[str, Any], edition: Edition) -> dict[str, Any]:
    """The item's article fields in their one published form; other keys kept."""
    out = dict(fields)
    url = canonical_url(fields.get("url"))
    # An AMP or mobile capture is the desktop article: one URL for both.
    url = canonical_article_url(url) if url else None
    site = desktop_host_of((clean_text(fields.get("site")) or host_of(url) or "").lower()) or None
    day = publication_date_from_url(url or "")
    tz = edition.zone_on(day)
    section = clean_text(fields.get("section"))
    article_id = fields.get("article_id")
    out.update(
        url=url,
        article_id=clean_text(None if article_id is None else str(article_id))
        or (article_id_from_url(url) if url else None),
        site=site,
        title=clean_text(fields.get("title")),
        description=clean_text(fields.get("description")),
        published=normalize_datetime(_date_value(fields.get("published")), tz),
        modified=normalize_datetime(_date_value(fields.get("modified")), tz),
        section=section.lower() if section else None,
        keywords=unique_texts(_as_list(fields.get("keywords"), split=True)),
        authors=unique_texts(_as_list(fields.get("authors"), split=False)),
        image=canonical_url(fields.get("image")),
        language=normalize_language(fields.get("language"), edition.language_for(site)),
        publisher=clean_text(fields.get("publisher")) or edition.publisher_for(site, day),
        body=clean_body(fields.get("body")),
        **_kind_fields(fields, tz),
    )
    return out
