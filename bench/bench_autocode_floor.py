"""The least any auto-coder could spend on the auto-coding benchmark, next to the naive loop.

Run:  .venv/bin/python bench/bench_autocode_floor.py --segments 1000000 --keywords 500
(after bench_autocode.py, which builds the project and leaves its run's codings in it).

Issue 4 asks for a run at least 10x faster than a per-keyword loop. This script measures
three costs that every implementation storing one row per coding must pay, each by the
cheapest way available here, with no Python per segment or per coding where SQLite can do
the work:

1. reading the respondent segments' texts (one ``fetchall``);
2. normalising them (our numpy-based ``normalise_many``) and one raw leftmost-longest
   Aho-Corasick pass over all of them, with no whole-word checks, exclusions or offset
   mapping;
3. writing the run's codings with ``INSERT ... SELECT`` from a copy already inside SQLite
   (no per-row binding from Python), with the secondary indexes and triggers dropped and
   rebuilt as a large run does, and committed (the same rows are written back: the next
   bench_autocode.py run deletes them anyway).

Their sum is a lower bound; the naive loop's time divided by 10 is the budget.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import ahocorasick_rs
from bench_autocode import SEGMENTS_PER_DOCUMENT, keyword_pool, naive_autocode, parse_arguments

from qualcode.autocode.normalise import normalise, normalise_many
from qualcode.store.project import Project, open_project
from qualcode.store.runs import bulk_write

Result = TypeVar("Result")

#: As in qualcode.autocode.matching: texts are searched in chunks of about this many characters.
CHUNK_CHARACTERS = 262_144


def timed(label: str, work: Callable[[], Result]) -> tuple[Result, float]:
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.2f} s")
    return result, elapsed


def read_texts(project: Project) -> list[str]:
    rows = project.conn.execute(
        "SELECT segment_id, text FROM segments WHERE role IS NOT 'interviewer'"
    ).fetchall()
    return [text for _segment_id, text in rows]


def search_all(texts: list[str], keywords: list[str]) -> int:
    """Normalise in chunks and run one leftmost-longest automaton pass per chunk; count hits."""
    automaton = ahocorasick_rs.AhoCorasick(
        sorted({normalise(keyword) for keyword in keywords}),
        matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
    )
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
    started = time.perf_counter()
    with project.transaction(), bulk_write(conn, "codings", enabled=True):
        conn.execute(f"INSERT INTO codings ({CODING_COLUMNS}) SELECT * FROM temp.staged")
    elapsed = time.perf_counter() - started
    conn.execute("DROP TABLE temp.staged")
    print(f"  write the codings from inside SQLite, rebuild indexes, commit: {elapsed:.2f} s")
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
        texts, read = timed("read respondent texts", lambda: read_texts(project))
        hits, search = timed("normalise + one automaton pass", lambda: search_all(texts, keywords))
        write = write_codings(project)
        floor = read + search + write
        print(f"  floor: {floor:.2f} s ({hits:,} raw automaton hits)")
        count, _naive_hits, naive = naive_autocode(project, keywords, arguments.naive_segments)
    projected = naive / count * len(texts)
    budget = projected / 10
    print(f"naive per-keyword loop: {projected:.1f} s projected for {len(texts):,} segments; "
          f"10x budget {budget:.2f} s; floor / budget = {floor / budget:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
