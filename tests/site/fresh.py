"""Fresh articles (dated today or yesterday), derived from one 2021-layout sample.

The sample pages are years old, but the RSS feed and a crawl's default
two-day window need articles of the last days. They are made by textual
substitution on one sample page: its URL, id, and the publication and
modification times in the forms the 2021 layout writes them (Open Graph meta,
microdata, ``data-unixtime``, the visible ``10:25 27.12.2021``, the day link).

Limitation: prose is left alone, so a body may still say "ce 27 décembre",
and the copyright year keeps the sample's year. Only forms found on the
2021-layout sample are rewritten; a template with other date forms would keep
them, which is why ``fresh_article`` checks the times it parses back.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from tests.site.pages import PARIS, Article, article_from_bytes, render_time

# Ids far above the samples' (10540xxxxx), so fresh ones never collide.
FRESH_ID_BASE = 1_099_000_000
# Each form the 2021 layout writes a full time in, as in render_time().
_MOMENT_FORMS = ("%Y%m%dT%H%M%z", "%Y-%m-%dT%H:%M%z", "%s", "%H:%M %d.%m.%Y")
MAX_UPDATE_DELAY = timedelta(hours=3)
_DAILY_PATH = re.compile(r"^/\d{8}/(?P<slug>[^/]*)-\d+\.html$")


def pick_template(articles: Iterable[Article]) -> Article | None:
    """The first 2021-layout page with a daily URL and its own times."""
    for article in articles:
        if article.layout_2021 and _DAILY_PATH.match(article.path) and article.published:
            return article
    return None


def _swap(body: bytes, old: str, new: str) -> bytes:
    # Digit-guarded, so an id or a Unix time is never changed inside a longer number.
    pattern = rb"(?<!\d)" + re.escape(old.encode()) + rb"(?!\d)"
    return re.sub(pattern, lambda _: new.encode(), body)


def _swap_moment(body: bytes, old: datetime, new: datetime) -> bytes:
    for form in _MOMENT_FORMS:
        body = _swap(body, render_time(old.astimezone(PARIS), form), render_time(new, form))
    return body


def _swap_day(body: bytes, old: date, new: date) -> bytes:
    body = _swap(body, f"{old:%d.%m.%Y}", f"{new:%d.%m.%Y}")
    # Only the quoted day link: links to other articles of that day stay as they are.
    return body.replace(f'"/{old:%Y%m%d}/"'.encode(), f'"/{new:%Y%m%d}/"'.encode())


def fresh_times(template: Article, day: date, clock: time) -> tuple[datetime, datetime | None]:
    """Published at ``clock`` (Paris) on ``day``; modified as long after as in
    the template, but within MAX_UPDATE_DELAY so that it stays on ``day``."""
    published = datetime.combine(day, clock, tzinfo=PARIS)
    if template.modified is None or template.published is None:
        return published, None
    return published, published + min(template.modified - template.published, MAX_UPDATE_DELAY)


def fresh_article(template: Article, day: date, article_id: int, slug: str,
                  clock: time = time(8, 30)) -> Article:
    """A copy of ``template`` published on ``day`` at ``/YYYYMMDD/slug-id.html``."""
    assert template.published and template.article_id and template.day
    path = f"/{day:%Y%m%d}/{slug}-{article_id}.html"
    published, modified = fresh_times(template, day, clock)
    body = template.body.replace(template.path.encode(), path.encode())
    body = _swap(body, template.article_id, str(article_id))
    if template.modified and modified:
        body = _swap_moment(body, template.modified, modified)
    body = _swap_moment(body, template.published, published)
    body = _swap_day(body, template.day, day)
    article = article_from_bytes(body, path)
    if article.published != published or article.modified != modified:
        raise ValueError(f"template {template.path} states its times in forms not rewritten")
    return article


def fresh_days(today: date, count: int) -> list[date]:
    """Alternately today and yesterday: the two days of the default window."""
    return [today - timedelta(days=n % 2) for n in range(count)]
