"""Field conventions researchers expect, as pure functions (issue 12 §4).

- ``description`` is the article's lead: the CMS's published descriptions are
  teasers cut to a length and signed ``… 27.12.2021, Sputnik France``.
- ``authors`` are people; agency credits found in the same author blocks
  (``avec Reuters``, ``AFP``, ``RIA Novosti``) go to ``credits``.
- ``section`` is the rubric; on 2014–2020 URLs it is the first path segment.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.normalize import clean_text

# " 27.12.2021, Sputnik France" at the very end; the name is short and has no
# sentence punctuation (Sputnik Afrique, Sputnik International, Sputnik Србија …).
_TEASER_SUFFIX = re.compile(r"\s*\b\d{1,2}\.\d{1,2}\.\d{4},\s*[^.!?,\n]{1,40}$")

# Agencies whose names appear in the platform's author blocks. Matched whole,
# ignoring case, after an optional "with" word of the edition's language.
AGENCIES = frozenset(name.casefold() for name in (
    "AFP", "Agence France-Presse", "AP", "Associated Press", "Reuters", "Sputnik",
    "RIA Novosti", "RIA", "TASS", "ITAR-TASS", "Xinhua", "Anadolu", "dpa", "EFE", "ANSA",
    "Interfax", "Bloomberg", "Rossiya Segodnya", "Ruptly", "RT", "Prensa Latina",
))
_WITH = re.compile(r"^(?:avec|with|con|mit|com|et|and|y|e|und|\+|&)\s+", re.IGNORECASE)
# One author string may carry a person and a credit: "Anne Martin, avec AFP".
_SEPARATORS = re.compile(r"\s*(?:,|;|/|\bavec\b|\bwith\b)\s*", re.IGNORECASE)

# First path segments of 2014–2020 URLs that are not rubrics.
_NOT_SECTIONS = frozenset({"amp", "m", "html", "index", "news_amp"})
_DAY_OR_ID = re.compile(r"\d{8}|\d{12,}-.*|\d+")


def strip_teaser_suffix(text: str | None) -> str | None:
    """``Les négociations … la diplomatie... 27.12.2021, Sputnik France`` →
    ``Les négociations … la diplomatie...``. The CMS's own ``...`` stays:
    it tells the reader the teaser was cut. Text without the suffix is kept."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    return clean_text(_TEASER_SUFFIX.sub("", cleaned))


def agency_name(text: str) -> str | None:
    """``avec Reuters`` → ``Reuters``; None when ``text`` is not an agency credit."""
    name = _WITH.sub("", clean_text(text) or "").strip(" .()")
    return name if name.casefold() in AGENCIES else None


def split_credits(names: list[str]) -> tuple[list[str], list[str]]:
    """Author strings → (people, agency credits), each in page order."""
    people: list[str] = []
    credits: list[str] = []
    for name in names:
        parts = [part for part in _SEPARATORS.split(name) if part.strip()]
        if not any(agency_name(part) for part in parts):
            parts = [name]  # "Dupont, Marie" style names stay whole
        for part in parts:
            credit = agency_name(part)
            (credits if credit else people).append(credit or part)
    return people, credits


def section_from_url(url: str | None) -> str | None:
    """``/international/20150331/1015401831.html`` → ``international``;
    None for 2021+ URLs, whose path starts with the day."""
    try:
        segments = [part for part in urlsplit(url or "").path.split("/") if part]
    except ValueError:
        return None
    while segments and segments[0].lower() in _NOT_SECTIONS:
        segments = segments[1:]
    if len(segments) < 2 or _DAY_OR_ID.fullmatch(segments[0]):
        return None
    return segments[0]
