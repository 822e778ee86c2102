"""Several qualcode processes on one project: writers wait for each other, a reader never
waits, a writer that cannot get in says which command holds the project, nothing is lost."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY, SAMPLES

QUALCODE = [sys.executable, "-m", "qualcode"]
CODEBOOK = REPOSITORY / "codebooks" / "community_governance.yml"

#: Holds the project's write lock for a few seconds, like a long auto-coding run would.
HOLDER = """
import sys, time
from qualcode.store.project import open_project
with open_project(sys.argv[1]) as project, project.transaction():
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def run(db: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*QUALCODE, "--db", str(db), *arguments], capture_output=True, text=True, check=False
    )


def start(db: Path, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*QUALCODE, "--db", str(db), *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    """A process holding the write lock; returns once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    assert holder.stdout.readline() == "holding\n"
    return holder


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    db = tmp_path / "study.db"
    assert run(db, "init").returncode == 0
    assert run(db, "import", str(SAMPLES)).returncode == 0
    assert run(db, "codebook", "load", str(CODEBOOK)).returncode == 0
    return db


def respondent_turns(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT segment_id FROM segments WHERE role IS NOT 'interviewer' ORDER BY 1"
        ).fetchall()
    finally:
        conn.close()
    return [int(row[0]) for row in rows]


def manual_codings(db: Path) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT segment_id, code_id, coder FROM codings WHERE origin = 'manual' ORDER BY 1"
        ).fetchall()
    finally:
        conn.close()
    return [tuple(row) for row in rows]


def test_a_writer_waits_for_another_and_then_lands(sample_project: Path) -> None:
    holder = hold(sample_project, 2.0)
    result = run(sample_project, "code", "3", "grid", "--coder", "li")
    assert holder.wait() == 0
    assert result.returncode == 0, result.stderr
    assert manual_codings(sample_project) == [(3, "grid", "li")]


def test_a_reader_does_not_wait_for_a_writer(sample_project: Path) -> None:
    holder = hold(sample_project, 30.0)
    try:
        readings = {}
        for arguments in (
            ["search", "网格员", "--format", "json"],
            ["segments", "--format", "csv"],
        ):
            result = run(sample_project, "--wait", "0", *arguments)
            assert (result.returncode, result.stderr) == (0, ""), arguments
            readings[arguments[0]] = result.stdout
        assert (
            json.loads(run(sample_project, "--wait", "0", "info", "--format", "json").stdout)[
                "segments"
            ]
            > 0
        )
    finally:
        holder.kill()
        holder.wait()
    # The search while the lock was held could not extend the index; it scanned instead,
    # and found what a search finds once the index is built.
    after = run(sample_project, "search", "网格员", "--format", "json")
    assert json.loads(after.stdout) == json.loads(readings["search"])
    assert json.loads(after.stdout)


def test_a_writer_that_cannot_get_in_names_the_holder_and_changes_nothing(
    sample_project: Path,
) -> None:
    holder = hold(sample_project, 30.0)
    try:
        result = run(sample_project, "--wait", "0.3", "code", "3", "grid", "--coder", "li")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {sample_project}: busy: '")
    assert f"(pid {holder.pid}, since " in line
    assert line.endswith(
        "is writing to it; nothing was changed. Try again when it is done, or give it longer "
        "with --wait SECONDS"
    )
    assert manual_codings(sample_project) == []
    # The holder is gone (killed, its owner file left behind): the next try just works.
    again = run(sample_project, "--wait", "0.3", "code", "3", "grid", "--coder", "li")
    assert again.returncode == 0
    assert manual_codings(sample_project) == [(3, "grid", "li")]


def generate(folder: Path, files: int, turns: int, seed: int) -> None:
    """Generated interviews (bench/generate.py), written by a process of their own."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, 'bench'); "
        "from generate import write_transcripts; "
        f"write_transcripts(Path({str(folder)!r}), files={files}, turns_per_file={turns}, "
        f"seed={seed})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, check=True)


@pytest.mark.slow
def test_autocodes_imports_and_codings_at_once_each_land_exactly_once(tmp_path: Path) -> None:
    """Two auto-coding runs, an import, two codings, a review session and a search at once on
    a 200,000-segment project: every write lands exactly once, nothing fails."""
    db = tmp_path / "study.db"
    generate(tmp_path / "first", files=40, turns=5000, seed=3)
    generate(tmp_path / "later", files=3, turns=300, seed=4)
    for path in (tmp_path / "later").iterdir():
        path.rename(path.with_name("later_" + path.name))
    assert run(db, "init").returncode == 0
    assert run(db, "import", str(tmp_path / "first")).returncode == 0
    assert run(db, "codebook", "load", str(CODEBOOK)).returncode == 0
    keys = tmp_path / "keys.txt"
    keys.write_text("cgrid\nq", encoding="utf-8")  # code the first segment grid, quit
    turns = respondent_turns(db)
    first_respondent_turn = turns[0]
    assert len(turns) == 100_000  # of 200,000 segments
    processes = [
        start(db, "autocode"),
        start(db, "autocode", "--codes", "grid"),
        start(db, "import", str(tmp_path / "later")),
        start(db, "code", "5", "grid", "--coder", "li"),
        start(db, "code", "7", "opinion", "--coder", "wang"),
        start(db, "search", "网格员", "--format", "json"),
        start(db, "review", "--coder", "zhao", "--input", str(keys)),
    ]
    for process in processes:
        _stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, (process.args, stderr)
    assert sorted(manual_codings(db)) == sorted(
        [(5, "grid", "li"), (7, "opinion", "wang"), (first_respondent_turn, "grid", "zhao")]
    )
    conn = sqlite3.connect(db)
    try:
        runs = conn.execute("SELECT count(*), count(finished_at) FROM autocode_runs").fetchone()
        documents = conn.execute("SELECT count(*), count(DISTINCT name) FROM documents").fetchone()
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM codings WHERE superseded_by_run IS NULL "
            "GROUP BY segment_id, code_id, coder, origin, rule, start_char, end_char "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
        kinds = [row[0] for row in conn.execute("SELECT kind FROM journal_entries")]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    assert tuple(runs) == (2, 2)
    assert tuple(documents) == (43, 43)
    assert duplicates == 0
    assert sorted(kinds) == sorted(["codebook-load", "autocode", "autocode", "code", "code",
                                    "code", *["import"] * 43])  # fmt: skip
    assert (integrity, foreign) == ("ok", [])
