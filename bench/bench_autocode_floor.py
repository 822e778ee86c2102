"""The least any auto-coder could spend on the auto-coding benchmark, next to the naive loop.

Run:  .venv/bin/python bench/bench_autocode_floor.py --segments 1000000 --keywords 500
(after bench_autocode.py, which builds the project and leaves its run's codings in it).

Issue 4 asks for a run at least 10x faster than a per-keyword loop. This script measures
what every implementation storing one row per coding must do, each part the cheapest way
available here, with no Python per segment or per coding where SQLite can do the work, and
overlapped as the real code can overlap them (issue 16 item 6):

1. reading the respondent segments' texts and matching them: normalising (our numpy-based
   ``normalise_many``) and one raw leftmost-longest Aho-Corasick pass, with no whole-word
   checks, exclusions or offset mapping. As in a real run, worker processes
   (``qualcode.parallel``, as many as a run starts) each read their ranges of segment ids
   through their own connection and match them, while the main process is free; timed as
   one phase (wall and CPU of all processes);
2. writing the run's codings with ``INSERT ... SELECT`` from a copy already inside SQLite
   (no per-row binding from Python), with foreign keys off (checked once after, as a run
   does), the secondary indexes and triggers dropped and rebuilt as a large run does, and
   committed (the same rows are written back: the next bench_autocode.py run deletes them
   anyway). This cannot start before the last hit is known, so it follows phase 1.

Their sum is a lower bound for the wall time of a run on this machine; the parts done one
after another in one process (read, match, write) are printed too. The naive loop's time
divided by 10 is the budget.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable
from typing import TypeVar

import ahocorasick_rs
from bench_autocode import SEGMENTS_PER_DOCUMENT, keyword_pool, naive_autocode, parse_arguments

from qualcode.autocode.normalise import normalise, normalise_many
from qualcode.parallel import ordered_map, worker_count
from qualcode.store.project import Project, open_project
from qualcode.store.runs import SegmentReader, bulk_write, last_segment_id, segment_ranges

Result = TypeVar("Result")

#: As in qualcode.autocode.matching: texts are searched in chunks of about this many characters.
CHUNK_CHARACTERS = 262_144


def timed(label: str, work: Callable[[], Result]) -> tuple[Result, float]:
    """Run ``work`` in this process; print its wall and CPU seconds; return its result and
    wall seconds."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = work()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.2f} s wall, {time.process_time() - started_cpu:.2f} s CPU")
    return result, elapsed


def read_texts(project: Project) -> list[str]:
    rows = project.conn.execute(
        "SELECT segment_id, text FROM segments WHERE role IS NOT 'interviewer'"
    ).fetchall()
    return [text for _segment_id, text in rows]


def automaton_for(keywords: list[str]) -> ahocorasick_rs.AhoCorasick:
    return ahocorasick_rs.AhoCorasick(
        sorted({normalise(keyword) for keyword in keywords}),
        matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
    )


def search_all(texts: list[str], automaton: ahocorasick_rs.AhoCorasick) -> int:
    """Normalise in chunks and run one leftmost-longest automaton pass per chunk; count hits."""
    hits = 0
    chunk: list[str] = []
    size = 0
    for text in [*texts, None]:
        if text is not None:
            chunk.append(text)
            size += len(text) + 1
        if chunk and (text is None or size >= CHUNK_CHARACTERS):
            hits += len(automaton.find_matches_as_indexes(normalise_many(chunk).text))
            chunk, size = [], 0
    return hits


#: A worker's automaton and segment reader, built once by :func:`set_up_worker`.
_worker: tuple[ahocorasick_rs.AhoCorasick, SegmentReader] | None = None


def set_up_worker(keywords: list[str], db_path: str) -> None:
    global _worker
    _worker = (automaton_for(keywords), SegmentReader(db_path, ["respondent"], 30.0))


def read_and_search(segment_range: tuple[int, int]) -> int:
    """In a worker: read one range of respondent texts and count its raw automaton hits."""
    assert _worker is not None
    automaton, reader = _worker
    return search_all([row[3] for row in reader(segment_range)], automaton)


def cpu_seconds() -> float:
    """CPU (user + system) of this process and of its finished workers so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def overlapped_matching(project: Project, keywords: list[str]) -> tuple[int, float]:
    """Phase 1 as a run does it: workers read and match ranges; wall seconds and hits."""
    workers = worker_count()
    through = last_segment_id(project)
    started, started_cpu = time.perf_counter(), cpu_seconds()
    if workers < 1:
        set_up_worker(keywords, str(project.path))
        hits = sum(map(read_and_search, segment_ranges(0, through)))
    else:
        hits = sum(
            ordered_map(
                read_and_search, segment_ranges(0, through), workers=workers,
                setup=set_up_worker, setup_args=(keywords, str(project.path)),
            )
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(
        f"  phase 1, read and match in {max(workers, 1)} worker(s) (each its own connection): "
        f"{elapsed:.2f} s wall, {cpu_seconds() - started_cpu:.2f} s CPU"
    )
    return hits, elapsed


CODING_COLUMNS = (
    "segment_id, code_id, coder, origin, run_id, rule_kind, rule, start_char, end_char, created_at"
)


def write_codings(project: Project) -> float:
    """Seconds to write the run's codings again from a copy inside SQLite, and commit.

    Copying them aside and deleting them first is not timed.
    """
    conn = project.conn
    conn.execute(f"CREATE TEMP TABLE staged AS SELECT {CODING_COLUMNS} FROM codings")
    with project.transaction():
        conn.execute("DELETE FROM codings")
    started, started_cpu = time.perf_counter(), time.process_time()
    conn.execute("PRAGMA foreign_keys = OFF")  # as a large run writes (checked once after)
    try:
        with project.transaction(), bulk_write(conn, "codings", enabled=True):
            conn.execute(f"INSERT INTO codings ({CODING_COLUMNS}) SELECT * FROM temp.staged")
            conn.execute("SELECT * FROM pragma_foreign_key_check('autocode_runs')").fetchall()
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    elapsed = time.perf_counter() - started
    conn.execute("DROP TABLE temp.staged")
    print(
        "  phase 2, write the codings from inside SQLite (foreign keys off), rebuild indexes, "
        f"commit: {elapsed:.2f} s wall, {time.process_time() - started_cpu:.2f} s CPU"
    )
    return elapsed


def main() -> None:
    arguments = parse_arguments(__doc__, 1_000_000, naive_segments=50_000)
    db_path = arguments.out / f"autocode_{arguments.segments}.db"
    if not db_path.exists():
        raise SystemExit(f"{db_path} is missing: run bench/bench_autocode.py first")
    keywords = keyword_pool(random.Random(5), arguments.keywords)
    with open_project(db_path) as project:
        codings = project.conn.execute("SELECT count(*) FROM codings").fetchone()[0]
        print(f"floor for {arguments.segments:,} segments ({SEGMENTS_PER_DOCUMENT} per document), "
              f"{len(keywords)} keywords, {codings:,} codings:")  # fmt: skip
        texts, read = timed("serial: read respondent texts", lambda: read_texts(project))
        automaton = automaton_for(keywords)
        _, search = timed(
            "serial: normalise + one automaton pass", lambda: search_all(texts, automaton)
        )
        hits, matching = overlapped_matching(project, keywords)
        write = write_codings(project)
        floor = matching + write
        serial = read + search + write
        print(f"  floor, phase 1 then phase 2: {floor:.2f} s ({hits:,} raw automaton hits); "
              f"the parts one after another in one process: {serial:.2f} s")  # fmt: skip
        count, _naive_hits, naive = naive_autocode(project, keywords, arguments.naive_segments)
    projected = naive / count * len(texts)
    budget = projected / 10
    print(f"naive per-keyword loop: {projected:.1f} s projected for {len(texts):,} segments; "
          f"10x budget {budget:.2f} s; floor / budget = {floor / budget:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
