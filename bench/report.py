"""Field accuracy, the machine, targets, and the table kept in docs/benchmarks.md."""
from __future__ import annotations

import json
import os
import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

FIELDS = ("title", "published", "modified", "authors", "keywords", "body")
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:results -->", "<!-- /bench:results -->"


def _paragraphs(text: Any) -> list[str] | None:
    """Body as paragraphs, whitespace inside each collapsed: extractors differ in
    how they separate paragraphs (one newline or a blank line), not in text."""
    if not isinstance(text, str):
        return None
    return [" ".join(part.split()) for part in re.split(r"\n+", text) if part.strip()]


def _same(name: str, found: Any, truth: Any) -> bool:
    if name == "body":
        return _paragraphs(found) == _paragraphs(truth)
    if name in ("authors", "keywords"):
        return list(found or []) == list(truth or [])
    return found == truth


def accuracy(items_jsonl: Path, truth: dict[str, dict]) -> dict[str, Any]:
    """Exact-match rate per field over the pages in ``items_jsonl``."""
    rows = [json.loads(line) for line in items_jsonl.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    matched = {name: 0 for name in FIELDS}
    for row in rows:
        expected = truth.get(row.get("url") or "")
        for name in FIELDS:
            matched[name] += bool(expected) and _same(name, row.get(name), expected[name])
    return {"pages": len(rows), **{name: matched[name] / max(len(rows), 1) for name in FIELDS}}


def machine(peer_versions: dict[str, str]) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    memory = re.search(r"MemTotal:\s*(\d+) kB", meminfo)
    packages = {}
    for package in ("scrapy", "lxml", "parsel", "fastwarc", "warcio", "twisted"):
        try:
            packages[package] = version(package)
        except PackageNotFoundError:
            packages[package] = None
    return {"cpu": model.group(1).strip() if model else platform.processor(),
            "cores": os.cpu_count(),
            "memory_gb": round(int(memory.group(1)) / 1024 / 1024, 1) if memory else None,
            "python": platform.python_version(), "platform": platform.platform(),
            "packages": packages, "peer_packages (.venv-bench)": peer_versions}


def check(name: str, value: float, limit: float, smaller_is_better: bool, unit: str) -> dict:
    passed = value <= limit if smaller_is_better else value >= limit
    return {"target": name, "value": round(value, 3), "limit": limit, "unit": unit,
            "result": "PASS" if passed else "FAIL"}


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _carried(results: dict[str, Any], case: str) -> str:
    date = results.get("carried", {}).get(case)
    return f" — not re-run: figures of {date}" if date else ""


def _replay_table(results: dict[str, Any]) -> list[str]:
    lines = ["### Replay (articles/s, median; peak RSS of the process)" + _carried(results, "replay"),
             "", "| what | records | articles/s | per CPU s | peak RSS MB | " + " | ".join(FIELDS) + " |",
             "| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in FIELDS) + " |"]
    for row in results["replay"]:
        acc = row.get("accuracy") or {}
        lines.append(f"| {row['what']} | {row['records']:,} | {_rate(row['rate'])} | "
                     f"{_rate(row.get('cpu_rate'))} | "
                     f"{row['rss_mb']:.0f} | " + " | ".join(_pct(acc.get(f)) for f in FIELDS) + " |")
    return lines


def _haystack_table(results: dict[str, Any]) -> list[str]:
    lines = ["### Haystack: other hosts' pages with 1% articles (median; spread = min–max of runs)"
             + _carried(results, "haystack"), "",
             "| what | records | CPU s | spread | wall s | spread | records/s (CPU) | MB/s (CPU) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in results["haystack"]:
        low, high = row["spread"]
        cpu_low, cpu_high = row.get("cpu_spread", (0, 0))
        lines.append(f"| {row['what']} | {row['records']:,} | {row.get('cpu_seconds', 0):.2f} | "
                     f"{cpu_low:.2f}–{cpu_high:.2f} | {row['seconds']:.2f} | {low:.2f}–{high:.2f} | "
                     f"{_rate(row['records_per_s'])} | {row['mb_per_s']:.0f} |")
    ours = results["haystack"][0]
    acc = ours.get("accuracy") or {}
    lines += ["", f"Replay wrote {ours.get('items', 0):,} articles (field accuracy: "
              + ", ".join(f"{f} {_pct(acc.get(f))}" for f in FIELDS)
              + f"); peak RSS {ours.get('rss_mb', 0):.0f} MB."]
    return lines


def _live_table(results: dict[str, Any]) -> list[str]:
    lines = ["### Live crawl of the local test site (pages/s, median)" + _carried(results, "live"),
             "", "| archiving | pages | pages/s | runs, pages/s | runs, pages per CPU s | peak RSS MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in results["live"]:
        runs = ", ".join(f"{rate:.0f}" for rate in row.get("rates", []))
        cpu_runs = ", ".join(f"{rate:.0f}" for rate in row.get("cpu_rates", []))
        lines.append(f"| {row['what']} | {row['pages']:,} | {_rate(row['rate'])} | {runs} | "
                     f"{cpu_runs} | {row['rss_mb']:.0f} |")
    for key, what in (("losses", "Throughput lost to archiving (wall time)"),
                      ("cpu_losses", "CPU per page added by archiving")):
        values = results["live"][0].get(key)
        if values:
            lines += ["", f"{what}, run by run (on vs off, side by side): "
                      + ", ".join(f"{100 * x:.1f}%" for x in values)
                      + f"; median {100 * sorted(values)[len(values) // 2]:.1f}%."]
    return lines


def _scale_table(results: dict[str, Any]) -> list[str]:
    lines = ["### Scale" + _carried(results, "scale"), "", "| what | value |", "| --- | ---: |"]
    lines += [f"| {key} | {value} |" for key, value in results["scale"].items()]
    return lines


def _millions(value: float) -> str:
    return f"{value / 1e6:,.1f} M"


def _instructions_table(results: dict[str, Any]) -> list[str]:
    found = results["instructions"]
    replay, haystack, live = found["replay"], found["haystack"], found["live"]
    heading = "### Instructions (callgrind, hash seed fixed: repeats agree within 0.1 M an article)"
    lines = [heading + _carried(results, "instructions"),
             "", "| what | instructions |", "| --- | ---: |",
             f"| replay, per article ({replay['articles']} articles) | {_millions(replay['replay per article'])} |",
             f"| ceiling, per page | {_millions(replay['ceiling per page'])} |"]
    for name, what in (("replay crawl", "our replay crawl"),
                       ("reader", "our reader alone"), ("fastwarc", "bare fastwarc"),
                       ("warcio", "warcio")):
        lines.append(f"| haystack less its first records: {what} | {_millions(haystack[name])} |")
    lines += [f"| live page, archiving off ({live['articles']} articles) | {_millions(live['per page, archiving off'])} |",
              f"| live page, archiving on | {_millions(live['per page, archiving on'])} |",
              "", "| ratio | value |", "| --- | ---: |"]
    lines += [f"| {row['what']} | "
              + (f"{row['value']:.3f} ×" if row["unit"] else f"{100 * row['value']:.1f}%") + " |"
              for row in found["ratios"]]
    return lines


TABLES = {"replay": _replay_table, "haystack": _haystack_table, "live": _live_table,
          "scale": _scale_table, "instructions": _instructions_table}


def table(results: dict[str, Any]) -> str:
    lines: list[str] = []
    for case, render in TABLES.items():
        if results.get(case):
            lines += render(results) + [""]
    lines += ["### Targets", "", "| target | measured | limit | result |",
              "| --- | ---: | ---: | --- |"]
    for target in results["targets"]:
        lines.append(f"| {target['target']} | {target['value']} {target['unit']} | "
                     f"{target['limit']} {target['unit']} | **{target['result']}** |")
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in {**m["packages"],
                                                 **m["peer_packages (.venv-bench)"]}.items())
    lines += ["", f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; "
              f"Python {m['python']}; {packages}. Run of {results['date']}, "
              f"{results['runs']} runs per figure, `{results['command']}`."]
    return "\n".join(lines)


def keep_in_doc(text: str, doc: Path = DOC) -> None:
    """Replace the table between the markers of docs/benchmarks.md (prose stays)."""
    current = doc.read_text(encoding="utf-8") if doc.exists() else f"{BEGIN}\n{END}\n"
    before, _, rest = current.partition(BEGIN)
    _, _, after = rest.partition(END)
    doc.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}", encoding="utf-8")
