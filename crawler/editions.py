"""Editions of the Sputnik platform: what differs between one and another."""
from __future__ import annotations

from dataclasses import dataclass

from crawler.urls import bare_host


@dataclass(frozen=True)
class Edition:
    """One edition of the platform.

    ``hosts`` lists every host the edition has published under, the original
    first; ``timezone`` is the newsroom's zone, used for dates that the page
    gives without an offset (``data-unixtime``, the visible ``10:25 27.12.2021``).
    """

    name: str
    hosts: tuple[str, ...]
    language: str
    publisher: str
    timezone: str
    default_site: str

    @property
    def host(self) -> str:
        return self.hosts[0]

    def owns(self, host: str | None) -> bool:
        return bare_host(host) in self.hosts


SPUTNIK_FR = Edition(
    name="sputnik_fr",
    hosts=("fr.sputniknews.com", "fr.sputniknews.africa"),
    language="fr-FR",
    publisher="Sputnik France",
    timezone="Europe/Paris",
    default_site="https://fr.sputniknews.com",
)

SPUTNIK_EN = Edition(
    name="sputnik_en",
    hosts=("sputniknews.com", "sputnikglobe.com"),
    language="en-US",
    publisher="Sputnik International",
    timezone="Europe/Moscow",
    default_site="https://sputnikglobe.com",
)
