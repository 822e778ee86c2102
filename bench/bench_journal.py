"""What journaling costs an auto-coding run, and what undoing the run costs.

Run:  .venv/bin/python bench/bench_journal.py --segments 200000 --keywords 500

It builds (once, in ``bench/out``) a project of generated segments like ``bench_autocode.py``
does, then times ``run_autocode`` in apply mode, one fresh run at a time, with the project's
journal triggers set three ways:

- ``none``: the journal triggers dropped, so the run is a plain transaction (the cost before
  journaling existed);
- ``compact``: as shipped: the run is journaled as one ``run`` change (the triggers on
  ``codings`` and ``suggestions`` stay silent during runs);
- ``per-row``: the triggers on ``codings`` and ``suggestions`` record every row even during a
  run, i.e. one journal row per coding (the design the compact one replaced).

For the two journaled ways it also times ``qualcode undo`` of the run. Each way is measured
``--rounds`` times, alternating, and the best CPU time is reported (CPU rather than wall
time, so that other processes on the machine disturb the comparison less). The triggers are
restored as the migration made them before the script ends.

Figures (2026-11-26, 500 keywords, best by CPU time, on a shared 2-core machine under load,
so wall times are loose and left out):

    200,000 segments, 133,991 codings (best of 5)
    none      2.75 s (1.00x)                          0 journal rows
    compact   2.91 s (1.06x)  undo 0.29 s             3 journal rows
    per-row   3.33 s (1.21x)  undo 0.88 s       133,993 journal rows

    1,000,000 segments, 668,957 codings (best of 2)
    none     14.87 s (1.00x)                          0 journal rows
    compact  15.19 s (1.02x)  undo 1.57 s             3 journal rows
    per-row  23.68 s (1.59x)  undo 10.20 s      668,959 journal rows

Per row, journaling grows with the run (a fifth to three fifths more time, one journal row
and index entry per coding, an undo six times slower); compactly it costs the triggers' WHEN
check per row and three journal rows per run, which is why runs are journaled compactly.
"""

from __future__ import annotations

import random
import sqlite3
import time

from bench_autocode import generated_project, keyword_pool, load_generated_codebook, parse_arguments

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.store.journal import undo
from qualcode.store.migrations import JOURNALED_TABLES, RUN_ROW_TABLES, create_journal_triggers
from qualcode.store.project import Project

WAYS = ("none", "compact", "per-row")
_COMPACT_WHEN = "(SELECT compact_runs FROM journal_state WHERE entry_id IS NOT NULL) = 0"
_PER_ROW_WHEN = "(SELECT entry_id FROM journal_state) IS NOT NULL"


def set_triggers(conn: sqlite3.Connection, way: str) -> None:
    """Make the journal triggers record the way named (see the module docstring)."""
    from sqlite_utils import Database

    database = Database(conn)
    for table in JOURNALED_TABLES:
        create_journal_triggers(database, table)
    if way == "none":
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'journal_%'"
        ).fetchall():
            conn.execute(f"DROP TRIGGER {name}")
    elif way == "per-row":
        for table in RUN_ROW_TABLES:
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                "AND name LIKE 'journal_%'",
                (table,),
            ).fetchall():
                conn.execute(f"DROP TRIGGER {name}")
                conn.execute(sql.replace(_COMPACT_WHEN, _PER_ROW_WHEN))


def reset(conn: sqlite3.Connection) -> None:
    """No codings, runs or journal: every measured run starts from the same state."""
    for table in ("codings", "suggestions", "autocode_runs", "journal_changes", "journal_entries"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no checkpoint debt from the last way


Measure = tuple[float, float, int, int, float | None]


def measure(project: Project, way: str) -> Measure:
    """CPU and wall seconds of the run, codings and journal rows written, CPU seconds of undo."""
    conn = project.conn
    set_triggers(conn, way)
    reset(conn)
    started, started_cpu = time.perf_counter(), time.process_time()
    report = run_autocode(project, AutocodeOptions(run_by="bench"))
    cpu = time.process_time() - started_cpu
    elapsed = time.perf_counter() - started
    journal_rows = int(conn.execute("SELECT count(*) FROM journal_changes").fetchone()[0])
    undo_seconds = None
    if way == "per-row":
        # run_autocode still asks for a compact entry, which adds the 'run' change; per row,
        # the codings' own insert changes are what undo must replay.
        conn.execute("DELETE FROM journal_changes WHERE operation = 'run'")
        journal_rows -= 1
    if way != "none":
        started = time.process_time()
        undo(project)
        undo_seconds = time.process_time() - started
        assert conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 0
    return cpu, elapsed, report.codings, journal_rows, undo_seconds


def main() -> None:
    arguments = parse_arguments(__doc__, 200_000, rounds=3)
    db_path = arguments.out / f"journal_{arguments.segments}.db"
    with generated_project(db_path, arguments.segments) as project:
        codebook_path = arguments.out / f"journal_codebook_{arguments.keywords}.yml"
        keywords = keyword_pool(random.Random(5), arguments.keywords)
        load_generated_codebook(project, codebook_path, keywords)

        best: dict[str, Measure] = {}
        try:
            for _round in range(arguments.rounds):
                for way in WAYS:
                    result = measure(project, way)
                    if way not in best or result[0] < best[way][0]:
                        best[way] = result
        finally:
            set_triggers(project.conn, "compact")
            reset(project.conn)

    baseline = best["none"][0]
    print(f"run_autocode, apply, {arguments.segments} segments, best of {arguments.rounds} "
          "by CPU time:")  # fmt: skip
    for way in WAYS:
        cpu, wall, codings, journal_rows, undo_seconds = best[way]
        undone = "" if undo_seconds is None else f"; undo {undo_seconds:.2f} s CPU"
        print(f"  {way:8} {cpu:6.2f} s CPU ({cpu / baseline:.2f}x), {wall:6.2f} s wall; "
              f"{codings} codings, {journal_rows} journal rows{undone}")  # fmt: skip


if __name__ == "__main__":
    main()
