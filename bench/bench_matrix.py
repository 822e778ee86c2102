"""Theme matrix and quotes on a large generated project.

Run:  .venv/bin/python bench/bench_matrix.py            (1,000,000 and 100,000 codings)
      .venv/bin/python bench/bench_matrix.py --codings 200000 --small 20000   (quicker)

Generates (once, cached under bench/out/) a project of 200 cases with one interview each,
1,000 segments per interview (text from bench/generate.py), a codebook of 20 themes x 24 codes
(500 codes) and N codings (70 % automatic, 30 % manual by two coders, all on whole segments).
Then it times, in the same run:

- ``build_matrix`` (cases x themes, distinct segments) plus writing the CSV, median of 3;
  other measures and ``--level code`` (480 columns) for reference;
- two naive ways to get the same cells: a Python loop over every coding row (sets of segment
  ids per cell), and one ``COUNT(DISTINCT ...)`` query per cell (a sample of cells, scaled up);
  both are checked to give the same numbers as ``build_matrix``;
- ``qualcode quotes --format csv -o FILE`` in a fresh process at two project sizes, with its
  peak RSS, against a naive export that fetches every row into a list first.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from generate import make_turn_text

from qualcode.analysis.matrix import MatrixOptions, build_matrix
from qualcode.analysis.query import CodingFilter
from qualcode.exporting.matrix import export_matrix
from qualcode.exporting.tables import ExportFormat
from qualcode.models import Role, Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project, now_utc, open_project

INTERVIEWER: Role = "interviewer"
RESPONDENT: Role = "respondent"

CASES = 200
SEGMENTS_PER_CASE = 1_000
THEMES = 20
CODES_PER_THEME = 24
DISTRICTS = ("梁溪区", "滨湖区", "新吴区", "锡山区")


def codebook_yaml() -> str:
    lines = ["name: bench", "codes:"]
    for theme in range(THEMES):
        lines += [f"  - id: theme{theme:02d}", f"    name: 主题{theme:02d}", "    codes:"]
        for code in range(CODES_PER_THEME):
            lines += [f"      - id: code{code:02d}", f"        name: 代码{theme:02d}-{code:02d}"]
    return "\n".join(lines) + "\n"


def generate(path: Path, codings: int, seed: int = 11) -> None:
    """Write the project at ``path`` (cases, documents, codebook, ``codings`` codings)."""
    rng = random.Random(seed)
    path.unlink(missing_ok=True)
    with open_project(path, create=True) as project:
        for number in range(CASES):
            text_parts: list[str] = []
            segments = []
            offset = 0
            for ordinal in range(SEGMENTS_PER_CASE):
                speaker, role = (
                    ("采访者", INTERVIEWER) if ordinal % 4 == 0 else ("受访者", RESPONDENT)
                )
                turn = make_turn_text(rng)
                start = offset + len(speaker) + 1
                text_parts.append(f"{speaker}：{turn}\n")
                offset += len(speaker) + 1 + len(turn) + 1
                segments.append(Segment(ordinal, start, start + len(turn), speaker, role))
            document = PreparedDocument(
                name=f"interview_{number:03d}.txt", source_path="generated",
                text="".join(text_parts), encoding="utf-8", source_format="txt",
                language="zh", unit="turn", segments=segments,
            )  # fmt: skip
            store_document(
                project, document, case_name=f"社区{number:03d}",
                case_attributes={"district": DISTRICTS[number % len(DISTRICTS)]},
            )  # fmt: skip
        codebook_path = path.with_suffix(".yml")
        codebook_path.write_text(codebook_yaml(), encoding="utf-8")
        load_into_project(project, codebook_path)
        _insert_codings(project, codings, rng)


def _insert_codings(project: Project, total: int, rng: random.Random) -> None:
    conn = project.conn
    segments = conn.execute("SELECT segment_id, start_char, end_char FROM segments").fetchall()
    codes = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE depth = 1")]
    created = now_utc()
    with project.transaction():
        conn.execute(
            "INSERT INTO autocode_runs (run_id, version_id, codebook_hash, mode, parameters, "
            "tool_version, run_by, through_segment_id, started_at, finished_at) "
            "VALUES (1, 1, 'bench', 'apply', '{}', 'bench', 'bench', 0, ?, ?)",
            (created, created),
        )
        inserted = 0
        while inserted < total:
            batch: list[tuple[Any, ...]] = []
            for _ in range(total - inserted):
                segment_id, start, end = segments[rng.randrange(len(segments))]
                code = codes[rng.randrange(len(codes))]
                if rng.random() < 0.7:
                    batch.append((segment_id, code, "auto", "auto", 1, start, end, created))
                else:
                    coder = "li" if rng.random() < 0.5 else "wang"
                    batch.append((segment_id, code, coder, "manual", None, start, end, created))
            # In segment order, as autocode runs and review sessions write them.
            batch.sort()
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO codings (segment_id, code_id, coder, origin, run_id, "
                "start_char, end_char, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            inserted += conn.total_changes - before
    conn.execute("ANALYZE")


def project_path(out: Path, codings: int) -> Path:
    path = out / f"matrix_{codings}.db"
    marker = path.with_suffix(".done")
    if not marker.exists():
        started = time.perf_counter()
        generate(path, codings)
        marker.write_text("ok")
        print(
            f"generated {path.name}: {codings:,} codings in {time.perf_counter() - started:.1f} s"
        )
    return path


CPU_TIMES: list[float] = []


def timed(function: object, repeat: int = 3) -> tuple[float, object]:
    """Median wall-clock seconds of ``repeat`` calls (CPU seconds go to CPU_TIMES)."""
    timings = []
    cpu = []
    result = None
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = function()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    CPU_TIMES.append(statistics.median(cpu))
    return statistics.median(timings), result


def cpu() -> str:
    return f"(CPU {CPU_TIMES[-1]:.3f} s)"


def naive_python_loop(project: Project) -> dict[tuple[str, str], int]:
    """Every coding row into Python; a set of segment ids per (case, theme), respondent turns
    only (the matrix's default population)."""
    cells: dict[tuple[str, str], set[int]] = defaultdict(set)
    for case_name, theme, segment_id in project.conn.execute(
        "SELECT k.name, co.theme_id, c.segment_id FROM codings c "
        "JOIN codes co ON co.code_id = c.code_id JOIN segments s ON s.segment_id = c.segment_id "
        "JOIN documents d ON d.document_id = s.document_id JOIN cases k ON k.case_id = d.case_id "
        "WHERE c.superseded_by_run IS NULL AND s.role IS NOT 'interviewer'"
    ):
        cells[(case_name, theme)].add(segment_id)
    return {key: len(value) for key, value in cells.items()}


def naive_cell_query(project: Project, case_name: str, theme: str) -> int:
    return int(
        project.conn.execute(
            "SELECT count(DISTINCT c.segment_id) FROM codings c "
            "JOIN codes co ON co.code_id = c.code_id "
            "JOIN segments s ON s.segment_id = c.segment_id "
            "JOIN documents d ON d.document_id = s.document_id "
            "JOIN cases k ON k.case_id = d.case_id "
            "WHERE c.superseded_by_run IS NULL AND k.name = ? AND co.theme_id = ? "
            "AND s.role IS NOT 'interviewer'",
            (case_name, theme),
        ).fetchone()[0]
    )


NAIVE_QUOTES = """
import csv, resource, sys
from qualcode.analysis.query import CodingFilter
from qualcode.analysis.quotes import iter_quotes, quote_columns
from qualcode.store.project import open_project
with open_project(sys.argv[1]) as project:
    columns = quote_columns(project)
    rows = list(iter_quotes(project, CodingFilter(), columns=columns))
    with open(sys.argv[2], "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns.fields)
        writer.writerows([row[name] for name in columns.fields] for row in rows)
"""


def peak_rss(command: list[str]) -> tuple[float, float]:
    """Run ``command`` in a fresh wrapper process; return (seconds, peak RSS in MiB)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "started = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True)\n"
        "print(time.perf_counter() - started, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(output[0]), int(output[1]) / 1024


def bench_matrix(path: Path, out: Path) -> None:
    with open_project(path) as project:
        codings = project.conn.execute("SELECT count(*) FROM codings").fetchone()[0]
        print(f"\n## matrix: {codings:,} codings, {CASES} cases, "
              f"{THEMES * (CODES_PER_THEME + 1)} codes")  # fmt: skip
        csv_path = out / "matrix.csv"

        def matrix_to_csv() -> object:
            matrix = build_matrix(project, MatrixOptions())
            export_matrix(matrix, ExportFormat.csv, csv_path)
            return matrix

        seconds, matrix = timed(matrix_to_csv)
        print(f"build_matrix + CSV (cases x themes, segments): {seconds:.3f} s {cpu()}")
        query_seconds, _ = timed(lambda: build_matrix(project, MatrixOptions()))
        print(f"  of which build_matrix: {query_seconds:.3f} s {cpu()}")
        for label, options in (
            ("--measure count", MatrixOptions(measure="count")),
            ("--measure percent", MatrixOptions(measure="percent")),
            ("--by district", MatrixOptions(by="district")),
            ("--level code (480 columns)", MatrixOptions(level="code")),
            (
                "--origin manual --coder li",
                MatrixOptions(filters=CodingFilter(origin="manual", coders=("li",))),
            ),
        ):
            seconds, _ = timed(lambda options=options: build_matrix(project, options), repeat=1)
            print(f"build_matrix {label}: {seconds:.3f} s {cpu()}")
        seconds, naive = timed(lambda: naive_python_loop(project), repeat=1)
        assert isinstance(naive, dict)
        built = matrix  # the library's result, for the cross-check
        for i, case_name in enumerate(built.row_labels):  # type: ignore[attr-defined]
            for j, theme in enumerate(built.column_ids):  # type: ignore[attr-defined]
                assert built.cells[i][j] == naive.get((case_name, theme), 0)  # type: ignore[attr-defined]
        print(f"naive Python loop over all rows (same cells): {seconds:.3f} s {cpu()}")
        sample = [
            (f"社区{number:03d}", f"theme{number % THEMES:02d}") for number in range(0, 200, 5)
        ]
        started = time.perf_counter()
        for case_name, theme in sample:
            naive_cell_query(project, case_name, theme)
        per_cell = (time.perf_counter() - started) / len(sample)
        cells = CASES * THEMES
        print(
            f"naive COUNT query per cell: {per_cell * 1000:.1f} ms/cell, "
            f"{per_cell * cells:.1f} s for all {cells:,} cells (from {len(sample)} cells)"
        )


def bench_quotes(paths: list[Path], out: Path) -> None:
    print("\n## quotes --format csv (fresh process each)")
    for path in paths:
        with open_project(path) as project:
            codings = project.conn.execute("SELECT count(*) FROM codings").fetchone()[0]
        target = out / "quotes.csv"
        seconds, rss = peak_rss([sys.executable, "-m", "qualcode", "--db", str(path), "quotes",
                                 "--format", "csv", "-o", str(target)])  # fmt: skip
        size = target.stat().st_size / 2**20
        naive_seconds, naive_rss = peak_rss(
            [sys.executable, "-c", NAIVE_QUOTES, str(path), str(out / "quotes_naive.csv")]
        )
        print(f"{codings:>9,} codings: qualcode quotes {seconds:.1f} s, peak RSS {rss:.0f} MiB "
              f"({size:.0f} MiB CSV); naive list-then-write {naive_seconds:.1f} s, "
              f"peak RSS {naive_rss:.0f} MiB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codings", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="second size for quotes")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
          "(wall times rise with load; CPU times are this process's own)")  # fmt: skip
    large = project_path(arguments.out, arguments.codings)
    small = project_path(arguments.out, arguments.small)
    bench_matrix(large, arguments.out)
    bench_quotes([small, large], arguments.out)
    print(f"\npeak RSS of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
