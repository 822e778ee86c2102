"""REFI-QDA export and import of a project with 1,000,000 codings (issue 14: each < 30 s, < 1 GB).

Run:  .venv/bin/python bench/bench_qdpx.py                      (1,000,000 codings)
      .venv/bin/python bench/bench_qdpx.py --codings 100000     (quicker)
      .venv/bin/python bench/bench_qdpx.py --codings 100000 --before /tmp/old
          (also runs the same steps with the code of another checkout, ``/tmp/old/qualcode``,
          for a same-run comparison)

The project is bench_matrix.py's generated one (cached under bench/out/): 200 cases with one
interview of 1,000 turns each, a codebook of 500 codes, N codings (70 % automatic, 30 % manual
by two coders). Each step is the command a user runs, in a fresh process, and reports its wall
time, CPU time (user + system) and peak RSS (from ``wait4``):

1. ``qualcode --db PROJECT export qdpx bench/out/qdpx_N.qdpx``;
2. ``qualcode --db NEW import qdpx bench/out/qdpx_N.qdpx`` into a new project (documents,
   codebook, cases, every coding, one transaction), and a check that the new project has as
   many current codings.

The load average (``os.getloadavg``) is printed before each step: the machine is shared, so
wall time is only comparable at low load; CPU time is the figure to compare across runs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench_matrix import project_path


def run_cli(arguments: list[str], code: Path | None) -> dict[str, float]:
    """Run ``qualcode ARGUMENTS`` in a fresh process; its wall, CPU seconds and peak MiB."""
    environment = dict(os.environ)
    if code is not None:
        environment["PYTHONPATH"] = str(code)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "qualcode", *arguments],
        env=environment,
        cwd=Path(__file__).resolve().parent / "out",  # not a folder holding qualcode/
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"qualcode {' '.join(arguments)} failed:\n{errors.decode()}")
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mib": round(usage.ru_maxrss / 1024),
        "load": round(load, 2),
    }


def current_codings(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT count(*) FROM codings WHERE superseded_by_run IS NULL")
        count: int = row.fetchone()[0]
    return count


def measure(source: Path, out: Path, codings: int, code: Path | None, label: str) -> None:
    archive = out / f"qdpx_{codings}_{label}.qdpx"
    archive.unlink(missing_ok=True)
    exported = run_cli(["--db", str(source), "export", "qdpx", str(archive)], code)
    size = archive.stat().st_size / 1024**2
    print(f"{label}: export {codings:,} codings: {exported} ({size:.0f} MiB archive)", flush=True)
    target = out / f"qdpx_back_{codings}_{label}.db"
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    imported = run_cli(["--db", str(target), "import", "qdpx", str(archive)], code)
    count = current_codings(target)
    print(f"{label}: import {codings:,} codings: {imported} ({count:,} current codings)")
    # The generator writes a few identical automatic codings (same segment, code and span);
    # the import keeps one of each, so the new project has as many as the source has distinct.
    expected = current_codings(source)
    if not expected * 0.99 <= count <= expected:
        raise SystemExit(f"imported {count} codings, the project has {expected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codings", type=int, default=1_000_000)
    parser.add_argument("--before", type=Path, help="a checkout whose qualcode/ to compare")
    arguments = parser.parse_args()
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    source = project_path(out, arguments.codings)
    if arguments.before is not None:
        measure(source, out, arguments.codings, arguments.before.resolve(), "before")
    measure(source, out, arguments.codings, None, "after" if arguments.before else "this")


if __name__ == "__main__":
    main()
