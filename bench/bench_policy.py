"""``--agreed 2`` matrices at a million codings, against a naive SQL ``GROUP BY`` in the same run.

Run:  .venv/bin/python bench/bench_policy.py                 (1,000,000 codings)
      .venv/bin/python bench/bench_policy.py --codings 200000 (quicker)

Generates (once, cached under bench/out/) the documents, cases and codebook of
``bench_matrix.py`` (200 cases x 1,000 turns, 20 themes x 24 codes) and N codings made the way
double coding makes them: for random (segment, code) pairs, each of three coders (li, wang,
zhao) and the auto-coder applies the code with probability 0.6, so most pairs have several
codings and every number of agreeing coders, 1 to 4, is common. That is the hard case for
``--agreed``: most pairs are candidates and their coders must be read.

Times, in the same run and process (median of 3, CPU seconds of this process beside them):

- ``build_matrix`` with every coding counting (the default policy), for reference;
- ``build_matrix`` with ``agreed=2`` plus writing the CSV, the issue's figure (target < 2 s);
- the same with ``--coder li --coder wang --agreed 2`` and ``--level code``;
- a naive way to the same ``agreed=2`` cells: one SQL query that groups the codings by
  (segment, code) with ``count(DISTINCT coder)``, joins back and counts distinct segments per
  (case, theme); checked to give the same cells.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from bench_matrix import CASES, THEMES, generate

from qualcode.analysis.matrix import Matrix, MatrixOptions, build_matrix
from qualcode.analysis.query import CodingFilter
from qualcode.exporting.matrix import export_matrix
from qualcode.exporting.tables import ExportFormat
from qualcode.store.project import Project, now_utc, open_project

CODERS = ("li", "wang", "zhao", "auto")


def insert_double_coding(project: Project, total: int, seed: int = 13) -> None:
    """``total`` codings (about) of random (segment, code) pairs, each coder applying the
    pair's code with probability 0.6; in segment order, as sessions and runs write them."""
    rng = random.Random(seed)
    conn = project.conn
    segments = conn.execute("SELECT segment_id, start_char, end_char FROM segments").fetchall()
    codes = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE depth = 1")]
    created = now_utc()
    rows: list[tuple[Any, ...]] = []
    seen: set[tuple[int, str]] = set()
    while len(rows) < total:
        segment_id, start, end = segments[rng.randrange(len(segments))]
        code = codes[rng.randrange(len(codes))]
        if (segment_id, code) in seen:
            continue
        seen.add((segment_id, code))
        for coder in CODERS:
            if rng.random() < 0.6:
                origin, run = ("auto", 1) if coder == "auto" else ("manual", None)
                rows.append((segment_id, code, coder, origin, run, start, end, created))
    rows.sort()
    with project.transaction():
        conn.executemany(
            "INSERT INTO codings (segment_id, code_id, coder, origin, run_id, start_char, "
            "end_char, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows[:total],
        )
    conn.execute("ANALYZE")


def project_path(out: Path, codings: int) -> Path:
    path = out / f"policy_{codings}.db"
    marker = path.with_suffix(".done")
    if not marker.exists():
        started = time.perf_counter()
        generate(path, 0)  # documents, cases, codebook and the auto-coding run, no codings
        with open_project(path) as project:
            insert_double_coding(project, codings)
        marker.write_text("ok")
        print(f"generated {path.name}: {codings:,} codings in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return path


def timed(function: Any, repeat: int = 3) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    return statistics.median(walls), statistics.median(cpus), result


def naive_agreed_cells(project: Project, needed: int) -> dict[tuple[str, str], int]:
    """The ``agreed`` cells by one plain SQL query: group, count distinct coders, join back."""
    return {
        (str(case), str(theme)): int(count)
        for case, theme, count in project.conn.execute(
            "WITH agreed AS (SELECT segment_id, code_id FROM codings "
            "WHERE superseded_by_run IS NULL GROUP BY segment_id, code_id "
            "HAVING count(DISTINCT iif(origin = 'auto', '', 'by ' || coder)) >= ?) "
            "SELECT k.name, co.theme_id, count(DISTINCT a.segment_id) FROM agreed a "
            "JOIN codes co ON co.code_id = a.code_id "
            "JOIN segments s ON s.segment_id = a.segment_id "
            "JOIN documents d ON d.document_id = s.document_id "
            "JOIN cases k ON k.case_id = d.case_id "
            "WHERE s.role IS NOT 'interviewer' GROUP BY k.name, co.theme_id",
            (needed,),
        )
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codings", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
          "(wall times rise with load; CPU times are this process's own)")  # fmt: skip
    path = project_path(arguments.out, arguments.codings)
    csv_path = arguments.out / "policy_matrix.csv"
    with open_project(path) as project:
        conn = project.conn
        codings = conn.execute("SELECT count(*) FROM codings").fetchone()[0]
        pairs = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE n >= 2) FROM (SELECT count(DISTINCT "
            "coder) AS n FROM codings GROUP BY segment_id, code_id)"
        ).fetchone()
        print(f"\n{codings:,} codings on {pairs[0]:,} (segment, code) pairs, {pairs[1]:,} of "
              f"them applied by 2 coders or more; {CASES} cases x {THEMES} themes")  # fmt: skip

        def agreed_to_csv() -> Matrix:
            matrix = build_matrix(project, MatrixOptions(filters=CodingFilter(agreed=2)))
            export_matrix(matrix, ExportFormat.csv, csv_path)
            return matrix

        wall, cpu, _ = timed(lambda: build_matrix(project, MatrixOptions()))
        print(f"build_matrix, every coding counts:        {wall:.3f} s wall, {cpu:.3f} s CPU")
        wall, cpu, matrix = timed(agreed_to_csv)
        print(f"build_matrix --agreed 2 + CSV:            {wall:.3f} s wall, {cpu:.3f} s CPU")
        both = MatrixOptions(filters=CodingFilter(coders=("li", "wang"), agreed=2))
        wall, cpu, _ = timed(lambda: build_matrix(project, both), repeat=1)
        print(f"build_matrix --coder li,wang --agreed 2:  {wall:.3f} s wall, {cpu:.3f} s CPU")
        code_level = MatrixOptions(level="code", filters=CodingFilter(agreed=2))
        wall, cpu, _ = timed(lambda: build_matrix(project, code_level), repeat=1)
        print(f"build_matrix --agreed 2 --level code:     {wall:.3f} s wall, {cpu:.3f} s CPU")
        wall, cpu, naive = timed(lambda: naive_agreed_cells(project, 2), repeat=1)
        for i, case_name in enumerate(matrix.row_labels):
            for j, theme in enumerate(matrix.column_ids):
                assert matrix.cells[i][j] == naive.get((case_name, theme), 0), (case_name, theme)
        print(f"naive SQL GROUP BY + count(DISTINCT coder), same cells: "
              f"{wall:.3f} s wall, {cpu:.3f} s CPU")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
