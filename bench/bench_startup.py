"""Start-up time of ``qualcode --help`` as a whole process, median of repeated runs.

Run:  .venv/bin/python bench/bench_startup.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    executable = shutil.which("qualcode") or sys.argv[0]
    runs = []
    for _ in range(21):
        started = time.perf_counter()
        subprocess.run([executable, "--help"], capture_output=True, check=True)
        runs.append(time.perf_counter() - started)
    print(
        f"qualcode --help: median {statistics.median(runs) * 1000:.0f} ms, "
        f"min {min(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms over {len(runs)} runs"
    )
    baseline = []
    for _ in range(21):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True)
        baseline.append(time.perf_counter() - started)
    print(f"bare python -c pass: median {statistics.median(baseline) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
