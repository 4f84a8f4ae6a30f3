"""The local Sputnik edition (tests/site) checked with plain urllib and sockets."""
from __future__ import annotations

import calendar
import gzip
import http.client
import socket
import time
import urllib.request
import xml.etree.ElementTree as ET
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.error import URLError
from urllib.parse import urlsplit

import pytest

from crawler.urls import is_forbidden_path
from tests.site import (Chunked, Gzip, Redirect, Reset, ServerError, Slow, SputnikSite, Status,
                        TooManyRequests, default_site)
from tests.site.documents import FORBIDDEN_LINKS
from tests.site.pages import PARIS, canonical_path, pages_dir, served_here

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
LAVROV = ("/20211227/lavrov-precise-quand-se-tiendront-les-pourparlers-avec-lotan-et-les-usa"
          "-sur-la-securite-1054083153.html")
OBJET = "/sci_tech/201711031033712345-objet-interstellaire-telescopes/"
CANICULE = "/france/201906241041472563-canicule-vigilance-orange-departements/"
Response = tuple[int, http.client.HTTPMessage, bytes]


def fetch(site: SputnikSite, target: str, host: str | None = None) -> Response:
    """One GET on a new connection, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    try:
        connection.request("GET", target, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def get(site: SputnikSite, target: str) -> bytes:
    with urllib.request.urlopen(site.url + target, timeout=5) as response:
        return response.read()


def locs(document: bytes) -> list[str]:
    return [loc.text or "" for loc in ET.fromstring(document).iterfind(".//s:loc", NS)]


def paths(urls: list[str]) -> set[str]:
    return {urlsplit(url).path for url in urls}


# --- Discovery documents -------------------------------------------------------

def test_robots_txt_forbids_services_search_and_print(test_site: SputnikSite) -> None:
    assert get(test_site, "/robots.txt").decode().splitlines() == [
        "User-agent: *", "Disallow: /services/", "Disallow: /search/",
        "Disallow: /*-print.html", "", f"Sitemap: {test_site.url}/sitemap_article_index.xml",
    ]


def _monthly_url(base: str, year: int, month: int) -> str:
    last = calendar.monthrange(year, month)[1]
    return f"{base}/sitemap_article.xml?date_start={year}{month:02}01&date_end={year}{month:02}{last}"


def test_sitemap_index_lists_each_month_once_with_escaped_ampersand(
        test_site: SputnikSite) -> None:
    raw = get(test_site, "/sitemap_article_index.xml")
    months = sorted({(day.year, day.month) for _, day, _ in test_site.listing()})
    assert locs(raw) == [_monthly_url(test_site.url, year, month) for year, month in months]
    assert f"{test_site.url}/sitemap_article.xml?date_start=20211201&date_end=20211231" in locs(raw)
    assert b"&amp;date_end=" in raw and b"&date_end=" not in raw
    assert b"lastmod" not in raw


def test_monthly_sitemap_lists_exactly_that_months_articles(test_site: SputnikSite) -> None:
    document = ET.fromstring(get(test_site, "/sitemap_article.xml?date_start=20211201&date_end=20211231"))
    listed = {url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
              for url in document.iterfind("s:url", NS)}
    december = [a for a in test_site.articles() if a.day and (a.day.year, a.day.month) == (2021, 12)]
    assert set(listed) == {test_site.url + a.path for a in december}
    assert listed[test_site.url + LAVROV] == "2021-12-27T12:01:00+01:00"


def test_sitemap_lastmod_carries_the_summer_offset() -> None:
    with SputnikSite(fresh=1, today=date(2025, 7, 14)) as site:
        document = get(site, "/sitemap_article.xml?date_start=20250701&date_end=20250731")
        fresh = site.fresh_articles()[0]
        fresh_url = site.url + fresh.path
    assert fresh.modified and fresh.modified.date() == date(2025, 7, 14)
    # The month also lists a sample page (the short post of 2025-07-01).
    entries = ET.fromstring(document).findall("s:url", namespaces=NS)
    lastmod = next(entry.findtext("s:lastmod", namespaces=NS) for entry in entries
                   if entry.findtext("s:loc", namespaces=NS) == fresh_url) or ""
    assert lastmod.startswith("2025-07-14T") and lastmod.endswith("+02:00")
    assert datetime.fromisoformat(lastmod) == fresh.modified


def test_sitemap_lastmod_of_a_sample_dated_only_in_its_dateline(test_site: SputnikSite) -> None:
    # The page states no machine-readable time: it comes from the sample's expected values.
    sitemap = get(test_site, "/sitemap_article.xml?date_start=20171101&date_end=20171130")
    assert locs(sitemap) == [f"{test_site.url}{OBJET}"]
    assert b"<lastmod>2017-11-03T09:12:00+01:00</lastmod>" in sitemap


def _sitemap_paths(site: SputnikSite) -> set[str]:
    """Every article path the sitemaps list, following the index."""
    listed: set[str] = set()
    for url in locs(get(site, "/sitemap_article_index.xml")):
        parts = urlsplit(url)
        listed |= paths(locs(get(site, f"{parts.path}?{parts.query}")))
    return listed


def test_sitemaps_list_the_404_and_410_articles(test_site: SputnikSite) -> None:
    missing = test_site.faults.paths_of(Status)
    listed = _sitemap_paths(test_site)
    assert len(missing) == 2 and set(missing) <= listed
    assert set(test_site.sample_paths) <= listed
    assert all(test_site.article(path) is None for path in missing)


def test_sitemap_with_a_malformed_range_is_not_found(test_site: SputnikSite) -> None:
    assert fetch(test_site, "/sitemap_article.xml?date_start=2021")[0] == 404


def test_rss_lists_only_the_fresh_articles(test_site: SputnikSite) -> None:
    channel = ET.fromstring(get(test_site, "/export/rss2/archive/index.xml")).find("channel")
    assert channel is not None
    items = channel.findall("item")
    fresh = {a.path: a for a in test_site.fresh_articles()}
    assert paths([item.findtext("link") or "" for item in items]) == set(fresh)
    assert not set(test_site.sample_paths) & set(fresh)
    for item in items:
        article = fresh[urlsplit(item.findtext("link") or "").path]
        assert item.findtext("guid") == item.findtext("link")
        assert parsedate_to_datetime(item.findtext("pubDate") or "") == article.published
        assert article.day in (test_site.today, date.fromordinal(test_site.today.toordinal() - 1))


def test_section_page_links_articles_and_forbidden_pages(test_site: SputnikSite) -> None:
    page = get(test_site, "/international/").decode()
    for path in test_site.sample_paths:
        assert f'href="{test_site.url}{path}"' in page
    for path in FORBIDDEN_LINKS:
        assert f'href="{test_site.url}{path}"' in page and is_forbidden_path(path)


def test_xml_uses_the_host_the_site_is_reached_at(test_site: SputnikSite) -> None:
    status, _, body = fetch(test_site, "/robots.txt", host=f"localhost:{test_site.port}")
    assert status == 200
    assert f"Sitemap: {test_site.alias_url}/sitemap_article_index.xml".encode() in body


# --- Articles --------------------------------------------------------------------

def test_each_sample_page_is_served_unchanged_at_its_canonical_path(
        test_site: SputnikSite) -> None:
    files = [file for file in sorted(pages_dir().glob("*.html")) if served_here(file.read_bytes())]
    assert len(files) >= 10
    for file in files:
        page = file.read_bytes()
        status, headers, body = fetch(test_site, canonical_path(page) or "")
        assert (status, body) == (200, page)
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Content-Length"] == str(len(page))


def test_head_gets_the_length_of_the_page_and_no_body(test_site: SputnikSite) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", test_site.port, timeout=5)
    connection.request("HEAD", LAVROV)
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"")
    assert response.headers["Content-Length"] == str(len(test_site.article(LAVROV).body))  # type: ignore[union-attr]
    connection.close()


def test_fresh_articles_are_dated_by_their_url(test_site: SputnikSite) -> None:
    article = test_site.fresh_articles()[0]
    body = fetch(test_site, article.path)[2]
    assert canonical_path(body) == article.path
    assert article.published and article.published.date() == article.day
    assert test_site.template and test_site.template.article_id
    assert f'data-id="{article.article_id}"'.encode() in body
    assert test_site.template.article_id.encode() not in body
    assert article.published.strftime("%H:%M %d.%m.%Y").encode() in body


def test_unknown_path_is_not_found(test_site: SputnikSite) -> None:
    assert fetch(test_site, "/20211227/nulle-part-1000000001.html")[0] == 404


# --- Faults ----------------------------------------------------------------------

@pytest.mark.parametrize("status", [404, 410])
def test_missing_articles_answer_their_status_every_time(
        test_site: SputnikSite, status: int) -> None:
    faults = test_site.faults.snapshot()
    path = next(p for p, fault in faults.items() if isinstance(fault, Status)
                and fault.status == status)
    assert [fetch(test_site, path)[0] for _ in range(2)] == [status, status]


def test_server_error_then_the_page(test_site: SputnikSite) -> None:
    path = test_site.faults.paths_of(ServerError)[0]
    first, second = fetch(test_site, path), fetch(test_site, path)
    assert (first[0], first[2]) == (500, b"")
    assert (second[0], second[2]) == (200, test_site.article(path).body)  # type: ignore[union-attr]


def test_server_error_succeeds_on_the_configured_try() -> None:
    with SputnikSite(fresh=0, faults={LAVROV: ServerError(times=2)}) as site:
        assert [fetch(site, LAVROV)[0] for _ in range(3)] == [500, 500, 200]
        assert site.log.statuses(LAVROV) == [500, 500, 200]


def test_slow_page_outlasts_a_short_timeout_and_stopping_does_not_wait() -> None:
    site = SputnikSite(fresh=0, faults={LAVROV: Slow(seconds=3)}).start()
    started = time.monotonic()
    with pytest.raises((TimeoutError, URLError)):
        urllib.request.urlopen(site.url + LAVROV, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 1.0
    stopping = time.monotonic()
    site.stop()
    assert time.monotonic() - stopping < 0.5
    assert site.log.count(LAVROV) == 1


def test_gzip_page_has_honest_length_and_decompresses_to_the_page(
        test_site: SputnikSite) -> None:
    path = test_site.faults.paths_of(Gzip)[0]
    status, headers, body = fetch(test_site, path)
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Content-Length"] == str(len(body))
    assert gzip.decompress(body) == test_site.article(path).body  # type: ignore[union-attr]


def _raw_get(site: SputnikSite, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", site.port), timeout=5) as raw:
        raw.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n"
                    "Connection: close\r\n\r\n".encode())
        return b"".join(iter(lambda: raw.recv(65536), b""))


def _dechunk(body: bytes) -> tuple[list[int], bytes]:
    sizes, data = [], b""
    while True:
        line, body = body.split(b"\r\n", 1)
        sizes.append(int(line, 16))
        data, body = data + body[:sizes[-1]], body[sizes[-1]:]
        assert body.startswith(b"\r\n")
        body = body[2:]
        if sizes[-1] == 0:
            return sizes, data


def test_chunked_page_is_framed_in_chunks_on_the_wire(test_site: SputnikSite) -> None:
    path = test_site.faults.paths_of(Chunked)[0]
    head, _, body = _raw_get(test_site, path).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head
    sizes, data = _dechunk(body)
    page = test_site.article(path).body  # type: ignore[union-attr]
    assert data == page and sizes[-1] == 0 and len(sizes) == -(-len(page) // 4096) + 1


def test_redirect_to_localhost_which_serves_the_page(test_site: SputnikSite) -> None:
    path = test_site.faults.paths_of(Redirect)[0]
    status, headers, _ = fetch(test_site, path)
    assert (status, headers["Location"]) == (301, f"http://localhost:{test_site.port}{path}")
    status, _, body = fetch(test_site, path, host=f"localhost:{test_site.port}")
    assert (status, body) == (200, test_site.article(path).body)  # type: ignore[union-attr]
    assert test_site.log.hosts(path) == [f"127.0.0.1:{test_site.port}",
                                         f"localhost:{test_site.port}"]


def test_too_many_requests_with_retry_after_then_the_page(test_site: SputnikSite) -> None:
    path = test_site.faults.paths_of(TooManyRequests)[0]
    status, headers, _ = fetch(test_site, path)
    assert (status, headers["Retry-After"]) == (429, "1")
    assert fetch(test_site, path)[0] == 200


def test_connection_reset_then_the_page(test_site: SputnikSite) -> None:
    path = test_site.faults.paths_of(Reset)[0]
    with pytest.raises(ConnectionError):
        fetch(test_site, path)
    assert fetch(test_site, path)[0] == 200
    assert test_site.log.statuses(path) == [None, 200]


def test_faults_can_be_added_and_removed_while_serving(test_site: SputnikSite) -> None:
    test_site.add_fault(LAVROV, Status(status=410))
    assert fetch(test_site, LAVROV)[0] == 410
    test_site.remove_fault(LAVROV)
    assert fetch(test_site, LAVROV)[0] == 200
    assert LAVROV in test_site.clean_paths()


# --- Request log and changes ---------------------------------------------------------

def test_request_log_records_every_request_with_its_host(test_site: SputnikSite) -> None:
    before = time.time()
    fetch(test_site, "/robots.txt")
    fetch(test_site, "/sitemap_article.xml?date_start=20211201&date_end=20211231",
          host="localhost:1234")
    fetch(test_site, "/nulle-part")
    entries = test_site.log.entries()
    assert test_site.log.requested_paths() == [
        "/robots.txt", "/sitemap_article.xml?date_start=20211201&date_end=20211231", "/nulle-part"]
    assert [(e.method, e.host, e.status) for e in entries] == [
        ("GET", f"127.0.0.1:{test_site.port}", 200), ("GET", "localhost:1234", 200),
        ("GET", f"127.0.0.1:{test_site.port}", 404)]
    assert entries[0].headers["Accept-Encoding"] == "identity"
    assert all(before <= e.at <= time.time() for e in entries)
    assert test_site.log.count("/sitemap_article.xml") == 1
    assert test_site.log.count("/sitemap_article.xml?date_start=20211201&date_end=20211231") == 1
    assert test_site.log.count("/robots.txt?x=1") == 0 and len(test_site.log) == 3


def test_modify_article_changes_bytes_and_lastmod(test_site: SputnikSite) -> None:
    before = fetch(test_site, LAVROV)[2]
    moment = datetime(2021, 12, 28, 9, 30, tzinfo=PARIS)
    test_site.modify_article(LAVROV, "Un paragraphe ajouté.", modified=moment)
    after = fetch(test_site, LAVROV)[2]
    assert after != before and after.count("Un paragraphe ajouté.".encode()) == 2
    assert b'content="20211228T0930+0100"' in after
    assert b'<div itemprop="dateModified">2021-12-28T09:30+0100</div>' in after
    sitemap = get(test_site, "/sitemap_article.xml?date_start=20211201&date_end=20211231")
    assert b"<lastmod>2021-12-28T09:30:00+01:00</lastmod>" in sitemap


def test_modify_article_in_the_2016_layout_adds_a_paragraph(test_site: SputnikSite) -> None:
    moment = datetime(2019, 6, 25, 8, 0, tzinfo=PARIS)
    test_site.modify_article(CANICULE, "Dernière minute.", modified=moment)
    after = fetch(test_site, CANICULE)[2]
    assert b"<p>Derni\xc3\xa8re minute.</p>\n</div>" in after
    assert b'<meta itemprop="dateModified" content="2019-06-25T08:00+0200">' in after
    sitemap = get(test_site, "/sitemap_article.xml?date_start=20190601&date_end=20190630")
    assert b"<lastmod>2019-06-25T08:00:00+02:00</lastmod>" in sitemap


def test_modify_article_defaults_to_an_hour_later(test_site: SputnikSite) -> None:
    changed = test_site.modify_article(LAVROV)
    assert changed.modified == datetime(2021, 12, 27, 13, 1, tzinfo=PARIS)


def test_site_starts_and_stops_fast() -> None:
    started = time.monotonic()
    with default_site() as site:
        assert fetch(site, "/robots.txt")[0] == 200
    assert time.monotonic() - started < 0.5
    with pytest.raises(RuntimeError):
        site.url
