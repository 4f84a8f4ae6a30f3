"""``python -m bench [--large] [--runs N] [--only CASE ...]``: see docs/benchmarks.md.

Inputs are generated once into bench/work/ (ignored by git) and reused. Each
figure is the median of ``--runs`` runs; the runs of different contenders
are interleaved, so a noisy neighbour slows all of them alike.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench import instructions, measure, report
from bench.generate import SEED, read_truth, write_inputs
from bench.haystack import write_haystack

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
LIVE_PAGES = 1_000
STORE_ARTICLES = 1_000_000
# The peers are slow: they run on the first records of the 1k WARC.
PEER_RECORDS = {"trafilatura": 1_000, "newsplease": 200}
# Exchanges (a response and a request record each) of the haystack WARC.
HAYSTACK_EXCHANGES = 20_000
CASES = ("replay", "haystack", "live", "scale")
# Run only when asked for (--only): about 15 minutes, and valgrind must be installed.
ON_REQUEST = ("instructions",)


def inputs(count: int, pages_dir: bool = False) -> tuple[Path, Path]:
    warc, truth = WORK / f"bench-{count}-{SEED}.warc.gz", WORK / f"truth-{count}-{SEED}.jsonl"
    pages = WORK / f"pages-{count}-{SEED}" if pages_dir else None
    if not (warc.exists() and truth.exists() and (pages is None or pages.exists())):
        print(f"generating {count:,} pages ...", flush=True)
        write_inputs(count, warc, truth, pages)
    return warc, truth


def median(values: list[float]) -> float:
    return statistics.median(values)


def haystack_input() -> tuple[Path, Path]:
    warc = WORK / f"haystack-{HAYSTACK_EXCHANGES}-{SEED}.warc.gz"
    truth = WORK / f"haystack-truth-{HAYSTACK_EXCHANGES}-{SEED}.jsonl"
    if not (warc.exists() and truth.exists()):
        print(f"generating the haystack of {HAYSTACK_EXCHANGES:,} exchanges ...", flush=True)
        write_haystack(HAYSTACK_EXCHANGES, warc, truth)
    return warc, truth


def haystack_figures(runs: int, scratch: Path) -> list[dict[str, Any]]:
    """Our replay, our reader alone, bare fastwarc and warcio, interleaved.

    Wall time on a shared machine is mostly other processes' waiting; CPU
    time is steadier. The crawl's is from engine start to close (bench.cpu).
    """
    warc, truth = haystack_input()
    size_mb = warc.stat().st_size / 1e6
    seconds: dict[str, list[float]] = {name: [] for name in HAYSTACK_ROWS}
    cpu: dict[str, list[float]] = {name: [] for name in HAYSTACK_ROWS}
    crawls: list[measure.Run] = []
    for run in range(runs):
        print(f"run {run + 1}/{runs}: haystack", flush=True)
        crawls.append(measure.replay(scratch, warc, f"haystack-{run}"))
        ours = next(iter(HAYSTACK_ROWS))
        seconds[ours].append(crawls[-1].crawl_seconds)
        cpu[ours].append(crawls[-1].engine_cpu)
        for name, iterator in HAYSTACK_ROWS.items():
            if iterator:
                printed = measure.haystack_iteration(iterator, warc)
                seconds[name].append(printed["seconds"])
                cpu[name].append(printed["cpu_seconds"])
    records = sum(v for k, v in crawls[0].stats.items() if k.startswith("replay/records/"))
    rows = []
    for name in HAYSTACK_ROWS:
        rows.append({"what": name, "records": records, "seconds": median(seconds[name]),
                     "spread": [min(seconds[name]), max(seconds[name])],
                     "cpu_seconds": median(cpu[name]), "cpu_spread": [min(cpu[name]), max(cpu[name])],
                     "records_per_s": records / median(cpu[name]),
                     "mb_per_s": size_mb / median(cpu[name])})
    rows[0].update(items=crawls[0].items_written, rss_mb=median([c.max_rss_mb for c in crawls]),
                   accuracy=report.accuracy(crawls[0].items, read_truth(truth)))
    return rows


# Scrapy with no project code: the part of replay's time no change of ours removes.
FLOOR_ROW = "floor: Scrapy alone (canned page, one item, JSON Lines)"

HAYSTACK_ROWS = {"sputnik-archive replay (scrapy crawl, engine time)": None,
                 "sputnik-archive reader alone (warc.reader, URL filter)": "reader",
                 "fastwarc ArchiveIterator, target URI of each record": "fastwarc",
                 "warcio ArchiveIterator, target URI of each record": "warcio"}


def replay_figures(sizes: list[int], runs: int, scratch: Path) -> list[dict[str, Any]]:
    ours: dict[int, list[measure.Run]] = {n: [] for n in sizes}
    bare: dict[int, list[float]] = {n: [] for n in sizes}
    bare_cpu: dict[int, list[float]] = {n: [] for n in sizes}
    floor: list[dict[str, float]] = []
    peers: dict[str, list[float]] = {name: [] for name in PEER_RECORDS}
    peer_rss: dict[str, float] = {}
    warc_1k, truth_1k = inputs(1_000)
    for run in range(runs):
        for n in sizes:
            if n > 10_000 and run:
                continue  # --large: 100k records are replayed once
            warc, _ = inputs(n)
            print(f"run {run + 1}/{runs}: replay {n:,}", flush=True)
            ours[n].append(measure.replay(scratch, warc, f"replay-{n}-{run}"))
            _, printed = measure.ceiling(warc)
            bare[n].append(printed["pages"] / printed["seconds"])
            bare_cpu[n].append(printed["pages"] / printed["cpu_seconds"])
            if n == 1_000:
                floor.append(measure.floor(n, warc, truth_1k)[1])
        for name, limit in PEER_RECORDS.items() if measure.peers_available() else ():
            print(f"run {run + 1}/{runs}: {name} on {limit:,}", flush=True)
            process, printed = measure.peer(name, warc_1k, limit, scratch / f"{name}.jsonl")
            peers[name].append(printed["pages"] / printed["seconds"])
            peer_rss[name] = process.max_rss_mb
    truth = read_truth(truth_1k)
    have_peers = all(peers.values())
    rows = []
    for n in sizes:
        done = ours[n]
        rows.append({"what": "sputnik-archive replay (scrapy crawl)", "records": n,
                     "rate": median([r.items_written / r.crawl_seconds for r in done]),
                     "cpu_rate": median([r.items_written / r.engine_cpu for r in done]),
                     "wall_rate": median([r.items_written / r.wall for r in done]),
                     "items": done[0].items_written,
                     "rss_mb": median([r.max_rss_mb for r in done]),
                     "accuracy": report.accuracy(done[0].items, truth) if n == 1_000 else None})
        rows.append({"what": "ceiling: fastwarc + lxml loop", "records": n,
                     "rate": median(bare[n]), "cpu_rate": median(bare_cpu[n]), "rss_mb": 0.0,
                     "accuracy": None})
    rows.append({"what": FLOOR_ROW, "records": 1_000,
                 "rate": median([f["items"] / f["seconds"] for f in floor]),
                 "cpu_rate": median([f["items"] / f["cpu_seconds"] for f in floor]),
                 "rss_mb": 0.0, "accuracy": None})
    for name, limit in PEER_RECORDS.items() if have_peers else ():
        rows.append({"what": name, "records": limit, "rate": median(peers[name]),
                     "rss_mb": peer_rss[name],
                     "accuracy": report.accuracy(scratch / f"{name}.jsonl", truth)})
    return rows


def live_figures(runs: int, scratch: Path) -> list[dict[str, Any]]:
    from tests.site import SputnikSite

    inputs(LIVE_PAGES, pages_dir=True)
    started = time.perf_counter()
    site = SputnikSite(pages=WORK / f"pages-{LIVE_PAGES}-{SEED}", fresh=0)
    print(f"test site loaded {LIVE_PAGES:,} pages in {time.perf_counter() - started:.2f}s",
          flush=True)
    figures: dict[bool, list[measure.Run]] = {True: [], False: []}
    with site:
        for run in range(runs):
            # Which goes first alternates: the machine's speed drifts over
            # minutes, and always the same order would lean one way.
            for archiving in (True, False) if run % 2 == 0 else (False, True):
                print(f"run {run + 1}/{runs}: live crawl, archiving {archiving}", flush=True)
                figures[archiving].append(
                    measure.live(scratch, site.url, f"live-{archiving}-{run}", archiving))
    rows = [{"what": "on (WARC written)" if archiving else "off (WARC_ENABLED=False)",
             "pages": done[0].items_written,
             "rate": median([r.items_written / r.crawl_seconds for r in done]),
             "rates": [r.items_written / r.crawl_seconds for r in done],
             "cpu_rates": [r.items_written / r.engine_cpu for r in done],
             "rss_mb": median([r.max_rss_mb for r in done])}
            for archiving, done in figures.items()]
    # The cost of archiving in each run, from the on and off crawls run side by side.
    rows[0]["losses"] = [1 - on / off for on, off in zip(rows[0]["rates"], rows[1]["rates"])]
    rows[0]["cpu_losses"] = [1 - on / off for on, off in zip(rows[0]["cpu_rates"], rows[1]["cpu_rates"])]
    return rows


def store_figures(runs: int, scratch: Path) -> dict[str, Any]:
    store = WORK / f"store-{STORE_ARTICLES}.sqlite3"
    fill = None
    if not store.exists():
        print(f"filling the dedupe store with {STORE_ARTICLES:,} articles ...", flush=True)
        fill = measure.fill_store(store, STORE_ARTICLES)
    warc, _ = inputs(1_000)
    full: list[measure.Run] = []
    empty: list[measure.Run] = []
    for run in range(runs):
        print(f"run {run + 1}/{runs}: replay 1,000 into a store of 1M and an empty one", flush=True)
        full.append(measure.replay_with_store(scratch, warc, store, f"store-full-{run}"))
        empty.append(measure.replay_with_store(scratch, warc, None, f"store-empty-{run}"))
    return {
        "store fill, 1M rows (s)": round(fill, 1) if fill is not None else "reused",
        "store file (MB)": round(store.stat().st_size / 2**20),
        "start-up + shut-down, 1M store (s)": round(median([r.wall - r.crawl_seconds for r in full]), 2),
        "start-up + shut-down, empty store (s)": round(median([r.wall - r.crawl_seconds for r in empty]), 2),
        "peak RSS, 1M store (MB)": round(median([r.max_rss_mb for r in full])),
        "peak RSS, empty store (MB)": round(median([r.max_rss_mb for r in empty])),
        "articles/s, 1M store": round(median([r.items_written / r.crawl_seconds for r in full])),
        "articles/s, empty store": round(median([r.items_written / r.crawl_seconds for r in empty])),
    }


def instruction_figures(scratch: Path) -> dict[str, Any] | None:
    if not instructions.available():
        print("instructions: valgrind is not installed (apt-get install valgrind); skipped",
              flush=True)
        return None
    warc, _ = inputs(LIVE_PAGES, pages_dir=True)
    haystack, _ = haystack_input()
    print("instructions: replay, ceiling, haystack and live crawls under callgrind ...", flush=True)
    found = instructions.figures(scratch, WORK / "cuts", warc, haystack,
                                 WORK / f"pages-{LIVE_PAGES}-{SEED}")
    found["ratios"] = [{"what": what, "value": value, "unit": unit}
                       for what, value, unit in instructions.ratios(found)]
    return found


def targets(results: dict[str, Any]) -> list[dict]:
    checks = _targets(results)
    for check, case in checks:
        if case in results.get("carried", {}):
            check["target"] += f" (not re-run: figures of {results['carried'][case]})"
    return [check for check, _ in checks]


def _targets(results: dict[str, Any]) -> list[tuple[dict, str]]:
    checks = []
    replay, live = results.get("replay"), results.get("live")
    if replay:
        def rate(what: str, records: int) -> float:
            return next(r["rate"] for r in replay
                        if r["what"].startswith(what) and r["records"] == records)

        ours = {r["records"]: r for r in replay if r["what"].startswith("sputnik")}
        checks.append((report.check("replay / ceiling (10k records), wall time",
                                    rate("sputnik", 10_000) / rate("ceiling", 10_000), 0.3, False,
                                    "×"), "replay"))
        cpu = {r["what"][:7]: r.get("cpu_rate") for r in replay if r["records"] == 10_000}
        if cpu.get("sputnik") and cpu.get("ceiling"):
            checks.append((report.check("replay / ceiling (10k records), CPU time",
                                        cpu["sputnik"] / cpu["ceiling"], 0.3, False, "×"), "replay"))
        if any(r["what"] == "trafilatura" for r in replay):
            checks.append((report.check("replay / trafilatura (same 1k records)",
                                        rate("sputnik", 1_000) / rate("trafilatura", 1_000), 3.0,
                                        False, "×"), "replay"))
        checks.append((report.check("replay peak RSS, largest / 1k records",
                                    ours[max(ours)]["rss_mb"] / ours[1_000]["rss_mb"], 1.2, True,
                                    "×"), "replay"))
    if results.get("haystack"):
        ours, _, bare, _ = results["haystack"]
        checks.append((report.check("haystack: replay engine CPU time / bare fastwarc",
                                    ours["cpu_seconds"] / bare["cpu_seconds"], 2.0, True, "×"),
                       "haystack"))
        checks.append((report.check("haystack: replay engine wall time / bare fastwarc",
                                    ours["seconds"] / bare["seconds"], 2.0, True, "×"), "haystack"))
    if live:
        # Results from before runs were kept one by one give the loss of the medians.
        losses = live[0].get("losses") or [1 - live[0]["rate"] / live[1]["rate"]]
        checks.append((report.check("throughput lost to WARC archiving (live, wall time, median of runs)",
                                    median(losses), 0.1, True, ""), "live"))
        if live[0].get("cpu_losses"):
            checks.append((report.check("CPU added by WARC archiving per page (live, median of runs)",
                                        median(live[0]["cpu_losses"]), 0.1, True, ""), "live"))
    if results.get("scale"):
        scale = results["scale"]
        checks.append((report.check("RSS added by a 1M-article dedupe store",
                                    scale["peak RSS, 1M store (MB)"] - scale["peak RSS, empty store (MB)"],
                                    100, True, "MB"), "scale"))
    return checks


def carry_over(results: dict[str, Any], cases: list[str]) -> None:
    """Figures of cases not run now, from the latest results file that has them."""
    for path in sorted(RESULTS.glob("*.json"), reverse=True):
        earlier = json.loads(path.read_text(encoding="utf-8"))
        for missing in [c for c in cases if c not in results and earlier.get(c)]:
            results[missing] = earlier[missing]
            when = earlier.get("carried", {}).get(missing, earlier["date"])
            results.setdefault("carried", {})[missing] = when


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--large", action="store_true", help="also replay 100k records")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--only", nargs="+", choices=CASES + ON_REQUEST, default=list(CASES),
                        help="run these cases only (the doc keeps the others' last figures); "
                             "'instructions' runs only when named here")
    arguments = parser.parse_args(argv)
    sizes = [1_000, 10_000] + ([100_000] if arguments.large else [])
    scratch = measure.temporary_dir(WORK / "runs")
    started = time.perf_counter()
    results: dict[str, Any] = {"date": date.today().isoformat(), "runs": arguments.runs,
                               "command": "make bench" + (" BENCH_FLAGS=--large" if arguments.large else "")}
    if arguments.only != list(CASES):
        results["command"] = f"python -m bench --runs {arguments.runs} --only {' '.join(arguments.only)}"
    cases = {"replay": lambda: replay_figures(sizes, arguments.runs, scratch),
             "haystack": lambda: haystack_figures(arguments.runs, scratch),
             "live": lambda: live_figures(arguments.runs, scratch),
             "scale": lambda: store_figures(arguments.runs, scratch),
             "instructions": lambda: instruction_figures(scratch)}
    for case in arguments.only:
        found = cases[case]()
        if found is not None:
            results[case] = found
    if not any(case in results for case in arguments.only):
        print("nothing was measured: results and docs/benchmarks.md left as they were")
        return 1
    carry_over(results, [case for case in CASES + ON_REQUEST if case not in results])
    results["seconds"] = round(time.perf_counter() - started)
    results["machine"] = report.machine(measure.peer_versions())
    results["targets"] = targets(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{results['date']}.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    text = report.table(results)
    report.keep_in_doc(text)
    print(text)
    print(f"\nwritten: {out.relative_to(ROOT)}, {report.DOC.relative_to(ROOT)} "
          f"({results['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
