"""Replay CPU of this checkout against another, in alternated pairs.

``python -m bench.pairs OTHER [--records 1000] [--pairs 10]`` replays the
bench WARC of ``--records`` articles in this checkout and in ``OTHER`` (a
``git worktree`` of another commit, say) one after the other, ``--pairs``
times, the order alternating, and prints each pair's engine CPU (bench.cpu)
and the median of the ratios. On a shared machine a change of a few percent
is lost in the swings between ``make bench`` runs (replay and ceiling rates
of one commit moved by 15% from one run to the next); within a pair, both
crawls see nearly the same machine.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench import measure
from bench.__main__ import inputs


def pair_ratios(here: Path, other: Path, warc: Path, pairs: int, work: Path) -> list[tuple[float, float]]:
    """(this checkout's, the other's) engine CPU seconds, pair by pair."""
    results = []
    for number in range(pairs):
        order = [(here, "here"), (other, "other")]
        if number % 2:
            order.reverse()  # neither side always runs first
        cpu = {}
        for root, label in order:
            run = measure.crawl(work, {"replay": str(warc)}, {"REPORT_ENABLED": "False"},
                                f"pair-{number}-{label}", root=root)
            if run.returncode != 0 or not run.items_written:
                raise SystemExit(f"the crawl in {root} failed (exit {run.returncode})")
            cpu[label] = run.engine_cpu
        results.append((cpu["here"], cpu["other"]))
        print(f"pair {number + 1}: here {cpu['here']:.2f} s, other {cpu['other']:.2f} s, "
              f"ratio {cpu['here'] / cpu['other']:.3f}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="another checkout of the project")
    parser.add_argument("--records", type=int, default=1_000)
    parser.add_argument("--pairs", type=int, default=10)
    arguments = parser.parse_args()
    warc, _ = inputs(arguments.records)
    with tempfile.TemporaryDirectory() as scratch:
        results = pair_ratios(measure.ROOT, arguments.other.resolve(), warc.resolve(),
                              arguments.pairs, Path(scratch))
    ratios = sorted(here / other for here, other in results)
    print(f"median ratio here/other {statistics.median(ratios):.3f} "
          f"(pairs {ratios[0]:.3f}-{ratios[-1]:.3f}); medians {statistics.median(r[0] for r in results):.2f} s "
          f"here, {statistics.median(r[1] for r in results):.2f} s other")


if __name__ == "__main__":
    main()
