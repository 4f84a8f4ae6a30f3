"""Editions of the Sputnik platform: the registry, read from ``editions.toml``.

The platform serves some thirty editions from one CMS; what differs between
them (hosts over the years, language, publisher names, newsroom time zone) is
data, kept in ``crawler/editions.toml`` beside this module. Each value there
says where it was checked or that it is a best guess (docs/editions.md). The
spiders are generated from this registry (``crawler/spiders/editions.py``).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import Any

REGISTRY_FILE = "editions.toml"


@dataclass(frozen=True)
class Provenance:
    """Where a registry value comes from: a checked source, or a best guess."""

    verified: bool
    note: str  # the source's key when verified, why it is a guess otherwise


@dataclass(frozen=True)
class Years:
    """Inclusive range of years; None is open-ended."""

    since: int | None = None
    until: int | None = None

    def covers(self, day: date | None) -> bool:
        if day is None:
            return True
        return (self.since or day.year) <= day.year <= (self.until or day.year)


@dataclass(frozen=True)
class HostUse:
    host: str
    years: Years
    provenance: Provenance
    mobile_of: str | None = None  # the desktop host an m. host mirrors
    language: str | None = None  # when the host publishes in another script


@dataclass(frozen=True)
class PublisherName:
    name: str
    years: Years
    provenance: Provenance
    hosts: tuple[str, ...] = ()  # empty: every host of the edition


@dataclass(frozen=True)
class ZoneUse:
    zone: str
    years: Years
    provenance: Provenance


@dataclass(frozen=True)
class Edition:
    """One edition of the platform.

    ``hosts`` lists every host the edition has published under, mobile ones
    included, oldest first; the zone is the newsroom's, used for the times a
    page gives without an offset (``data-unixtime``, ``10:25 27.12.2021``).
    """

    name: str
    language: str
    host_uses: tuple[HostUse, ...]
    publishers: tuple[PublisherName, ...]
    zones: tuple[ZoneUse, ...]
    default_site: str
    language_provenance: Provenance = field(default=Provenance(False, ""), compare=False)

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(use.host for use in self.host_uses)

    @property
    def host(self) -> str:
        return self.hosts[0]

    @property
    def timezone(self) -> str:
        """The newsroom's zone today."""
        return self.zones[-1].zone

    @property
    def publisher(self) -> str | None:
        """The publisher's name today."""
        return self.publisher_for(None, date.today())

    def owns(self, host: str | None) -> bool:
        return bare_host(host) in self.hosts

    def zone_on(self, day: date | None) -> str:
        """The newsroom's zone on ``day`` (today's when the day is unknown)."""
        if day is not None:
            for use in self.zones:
                if use.years.covers(day):
                    return use.zone
        return self.timezone

    def publisher_for(self, host: str | None, day: date | None) -> str | None:
        """The name the edition published under at ``host`` on ``day``.

        At one of its hosts, only the names used there count, and a name
        limited to some hosts wins over a general one, so a page of a host the
        edition left keeps the name it had there; a name of another year is
        better than none. At a host that is not the edition's (a mirror, the
        test site), the name of that year.
        """
        host = bare_host(host)
        if host not in self.hosts:
            return next((p.name for p in reversed(self.publishers) if p.years.covers(day)), None)
        usable = [p for p in self.publishers if not p.hosts or host in p.hosts]
        for candidates in ([p for p in usable if p.years.covers(day)], usable):
            if candidates:
                return sorted(candidates, key=lambda p: bool(p.hosts))[-1].name
        return None

    def language_for(self, host: str | None) -> str:
        use = self._use(host)
        return (use.language if use is not None else None) or self.language

    def desktop_host(self, host: str | None) -> str | None:
        """The host an m. host mirrors, the host itself otherwise; None if not the edition's."""
        use = self._use(host)
        return None if use is None else (use.mobile_of or use.host)

    def _use(self, host: str | None) -> HostUse | None:
        host = bare_host(host)
        return next((use for use in self.host_uses if use.host == host), None)


def bare_host(host: str | None) -> str:
    """A host as the registry lists it: lowercase, no trailing dot, no ``www.``."""
    host = (host or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


# --- the registry file ------------------------------------------------------------


class RegistryError(ValueError):
    """The registry file is not what this module expects: the message says where."""


def _provenance(entry: dict[str, Any], where: str, sources: dict[str, str]) -> Provenance:
    if ("seen" in entry) == ("guess" in entry):
        raise RegistryError(f"{where}: give exactly one of seen= or guess=")
    if "seen" in entry:
        if entry["seen"] not in sources:
            raise RegistryError(f"{where}: seen={entry['seen']!r} is not a [source]")
        return Provenance(True, entry["seen"])
    return Provenance(False, entry["guess"])


def _years(entry: dict[str, Any]) -> Years:
    return Years(entry.get("since"), entry.get("until"))


def _edition(name: str, table: dict[str, Any], sources: dict[str, str]) -> Edition:
    where = f"edition.{name}"
    try:
        hosts = tuple(
            HostUse(h["host"], _years(h), _provenance(h, f"{where} host {h['host']}", sources),
                    h.get("mobile_of"), h.get("language"))
            for h in table["hosts"])
        publishers = tuple(
            PublisherName(p["name"], _years(p), _provenance(p, f"{where} publisher {p['name']}", sources),
                          tuple(p.get("hosts", ())))
            for p in table["publishers"])
        zones = tuple(ZoneUse(z["zone"], _years(z), _provenance(z, f"{where} zone {z['zone']}", sources))
                      for z in table["zones"])
        language = table["language"]
        newest = [use.host for use in hosts if use.mobile_of is None][-1]
        return Edition(name, language["tag"], hosts, publishers, zones,
                       table.get("site", f"https://{newest}"),
                       _provenance(language, f"{where} language", sources))
    except (KeyError, IndexError, TypeError) as e:
        raise RegistryError(f"{where}: missing or malformed {e}") from e


def parse_registry(text: str) -> dict[str, Edition]:
    """Every edition of a registry file's text, by name."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RegistryError(f"the registry is not valid TOML: {e}") from e
    sources = data.get("source", {})
    editions = {name: _edition(name, table, sources) for name, table in data.get("edition", {}).items()}
    seen: dict[str, str] = {}
    for edition in editions.values():
        for host in edition.hosts:
            if seen.setdefault(host, edition.name) != edition.name:
                raise RegistryError(f"host {host} is listed by {seen[host]} and {edition.name}")
    return editions


@lru_cache(maxsize=1)
def _host_owners() -> dict[str, Edition]:
    return {host: edition for edition in EDITIONS.values() for host in edition.hosts}


def edition_for_host(host: str | None) -> Edition | None:
    """The edition that owns ``host`` (any of its hosts, mobile ones included)."""
    return _host_owners().get(bare_host(host))


# For items no edition claims (no registry name, a host no edition lists, no
# spider of the platform): times in UTC, language "und" (undetermined).
UNKNOWN_EDITION = Edition("", "und", (), (), (ZoneUse("UTC", Years(), Provenance(False, "no edition")),), "")


def desktop_host_of(host: str) -> str:
    """``m.sputniknews.com`` → ``sputniknews.com``; any other host as it is."""
    owner = edition_for_host(host)
    return (owner.desktop_host(host) if owner is not None else None) or host


# Read from the package, so a zipped scrapyd egg finds it too.
EDITIONS: dict[str, Edition] = parse_registry(
    files("crawler").joinpath(REGISTRY_FILE).read_text(encoding="utf-8"))
SPUTNIK_FR = EDITIONS["sputnik_fr"]
SPUTNIK_EN = EDITIONS["sputnik_en"]
