"""Schedule a spider on a scrapyd unless it is already pending or running.

scrapyd runs jobs but has no timetable of its own, so cron or a systemd timer
calls this module::

    python -m crawler.schedule sputnik_fr --url http://127.0.0.1:6800 \\
        -a since=2021-12-01 -s DOWNLOAD_DELAY=2

It asks ``listjobs.json`` first and only calls ``schedule.json`` when no job of
the same spider is queued or running, so a slow crawl is never doubled by the
next tick. Credentials come from SCRAPYD_USERNAME and SCRAPYD_PASSWORD and are
never printed or logged.

Exit status: 0 when the spider was scheduled or was already pending/running
(stdout says which), 1 when scrapyd could not be asked or refused, 2 for a
usage error.

scrapyd keeps a job's process status to itself and lists every ended job as
"finished". With ``--outcome STATS_FILE`` (the job's ``-s STATS_FILE=``) this
module schedules nothing: it prints how that job ended, from its final stats,
and exits with the crawl's own exit status (crawler.outcome: 0 every source
reached, 1 failed, 3 partial), or 1 when the file cannot be read.
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:6800"
DEFAULT_PROJECT = "sputnik"
# schedule.json reads these form fields itself; a spider argument of the same
# name would be taken as one of them instead of reaching the spider.
RESERVED_ARGUMENTS = frozenset({"project", "spider", "setting", "jobid", "priority", "_version"})


class ScheduleError(Exception):
    """scrapyd could not be reached, or answered with an error; the message says which."""


class Scrapyd:
    """The two calls of scrapyd's JSON API this module needs, over urllib."""

    def __init__(self, url: str, timeout: float, username: str | None, password: str | None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Accept": "application/json"}
        if username:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {token}"

    def list_jobs(self, project: str) -> dict[str, Any]:
        return self._call("listjobs.json?" + urlencode({"project": project}))

    def schedule(self, project: str, spider: str, args: dict[str, str],
                 settings: dict[str, str]) -> str:
        fields = [("project", project), ("spider", spider), *args.items()]
        fields += [("setting", f"{name}={value}") for name, value in settings.items()]
        return str(self._call("schedule.json", urlencode(fields).encode("ascii"))["jobid"])

    def _call(self, endpoint: str, body: bytes | None = None) -> dict[str, Any]:
        request = Request(f"{self.url}/{endpoint}", data=body, headers=self._headers)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except HTTPError as e:
            raise ScheduleError(_http_error_message(e.code, self.url)) from e
        except (URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ScheduleError(f"cannot reach scrapyd at {self.url}: {reason}") from e
        except ValueError as e:
            raise ScheduleError(f"{self.url}/{endpoint.split('?')[0]} did not answer JSON; is it scrapyd?") from e
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = answer.get("message", answer) if isinstance(answer, dict) else answer
            raise ScheduleError(f"scrapyd refused: {message}")
        return answer


def _http_error_message(code: int, url: str) -> str:
    if code == 401:
        return (f"scrapyd at {url} refused the credentials (HTTP 401): "
                "set SCRAPYD_USERNAME and SCRAPYD_PASSWORD to its username and password")
    return f"scrapyd at {url} answered HTTP {code}"


def active_job(jobs: dict[str, Any], spider: str) -> tuple[str, dict[str, Any]] | None:
    """(state, job) of a pending or running job of ``spider``, running first."""
    for state in ("running", "pending"):
        for job in jobs.get(state, []):
            if job.get("spider") == spider:
                return state, job
    return None


def schedule_once(client: Scrapyd, project: str, spider: str, args: dict[str, str],
                  settings: dict[str, str]) -> str:
    """Schedules ``spider`` unless a job of it is queued or running; returns the outcome line."""
    found = active_job(client.list_jobs(project), spider)
    if found is not None:
        state, job = found
        return f"not scheduled: {spider} is already {state} in {project} as job {job.get('id')}"
    # A job scheduled by someone else between the two calls is not seen; cron
    # and systemd timers do not overlap their own runs, which is what matters.
    jobid = client.schedule(project, spider, args, settings)
    return f"scheduled: {spider} in {project} as job {jobid}"


def name_value(text: str) -> tuple[str, str]:
    """argparse type for NAME=VALUE."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def checked_url(text: str) -> str:
    """argparse type for scrapyd's URL: http(s) only, and no credentials in it."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError("expected an http:// or https:// URL")
    if parts.username or parts.password:
        # Do not echo it: it holds a secret that would end up in cron mail.
        raise argparse.ArgumentTypeError("credentials do not go in the URL; set SCRAPYD_USERNAME "
                                         "and SCRAPYD_PASSWORD instead")
    return text


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.schedule",
        description="Schedule SPIDER on scrapyd unless a job of it is already pending or running. "
                    "Credentials: SCRAPYD_USERNAME, SCRAPYD_PASSWORD.")
    parser.add_argument("spider", help="spider name, e.g. sputnik_fr")
    parser.add_argument("--url", type=checked_url, default=os.environ.get("SCRAPYD_URL", DEFAULT_URL),
                        help="scrapyd's URL (default: $SCRAPYD_URL or %(default)s)")
    parser.add_argument("--project", default=DEFAULT_PROJECT, help="deployed project (default: %(default)s)")
    parser.add_argument("-a", dest="args", type=name_value, action="append", default=[],
                        metavar="NAME=VALUE", help="spider argument (repeatable)")
    parser.add_argument("-s", dest="settings", type=name_value, action="append", default=[],
                        metavar="NAME=VALUE", help="Scrapy setting for this job (repeatable)")
    parser.add_argument("--outcome", metavar="STATS_FILE", default=None,
                        help="schedule nothing: report how the job that wrote STATS_FILE ended, "
                             "and exit with its exit status")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for each answer from scrapyd (default: %(default)s)")
    options = parser.parse_args(argv)
    clashes = sorted(RESERVED_ARGUMENTS & {name for name, _ in options.args})
    if clashes:
        parser.error(f"spider argument(s) {', '.join(clashes)} would be taken by scrapyd's schedule.json")
    return options


def report_outcome(spider: str, path: str) -> int:
    """Prints the outcome of the job whose final stats are in ``path``; returns its exit status."""
    from crawler.outcome import exit_status
    try:
        with open(path, encoding="utf-8") as fh:
            stats = json.load(fh)
    except (OSError, ValueError) as e:
        logger.error("cannot read the stats file %s (did the job stop cleanly?): %s", path, e)
        return 1
    status, why = exit_status(stats)
    print(f"{spider}: {stats.get('finish_reason', 'unknown')} at {stats.get('finish_time', '?')}, "
          f"{stats.get('item_scraped_count', 0)} articles written; exit status {status}: {why}")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    options = parse_args(argv)
    if options.outcome:
        return report_outcome(options.spider, options.outcome)
    client = Scrapyd(options.url, options.timeout,
                     os.environ.get("SCRAPYD_USERNAME"), os.environ.get("SCRAPYD_PASSWORD"))
    try:
        outcome = schedule_once(client, options.project, options.spider,
                                dict(options.args), dict(options.settings))
    except ScheduleError as e:
        logger.error("%s", e)
        return 1
    print(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
