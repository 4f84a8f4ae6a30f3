"""The platform's first article layout, 2014–2016 (fr.sputniknews.com,
sputniknews.com and their ``m.`` hosts at launch).

A ``div.b-article`` like its 2016 successor, but the text sits in the
element marked ``itemprop="articleBody"`` (no ``b-article__text`` yet), with
"read also" boxes and media as ``<div>`` children between the paragraphs;
the lead is ``div.b-article__lead``. Public scrapers of the 2014–2015 pages
read exactly these: ``b-article__lead``, ``[itemprop=articleBody]`` with its
``div`` children removed, ``<meta http-equiv="last-modified">``. URLs of that
era: ``/international/20150331/1015401831.html``,
``/news/20160512/1039528652/911-saudi-obama-terror-fbi.html``.
"""
from __future__ import annotations

import re

from crawler.extract.blocks import Element, css, xpath
from crawler.extract.layout_2016 import Layout2016

# The id of a 2014–2016 URL: the all-digit segment after the day. crawler.urls
# is the authority on URL forms; this only covers the one this layout serves.
_ID_2014 = re.compile(r"/\d{8}/(?P<id>\d{7,12})(?:/[^/]*|\.html)?/?$")


class Layout2014(Layout2016):
    NAME = "2014"
    ROOT = css("div.b-article:has([itemprop=articleBody]):not(:has(.b-article__text))")

    _TITLE = css(".b-article__header h1, h1")
    _TEXT = css("[itemprop=articleBody]")
    _SECTION = css(".b-article__refs-rubric, .b-article__rubric")
    _DATELINE = css("time.b-article__refs-date, time[itemprop=datePublished], time")
    _IMAGES = css(".b-article__announce img, [itemprop=articleBody] img")
    _LAST_MODIFIED = xpath("//meta[translate(@http-equiv, 'LASTMODIFED', 'lastmodifed')"
                           " = 'last-modified']/@content")

    def article_id(self) -> str | None:
        found = super().article_id()
        if found:
            return found
        match = _ID_2014.search((self.url() or "").split("?", 1)[0])
        return match.group("id") if match else None

    def _is_boxed(self, element: Element) -> bool:
        # Every <div> inside the text is a box (read also, media, ads).
        return element.tag == "div" or super()._is_boxed(element)

    def _visible_modified(self) -> list[str | None]:
        return [*super()._visible_modified(), next(iter(self._LAST_MODIFIED(self.page.root)), None)]

