"""JSON-LD of a page: the article object and the breadcrumb trail.

Parsed with ``json`` over the ``<script type="application/ld+json">``
elements, which is all extruct's JSON-LD reader does; broken scripts are
skipped (pages carry truncated and hand-edited ones).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from crawler.extract.blocks import Element
from crawler.normalize import clean_text

ARTICLE_TYPES = frozenset({"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
                           "opinionnewsarticle", "blogposting", "liveblogposting"})


def json_ld_objects(scripts: Iterable[Element]) -> list[dict[str, Any]]:
    """Every JSON-LD object in the page's ``scripts``, ``@graph`` members
    included, in page order."""
    found: list[dict[str, Any]] = []
    for script in scripts:
        if script.get("type") != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                found += [item, *(g for g in item.get("@graph") or [] if isinstance(g, dict))]
    return found


def types_of(item: dict[str, Any]) -> set[str]:
    kinds = item.get("@type") or []
    return {str(kind).lower() for kind in ([kinds] if isinstance(kinds, str) else kinds)}


def article_object(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The first object of an article type, or an empty dict."""
    return next((item for item in objects if types_of(item) & ARTICLE_TYPES), {})


def breadcrumb_section(objects: list[dict[str, Any]], page_url: str | None) -> str | None:
    """The rubric of a BreadcrumbList: its last step below the home page that
    is not the article itself (``Sputnik France › International`` → International)."""
    trail = next((item for item in objects if "breadcrumblist" in types_of(item)), None)
    steps = [step for step in (trail or {}).get("itemListElement") or [] if isinstance(step, dict)]
    names = [_step_name(step) for step in sorted(steps, key=_position)[1:]
             if _step_url(step) != page_url]
    return next((name for name in reversed(names) if name), None)


def _position(step: dict[str, Any]) -> float:
    try:
        return float(step.get("position") or 0)
    except (TypeError, ValueError):
        return 0.0


def _step_item(step: dict[str, Any]) -> dict[str, Any]:
    item = step.get("item")
    return item if isinstance(item, dict) else {}


def _step_name(step: dict[str, Any]) -> str | None:
    name = step.get("name") or _step_item(step).get("name")
    return clean_text(str(name)) if name else None


def _step_url(step: dict[str, Any]) -> str | None:
    item = step.get("item")
    return item if isinstance(item, str) else _step_item(step).get("@id")
