"""Issue 16's goals, each timed as a user meets it: whole ``qualcode`` processes on generated
projects, against a naive way of getting the same kind of answer in the same run.

Run:  .venv/bin/python bench/bench_goals.py --segments 100000 --segments 1000000 --runs 3
      .venv/bin/python bench/bench_goals.py --segments 3000000 --runs 3 --skip naive-autocode

For each size it generates labelled transcripts (``bench/generate.py``, seeded, 2,000 turns a
file, half of them respondent turns) and builds, once, with the CLI: the imported project with
the shipped codebook loaded, the same auto-coded, and the same with a second coder ``li``
whose codings come in through ``qualcode codings import`` (CSVs of at most 700,000 rows
derived from the automatic codings, deterministic: most kept, some dropped, some codes
swapped, so that ``agree`` has real disagreements; ``codings import`` is timed on the first).
Then every command below runs ``--runs`` times, each a new process,
timed from outside with ``wait4``: wall seconds (min / median / max), CPU seconds (median,
the process and its workers, user and system) and the largest peak RSS. The load average is
read before each command's runs. Commands that write start from a fresh copy of their project
every run; the first search runs on a fresh copy, so any index building is in its figure.

The naive ways are short scripts a researcher could write, each a whole process too:

- import: sqlite-utils ``insert_all`` of the same turns in batches (no turn detection,
  segmenting, language detection or hashing);
- autocode: for every keyword of the codebook, ``str.find`` over every casefolded respondent
  turn, with the hits written by one ``executemany`` (no exclusions, no longest-match);
- search: ``count(*)`` of ``instr(text, TERM)`` over every segment, then the first 50 rows;
- matrix: one SQL ``GROUP BY`` of current codings by case and theme, written as CSV;
- quotes: one SQL join of codings, segments and documents written as CSV;
- agree: both coders' (segment, code) pairs read into Python sets, percent agreement and
  Cohen's kappa per code over the segments both coded;
- cooccur: one SQL self-join of current codings counting segments per pair of codes;
- codings import: sqlite-utils ``insert_all`` of the CSV's rows into a table (no matching of
  segments, codes or quotes).

``report`` and ``freq`` have no naive counterpart here (no short script gives the same kind of
answer). The table printed at the end is the one in bench/README.md: goal, size, naive median,
measured, target, met.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench_cli import (
    CODEBOOK,
    TURNS_PER_FILE,
    Run,
    Timing,
    copy_project,
    naive_import,
    remove_project,
    timed,
)
from generate import write_transcripts

SEARCH_TERM = "网格"
ABSENT_TERM = "火箭发射"


@dataclass(frozen=True)
class Goal:
    """One command to time, with the issue's target if it names one."""

    label: str
    project: str  # "none" (fresh), "imported", "coded", "double"
    fresh_copy: bool  # start each run from a fresh copy (commands that write)
    arguments: Callable[[Path, Path], list[str]]  # (db, out folder) -> qualcode arguments
    naive: str | None = None  # name of the naive function in this module
    target: str = ""
    seconds_target: float | None = None
    megabytes_target: float | None = None
    target_size: int | None = None  # the size the time target is stated for


GOALS = (
    Goal("import", "none", True, lambda d, o: ["--db", str(d), "import", str(o.parent / "folder")],
         "import", "< 7 s at 1M", 7.0, None, 1_000_000),
    Goal("autocode", "imported", True, lambda d, o: ["--db", str(d), "autocode"],
         "autocode", "< 6 s at 1M", 6.0, None, 1_000_000),
    Goal(f"search {SEARCH_TERM} (first, fresh project)", "imported", True,
         lambda d, o: ["--db", str(d), "search", SEARCH_TERM],
         "search", "first search < 0.5 s at 1M", 0.5, None, 1_000_000),
    Goal(f"search {SEARCH_TERM} (again: first 50 and the count)", "coded", False,
         lambda d, o: ["--db", str(d), "search", SEARCH_TERM],
         "search", "count of a 1-2 character term < 0.5 s at 1M", 0.5, None, 1_000_000),
    Goal(f"search {ABSENT_TERM} (no hits)", "coded", False,
         lambda d, o: ["--db", str(d), "search", ABSENT_TERM], "search_absent"),
    Goal("matrix -o m.csv", "coded", False,
         lambda d, o: ["--db", str(d), "matrix", "-o", str(o / "m.csv")],
         "matrix", "< 1 s at 1M; < 300 MB at 3M", 1.0, 300, 1_000_000),
    Goal("report -o r.html", "coded", False,
         lambda d, o: ["--db", str(d), "report", "-o", str(o / "r.html")],
         None, "< 3 s at 1M; < 300 MB at 3M", 3.0, 300, 1_000_000),
    Goal("agree --coders auto,li", "double", False,
         lambda d, o: ["--db", str(d), "agree", "--coders", "auto,li", "--format", "csv"],
         "agree", "< 2 s at 1M; < 300 MB at 3M", 2.0, 300, 1_000_000),
    Goal("cooccur", "coded", False, lambda d, o: ["--db", str(d), "cooccur", "--format", "csv"],
         "cooccur", "< 300 MB at 3M", None, 300),
    Goal("freq", "coded", False, lambda d, o: ["--db", str(d), "freq", "--format", "csv"],
         None, "< 300 MB at 3M", None, 300),
    Goal("codings import li-1.csv", "coded", True,
         lambda d, o: ["--db", str(d), "codings", "import", str(o.parent / "li-1.csv")],
         "codings_import", "< 300 MB at 3M", None, 300),
    Goal("quotes (terminal table)", "coded", False, lambda d, o: ["--db", str(d), "quotes"],
         None, "streams: flat memory"),
    Goal("quotes --format csv", "coded", False,
         lambda d, o: ["--db", str(d), "quotes", "--format", "csv", "-o", str(o / "q.csv")],
         "quotes", "streams: flat memory"),
    Goal("segments --format csv", "coded", False,
         lambda d, o: ["--db", str(d), "segments", "--format", "csv"],
         None, "streams: flat memory"),
)  # fmt: skip


# --- naive ways (each runs as its own process: python bench_goals.py --naive NAME ...) ------


def naive_autocode(db: Path) -> None:
    conn = sqlite3.connect(db)
    keywords = sorted(
        {
            keyword.casefold()
            for (rules,) in conn.execute("SELECT rules FROM codes")
            for keyword in json.loads(rules).get("keywords", [])
        }
    )
    code_of = {}
    for code_id, rules in conn.execute("SELECT code_id, rules FROM codes ORDER BY depth"):
        for keyword in json.loads(rules).get("keywords", []):
            code_of[keyword.casefold()] = code_id
    turns = [
        (segment_id, text.casefold())
        for segment_id, text in conn.execute(
            "SELECT segment_id, text FROM segments WHERE role IS NOT 'interviewer'"
        )
    ]
    hits = []
    for keyword in keywords:
        for segment_id, text in turns:
            position = text.find(keyword)
            while position != -1:
                hits.append((segment_id, code_of[keyword], position, position + len(keyword)))
                position = text.find(keyword, position + len(keyword))
    conn.execute("CREATE TABLE naive_hits (segment_id, code_id, start_char, end_char)")
    with conn:
        conn.executemany("INSERT INTO naive_hits VALUES (?, ?, ?, ?)", hits)
    conn.close()


def _search(db: Path, term: str) -> None:
    conn = sqlite3.connect(db)
    (count,) = conn.execute(
        "SELECT count(*) FROM segments WHERE instr(text, ?) > 0", (term,)
    ).fetchone()
    rows = conn.execute(
        "SELECT segment_id, text FROM segments WHERE instr(text, ?) > 0 LIMIT 50", (term,)
    ).fetchall()
    print(count, len(rows))
    conn.close()


def naive_search(db: Path) -> None:
    _search(db, SEARCH_TERM)


def naive_search_absent(db: Path) -> None:
    _search(db, ABSENT_TERM)


def _write_query(db: Path, query: str, out: Path) -> None:
    conn = sqlite3.connect(db)
    cursor = conn.execute(query)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([column[0] for column in cursor.description])
        writer.writerows(cursor)
    conn.close()


def naive_matrix(db: Path) -> None:
    _write_query(
        db,
        "SELECT cs.name AS case_name, c.theme_id, count(DISTINCT g.segment_id) AS segments "
        "FROM codings g JOIN codes c ON c.code_id = g.code_id "
        "JOIN segments s ON s.segment_id = g.segment_id "
        "JOIN documents d ON d.document_id = s.document_id JOIN cases cs ON cs.case_id = d.case_id "
        "WHERE g.superseded_by_run IS NULL AND s.role IS NOT 'interviewer' "
        "GROUP BY cs.name, c.theme_id",
        db.with_suffix(".naive-matrix.csv"),
    )


def naive_quotes(db: Path) -> None:
    _write_query(
        db,
        "SELECT d.name, s.ordinal, g.code_id, g.coder, g.origin, "
        "substr(s.text, g.start_char - s.start_char + 1, g.end_char - g.start_char) AS quote, "
        "s.text FROM codings g JOIN segments s ON s.segment_id = g.segment_id "
        "JOIN documents d ON d.document_id = s.document_id "
        "WHERE g.superseded_by_run IS NULL ORDER BY g.coding_id",
        db.with_suffix(".naive-quotes.csv"),
    )


def naive_cooccur(db: Path) -> None:
    _write_query(
        db,
        "SELECT a.code_id, b.code_id, count(DISTINCT a.segment_id) FROM codings a "
        "JOIN codings b ON a.segment_id = b.segment_id AND a.code_id < b.code_id "
        "WHERE a.superseded_by_run IS NULL AND b.superseded_by_run IS NULL "
        "GROUP BY a.code_id, b.code_id",
        db.with_suffix(".naive-cooccur.csv"),
    )


def naive_agree(db: Path) -> None:
    conn = sqlite3.connect(db)
    pairs: dict[str, set[tuple[int, str]]] = {"auto": set(), "li": set()}
    for segment_id, code_id, origin, coder in conn.execute(
        "SELECT segment_id, code_id, origin, coder FROM codings WHERE superseded_by_run IS NULL"
    ):
        name = "auto" if origin == "auto" else coder
        if name in pairs:
            pairs[name].add((segment_id, code_id))
    segments = {s for s, _ in pairs["auto"]} & {s for s, _ in pairs["li"]}
    codes = {c for _, c in pairs["auto"] | pairs["li"]}
    out = []
    for code in sorted(codes):
        a = {s for s, c in pairs["auto"] if c == code and s in segments}
        b = {s for s, c in pairs["li"] if c == code and s in segments}
        n = len(segments)
        agreed = n - len(a ^ b)
        expected = (len(a) * len(b) + (n - len(a)) * (n - len(b))) / (n * n) if n else 0.0
        kappa = (agreed / n - expected) / (1 - expected) if n and expected < 1 else 1.0
        out.append((code, n, agreed / n if n else 0.0, kappa))
    print(len(out))
    conn.close()


def naive_codings_import(db: Path) -> None:
    import sqlite_utils

    database = sqlite_utils.Database(db)
    with (db.parent / "li-1.csv").open(encoding="utf-8", newline="") as handle:
        database["naive_codings"].insert_all(csv.DictReader(handle), batch_size=10_000)  # type: ignore[union-attr]
    database.conn.close()


NAIVE: dict[str, Callable[[Path], None]] = {
    "autocode": naive_autocode,
    "search": naive_search,
    "search_absent": naive_search_absent,
    "matrix": naive_matrix,
    "quotes": naive_quotes,
    "cooccur": naive_cooccur,
    "agree": naive_agree,
    "codings_import": naive_codings_import,
}


# --- building the projects ------------------------------------------------------------------


def qualcode(executable: str, *arguments: str) -> None:
    subprocess.run([executable, *arguments], check=True, capture_output=True)


#: Rows per file of coder li's codings: qualcode refuses tables over 80 MB, so at 3,000,000
#: segments the codings come in several files, as a team would send them.
ROWS_PER_FILE = 700_000


def write_second_coder(coded: Path, folder: Path, seed: int = 11) -> list[Path]:
    """CSVs (``li-1.csv``, ...) of coder ``li``'s codings: per automatic coding, kept (80%),
    dropped (10%) or given another code of the same theme (10%); whole segments
    (``segment_ordinal``), at most :data:`ROWS_PER_FILE` rows a file."""
    rng = random.Random(seed)
    conn = sqlite3.connect(coded)
    siblings: dict[str, list[str]] = {}
    for code_id, theme_id in conn.execute("SELECT code_id, theme_id FROM codes ORDER BY code_id"):
        siblings.setdefault(theme_id, []).append(code_id)
    rows = conn.execute(
        "SELECT DISTINCT d.name, s.ordinal, g.code_id, c.theme_id FROM codings g "
        "JOIN codes c ON c.code_id = g.code_id JOIN segments s ON s.segment_id = g.segment_id "
        "JOIN documents d ON d.document_id = s.document_id "
        "WHERE g.origin = 'auto' AND g.superseded_by_run IS NULL ORDER BY d.name, s.ordinal"
    )
    kept: list[tuple[str, int, str]] = []
    seen: set[tuple[str, int, str]] = set()
    for document, ordinal, code_id, theme_id in rows:
        draw = rng.random()
        if draw < 0.1:
            continue
        if draw < 0.2:
            code_id = rng.choice(siblings[theme_id])
        if (document, ordinal, code_id) not in seen:
            seen.add((document, ordinal, code_id))
            kept.append((document, ordinal, code_id))
    conn.close()
    paths = []
    for number, start in enumerate(range(0, len(kept), ROWS_PER_FILE), start=1):
        path = folder / f"li-{number}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["document", "segment_ordinal", "code", "coder"])
            writer.writerows((*row, "li") for row in kept[start : start + ROWS_PER_FILE])
        paths.append(path)
    return paths


def build(executable: str, base: Path, folder: Path) -> dict[str, Path]:
    """The imported, coded and double-coded projects of one size (built once, reused)."""
    projects = {name: base / f"{name}.db" for name in ("imported", "coded", "double")}
    if not projects["double"].exists():
        remove_project(projects["imported"])
        qualcode(executable, "--db", str(projects["imported"]), "import", str(folder))
        qualcode(executable, "--db", str(projects["imported"]), "codebook", "load", str(CODEBOOK))
        copy_project(projects["imported"], projects["coded"])
        qualcode(executable, "--db", str(projects["coded"]), "autocode")
        copy_project(projects["coded"], projects["double"])
        for path in second_coder_files(projects["coded"], base):
            qualcode(executable, "--db", str(projects["double"]), "codings", "import", str(path))
    elif not (base / "li-1.csv").exists():
        second_coder_files(projects["coded"], base)
    return projects


def second_coder_files(coded: Path, folder: Path) -> list[Path]:
    """:func:`write_second_coder` in a process of its own. Peak RSS is read from ``wait4``,
    and Linux carries a process's high-water mark over ``fork`` and ``exec``: a bench
    process that had held the codings in memory would lend that peak to every command."""
    subprocess.run(
        [sys.executable, str(Path(__file__)), "--write-second-coder", str(coded), str(folder)],
        check=True,
    )
    return sorted(folder.glob("li-*.csv"), key=lambda path: int(path.stem.split("-")[1]))


# --- timing and the table -------------------------------------------------------------------


@dataclass
class Result:
    goal: Goal
    segments: int
    load: float
    measured: Timing
    naive: Timing | None


def run_goal(
    goal: Goal, executable: str, projects: dict[str, Path], work: Path, runs: int, naive: bool
) -> Result:
    """Time ``goal`` ``runs`` times (and its naive way after each run, if asked)."""
    out = work / "out"
    out.mkdir(exist_ok=True)
    target = work / "run.db"
    load = os.getloadavg()[0]
    measured = Timing()
    naive_timing = Timing() if naive and goal.naive else None
    if not goal.fresh_copy and goal.project != "none":
        copy_project(projects[goal.project], target)
    for _ in range(runs):
        if goal.fresh_copy:
            if goal.project == "none":
                remove_project(target)
            else:
                copy_project(projects[goal.project], target)
        measured.add(timed([executable, *goal.arguments(target, out)]))
        if naive_timing is not None and goal.naive:
            naive_db = work / "naive.db"
            if goal.project == "none":
                remove_project(naive_db)
            else:
                copy_project(projects[goal.project], naive_db)
            naive_timing.add(naive_run(goal.naive, naive_db, work))
    segments = int(work.name.removeprefix("goals_"))
    return Result(goal, segments, load, measured, naive_timing)


def naive_run(name: str, db: Path, work: Path) -> Run:
    command = [sys.executable, str(Path(__file__)), "--naive", name, "--naive-db", str(db)]
    if name == "import":
        command += ["--naive-folder", str(work / "folder")]
    return timed(command)


def met(result: Result) -> str:
    goal, timing = result.goal, result.measured
    verdicts = []
    if goal.seconds_target is not None and result.segments == goal.target_size:
        verdicts.append("yes" if statistics.median(timing.seconds) < goal.seconds_target else "no")
    if goal.megabytes_target is not None and result.segments >= 3_000_000:
        verdicts.append("yes" if max(timing.peak_mb) < goal.megabytes_target else "no")
    return " / ".join(verdicts) if verdicts else "-"


def table(results: list[Result]) -> str:
    lines = [
        "| command | segments | load | naive median s | wall s min / median / max | "
        "CPU s median | peak MB | target | met |",
        "|---|---:|---:|---:|---|---:|---:|---|---|",
    ]
    for result in results:
        timing = result.measured
        naive = f"{statistics.median(result.naive.seconds):.2f}" if result.naive else "-"
        lines.append(
            f"| `{result.goal.label}` | {result.segments:,} | {result.load:.1f} | {naive} | "
            f"{min(timing.seconds):.2f} / {statistics.median(timing.seconds):.2f} / "
            f"{max(timing.seconds):.2f} | {statistics.median(timing.cpu_seconds):.2f} | "
            f"{max(timing.peak_mb):.0f} | {result.goal.target} | {met(result)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, action="append", help="project size (repeat)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--only", action="append", help="goals whose label starts so (repeat)")
    parser.add_argument("--skip", action="append", default=[], help="naive-NAME or a label start")
    parser.add_argument("--naive", help=argparse.SUPPRESS)
    parser.add_argument("--naive-db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--naive-folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write-second-coder", nargs=2, type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.write_second_coder:
        write_second_coder(*arguments.write_second_coder)
        return
    if arguments.naive:
        if arguments.naive == "import":
            naive_import(arguments.naive_folder, arguments.naive_db)
        else:
            NAIVE[arguments.naive](arguments.naive_db)
        return
    executable = str(Path(sys.executable).with_name("qualcode"))
    results: list[Result] = []
    for segments in arguments.segments or [100_000]:
        work = arguments.out / f"goals_{segments}"
        work.mkdir(parents=True, exist_ok=True)
        folder = work / "folder"
        if not folder.exists():
            write_transcripts(
                folder, files=segments // TURNS_PER_FILE, turns_per_file=TURNS_PER_FILE
            )
        projects = build(executable, work, folder)
        for goal in GOALS:
            if arguments.only and not any(goal.label.startswith(o) for o in arguments.only):
                continue
            if any(goal.label.startswith(s) for s in arguments.skip):
                continue
            naive = f"naive-{goal.naive}" not in arguments.skip
            result = run_goal(goal, executable, projects, work, arguments.runs, naive)
            results.append(result)
            print(table([result]).splitlines()[-1], flush=True)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
