"""AMP copies of article pages: ``/amp/20240313/slug-1065524510.html`` (2021+)
and the older ``/amp/radio_the_critical_hour/202009051080370875-slug/``.

An AMP page is the desktop page's markup cut down to what AMP allows:
``amp-img``, ``amp-audio``, ``amp-video`` and ``amp-iframe`` replace their
HTML elements, scripts go. So each AMP layout is its desktop layout with the
media selectors changed; ``<link rel="canonical">`` names the desktop article,
which becomes the item's URL (the AMP address stays in ``source``).
"""
from __future__ import annotations

from crawler.extract.blocks import css
from crawler.extract.layout_2016 import Layout2016
from crawler.extract.layout_2021 import Layout2021
from crawler.extract.page import Page


class LayoutAmp2021(Layout2021):
    NAME = "amp"

    _IMAGES = css(".article__announce amp-img, .article__body amp-img,"
                  " .article__announce img, .article__body img")
    _PHOTO_IMAGE = css("amp-img, img")
    _PLAYER = css(".article__announce amp-audio, .article__announce .audioplayer,"
                  " .article__announce audio")
    _MAIN_VIDEO = css(".article__announce amp-video, .article__announce video")

    @classmethod
    def matches(cls, page: Page) -> bool:
        return page.is_amp and super().matches(page)


class LayoutAmp2016(Layout2016):
    NAME = "amp"

    _IMAGES = css(".b-article__announce amp-img, .b-article__text amp-img,"
                  " .b-article__announce img, .b-article__text img")
    _PLAYER = css(".b-article__announce amp-audio, .b-article__announce audio")
    _MAIN_VIDEO = css(".b-article__announce amp-video, .b-article__announce video")

    @classmethod
    def matches(cls, page: Page) -> bool:
        return page.is_amp and super().matches(page)
