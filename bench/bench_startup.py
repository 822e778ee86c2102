"""Start-up time of ``qualcode --help`` as a whole process, median of repeated runs.

Run:  .venv/bin/python bench/bench_startup.py

Compared in the same run with a bare interpreter (the floor) and with what the CLI would cost
if it imported its heavy libraries (spaCy, jieba, sqlite-utils, openpyxl, matplotlib) at
start-up instead of inside the commands that use them (the naive way).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 21
EAGER_IMPORTS = "import spacy, jieba, sqlite_utils, openpyxl, matplotlib.pyplot, qualcode.cli"


def median_ms(command: list[str]) -> tuple[float, float, float]:
    """Median, min and max wall time of ``command`` over ``RUNS`` runs, in milliseconds."""
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), min(runs), max(runs)


def main() -> None:
    executable = str(Path(sys.executable).with_name("qualcode"))
    for label, command in (
        ("qualcode --help", [executable, "--help"]),
        ("bare python -c pass", [sys.executable, "-c", "pass"]),
        ("naive: heavy imports at start-up", [sys.executable, "-c", EAGER_IMPORTS]),
    ):
        median, low, high = median_ms(command)
        print(f"{label}: median {median:.0f} ms (min {low:.0f}, max {high:.0f}, {RUNS} runs)")


if __name__ == "__main__":
    main()
