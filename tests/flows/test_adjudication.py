"""``qualcode adjudicate``: disagreements listed, decided (scripted and in the terminal), written
as consensus codings with provenance, journaled and undone exactly; bad input changes nothing.

Every expectation is recomputed here with independent SQL over ``codings_view`` and
``adjudications_view``.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.models import Segment
from qualcode.store.cases import ensure_case
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import Span, code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project
from tests.conftest import write

LI, WANG = "li (illustrative)", "wang (illustrative)"
CODERS = f"{LI},{WANG}"


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qualcode.flows.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo-adjudicate")).db_path


@pytest.fixture
def demo(demo_source: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo project for one test."""
    return Path(shutil.copy(demo_source, tmp_path / "demo.db"))


def run(db: Path, *arguments: str, keys: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["--db", str(db), *arguments], input=keys, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def independent_units(
    db: Path, coders: tuple[str, ...], all_segments: bool = False
) -> dict[tuple[int, str], tuple[str, ...]]:
    """``{(segment, code): coders who applied it}`` for every (segment, code) one of
    ``coders`` applied, on the segments all of them coded, with no decision yet."""
    conn = sqlite3.connect(db)
    try:
        marks = ", ".join("?" * len(coders))
        shared = (
            ""
            if all_segments
            else f"AND v.segment_id IN (SELECT segment_id FROM codings_view WHERE coder IN "
            f"({marks}) GROUP BY segment_id HAVING count(DISTINCT coder) = {len(coders)})"
        )
        rows = conn.execute(
            f"SELECT v.segment_id, v.code, group_concat(DISTINCT v.coder) FROM codings_view v "
            f"WHERE v.coder IN ({marks}) {shared} AND NOT EXISTS (SELECT 1 FROM "
            "adjudications_view a WHERE a.segment_id = v.segment_id AND a.code = v.code) "
            "GROUP BY v.segment_id, v.code",
            [*coders, *([] if all_segments else coders)],
        ).fetchall()
    finally:
        conn.close()
    return {(int(s), str(c)): tuple(sorted(str(who).split(","))) for s, c, who in rows}


def dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the coding-state tables, to compare a project before and after."""
    conn = sqlite3.connect(db)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in ("codings", "adjudications", "memos", "suggestions", "codes")
        }
    finally:
        conn.close()


def read_listing(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_decisions(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_listing_is_every_open_disagreement(demo: Path, tmp_path: Path) -> None:
    listing = tmp_path / "open.csv"
    status, _, stderr = run(demo, "adjudicate", "--coders", CODERS, "--list", str(listing))
    assert status == 0, stderr
    rows = read_listing(listing)
    expected = {
        key: who for key, who in independent_units(demo, (LI, WANG)).items() if len(who) == 1
    }
    assert len(rows) == len(expected) > 0
    assert f"{len(rows)} open disagreements" in stderr
    for row in rows:
        key = (int(row["segment_id"]), row["code"])
        assert (row["applied_by"],) == expected[key]
        assert row["not_applied_by"] == ({LI, WANG} - {row["applied_by"]}).pop()
        assert row["decision"] == ""
        assert row["quotes"].startswith(row["applied_by"] + ": ")
    # agree says the same number is open.
    _, _, agree = run(demo, "agree", "--coders", CODERS, "--format", "csv")
    assert f"{len(rows)} disagreements open for adjudication" in agree


def test_scripted_decisions_become_consensus_codings_with_provenance(
    demo: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "open.csv"
    run(demo, "adjudicate", "--coders", CODERS, "--list", str(listing))
    rows = read_listing(listing)
    for number, row in enumerate(rows):
        row["decision"] = ["keep", "drop", ""][number % 3]
        row["note"] = "reads as a checkpoint" if number == 0 else ""
    decisions = write_decisions(tmp_path / "decided.csv", rows)
    units_before = independent_units(demo, (LI, WANG))
    status, _, stderr = run(
        demo, "adjudicate", "--coders", CODERS, "--decisions", str(decisions), "--keep-agreed",
        "--decided-by", "zhao",
    )  # fmt: skip
    assert status == 0, stderr
    kept = {(int(r["segment_id"]), r["code"]) for r in rows if r["decision"] == "keep"}
    dropped = {(int(r["segment_id"]), r["code"]) for r in rows if r["decision"] == "drop"}
    agreements = {key for key, who in units_before.items() if len(who) == 2}
    left = len(rows) - len(kept) - len(dropped)
    assert f"{left} disagreements still open" in stderr
    conn = sqlite3.connect(demo)
    try:
        # Consensus codings: on exactly the kept units and agreements, with the distinct spans
        # of the coders who applied the code there.
        consensus = conn.execute(
            "SELECT segment_id, code, start_char, end_char, memo FROM codings_view "
            "WHERE coder = 'consensus' ORDER BY 1, 2, 3, 4"
        ).fetchall()
        expected_spans = conn.execute(
            "SELECT DISTINCT segment_id, code, start_char, end_char FROM codings_view "
            f"WHERE coder IN (?, ?) AND segment_id || '/' || code IN "
            f"({', '.join('?' * len(kept | agreements))}) ORDER BY 1, 2, 3, 4",
            [LI, WANG, *(f"{s}/{c}" for s, c in kept | agreements)],
        ).fetchall()
        assert [row[:4] for row in consensus] == expected_spans
        assert f": {len(consensus)} codings by consensus;" in stderr
        first = (int(rows[0]["segment_id"]), rows[0]["code"])
        assert {row[4] for row in consensus if (row[0], row[1]) == first} == {
            "reads as a checkpoint"
        }
        # Provenance: one decision per unit, with its coders, who applied, who decided.
        provenance = {
            (int(s), str(c)): (decision, applied, agreed, coders, who, consensus_coder)
            for s, c, decision, applied, agreed, coders, who, consensus_coder in conn.execute(
                "SELECT segment_id, code, decision, applied_by, agreed, coders, decided_by, "
                "consensus_coder FROM adjudications_view"
            )
        }
    finally:
        conn.close()
    assert set(provenance) == kept | dropped | agreements
    for key, (decision, applied, agreed, coders, who, consensus_coder) in provenance.items():
        assert decision == ("drop" if key in dropped else "keep")
        assert agreed == (key in agreements)
        assert sorted(__import__("json").loads(applied)) == list(units_before[key])
        assert __import__("json").loads(coders) == sorted([LI, WANG])
        assert (who, consensus_coder) == ("zhao", "consensus")
    # What is left open is what the listing left open; agree says so.
    assert len(independent_units(demo, (LI, WANG))) == left
    assert (
        f"{left} disagreements open" in run(demo, "agree", "--coders", CODERS, "--format", "csv")[2]
    )
    # The consensus coder is a coder like any other: its matrix is the independent count.
    status, text, _ = run(demo, "matrix", "--coder", "consensus", "--format", "json")
    data = __import__("json").loads(text)
    assert data["policy"]["coders"] == ["consensus"]
    conn = sqlite3.connect(demo)
    try:
        expected = dict(
            (((case, theme), n) for case, theme, n in conn.execute(
                "SELECT v.case_name, v.theme, count(DISTINCT v.segment_id) FROM codings_view v "
                "JOIN segments_view s ON s.segment_id = v.segment_id WHERE v.coder = "
                "'consensus' AND s.role IS NOT 'interviewer' GROUP BY 1, 2"
            ))
        )  # fmt: skip
    finally:
        conn.close()
    assert {
        (row["label"], column["id"]): cell
        for row in data["rows"]
        for column, cell in zip(data["columns"], row["cells"], strict=True)
        if cell
    } == expected


def test_undo_takes_an_adjudication_back_exactly(demo: Path, tmp_path: Path) -> None:
    before = dump(demo)
    listing = tmp_path / "open.csv"
    run(demo, "adjudicate", "--coders", CODERS, "--list", str(listing))
    rows = read_listing(listing)
    for number, row in enumerate(rows):
        row["decision"] = "keep" if number % 2 else "drop"
    decisions = write_decisions(tmp_path / "decided.csv", rows)
    status, _, stderr = run(
        demo, "adjudicate", "--coders", CODERS, "--decisions", str(decisions), "--keep-agreed"
    )
    assert status == 0, stderr
    assert dump(demo) != before
    status, _, stderr = run(demo, "undo")
    assert status == 0 and "(adjudicate)" in stderr
    assert dump(demo) == before


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda rows: rows[1].update(decision="maybe"), ":3: decision 'maybe' is neither"),
        (lambda rows: rows[0].update(segment_id="x1"), ":2: segment_id 'x1' is not a number"),
        (lambda rows: rows[2].update(code="grid"), ":4: segment"),
        (lambda rows: rows[0].update(applied_by=WANG if rows[0]["applied_by"] == LI else LI),
         ":2: segment"),
        (lambda rows: rows.append(dict(rows[0])), "is decided twice (first on line 2)"),
        (lambda rows: [row.pop("decision") for row in rows], ":1: no decision column"),
    ],
)  # fmt: skip
def test_a_bad_decisions_file_is_one_line_and_changes_nothing(
    demo: Path, tmp_path: Path, edit: object, problem: str
) -> None:
    listing = tmp_path / "open.csv"
    run(demo, "adjudicate", "--coders", CODERS, "--list", str(listing))
    rows = read_listing(listing)
    for row in rows:
        row["decision"] = "keep"
        # One physical line per row, so that row n is on line n + 1 (the error names the
        # line a row starts on; a multi-line segment text would shift the later ones).
        del row["text"], row["quotes"]
    edit(rows)  # type: ignore[operator]
    decisions = write_decisions(tmp_path / "decided.csv", rows)
    before = dump(demo)
    status, _, stderr = run(
        demo, "adjudicate", "--coders", CODERS, "--decisions", str(decisions), "--keep-agreed"
    )
    assert status == 1
    assert stderr.startswith(f"Error: {decisions}")
    assert problem in stderr and stderr.count("\n") == 1
    assert dump(demo) == before


def test_a_row_decided_meanwhile_no_longer_matches(demo: Path, tmp_path: Path) -> None:
    listing = tmp_path / "open.csv"
    run(demo, "adjudicate", "--coders", CODERS, "--list", str(listing))
    rows = read_listing(listing)
    rows[0]["decision"] = "keep"
    first = write_decisions(tmp_path / "first.csv", rows[:1])
    assert run(demo, "adjudicate", "--coders", CODERS, "--decisions", str(first))[0] == 0
    before = dump(demo)
    status, _, stderr = run(demo, "adjudicate", "--coders", CODERS, "--decisions", str(first))
    assert status == 1 and "is not an open disagreement" in stderr
    assert dump(demo) == before


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--coders", f"{LI},li", "--keep-agreed"], "Error: no coder 'li'"),
        (["--coders", f"{LI},li", "--list", "never.csv"], "Error: no coder 'li'"),
        (["--coders", LI, "--keep-agreed"], "two coders or more"),
        (["--coders", CODERS, "--as", LI, "--keep-agreed"], "is one of the adjudicated"),
        (["--coders", CODERS], "stdin is not a terminal"),
        (["--coders", CODERS, "--decisions", "missing.csv"], "missing.csv"),
    ],
)
def test_bad_options_are_one_line_and_change_nothing(
    demo: Path, arguments: list[str], problem: str
) -> None:
    before = dump(demo)
    status, _, stderr = run(demo, "adjudicate", *arguments)
    assert status in (1, 2)
    assert problem in stderr and stderr.count("\n") == 1, stderr
    assert dump(demo) == before
    assert not Path("never.csv").exists()


def test_terminal_session_keeps_drops_skips_and_undoes(demo: Path, tmp_path: Path) -> None:
    units = sorted(
        (key, who) for key, who in independent_units(demo, (LI, WANG)).items() if len(who) == 1
    )
    keys = tmp_path / "keys.txt"
    # keep the 1st, drop the 2nd, skip the 3rd, keep the 4th then undo it, drop it, quit.
    keys.write_text("kdskudq", encoding="utf-8")
    status, _, stderr = run(
        demo, "adjudicate", "--coders", CODERS, "--as", "panel", "--input", str(keys)
    )
    assert status == 0, stderr
    assert f"Kept 1, dropped 2 as panel; {len(units) - 3} disagreements still open." in stderr
    conn = sqlite3.connect(demo)
    try:
        decided = dict(
            ((int(s), str(c)), d) for s, c, d in conn.execute(
                "SELECT segment_id, code, decision FROM adjudications_view "
                "WHERE consensus_coder = 'panel'"
            )
        )  # fmt: skip
        panel = {
            (int(s), str(c))
            for s, c in conn.execute(
                "SELECT segment_id, code FROM codings_view WHERE coder = 'panel'"
            )
        }
    finally:
        conn.close()
    order = [key for key, _ in units]
    assert decided == {order[0]: "keep", order[1]: "drop", order[3]: "drop"}
    assert panel == {order[0]}
    # Each decision is its own journal entry; undo takes the last one back.
    before_undo = independent_units(demo, (LI, WANG))
    assert run(demo, "undo")[0] == 0
    assert set(independent_units(demo, (LI, WANG))) == set(before_undo) | {order[3]}


def test_codings_view_shows_memos(demo: Path) -> None:
    conn = sqlite3.connect(demo)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(codings_view)")]
        memos = conn.execute(
            "SELECT count(*) FROM codings_view v JOIN codings c USING (coding_id) "
            "WHERE v.memo IS c.memo AND c.memo IS NOT NULL"
        ).fetchone()[0]
        with_memo = conn.execute(
            "SELECT count(*) FROM codings WHERE memo IS NOT NULL AND superseded_by_run IS NULL"
        ).fetchone()[0]
    finally:
        conn.close()
    assert columns[-2:] == ["created_at", "memo"]
    assert memos == with_memo


# --------------------------------------------------------------------------------------------
# A generated project: three coders, units found as the independent query finds them


def generated(project: Project, folder: Path, seed: int) -> None:
    load_into_project(
        project,
        write(folder / "g.yml", "name: g\ncodes:\n  - id: a\n    name: 甲\n    codes:\n"
              "      - id: x\n        name: 甲一\n  - id: b\n    name: 乙\n"),
    )  # fmt: skip
    with project.transaction() as conn:
        ensure_case(conn, "A")
    lines = [f"第{number}句话有几个字。" for number in range(40)]
    segments, start = [], 0
    for ordinal, line in enumerate(lines):
        segments.append(Segment(ordinal, start, start + len(line), "甲", "respondent"))
        start += len(line) + 1
    store_document(
        project,
        PreparedDocument(name="d.txt", source_path="d.txt", text="\n".join(lines),
                         encoding="utf-8", source_format="txt", language="zh", unit="turn",
                         segments=segments),
        case_name="A",
    )  # fmt: skip
    generator = random.Random(seed)
    ids = [int(row[0]) for row in project.conn.execute("SELECT segment_id FROM segments")]
    for segment_id in ids:
        for code_id in ("a", "a.x", "b"):
            for coder in ("ann", "bo", "cy"):
                if generator.random() < 0.35:
                    span = Span(start=0, end=3) if generator.random() < 0.3 else Span()
                    code_segment(project, segment_id, code_id, coder=coder, span=span)


@pytest.mark.parametrize("all_segments", [False, True])
def test_generated_units_and_keep_agreed(
    project: Project, db_path: Path, tmp_path: Path, all_segments: bool
) -> None:
    generated(project, tmp_path, seed=5)
    coders = ("ann", "bo", "cy")
    from qualcode.store.adjudications import open_units

    found = open_units(project.conn, coders, all_segments=all_segments)
    units = {unit.key: unit.applied_by for unit in found}
    assert units == independent_units(db_path, coders, all_segments)
    assert {len(who) for who in units.values()} == {1, 2, 3}
    extra = ["--all-segments"] if all_segments else []
    status, _, stderr = run(db_path, "adjudicate", "--coders", "ann,bo,cy", "--keep-agreed", *extra)
    assert status == 0, stderr
    agreed = {key for key, who in units.items() if len(who) == 3}
    kept = {
        (int(s), str(c))
        for s, c in project.conn.execute(
            "SELECT DISTINCT segment_id, code FROM codings_view WHERE coder = 'consensus'"
        )
    }
    assert kept == agreed
    assert set(independent_units(db_path, coders, all_segments)) == set(units) - agreed


# --------------------------------------------------------------------------------------------
# The scripted form writes in SQL; the terminal session writes unit by unit: the same rows


def provenance_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Adjudications, codings and journal changes, without the times they were written."""
    conn = sqlite3.connect(db)
    try:
        return {
            "adjudications": conn.execute(
                "SELECT adjudication_id, segment_id, code_id, coders, applied_by, decision, "
                "agreed, consensus_coder, decided_by, note FROM adjudications ORDER BY 1"
            ).fetchall(),
            "codings": conn.execute(
                "SELECT coding_id, segment_id, code_id, coder, origin, start_char, end_char, "
                "memo FROM codings ORDER BY 1"
            ).fetchall(),
            "journal": conn.execute(
                "SELECT table_name, operation, row_id FROM journal_changes c JOIN "
                "journal_entries e USING (entry_id) WHERE e.kind = 'adjudicate' ORDER BY change_id"
            ).fetchall(),
        }
    finally:
        conn.close()


@pytest.mark.parametrize(("all_segments", "keep_agreed"), [(False, True), (True, False)])
def test_scripted_decisions_write_what_the_session_writes(
    tmp_path: Path, all_segments: bool, keep_agreed: bool
) -> None:
    from qualcode.flows.adjudication import AdjudicateOptions, adjudicate_scripted
    from qualcode.store.adjudications import Decision, open_units, record_decisions
    from qualcode.store.project import open_project

    coders = ("ann", "bo", "cy")
    paths = [tmp_path / "bulk.db", tmp_path / "one_by_one.db"]
    for number, path in enumerate(paths):
        with open_project(path, create=True) as project:
            generated(project, tmp_path / f"g{number}", seed=11)
            # A consensus coding already there is kept as it is, not written twice.
            code_segment(project, 3, "a", coder="consensus")
    with open_project(paths[1]) as project:
        units = open_units(project.conn, coders, all_segments=all_segments)
    disagreements = [unit for unit in units if not unit.agreed]
    generator = random.Random(3)
    choices = [generator.choice(["keep", "drop", ""]) for _ in disagreements]
    notes = [generator.choice(["", "reads as both"]) for _ in disagreements]
    rows = [
        {"segment_id": str(unit.segment_id), "code": unit.code_id, "decision": choice,
         "note": note, "applied_by": "; ".join(unit.applied_by)}
        for unit, choice, note in zip(disagreements, choices, notes, strict=True)
    ][::-1]  # fmt: skip
    decisions = write_decisions(tmp_path / "decided.csv", rows)
    with open_project(paths[0]) as project:
        result = adjudicate_scripted(
            project,
            AdjudicateOptions(coders, "consensus", "zhao", decisions=decisions,
                              keep_agreed=keep_agreed, all_segments=all_segments),
        )  # fmt: skip
    # The same decisions, unit by unit, in the file's order, then the agreements.
    by_key = {unit.key: unit for unit in units}
    pairs = [
        (by_key[(int(row["segment_id"]), row["code"])],
         Decision(int(row["segment_id"]), row["code"], row["decision"] == "keep",
                  row["note"] or None))
        for row in rows
        if row["decision"]
    ]  # fmt: skip
    if keep_agreed:
        pairs += [(unit, Decision(*unit.key, True)) for unit in units if unit.agreed]
    with open_project(paths[1]) as project:
        written = record_decisions(project, coders, pairs, consensus="consensus", decided_by="zhao")
    assert provenance_rows(paths[0]) == provenance_rows(paths[1])
    assert result.written == written
    assert result.agreements_kept == (sum(unit.agreed for unit in units) if keep_agreed else 0)
    assert result.left_open == choices.count("") > 0
    assert written.kept > 0 and written.dropped > 0 and written.codings_added > 0
    # One journal entry, whose summary gives the counts, and undo takes it all back.
    status, text, _ = run(paths[0], "history", "--format", "csv")
    assert status == 0
    assert f"as consensus: {written.kept} kept, {written.dropped} dropped" in text
    assert run(paths[0], "undo")[0] == 0
    assert provenance_rows(paths[0])["adjudications"] == []


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        # A row that is not open comes before a later row that is wrong by itself.
        (lambda rows: (rows[0].update(code="b.none"), rows[2].update(decision="maybe")),
         ":2: segment"),
        # On one line, who applied the code is checked before whether it was decided twice.
        (lambda rows: rows.append(dict(rows[0], applied_by="cy; zed")),
         "applied_by says 'cy; zed' but now"),
        (lambda rows: rows.append(dict(rows[0], note="again")), "decided twice (first on line 2)"),
        (lambda rows: rows[1].update(segment_id=str(2**70)), ":3: segment 1180591620717411303424,"),
        (lambda rows: rows[1].update(applied_by="ann; ann"), ":3: segment"),
        (lambda rows: rows[3].update(decision="KEEP ", code=rows[3]["code"] + " "), None),
    ],
)  # fmt: skip
def test_which_row_a_bad_decisions_file_is_reported_at(
    project: Project, db_path: Path, tmp_path: Path, edit: object, problem: str | None
) -> None:
    from qualcode.store.adjudications import open_units

    generated(project, tmp_path, seed=5)
    units = [unit for unit in open_units(project.conn, ("ann", "bo", "cy")) if not unit.agreed]
    rows = [
        {"segment_id": str(unit.segment_id), "code": unit.code_id, "decision": "drop",
         "applied_by": "; ".join(unit.applied_by), "note": ""}
        for unit in units[:6]
    ]  # fmt: skip
    edit(rows)  # type: ignore[operator]
    decisions = write_decisions(tmp_path / "decided.csv", rows)
    before = dump(db_path)
    status, _, stderr = run(
        db_path, "adjudicate", "--coders", "ann,bo,cy", "--decisions", str(decisions)
    )
    if problem is None:
        assert status == 0 and "Kept 1, dropped 5" in stderr, stderr
        return
    assert status == 1 and stderr.startswith(f"Error: {decisions}")
    assert problem in stderr and stderr.count("\n") == 1, stderr
    assert dump(db_path) == before
