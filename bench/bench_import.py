"""Import speed and peak memory: generated transcripts into a fresh project.

Run:  .venv/bin/python bench/bench_import.py --segments 1000000
It writes the data under bench/out/ (ignored by git), imports it with the library (the same
code path as ``qualcode import``), and compares with the naive way, one INSERT and one COMMIT
per segment, measured on a subset in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from generate import write_transcripts

from qualcode.flows.importing import ImportOptions, import_paths, prepare_document
from qualcode.store.project import open_project


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_worker_rss_mb() -> float:
    """The largest peak RSS of a finished worker process (documents are prepared in workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def naive_import(folder: Path, limit_segments: int) -> tuple[int, float]:
    """Per-segment INSERT + COMMIT, the way a straightforward loop writes; stops at a limit."""
    db_path = Path(tempfile.mkdtemp()) / "naive.db"
    with open_project(db_path, create=True) as project:
        conn = project.conn
        conn.execute("INSERT INTO cases (name, created_at) VALUES ('naive', '')")
        stored = 0
        started = time.perf_counter()
        for number, path in enumerate(sorted(folder.glob("*.txt"))):
            document = prepare_document(path, ImportOptions())
            conn.execute(
                "INSERT INTO documents (name, case_id, content_hash, text, encoding, language,"
                " source_format, unit, imported_at) VALUES (?, 1, ?, ?, '', '', '', 'turn', '')",
                (path.name, str(number), document.text),
            )
            document_id = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
            for segment in document.segments:
                conn.execute(
                    "INSERT INTO segments (document_id, ordinal, speaker, role, start_char, "
                    "end_char, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (document_id, segment.ordinal, segment.speaker, segment.role,
                     segment.start_char, segment.end_char,
                     document.text[segment.start_char : segment.end_char]),
                )  # fmt: skip
                stored += 1
                if stored >= limit_segments:
                    return stored, time.perf_counter() - started
    return stored, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--turns-per-file", type=int, default=2_000)
    parser.add_argument("--naive-segments", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    arguments = parser.parse_args()

    files = arguments.segments // arguments.turns_per_file
    folder = arguments.out / f"transcripts_{arguments.segments}"
    if not folder.exists():
        started = time.perf_counter()
        write_transcripts(folder, files=files, turns_per_file=arguments.turns_per_file)
        print(f"generated {files} files in {time.perf_counter() - started:.1f} s")
    db_path = arguments.out / f"import_{arguments.segments}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    with open_project(db_path, create=True) as project:
        outcomes = import_paths(project, [folder], ImportOptions())
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    workers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    segments = sum(outcome.segments for outcome in outcomes)
    assert all(outcome.status == "added" for outcome in outcomes)
    print(
        f"qualcode import: {segments:,} segments in {elapsed:.2f} s = "
        f"{segments / elapsed:,.0f} segments/s (read, detect turns, segment, store)"
    )
    importer_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    print(
        f"CPU: importing process {importer_cpu:.2f} s, workers "
        f"{workers_cpu.ru_utime + workers_cpu.ru_stime:.2f} s; "
        f"load average before {load_before:.2f}"
    )
    print(
        f"peak RSS: {peak_rss_mb():.0f} MB (importing process), "
        f"{peak_worker_rss_mb():.0f} MB (largest worker); "
        f"database {db_path.stat().st_size / 1e6:.0f} MB"
    )

    # The search index is written at import, in the same transactions as the segments. Its
    # share: rebuilding it from all segments in one statement, against the whole import.
    conn = sqlite3.connect(db_path)
    indexed = conn.execute("SELECT count(*) FROM segments_fts_docsize").fetchone()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    conn.execute("INSERT INTO segments_fts (segments_fts) VALUES ('rebuild')")
    conn.commit()
    index_time = time.perf_counter() - started
    index_cpu = time.process_time() - cpu_started
    without_index = elapsed - index_time
    print(
        f"search index ({indexed:,} segments indexed at import): rebuilt alone in "
        f"{index_time:.2f} s, {index_time / without_index:.0%} on top of the "
        f"{without_index:.2f} s the import takes without it; CPU {index_cpu:.2f} s, "
        f"{index_cpu / (importer_cpu - index_cpu):.0%} of the importing process's CPU without it"
    )
    conn.close()

    naive_count, naive_elapsed = naive_import(folder, arguments.naive_segments)
    naive_rate = naive_count / naive_elapsed
    print(
        f"naive (INSERT + COMMIT per segment), {naive_count:,} segments: "
        f"{naive_elapsed:.2f} s = {naive_rate:,.0f} segments/s"
    )
    print(f"speed-up: {segments / elapsed / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
