"""Checks of the settings given with ``-s`` before a crawl starts.

Scrapy takes any ``-s NAME=VALUE``: a misspelt name (``WARC_ENABLE=False``)
is silently unused, and a value of the wrong type (``DOWNLOAD_DELAY=abc``)
surfaces as a traceback deep in the crawl. Here an unknown name gets one
WARNING naming the closest known setting, and a value that cannot be read as
the setting's type is a usage error.
"""
from __future__ import annotations

import difflib
import importlib
import logging
import os
from types import ModuleType
from typing import Any

from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

logger = logging.getLogger(__name__)

# Modules whose upper-case names are settings someone reads: Scrapy's, ours,
# and scrapy-redis's (read by settings.distributed's components).
SETTINGS_MODULES = ("settings.base", "settings.distributed", "scrapy_redis.defaults")


def module_names(module: ModuleType) -> dict[str, Any]:
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


def known_settings() -> dict[str, Any]:
    """Every known setting name with its default value."""
    known = module_names(default_settings)
    names = [*SETTINGS_MODULES, os.environ.get("SCRAPY_SETTINGS_MODULE") or ""]
    for name in filter(None, names):
        try:
            known.update(module_names(importlib.import_module(name)))
        except ImportError:
            continue
    return known


def command_line_names(settings: BaseSettings) -> list[str]:
    cmdline = SETTINGS_PRIORITIES["cmdline"]
    return sorted(name for name in settings if settings.getpriority(name) == cmdline)


def check_settings(settings: BaseSettings) -> None:
    """Warns of unknown ``-s`` names; raises UsageError for an unreadable number or flag."""
    known = known_settings()
    for name in command_line_names(settings):
        if name not in known:
            warn_unknown(name, known)
        else:
            check_type(settings, name, known[name])


def warn_unknown(name: str, known: dict[str, Any]) -> None:
    closest = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.75)
    hint = f"; did you mean {closest[0]}?" if closest else ""
    logger.warning("Setting %s is not a setting of Scrapy or of this project, and is unused%s",
                   name, hint)


def check_type(settings: BaseSettings, name: str, default: Any) -> None:
    reader = {bool: settings.getbool, int: settings.getint, float: settings.getfloat}.get(type(default))
    if reader is None:
        return
    try:
        reader(name)
    except (TypeError, ValueError) as e:
        kind = {bool: "True or False", int: "a whole number", float: "a number"}[type(default)]
        raise UsageError(f"-s {name}={settings.get(name)!r}: expected {kind}") from e
