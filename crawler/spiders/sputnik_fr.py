"""Sputnik France / Afrique's spider, generated from the registry: its class
lives in crawler.spiders.editions; this name stays for code that imports it."""
from crawler.spiders.editions import SPIDER_CLASSES

SputnikFrSpider = SPIDER_CLASSES["sputnik_fr"]
