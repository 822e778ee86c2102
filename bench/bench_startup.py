"""Start-up time of real ``qualcode`` commands on a small project, each as a whole process.

Run:  .venv/bin/python bench/bench_startup.py [--runs 11]

A researcher runs dozens of small commands an hour (``segments``, ``code``, ``search``), so
what counts is the time from typing the command to its answer, start-up included. The project
is the shipped sample interviews (``transcripts/``) with the shipped codebook. Each command is
timed ``--runs`` times; min, median and max are printed with the load average before the runs.

Compared with a bare interpreter (the floor) and with what the CLI would cost if it imported
its heavy libraries (spaCy, jieba, sqlite-utils, openpyxl, matplotlib) at start-up instead of
inside the commands that use them (the naive way).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
EAGER_IMPORTS = "import spacy, jieba, sqlite_utils, openpyxl, matplotlib.pyplot, qualcode.cli"


def timings_ms(command: list[str], runs: int, cwd: Path) -> tuple[float, float, float]:
    """Min, median and max wall time of ``command`` over ``runs`` runs, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=cwd)
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times), max(times)


def small_project(executable: str, folder: Path) -> None:
    """The shipped samples imported and the shipped codebook loaded, in ``folder/qualcode.db``."""
    for command in (
        ["init"],
        ["import", str(REPOSITORY / "transcripts")],
        ["codebook", "load", str(REPOSITORY / "codebooks" / "community_governance.yml")],
    ):
        subprocess.run([executable, *command], capture_output=True, check=True, cwd=folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    executable = str(Path(sys.executable).with_name("qualcode"))
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        small_project(executable, folder)
        commands: list[tuple[str, list[str]]] = [
            ("qualcode --help", [executable, "--help"]),
            ("qualcode matrix --help", [executable, "matrix", "--help"]),
            ("qualcode segments --format json", [executable, "segments", "--format", "json"]),
            ("qualcode segments (table)", [executable, "segments"]),
            ("qualcode search 网格", [executable, "search", "网格"]),
            ("qualcode docs list", [executable, "docs", "list"]),
            ("qualcode code 3 grid (then uncode)", [executable, "code", "3", "grid"]),
            ("bare python -c pass", [sys.executable, "-c", "pass"]),
            ("naive: heavy imports at start-up", [sys.executable, "-c", EAGER_IMPORTS]),
        ]
        print(f"load average before: {os.getloadavg()[0]:.2f}; {runs} runs each")
        for label, command in commands:
            if command[1:2] == ["code"]:
                uncode = [executable, "uncode", *command[2:]]
                low, median, high = timings_ms_toggle(command, uncode, runs, folder)
            else:
                low, median, high = timings_ms(command, runs, folder)
            print(f"{label}: min {low:.0f} ms, median {median:.0f} ms, max {high:.0f} ms")


def timings_ms_toggle(
    command: list[str], undo: list[str], runs: int, cwd: Path
) -> tuple[float, float, float]:
    """Like :func:`timings_ms` for a write: ``undo`` (untimed) puts the project back each time."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=cwd)
        times.append((time.perf_counter() - started) * 1000)
        subprocess.run(undo, capture_output=True, check=True, cwd=cwd)
    return min(times), statistics.median(times), max(times)


if __name__ == "__main__":
    main()
