"""The report as one HTML page: inline SVG plots, tables, links to diff pages.

Everything that comes from the data (titles, URLs, keywords, stats keys) is
escaped; links go only to http(s) URLs and to the report's own diff pages.
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from crawler.history.diffs import page_name
from crawler.report import plots
from crawler.report.data import ReportData

# Stats shown in the run's outcomes, by group: (group, test on the key).
OUTCOME_GROUPS = (
    ("fetched", lambda key: key in ("item_scraped_count", "downloader/response_count",
                                    "downloader/response_bytes", "dedupe/stored")),
    ("skipped", lambda key: "/skipped/" in key or key.startswith("dedupe/") and key != "dedupe/stored"
     or key.endswith(("/unchanged", "/archived", "/out_of_window", "/other_host"))),
    ("failed", lambda key: "/failed/" in key or "/errors/" in key),
    ("archive", lambda key: key.startswith("warc/")),
    ("removals", lambda key: key.startswith(("removals/", "recheck/"))),
)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em 2em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
.summary { display: flex; gap: 1.5em; flex-wrap: wrap; padding: 0; list-style: none; }
.summary li { background: #f3f5f8; padding: 0.5em 0.9em; border-radius: 4px; }
.summary b { display: block; font-size: 1.4em; }
figure.plot { margin: 0.5em 0; } figure.plot svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.outcomes { display: flex; gap: 1.5em; flex-wrap: wrap; align-items: flex-start; }
p.empty { color: #777; font-style: italic; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def link(url: str, text: str) -> str:
    if url.startswith(("http://", "https://")):
        return f'<a href="{esc(url)}">{esc(text)}</a>'
    return esc(text)


def figure(name: str, svg: str | None, empty: str) -> str:
    if svg is None:
        return f'<p class="empty" id="plot-{name}">{esc(empty)}</p>'
    return f'<figure class="plot" id="plot-{name}">{svg}</figure>'


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]],
          numeric: frozenset[int] | set[int] = frozenset()) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{esc(cell)}</td>' if i in numeric else f"<td>{cell}</td>"
        for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary(data: ReportData) -> str:
    facts = [("articles", len(data.articles)),
             ("sections", len({a.section for a in data.articles})),
             ("changed articles", len(data.changed)), ("removed articles", len(data.removals)),
             ("WARC files", data.warc_files), ("WARC size", f"{data.warc_bytes / 1e6:.1f} MB")]
    items = "".join(f"<li><b>{esc(value)}</b>{esc(label)}</li>" for label, value in facts)
    return f'<ul class="summary">{items}</ul>'


def changes_section(data: ReportData) -> str:
    plot = plots.changes_over_time(data.new_versions, [r.first_gone for r in data.removals])
    parts = [figure("changes", plot, "No article has changed or been removed yet.")]
    if data.changed:
        rows = [(f'<a href="diffs/{esc(page_name(c.article_id))}">{esc(c.article_id)}</a>',
                 link(c.url, c.title or c.url), c.versions, esc(c.last_change))
                for c in data.changed]
        parts.append("<h3>Changed articles</h3>" +
                     table(("article (diff)", "title", "versions", "last change"), rows, {2}))
    if data.removals:
        rows = [(esc(r.article_id), link(r.url, r.url), esc(r.first_gone), esc(r.reason),
                 esc(r.location or "")) for r in data.removals]
        parts.append("<h3>Removed articles</h3>" +
                     table(("article", "URL", "first seen gone", "how", "redirected to"), rows))
    return "\n".join(parts)


def outcomes_section(stats: dict[str, Any]) -> str:
    if not stats:
        return '<p class="empty">No run stats yet (a run writes them at its end).</p>'
    head = (f"<p>Last run: {esc(stats.get('start_time', '?'))} to "
            f"{esc(stats.get('finish_time', '?'))}, finish reason "
            f"<b>{esc(stats.get('finish_reason', '?'))}</b>.</p>")
    tables = []
    for group, wanted in OUTCOME_GROUPS:
        rows = [(esc(key), value) for key, value in sorted(stats.items())
                if isinstance(value, (int, float)) and wanted(key)]
        if rows:
            tables.append(f"<div><h3>{esc(group)}</h3>{table(('stat', 'count'), rows, {1})}</div>")
    return head + f'<div class="outcomes">{"".join(tables)}</div>'


def coverage_section(coverage: dict[str, list[dict[str, Any]]]) -> str:
    if not coverage:
        return '<p class="empty">No coverage file (archive runs write coverage-*.json).</p>'
    parts = []
    for name, months in coverage.items():
        columns = list(dict.fromkeys(key for month in months for key in month))
        rows = [[esc(month.get(column, "")) for column in columns] for month in months]
        numeric = {i for i, column in enumerate(columns) if column != "month"}
        parts.append(f"<h3>{esc(name)}</h3>" + table(columns, rows, numeric))
    return "\n".join(parts)


def render(data: ReportData) -> str:
    generated = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    articles = data.articles
    body = [
        f"<h1>Archive report: {esc(data.spider)}</h1><p>Generated {esc(generated)}.</p>",
        summary(data),
        "<h2>Articles per day, by section</h2>",
        figure("per-day", plots.stacked_by_section(articles, "day"), "No articles yet."),
        "<h2>Articles per week, by section</h2>",
        figure("per-week", plots.stacked_by_section(articles, "week"), "No articles yet."),
        "<h2>Top keywords over time</h2>",
        figure("keywords", plots.keywords_over_time(articles), "No keywords yet."),
        "<h2>Versions and removals over time</h2>", changes_section(data),
        "<h2>The last run</h2>", outcomes_section(data.stats),
        "<h2>Coverage of the archive sources</h2>", coverage_section(data.coverage),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Archive report: {esc(data.spider)}</title><style>{STYLE}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")
