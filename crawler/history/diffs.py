"""Word-level differences between consecutive versions of an article.

Text for the terminal (``[-removed-]`` / ``{+added+}``, as ``git diff
--word-diff`` writes them) and a side-by-side HTML page built with the
standard library's difflib.HtmlDiff, which escapes the text it shows; every
other string put into the page is escaped here.
"""
from __future__ import annotations

import difflib
import html
import json
from collections.abc import Iterator
from typing import Any

from crawler.state.versions import TEXT_FIELDS, ArticleVersion

CONTEXT_WORDS = 8


def page_name(article_id: str) -> str:
    """The diff page's file name: article ids are digits, or a URL for pages without one."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in article_id)[:120]
    return f"{safe}.html"


def field_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(field_text(part) for part in value)
    if isinstance(value, dict):
        # Media and live entries: their keys as words, so a changed duration is a word.
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def word_diff(old: str, new: str, context: int = CONTEXT_WORDS) -> str:
    """The changed words of ``new`` against ``old``, with a few words around each change."""
    a, b = old.split(), new.split()
    parts: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(_context(a[i1:i2], context, first=i1 == 0, last=i2 == len(a)))
            continue
        if i2 > i1:
            parts.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(part for part in parts if part)


def _context(words: list[str], context: int, first: bool, last: bool) -> str:
    if len(words) <= 2 * context:
        return " ".join(words)
    head = [] if first else words[:context]
    tail = [] if last else words[-context:]
    return " ".join([*head, "…", *tail])


def changed_fields(old: ArticleVersion, new: ArticleVersion) -> Iterator[tuple[str, str]]:
    for name in TEXT_FIELDS:
        before, after = field_text(old.text.get(name)), field_text(new.text.get(name))
        if before != after:
            yield name, word_diff(before, after)


def version_line(version: ArticleVersion) -> str:
    where = version.source.get("crawl") or version.source.get("timestamp") or version.url
    return f"v{version.version}  {version.fetched_at or '?'}  {version.origin}  {where}"


def text_history(versions: list[ArticleVersion]) -> str:
    """What ``crawler.history show`` prints."""
    lines = [f"Article {versions[0].article_id}: {len(versions)} version(s)"]
    lines += ["  " + version_line(version) for version in versions]
    for old, new in zip(versions, versions[1:]):
        lines.append(f"\n--- v{old.version} -> v{new.version}")
        changes = list(changed_fields(old, new))
        lines += [f"{name}: {change}" for name, change in changes] or ["(no text change)"]
    return "\n".join(lines) + "\n"


def _lines(version: ArticleVersion) -> list[str]:
    """A version as lines for a side-by-side view: one per field, one per paragraph."""
    lines = [f"{name}: {field_text(version.text.get(name))}" for name in TEXT_FIELDS
             if name != "body"]
    paragraphs = (version.text.get("body") or "").split("\n\n")
    return lines + ["body:"] + [paragraph.strip() for paragraph in paragraphs]


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table.diff {{ font-family: monospace; font-size: 13px; border-collapse: collapse; width: 100%; }}
table.diff td {{ vertical-align: top; white-space: pre-wrap; overflow-wrap: anywhere; width: 46%; }}
table.diff td.diff_header, table.diff td.diff_next {{ white-space: nowrap; width: 1%; }}
.diff_header {{ background: #eee; }} td.diff_header {{ text-align: right; }}
.diff_next {{ background: #ddd; }}
.diff_add {{ background: #aaffaa; }} .diff_chg {{ background: #ffff77; }}
.diff_sub {{ background: #ffaaaa; }}
</style></head><body>
<h1>{title}</h1>
<p><a href="{url}">{url_text}</a></p>
<ul>{versions}</ul>
{tables}
</body></html>
"""


def html_history(versions: list[ArticleVersion]) -> str:
    """A page with every version and a side-by-side table per consecutive pair."""
    # No wrapcolumn: the page's CSS wraps long paragraphs without cutting words.
    differ = difflib.HtmlDiff()
    tables = []
    for old, new in zip(versions, versions[1:]):
        table = differ.make_table(_lines(old), _lines(new), f"v{old.version}", f"v{new.version}",
                                  context=True, numlines=2)
        tables.append(f"<h2>v{old.version} &rarr; v{new.version}</h2>\n{table}")
    last = versions[-1]
    # A canonical URL comes from the page: only a web address becomes a link.
    href = last.url if last.url.startswith(("http://", "https://")) else "#"
    title = f"Article {last.article_id}: {field_text(last.text.get('title'))}"
    items = "".join(f"<li>{html.escape(version_line(version))}</li>" for version in versions)
    return PAGE.format(title=html.escape(title), url=html.escape(href, quote=True),
                       url_text=html.escape(last.url), versions=items,
                       tables="\n".join(tables) or "<p>Only one version.</p>")
