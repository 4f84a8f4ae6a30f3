from crawler.editions import SPUTNIK_FR
from crawler.spiders.platform import PlatformSpider


class SputnikFrSpider(PlatformSpider):
    """Sputnik France: fr.sputniknews.com, since 2022 fr.sputniknews.africa."""

    name = "sputnik_fr"
    edition = SPUTNIK_FR
