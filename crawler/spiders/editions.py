"""One spider class per edition of the registry (crawler/editions.toml).

The classes are made here, at import, and bound to module-level names, so
Scrapy's spider loader (which walks SPIDER_MODULES for classes defined in each
module), ``scrapy list``, scrapyd's deployed egg and the distributed workers
all find them as if each were written out. Adding an edition to the registry
adds its spider; nothing here names one.
"""
from __future__ import annotations

from crawler.editions import EDITIONS, Edition
from crawler.spiders.platform import PlatformSpider


def spider_class_name(edition_name: str) -> str:
    """``sputnik_fr`` → ``SputnikFrSpider``."""
    return "".join(part.title() for part in edition_name.split("_")) + "Spider"


def make_spider_class(edition: Edition) -> type[PlatformSpider]:
    hosts = ", ".join(host for host in edition.hosts if not host.startswith("m."))
    return type(spider_class_name(edition.name), (PlatformSpider,), {
        "__module__": __name__,
        "__doc__": f"{edition.publisher or edition.name}: {hosts}.",
        "name": edition.name,
        "edition": edition,
    })


SPIDER_CLASSES: dict[str, type[PlatformSpider]] = {
    name: make_spider_class(edition) for name, edition in EDITIONS.items()
}
globals().update({cls.__name__: cls for cls in SPIDER_CLASSES.values()})
__all__ = sorted(cls.__name__ for cls in SPIDER_CLASSES.values())
