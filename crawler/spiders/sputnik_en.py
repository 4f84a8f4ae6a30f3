"""Sputnik International's spider, generated from the registry: its class
lives in crawler.spiders.editions; this name stays for code that imports it."""
from crawler.spiders.editions import SPIDER_CLASSES

SputnikEnSpider = SPIDER_CLASSES["sputnik_en"]
