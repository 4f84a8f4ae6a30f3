from crawler.editions import SPUTNIK_EN
from crawler.spiders.platform import PlatformSpider


class SputnikEnSpider(PlatformSpider):
    """Sputnik International: sputniknews.com, since 2022 sputnikglobe.com."""

    name = "sputnik_en"
    edition = SPUTNIK_EN
