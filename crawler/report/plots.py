"""The report's plots, drawn with matplotlib and returned as inline SVG.

The Agg backend needs no display; text stays text in the SVG (smaller, and
searchable in the page); a fixed hash salt makes the same data give the same
bytes. Each function returns None when it has nothing to draw.
"""
from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.dates import date2num  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from crawler.report.data import ArticleFacts  # noqa: E402

matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "sputnik-archive",
                            "font.size": 9, "axes.spines.top": False,
                            "axes.spines.right": False})

MAX_SECTIONS = 8
# Periods drawn as bars; more are drawn as steps (_stacked_steps).
MAX_BARS = 400
TOP_KEYWORDS = 8
OTHER = "other"


def finish(figure: Figure, axes: plt.Axes, ylabel: str) -> str:
    axes.set_ylabel(ylabel)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    figure.autofmt_xdate()
    return to_svg(figure)


def to_svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def main_sections(articles: list[ArticleFacts]) -> list[str]:
    counts = Counter(article.section for article in articles)
    return [section for section, _ in counts.most_common(MAX_SECTIONS)]


def stacked_by_section(articles: list[ArticleFacts], bucket: str) -> str | None:
    """Articles per day or per week (``bucket``), one colour per section.

    Each section is one artist, a collection of bars or a step area whose
    limits are given, never a patch per bar added with ``add_patch``, which
    finds a patch's limits by walking its outline in Python (about 1 ms a
    bar, seconds for a step outline of years of days): a 1k replay's report
    took 9.9 s that way, 3.2 s now.
    """
    if not articles:
        return None
    period = (lambda day: day) if bucket == "day" else week_of
    sections = main_sections(articles)
    counts = Counter((period(a.day), a.section if a.section in sections else OTHER)
                     for a in articles)
    periods = sorted({key[0] for key in counts})
    names = sections + ([OTHER] if any(key[1] == OTHER for key in counts) else [])
    figure, axes = plt.subplots(figsize=(10, 3.2))
    if len(periods) > MAX_BARS:
        _stacked_steps(axes, counts, names, periods[0], periods[-1], bucket)
    else:
        _stacked_bars(axes, counts, names, periods, bucket)
    axes.xaxis_date()
    axes.autoscale_view()
    axes.set_ylim(bottom=0)
    return finish(figure, axes, f"articles per {bucket}")


def _colours(names: list[str]) -> list[str]:
    """The axes' colour cycle, one colour per section in turn."""
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[i % len(cycle)] for i in range(len(names))]


def _stacked_bars(axes: plt.Axes, counts: Counter[tuple[date, str]], names: list[str],
                  periods: list[date], bucket: str) -> None:
    """A bar per period and section, centred on its day."""
    half = (0.8 if bucket == "day" else 5.6) / 2
    centres = [date2num(when) for when in periods]
    bottom = [0] * len(periods)
    for name, colour in zip(names, _colours(names)):
        top = [b + counts.get((when, name), 0) for b, when in zip(bottom, periods)]
        boxes = [((x - half, low), (x + half, low), (x + half, high), (x - half, high))
                 for x, low, high in zip(centres, bottom, top) if high > low]
        # An edge in the bar's colour keeps a one-day bar visible on a span of years.
        axes.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors=colour,
                                           linewidths=1.2, label=name))
        bottom = top


def _stacked_steps(axes: plt.Axes, counts: Counter[tuple[date, str]], names: list[str],
                   first: date, last: date, bucket: str) -> None:
    """One filled step area per section over every period from first to last.

    Past MAX_BARS periods a bar is narrower than a pixel, and a bar per
    period and section cost matplotlib about 1 ms each: years of articles
    per day (20,000+ bars) took 20 s and 200 MB at the end of every crawl,
    and 6 MB of SVG.
    """
    step = timedelta(days=1 if bucket == "day" else 7)
    periods = [first + step * i for i in range((last - first) // step + 1)]
    edges = [date2num(when) for when in periods] + [date2num(last + step)]
    bottom = [0] * len(periods)
    for name, colour in zip(names, _colours(names)):
        top = [b + counts.get((when, name), 0) for b, when in zip(bottom, periods)]
        # Added as an artist, its limits given below: add_patch would walk
        # the outline in Python. Rasterized: thousands of steps are lighter
        # as pixels than as SVG paths (300 KB, not 2 MB); not antialiased, or
        # a step narrower than a pixel would be drawn pale.
        axes.add_artist(StepPatch(top, edges, baseline=bottom, fill=True, facecolor=colour,
                                  linewidth=0, label=name, rasterized=True, antialiased=False))
        bottom = top
    axes.update_datalim([(edges[0], 0), (edges[-1], max(bottom))])


def month_range(first: date, last: date) -> list[date]:
    months = [month_of(first)]
    while months[-1] < month_of(last):
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    return months


def keywords_over_time(articles: list[ArticleFacts]) -> str | None:
    """A heat map: articles per month carrying each of the most used keywords."""
    overall = Counter(keyword for a in articles for keyword in a.keywords)
    top = [keyword for keyword, _ in overall.most_common(TOP_KEYWORDS)]
    if not top:
        return None
    months = month_range(min(a.day for a in articles), max(a.day for a in articles))
    counts = Counter((month_of(a.day), keyword) for a in articles for keyword in a.keywords
                     if keyword in top)
    grid = [[counts.get((month, keyword), 0) for month in months] for keyword in top]
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(top) + 1.2))
    mesh = axes.pcolormesh(grid, cmap="Blues", edgecolors="white", linewidth=0.5)
    axes.set_yticks([i + 0.5 for i in range(len(top))], top)
    axes.invert_yaxis()
    step = max(1, len(months) // 24)
    axes.set_xticks([i + 0.5 for i in range(0, len(months), step)],
                    [m.strftime("%Y-%m") for m in months[::step]], rotation=45, ha="right")
    figure.colorbar(mesh, ax=axes, label="articles per month", pad=0.01)
    return to_svg(figure)


def changes_over_time(new_versions: Iterable[str], removals: Iterable[str]) -> str | None:
    """New versions (v2 on) and removals found, per week of capture or sighting."""
    versions = Counter(week_of(_day(when)) for when in new_versions if _day(when))
    gone = Counter(week_of(_day(when)) for when in removals if _day(when))
    weeks = sorted(set(versions) | set(gone))
    if not weeks:
        return None
    figure, axes = plt.subplots(figsize=(10, 2.8))
    offset = timedelta(days=1.5)
    axes.bar([w - offset for w in weeks], [versions.get(w, 0) for w in weeks], 3,
             label="new versions")
    axes.bar([w + offset for w in weeks], [gone.get(w, 0) for w in weeks], 3,
             label="removals found", color="#c0392b")
    # A week or two of changes would otherwise fill the whole width.
    axes.set_xlim(weeks[0] - timedelta(days=14), weeks[-1] + timedelta(days=14))
    return finish(figure, axes, "per week")


def _day(when: str | None) -> date | None:
    try:
        return datetime.fromisoformat(str(when).replace("Z", "+00:00")).date()
    except ValueError:
        return None
