"""A local stand-in for a Sputnik edition: sample pages, discovery documents, faults.

``SputnikSite`` holds what the site serves and runs it on 127.0.0.1 in a
background thread; ``default_site()`` adds fresh articles with one fault each.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType

from crawler.urls import is_article_url, publication_date_from_url
from tests.site import routes
from tests.site.faults import (Chunked, Fault, FaultPlan, Gzip, Redirect, Reset, ServerError,
                               Slow, Status, TooManyRequests)
from tests.site.fresh import FRESH_ID_BASE, fresh_article, fresh_days, pick_template
from tests.site.handler import SiteServer
from tests.site.pages import Article, load_pages, modified_article, noon_of
from tests.site.requestlog import RequestLog

# (path, publication day, lastmod) of one sitemap entry.
Listing = tuple[str, date, datetime]


class SputnikSite:
    """The site's content and controls; ``start()`` serves it (or use ``with``).

    ``pages``: directory of sample pages (default samples/pages, or
    $SPUTNIK_SITE_PAGES); ``fresh``: how many clean fresh articles to derive,
    alternately dated today and yesterday; ``faults``: path -> Fault.
    """

    def __init__(self, pages: Path | None = None, *, fresh: int = 2, today: date | None = None,
                 faults: Mapping[str, Fault] | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.today = today or date.today()
        self.log = RequestLog()
        self.faults = FaultPlan(dict(faults or {}))
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        samples = load_pages(pages)
        self.sample_paths = [article.path for article in samples]
        self._articles = {article.path: article for article in samples}
        self.template = pick_template(samples)
        self._next_id = FRESH_ID_BASE
        # Extra documents served as given, ahead of the normal routes (see serve()).
        self._documents: dict[str, routes.Answer] = {}
        self._address = (host, port)
        self._server: SiteServer | None = None
        self._thread: threading.Thread | None = None
        for day in fresh_days(self.today, fresh):
            self.add_fresh_article(day)

    # --- Content ---------------------------------------------------------------

    def articles(self) -> list[Article]:
        with self._lock:
            return sorted(self._articles.values(), key=lambda a: a.path)

    def article(self, path: str) -> Article | None:
        with self._lock:
            return self._articles.get(path)

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def new_article_path(self, day: date, slug: str) -> str:
        """A path for an article of ``day`` with an id no other article has."""
        return f"/{day:%Y%m%d}/{slug}-{self._new_id()}.html"

    def add_fresh_article(self, day: date | None = None, slug: str = "depeche") -> str:
        """Derives a page for ``day`` (default today) from the 2021-layout sample."""
        if self.template is None:
            raise ValueError("no 2021-layout sample page to derive fresh articles from")
        article = fresh_article(self.template, day or self.today, self._new_id(), slug)
        with self._lock:
            self._articles[article.path] = article
        return article.path

    def fresh_articles(self) -> list[Article]:
        """Articles of today and yesterday: what the RSS feed lists."""
        recent = {self.today, self.today - timedelta(days=1)}
        return [article for article in self.articles() if article.day in recent]

    def listing(self) -> list[Listing]:
        """Sitemap entries: every article, and every faulty article URL without
        a page (a 404 or 410 the sitemap still lists), by day then path."""
        entries = [(a.path, a.day, a.lastmod) for a in self.articles() if a.day]
        pages = {path for path, _, _ in entries}
        for path in self.faults.snapshot():
            day = publication_date_from_url(path)
            if path not in pages and day and is_article_url(path):
                entries.append((path, day, noon_of(day)))
        return sorted(entries, key=lambda entry: (entry[1], entry[0]))

    def modify_article(self, path: str, paragraph: str = "Mise à jour : un paragraphe ajouté.",
                       modified: datetime | None = None) -> Article:
        """Appends a paragraph and moves the modified time (page and sitemap)
        to ``modified``, by default an hour after the current one."""
        with self._lock:
            article = self._articles[path]
            moment = modified or article.lastmod + timedelta(hours=1)
            self._articles[path] = changed = modified_article(article, paragraph, moment)
        return changed

    def serve(self, target: str, body: bytes, content_type: str = routes.HTML,
              headers: Mapping[str, str] | None = None, status: int = 200) -> None:
        """Answer ``target`` (a path, or path and query) with exactly these bytes,
        ahead of any route: hostile pages, broken sitemaps, extra headers."""
        with self._lock:
            self._documents[target] = (status, {"Content-Type": content_type, **(headers or {})},
                                       body)

    def document(self, target: str) -> routes.Answer | None:
        with self._lock:
            return self._documents.get(target) or self._documents.get(target.split("?", 1)[0])

    # --- Faults ----------------------------------------------------------------

    def add_fault(self, path: str, fault: Fault) -> None:
        self.faults.set(path, fault)

    def remove_fault(self, path: str) -> None:
        self.faults.remove(path)

    def clean_paths(self) -> list[str]:
        """Article paths without a fault: a crawl should get each of these exactly."""
        faulty = self.faults.snapshot()
        return [article.path for article in self.articles() if article.path not in faulty]

    # --- Serving ---------------------------------------------------------------

    def answer(self, target: str, base: str) -> routes.Answer:
        return routes.answer(self, target, base)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the site is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL, as given to the spider with ``-a site=``."""
        return f"http://{self._address[0]}:{self.port}"

    @property
    def alias_url(self) -> str:
        """The same server under the edition's other host name (see Redirect)."""
        return f"http://localhost:{self.port}"

    def start(self) -> SputnikSite:
        self.stopping.clear()
        self._server = SiteServer(self._address, self)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"sputnik-site-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Fast even with handlers mid-request: slow ones are woken, idle
        keep-alive connections are shut, handler threads are daemons."""
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._server = self._thread = None

    def __enter__(self) -> SputnikSite:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


# One fresh article per fault, with the fault on its path (slug: what it tests).
DEFAULT_FAULTS: tuple[tuple[str, Fault], ...] = (
    ("erreur-serveur", ServerError()),
    ("trop-de-requetes", TooManyRequests(retry_after=1)),
    ("connexion-coupee", Reset()),
    ("reponse-lente", Slow(seconds=5.0)),
    ("page-gzip", Gzip()),
    ("page-chunked", Chunked()),
    ("page-redirigee", Redirect(host="localhost")),
)
# Listed in the sitemap, never served: no page is derived for these.
DEFAULT_MISSING: tuple[tuple[str, Fault], ...] = (
    ("page-introuvable", Status(status=404)),
    ("page-supprimee", Status(status=410)),
)


def default_site(pages: Path | None = None, today: date | None = None,
                 fresh: int = 2, port: int = 0) -> SputnikSite:
    """The samples, ``fresh`` clean fresh articles, and one fresh article per
    fault of DEFAULT_FAULTS and DEFAULT_MISSING, alternately today and
    yesterday. Find them with ``site.faults.paths_of(Kind)``."""
    site = SputnikSite(pages, fresh=fresh, today=today, port=port)
    days = fresh_days(site.today, len(DEFAULT_FAULTS) + len(DEFAULT_MISSING))
    for day, (slug, fault) in zip(days, DEFAULT_FAULTS):
        site.add_fault(site.add_fresh_article(day, slug), fault)
    for day, (slug, fault) in zip(days[len(DEFAULT_FAULTS):], DEFAULT_MISSING):
        site.add_fault(site.new_article_path(day, slug), fault)
    return site
