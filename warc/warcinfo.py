"""The ``warcinfo`` fields that open every WARC file, with secrets kept out.

Crawl settings are worth recording (they explain what the archive holds),
but settings also carry passwords and tokens: any key that looks like one
is dropped, and credentials embedded in URLs are cut out of every value.
"""

from __future__ import annotations

import logging
import re
from importlib import metadata

logger = logging.getLogger(__name__)

PROJECT = "sputnik-archive"
FORMAT = "WARC File Format 1.1"
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
SECRET_WORDS = ("password", "passwd", "secret", "token", "auth", "credential", "apikey")
# scheme://user:pass@host -> scheme://host, anywhere inside a value.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def software() -> str:
    return f"{PROJECT}/{_version(PROJECT)} warcio/{_version('warcio')}"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def is_secret_key(key: str) -> bool:
    """True for keys such as ``HTTP_PASSWORD``, ``api-key``, ``AuthToken``.

    Separators are ignored so ``API_KEY`` matches ``apikey``. Deliberately
    broad (``author`` matches ``auth``): a lost setting costs nothing, a
    leaked secret cannot be taken back out of an archive.
    """
    squashed = re.sub(r"[^a-z]", "", key.lower())
    return any(word in squashed for word in SECRET_WORDS)


def strip_userinfo(value: str) -> str:
    return _USERINFO.sub(r"\g<scheme>", value)


def clean_value(value: object) -> str:
    """One line of text without credentials (warc-fields are line-based)."""
    return _LINE_BREAKS.sub(" ", strip_userinfo(str(value))).strip()


def warcinfo_fields(given: dict[str, str], *, host: str,
                    operator: str | None = None) -> dict[str, str]:
    """Fields for the warcinfo record: ours first, then the given ones in order.

    Empty values are left out (warcio skips them anyway); given keys never
    override the software/format lines, which describe this writer.
    """
    fields = {"software": software(), "format": FORMAT, "conformsTo": CONFORMS_TO,
              "hostname": clean_value(host)}
    if operator:
        fields["operator"] = clean_value(operator)
    for key, value in given.items():
        if is_secret_key(key):
            logger.info("Leaving warcinfo field %r out: it looks like a secret", key)
            continue
        cleaned = clean_value(value)
        if cleaned and key not in fields and _valid_key(key):
            fields[key] = cleaned
    return fields


def _valid_key(key: str) -> bool:
    """A warc-fields name is an HTTP token: no spaces, colons or controls."""
    valid = re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", key) is not None
    if not valid:
        logger.warning("Leaving warcinfo field %r out: not a valid field name", key)
    return valid
