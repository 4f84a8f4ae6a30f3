"""Reading WARC header fields the way different writers spell them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from warc.records import RawRecord

FRACTION = re.compile(r"\.\d+")
# Both the WARC/1.0 and 1.1 profile URIs end like this; pywb/warcio also
# write an "uri-agnostic-identical-payload-digest" variant meaning the same.
IDENTICAL_PAYLOAD = "identical-payload-digest"


def target_uri(record: RawRecord) -> str | None:
    """WARC-Target-URI without the <> that wget 1.19 and others wrap it in."""
    uri = record.header("WARC-Target-URI")
    if uri and uri.startswith("<") and uri.endswith(">"):
        uri = uri[1:-1].strip()
    return uri or None


def warc_date(record: RawRecord) -> str:
    return normalise_date(record.header("WARC-Date"))


def normalise_date(value: str | None) -> str:
    """ISO 8601 UTC with whole seconds, e.g. ``2021-12-27T09:30:00Z``.

    Accepts fractional seconds, offsets and the 14-digit timestamps of
    ARC-derived records; anything unparseable is returned as given.
    """
    text = (value or "").strip()
    try:
        moment = _parse_date(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_date(text: str) -> datetime:
    if text.isdigit() and len(text) >= 14:
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    return datetime.fromisoformat(FRACTION.sub("", text, count=1).replace("Z", "+00:00"))


def is_http_response(record: RawRecord) -> bool:
    """A ``response`` record carrying an HTTP message (not dns:, ftp:...)."""
    content_type = (record.header("Content-Type") or "").lower()
    if content_type:
        return content_type.startswith("application/http")
    uri = (target_uri(record) or "").lower()
    return uri.startswith(("http:", "https:"))


def is_identical_payload_revisit(record: RawRecord) -> bool:
    # A missing profile is taken at its digest's word; a server-not-modified
    # revisit says nothing about the payload, so it cannot be resolved here.
    profile = (record.header("WARC-Profile") or "").lower()
    return IDENTICAL_PAYLOAD in profile or not profile
