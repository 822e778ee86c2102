"""Start-up time of real ``qualcode`` commands on a small project, each as a whole process.

Run:  .venv/bin/python bench/bench_startup.py [--runs 11]
      .venv/bin/python bench/bench_startup.py --against-source ../other-checkout

A researcher runs dozens of small commands an hour (``segments``, ``code``, ``search``), so
what counts is the time from typing the command to its answer, start-up included. The project
is the shipped sample interviews (``transcripts/``) with the shipped codebook. Each command is
run as ``python -m qualcode ...`` ``--runs`` times; min, median and max wall milliseconds are
printed with the load average before the runs.

``--against-source DIR`` runs every command a second time with another qualcode source tree
first on ``PYTHONPATH`` (the same interpreter and libraries), alternating A B A B, on a
project of its own, and prints the median of the pairwise ratios, so that a comparison holds
while the machine's load drifts. Beside them: a bare interpreter (the floor) and what the CLI
would cost if it imported its heavy libraries at start-up (the naive way).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
EAGER_IMPORTS = "import spacy, jieba, sqlite_utils, openpyxl, matplotlib.pyplot, qualcode.cli"
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("matrix", "--help"),
    ("segments", "--format", "json"),
    ("segments",),
    ("search", "网格员", "--format", "json"),
    ("docs", "list"),
    ("info",),
    ("code", "3", "grid"),  # undone (untimed) after each run by 'uncode 3 grid'
)


class Qualcode:
    """One qualcode to time: this checkout, or another source tree on PYTHONPATH."""

    def __init__(self, source: Path | None, folder: Path) -> None:
        self.environment = dict(os.environ)
        if source is not None:
            self.environment["PYTHONPATH"] = str(source.resolve())
        self.folder = folder
        self.cpu: list[float] = []
        for command in (
            ("init",),
            ("import", str(REPOSITORY / "transcripts")),
            ("codebook", "load", str(REPOSITORY / "codebooks" / "community_governance.yml")),
        ):
            self.run(command)

    def run(self, arguments: tuple[str, ...]) -> float:
        """Run ``qualcode ARGUMENTS`` in the project folder; return its wall milliseconds.

        Its CPU milliseconds (user + system, from the children's rusage) go to ``self.cpu``:
        on a loaded machine they say more than wall time.
        """
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "qualcode", *arguments], capture_output=True, check=True,
            cwd=self.folder, env=self.environment,
        )  # fmt: skip
        elapsed = (time.perf_counter() - started) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(
            (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
        )
        if arguments[0] == "code":
            self.run(("uncode", *arguments[1:]))
            self.cpu.pop()
        return elapsed


def summary(times: list[float]) -> str:
    return f"min {min(times):.0f}, median {statistics.median(times):.0f}, max {max(times):.0f} ms"


def timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--against-source", type=Path, help="another qualcode source tree")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "a").mkdir()
        (Path(directory) / "b").mkdir()
        first = Qualcode(None, Path(directory) / "a")
        second = (
            Qualcode(arguments.against_source, Path(directory) / "b")
            if arguments.against_source
            else None
        )
        print(f"load average before: {os.getloadavg()[0]:.2f}; {arguments.runs} runs each")
        for command in COMMANDS:
            times_a, times_b = [], []
            first.cpu.clear()
            if second is not None:
                second.cpu.clear()
            compare = second
            for _ in range(arguments.runs):
                times_a.append(first.run(command))
                if compare is not None:
                    try:
                        times_b.append(compare.run(command))
                    except subprocess.CalledProcessError:
                        compare = None  # a command the other qualcode does not have
                        times_b = []
            line = (
                f"qualcode {' '.join(command)}: {summary(times_a)}; "
                f"CPU median {statistics.median(first.cpu):.0f} ms"
            )
            if second is not None and not times_b:
                line += "; against: (no such command)"
            elif second is not None:
                ratio = statistics.median(a / b for a, b in zip(times_a, times_b, strict=True))
                line += (
                    f"; against: {summary(times_b)}; CPU median "
                    f"{statistics.median(second.cpu):.0f} ms; median wall ratio {ratio:.2f}"
                )
            print(line)
    print(f"bare python -c pass: {summary(timed([sys.executable, '-c', 'pass'], arguments.runs))}")
    naive = timed([sys.executable, "-c", EAGER_IMPORTS], min(arguments.runs, 5))
    print(f"naive, heavy imports at start-up: {summary(naive)}")


if __name__ == "__main__":
    main()
