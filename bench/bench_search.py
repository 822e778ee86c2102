"""Search speed on a large project (run bench_import.py first to build it).

Run:  .venv/bin/python bench/bench_search.py --segments 1000000
Times ``qualcode.store.search`` (FTS5 trigram for queries of 3+ characters, instr scan below)
and the naive way: fetch every segment and test ``query in text`` in Python; then
``count_matches`` (the count under the terminal's first 50 lines), wall and CPU, on one
connection and split across threads, against a naive ``count(*)`` of ``instr`` in SQL. The
index is not written at import: the first search extends it within its budget.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from qualcode.store.project import open_project
from qualcode.store.search import search

QUERIES = ("卡", "网格", "网格员", "智慧社区平台", "volunteers", "WeChat group")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--project", type=Path, help="a project to copy instead of import_N.db")
    arguments = parser.parse_args()
    source = arguments.project or arguments.out / f"import_{arguments.segments}.db"
    db_path = arguments.out / f"search_{arguments.segments}.db"
    shutil.copyfile(source, db_path)

    with open_project(db_path) as project:
        for query in QUERIES:
            timings = []
            count = 0
            for _ in range(3):
                started = time.perf_counter()
                count = sum(1 for _hit in search(project, query))
                timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            first_page = sum(1 for _hit in search(project, query, limit=50))
            page_time = time.perf_counter() - started
            started = time.perf_counter()
            folded = query.casefold()
            naive = sum(
                1
                for (text,) in project.conn.execute("SELECT text FROM segments")
                if folded in text.casefold()
            )
            naive_time = time.perf_counter() - started
            print(
                f"{query!r:>16}: {count:>8,} hits, all {statistics.median(timings):.3f} s, "
                f"first {first_page} {page_time:.3f} s; naive scan {naive_time:.3f} s "
                f"({naive:,} hits)"
            )
    time_counts(db_path)


def time_counts(db_path: Path) -> None:
    """count_matches on one connection and across threads, and a naive SQL count."""
    import os

    from qualcode.store import search as search_module

    print(f"\ncounts (load average {os.getloadavg()[0]:.1f}): wall / CPU seconds, median of 5")
    with open_project(db_path) as project:
        for query in QUERIES:
            figures = []
            for threads in (1, search_module.PARALLEL_COUNT_THREADS):
                search_module.PARALLEL_COUNT_THREADS = threads
                walls, cpus = [], []
                for _ in range(5):
                    started, cpu = time.perf_counter(), time.process_time()
                    count = search_module.count_matches(project, query)
                    walls.append(time.perf_counter() - started)
                    cpus.append(time.process_time() - cpu)
                figures.append(f"{statistics.median(walls):.3f} / {statistics.median(cpus):.3f}")
            search_module.PARALLEL_COUNT_THREADS = 4
            started = time.perf_counter()
            (naive,) = project.conn.execute(
                "SELECT count(*) FROM segments WHERE instr(lower(text), lower(?)) > 0", (query,)
            ).fetchone()
            naive_time = time.perf_counter() - started
            print(
                f"{query!r:>16}: {count:>8,} segments; one connection {figures[0]}, "
                f"threads {figures[1]}; naive count(*) {naive_time:.3f} s ({naive:,})"
            )


if __name__ == "__main__":
    main()
