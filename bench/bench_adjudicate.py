"""``qualcode adjudicate`` over 100,000 disagreements, in fresh processes, against a naive loop.

Run:  .venv/bin/python bench/bench_adjudicate.py                       (100,000 disagreements)
      .venv/bin/python bench/bench_adjudicate.py --disagreements 20000 (quicker)
      .venv/bin/python bench/bench_adjudicate.py --runs 3 --against ../old  (same run, two versions)

Generates (once, cached under bench/out/) the documents, cases and codebook of
``bench_matrix.py`` (200 cases x 1,000 turns, 20 themes x 24 codes) and two coders, li and
wang, who both code N segments: both apply one code (an agreement) and one of them, in turn,
applies a second code the other does not (a disagreement). Then, on a fresh copy each time:

- ``qualcode adjudicate --coders li,wang --list open.csv`` (fresh process: wall, CPU, peak RSS);
- the CSV filled in (keep and drop in turn; not timed), then ``qualcode adjudicate --coders
  li,wang --decisions decided.csv`` (fresh process), the issue's figure (target under 5 s):
  N decisions and N / 2 consensus codings in one journaled transaction;
- on a fresh copy, the same with ``--keep-agreed``: N more decisions (the agreements) and
  N more consensus codings;
- ``qualcode undo`` of that adjudication (fresh process);
- a naive way to the same decisions: each row looked up and written in its own journaled
  transaction (as a script calling the store once per row would), on the first 2,000 rows,
  scaled to N (``--skip-naive`` leaves it out).

``--runs R`` repeats the two ``--decisions`` commands R times (each on a fresh copy) and gives
the median. ``--against DIR`` runs them with a second version too: ``DIR`` holds its
``qualcode`` package (a checkout, or ``git archive REV qualcode | tar -x -C DIR``), run by this
Python from that directory; the two alternate, and the ratio this/other of each pair's CPU
time is given, so a comparison holds on a machine whose speed drifts.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_matrix import generate

from qualcode.store.adjudications import Decision, Unit, UnitCoding, record_decisions
from qualcode.store.project import Project, now_utc, open_project


def insert_two_coders(project: Project, disagreements: int, seed: int = 17) -> None:
    """On ``disagreements`` random segments: li and wang both apply one code, and one of them
    (in turn) a second code the other does not."""
    rng = random.Random(seed)
    conn = project.conn
    segments = conn.execute("SELECT segment_id, start_char, end_char FROM segments").fetchall()
    codes = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE depth = 1")]
    created = now_utc()
    rows: list[tuple[Any, ...]] = []
    for number, (segment_id, start, end) in enumerate(rng.sample(segments, disagreements)):
        shared, own = rng.sample(codes, 2)
        for coder in ("li", "wang"):
            rows.append((segment_id, shared, coder, start, end, created))
        rows.append((segment_id, own, ("li", "wang")[number % 2], start, end, created))
    rows.sort()
    with project.transaction():
        conn.executemany(
            "INSERT INTO codings (segment_id, code_id, coder, origin, start_char, end_char, "
            "created_at) VALUES (?, ?, ?, 'manual', ?, ?, ?)",
            rows,
        )
    conn.execute("ANALYZE")


def project_path(out: Path, disagreements: int) -> Path:
    path = out / f"adjudicate_{disagreements}.db"
    marker = path.with_suffix(".done")
    if not marker.exists():
        started = time.perf_counter()
        generate(path, 0)
        with open_project(path) as project:
            insert_two_coders(project, disagreements)
        marker.write_text("ok")
        print(f"generated {path.name}: {disagreements:,} disagreements in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return path


def measured(arguments: list[str], source: Path | None = None) -> tuple[float, float, float, str]:
    """Run ``python -m qualcode ARGUMENTS`` in a fresh process (``source``: the ``qualcode``
    package of that directory); return wall seconds, its CPU seconds (user + system), peak
    RSS in MiB and its stderr."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "started = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - started\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, done.returncode)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "qualcode", *arguments],
        check=True, capture_output=True, text=True, cwd=source,
    )  # fmt: skip
    wall, cpu, rss, status = result.stdout.split()
    if int(status) != 0:
        raise SystemExit(f"qualcode {' '.join(arguments)} failed: {result.stderr}")
    return float(wall), float(cpu), int(rss) / 1024, result.stderr.strip()


def fill(listing: Path, decided: Path) -> int:
    rows = list(csv.DictReader(io.StringIO(listing.read_text(encoding="utf-8-sig"))))
    for number, row in enumerate(rows):
        row["decision"] = "keep" if number % 2 == 0 else "drop"
    with decided.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def naive_per_row(path: Path, decided: Path, rows: int) -> float:
    """Seconds per decision when each row is looked up and written in its own transaction."""
    records = list(csv.DictReader(io.StringIO(decided.read_text(encoding="utf-8"))))[:rows]
    with open_project(path) as project:
        started = time.perf_counter()
        for record in records:
            key = (int(record["segment_id"]), record["code"])
            unit = _lookup(project, key)
            decision = Decision(key[0], key[1], record["decision"] == "keep")
            record_decisions(project, ("li", "wang"), [(unit, decision)],
                             consensus="consensus", decided_by="bench")  # fmt: skip
        return (time.perf_counter() - started) / len(records)


def _lookup(project: Project, key: tuple[int, str]) -> Unit:
    """One unit, read for one row (the naive way reads per row, not once)."""
    codings = project.conn.execute(
        "SELECT coder, start_char, end_char, memo FROM codings WHERE segment_id = ? "
        "AND code_id = ? AND coder IN ('li', 'wang') AND superseded_by_run IS NULL",
        key,
    ).fetchall()
    applied = tuple(sorted({row[0] for row in codings}))
    missing = tuple(name for name in ("li", "wang") if name not in applied)
    spans = tuple(UnitCoding(*row) for row in codings)
    return Unit(key[0], key[1], applied, missing, spans)


def compare_decisions(
    source: Path, work: Path, arguments: list[str], runs: int, against: Path | None
) -> None:
    """``qualcode ARGUMENTS`` ``runs`` times on fresh copies of ``source`` (and with the
    version in ``against``, alternating); medians, and the CPU ratios pair by pair."""
    versions: list[tuple[str, Path | None]] = [("this", None)]
    if against is not None:
        versions.append(("other", against))
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in versions}
    for number in range(runs):
        for name, where in versions if number % 2 == 0 else versions[::-1]:
            shutil.copy(source, work)
            wall, cpu, rss, said = measured(arguments, where)
            figures[name].append((wall, cpu, rss))
            print(f"  run {number + 1} {name:5}: {wall:6.2f} s wall, {cpu:5.2f} s CPU, "
                  f"peak RSS {rss:4.0f} MiB, load {os.getloadavg()[0]:.1f} ({said})")  # fmt: skip
    for name, _ in versions:
        walls, cpus, rsss = zip(*figures[name], strict=True)
        print(f"  {name:5} median of {runs}: {statistics.median(walls):.2f} s wall, "
              f"{statistics.median(cpus):.2f} s CPU (min {min(cpus):.2f}, max {max(cpus):.2f}), "
              f"{statistics.median(rsss):.0f} MiB")  # fmt: skip
    if against is not None:
        ratios = [a[1] / b[1] for a, b in zip(figures["this"], figures["other"], strict=True)]
        print(f"  CPU this/other, pair by pair: {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"median {statistics.median(ratios):.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--disagreements", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--runs", type=int, default=1, help="runs of each --decisions command")
    parser.add_argument("--against", type=Path, help="a directory with another qualcode package")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive loop")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    out = arguments.out.resolve()
    against = arguments.against.resolve() if arguments.against else None
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
          "(wall times rise with load; CPU times are the measured process's own)")  # fmt: skip
    source = project_path(out, arguments.disagreements)
    work = out / "adjudicate_work.db"
    shutil.copy(source, work)
    listing, decided = out / "open.csv", out / "decided.csv"
    coders = ["--db", str(work), "adjudicate", "--coders", "li,wang"]
    wall, cpu, rss, said = measured([*coders, "--list", str(listing)])
    print(f"adjudicate --list:                      {wall:.2f} s wall, {cpu:.2f} s CPU, "
          f"peak RSS {rss:.0f} MiB ({said})")  # fmt: skip
    rows = fill(listing, decided)
    print(f"adjudicate --decisions ({rows:,} rows):")
    compare_decisions(source, work, [*coders, "--decisions", str(decided)], arguments.runs, against)
    print(f"adjudicate --decisions ({rows:,} rows) --keep-agreed:")
    compare_decisions(
        source, work, [*coders, "--decisions", str(decided), "--keep-agreed"], arguments.runs,
        against,
    )  # fmt: skip
    wall, cpu, rss, said = measured(["--db", str(work), "undo"])
    print(f"undo of the last:                       {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({said[:60]}...)")  # fmt: skip
    if not arguments.skip_naive:
        shutil.copy(source, work)
        sample = min(2_000, rows)
        per_row = naive_per_row(work, decided, sample)
        print(f"naive, one transaction per row ({sample:,} rows timed): "
              f"{per_row * 1000:.2f} ms/row, {per_row * rows:.0f} s for {rows:,} rows")  # fmt: skip
    work.unlink()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
