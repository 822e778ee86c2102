"""Journal, history and undo: every journaled kind is undone exactly (full table dumps)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.errors import ConflictError, NotFoundError
from qualcode.flows.codings_import import import_codings
from qualcode.models import Segment
from qualcode.store.codebooks import load_into_project, merge_codes, relocate_code
from qualcode.store.codings import Span, add_memo, code_segment, uncode_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.journal import history, journaled, undo
from qualcode.store.merging import merge_project
from qualcode.store.project import Project, open_project
from qualcode.store.suggestions import (
    Decision,
    SuggestionFilter,
    accept_suggestion,
    accept_suggestions,
    list_suggestions,
    reject_suggestion,
    reject_suggestions,
    remove_coding,
    remove_memo,
    reopen_suggestion,
)
from tests.conftest import CODEBOOK, FIXTURES, Cli, write

TURNS = (
    ("interviewer", "疫情期间社区是怎么做的？"),
    ("respondent", "我们在小区门口设了卡口，网格员二十四小时值守。"),
    ("interviewer", "有没有谣言？"),
    ("respondent", "微信群里有人说菜价涨了三倍，我们马上辟谣。卡口也撤了。"),
)

#: The codebook revised: a keyword more, ``opinion.prices`` retired, ``grid.volunteers`` new.
REVISED = (FIXTURES / "codebooks" / "mini_revised.yml").read_text(encoding="utf-8")


def interview_document(name: str = "chaiji.txt") -> PreparedDocument:
    """The four turns as one document with one segment per turn."""
    segments, parts, offset = [], [], 0
    for ordinal, (role, text) in enumerate(TURNS):
        segments.append(Segment(ordinal, offset, offset + len(text), role=role))  # type: ignore[arg-type]
        parts.append(text)
        offset += len(text) + 1
    return PreparedDocument(
        name=name, source_path=name, text="\n".join(parts), encoding="utf-8",
        source_format="txt", language="zh", unit="turn", segments=segments,
    )  # fmt: skip


def segment_ids(project: Project) -> list[int]:
    return [row[0] for row in project.conn.execute("SELECT segment_id FROM segments ORDER BY 1")]


def build_study(project: Project, tmp_path: Path) -> list[int]:
    """One interview, the mini codebook; returns the segment ids."""
    store_document(project, interview_document(), case_name="chaiji")
    load_into_project(project, write(tmp_path / "mini.yml", CODEBOOK))
    return segment_ids(project)


def dump(project: Project) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except the journal's own, with rowids where tables have them."""
    tables = project.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'journal_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
    ).fetchall()
    result = {}
    for name, sql in tables:
        rowid = "" if "WITHOUT ROWID" in sql.upper() else "rowid, "
        rows = project.conn.execute(f"SELECT {rowid}* FROM {name}").fetchall()
        result[name] = sorted((tuple(row) for row in rows), key=repr)
    return result


def comparable(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """A dump without what undo rightly leaves changed: the AUTOINCREMENT high-water marks
    (ids are never reused) and the search index's internal b-tree pages (which segments are
    indexed stays exact, in ``segments_fts_docsize``)."""
    internal = ("sqlite_sequence", "segments_fts_data", "segments_fts_idx")
    return {name: rows for name, rows in tables.items() if name not in internal}


class Baseline:
    """A project with coding state of every sort, for the undo of each kind to start from."""

    def __init__(self, project: Project, tmp_path: Path) -> None:
        self.project = project
        self.tmp_path = tmp_path
        self.segments = build_study(project, tmp_path)
        first, second, _third, fourth = self.segments
        run_autocode(project, AutocodeOptions(mode="suggest", run_by="li"))
        run_autocode(project, AutocodeOptions(run_by="li"))
        code_segment(project, second, "grid.checkpoints", coder="li")
        code_segment(project, second, "grid.grid_workers", coder="li")
        code_segment(project, fourth, "opinion.prices", coder="li", span=Span(quote="菜价"))
        self.memo_id = add_memo(project, "segment", str(first), "opening question", coder="li")
        add_memo(project, "code", "grid.checkpoints", "gates and guards", coder="li")
        pending = self.pending()
        self.decision: Decision = accept_suggestion(project, pending[0], coder="wang")
        self.accepted_coding = self.decision.coding_id

    def pending(self) -> list[int]:
        rows = list_suggestions(self.project, SuggestionFilter())
        return [int(row["suggestion_id"]) for row in rows]


def other_project(tmp_path: Path) -> Path:
    """Wang's copy of the study: same interview, his codings and a memo."""
    path = tmp_path / "wang.db"
    with open_project(path, create=True) as other:
        build_study(other, tmp_path)
        _first, second, _third, fourth = segment_ids(other)
        code_segment(other, second, "grid.checkpoints", coder="wang")
        code_segment(other, fourth, "opinion.rumours", coder="wang", span=Span(quote="辟谣"))
        add_memo(other, "segment", str(fourth), "rumour control", coder="wang")
    return path


OPERATIONS: dict[str, Callable[[Baseline], object]] = {
    "code": lambda b: code_segment(
        b.project, b.segments[3], "opinion.rumours", coder="wang", span=Span(quote="辟谣"),
        memo="quick",
    ),
    "uncode": lambda b: uncode_segment(b.project, b.segments[1], "grid.checkpoints", coder="li"),
    "uncode by id": lambda b: remove_coding(b.project, b.accepted_coding or 0),
    "memo": lambda b: add_memo(b.project, "document", "chaiji.txt", "long interview", coder="li"),
    "memo-delete": lambda b: remove_memo(b.project, b.memo_id),
    "accept": lambda b: accept_suggestion(b.project, b.pending()[0], coder="li", memo="ok"),
    "accept many": lambda b: accept_suggestions(b.project, b.pending(), coder="li"),
    "reject": lambda b: reject_suggestion(b.project, b.pending()[0], coder="li"),
    "reject many": lambda b: reject_suggestions(b.project, b.pending(), coder="li"),
    "reopen": lambda b: reopen_suggestion(b.project, b.decision),
    "autocode": lambda b: run_autocode(b.project, AutocodeOptions(run_by="li")),
    "autocode suggest": lambda b: run_autocode(
        b.project, AutocodeOptions(mode="suggest", run_by="li")
    ),
    "autocode some codes": lambda b: run_autocode(
        b.project, AutocodeOptions(run_by="li", codes=("grid",))
    ),
    "codebook-load": lambda b: load_into_project(b.project, write(b.tmp_path / "v2.yml", REVISED)),
    "codebook-rename theme": lambda b: relocate_code(b.project, "grid", "mesh"),
    "codebook-rename move": lambda b: relocate_code(b.project, "opinion.prices", "grid.prices"),
    "codebook-merge": lambda b: merge_codes(b.project, "grid.grid_workers", "grid.checkpoints"),
    "merge": lambda b: merge_project(b.project, other_project(b.tmp_path)),
    "codings-import": lambda b: import_codings(b.project, write(
        b.tmp_path / "zhao.csv",
        "document,code,coder,segment_ordinal\nchaiji.txt,grid.checkpoints,zhao,1\n"
        "chaiji.txt,opinion.rumours,zhao,3\n",
    )),
}  # fmt: skip
#: Kinds an operation may be journaled as, where not the first word of its name.
EXPECTED_KINDS = {"codings-import": ("codings-import", "code")}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_undo_restores_every_table_exactly(
    project: Project, tmp_path: Path, operation: str
) -> None:
    baseline = Baseline(project, tmp_path)
    before = dump(project)
    entries_before = len(history(project))
    OPERATIONS[operation](baseline)
    assert dump(project) != before
    newest = history(project)[0]
    assert newest["kind"] in EXPECTED_KINDS.get(operation, (operation.split(" ")[0],))
    assert len(history(project)) == entries_before + 1
    [undone] = undo(project)
    assert (undone.entry_id, undone.kind) == (newest["entry_id"], newest["kind"])
    assert dump(project) == before
    assert history(project)[0]["undone"] is True
    assert project.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_undo_all_entries_back_to_an_empty_project(project: Project, tmp_path: Path) -> None:
    empty = dump(project)
    Baseline(project, tmp_path)
    relocate_code(project, "grid", "mesh")
    count = len(history(project))
    assert [entry.kind for entry in undo(project, count)][:2] == ["codebook-rename", "accept"]
    assert comparable(dump(project)) == comparable(empty)
    assert all(row["undone"] for row in history(project))
    with pytest.raises(NotFoundError, match="nothing to undo"):
        undo(project)


OPERATION_TABLES = ("codings", "suggestions", "memos", "codes", "codebook_versions",
                    "autocode_runs")  # fmt: skip


def test_undo_goes_newest_first_and_skips_undone_entries(project: Project, tmp_path: Path) -> None:
    first, second, _third, fourth = build_study(project, tmp_path)
    code_segment(project, first, "grid.checkpoints", coder="li")
    code_segment(project, second, "grid.checkpoints", coder="li")
    undo(project)
    code_segment(project, fourth, "opinion.prices", coder="li")
    [entry] = undo(project)
    assert entry.summary == f"code segment {fourth} opinion.prices (li)"
    [entry] = undo(project)
    assert entry.summary == f"code segment {first} grid.checkpoints (li)"
    assert project.conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 0


def test_changes_that_change_nothing_and_failures_leave_no_entry(
    project: Project, tmp_path: Path
) -> None:
    segments = build_study(project, tmp_path)
    load_into_project(project, tmp_path / "mini.yml")  # the same codebook again
    code_segment(project, segments[1], "grid.checkpoints", coder="li")
    code_segment(project, segments[1], "grid.checkpoints", coder="li")  # already coded
    with pytest.raises(NotFoundError):
        code_segment(project, segments[1], "no.such_code", coder="li")
    assert [row["kind"] for row in history(project)] == ["code", "codebook-load", "import"]
    assert project.conn.execute("SELECT entry_id FROM journal_state").fetchone()[0] is None


def test_autocode_run_is_journaled_compactly(project: Project, tmp_path: Path) -> None:
    build_study(project, tmp_path)
    report = run_autocode(project, AutocodeOptions(run_by="li"))
    entry = history(project)[0]
    assert entry["summary"] == f"autocode apply; run {report.run_id}: {report.codings} codings"
    operations = project.conn.execute(
        "SELECT table_name, operation FROM journal_changes WHERE entry_id = ? ORDER BY change_id",
        (entry["entry_id"],),
    ).fetchall()
    assert [tuple(row) for row in operations] == [
        ("autocode_runs", "insert"), ("autocode_runs", "update"), ("autocode_runs", "run"),
    ]  # fmt: skip


def test_undo_refuses_when_rows_changed_outside_the_journal(
    project: Project, tmp_path: Path
) -> None:
    segments = build_study(project, tmp_path)
    code_segment(project, segments[1], "grid.checkpoints", coder="li")
    project.conn.execute("DELETE FROM codings")
    before = dump(project)
    with pytest.raises(ConflictError, match="changed outside the journal"):
        undo(project)
    assert dump(project) == before
    assert history(project)[0]["undone"] is False
    assert project.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_undo_refuses_a_restore_that_breaks_references(project: Project, tmp_path: Path) -> None:
    segments = build_study(project, tmp_path)
    code_segment(project, segments[1], "grid.checkpoints", coder="li")
    uncode_segment(project, segments[1], "grid.checkpoints", coder="li")
    with sqlite3.connect(project.path) as raw:  # a segment removed behind the journal's back
        raw.execute("DELETE FROM segments WHERE segment_id = ?", (segments[1],))
    with pytest.raises(ConflictError, match="point at a missing row of segments"):
        undo(project)
    assert project.conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 0


# --- command line -------------------------------------------------------------------------


@pytest.fixture
def study(db_path: Path, tmp_path: Path) -> list[int]:
    with open_project(db_path, create=True) as project:
        return build_study(project, tmp_path)


def test_cli_history_and_undo(cli: Cli, study: list[int], tmp_path: Path) -> None:
    assert cli("code", str(study[1]), "grid.checkpoints", "--coder", "li").exit_code == 0
    assert cli("memo", str(study[1]), "gates", "--coder", "li").exit_code == 0
    listed = cli("history", "--format", "json")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [(row["entry_id"], row["kind"], row["summary"], row["undone"]) for row in rows] == [
        (4, "memo", f"memo on segment {study[1]} (li)", False),
        (3, "code", f"code segment {study[1]} grid.checkpoints (li)", False),
        (2, "codebook-load", f"load codebook mini from {tmp_path / 'mini.yml'}", False),
        (1, "import", "import chaiji.txt (4 segments)", False),
    ]
    assert list(rows[0]) == ["entry_id", "created_at", "kind", "summary", "undone", "undone_at"]
    limited = cli("history", "--limit", "1", "--format", "csv")
    assert limited.stdout.splitlines()[0] == "entry_id,created_at,kind,summary,undone,undone_at"
    assert len(limited.stdout.splitlines()) == 2
    undone = cli("undo", "2")
    assert (undone.exit_code, undone.stdout) == (0, "")
    assert undone.stderr == (
        f"Undid entry 4 (memo): memo on segment {study[1]} (li)\n"
        f"Undid entry 3 (code): code segment {study[1]} grid.checkpoints (li)\n"
    )
    rows = json.loads(cli("history", "--format", "json").stdout)
    assert [row["undone"] for row in rows] == [True, True, False, False]
    assert all(row["undone_at"] for row in rows[:2])
    assert "History" in cli("history").stdout


def test_cli_undo_more_than_is_left_changes_nothing(cli: Cli, study: list[int]) -> None:
    assert cli("code", str(study[1]), "grid.checkpoints", "--coder", "li").exit_code == 0
    before = cli("history", "--format", "json").stdout
    assert len(json.loads(before)) == 3
    result = cli("undo", "5")
    assert (result.exit_code, result.stderr) == (
        2, "Error: only 3 changes can be undone; use 'qualcode undo 3'\n"
    )  # fmt: skip
    assert cli("history", "--format", "json").stdout == before
    assert cli("undo").exit_code == 0
    one = cli("undo", "3")
    assert (one.exit_code, one.stderr) == (
        2, "Error: only 2 changes can be undone; use 'qualcode undo 2'\n"
    )  # fmt: skip
    assert json.loads(cli("history", "--format", "json").stdout)[1]["undone"] is False
    assert cli("undo", "0").exit_code == 2


def test_cli_undo_with_nothing_to_undo(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    result = cli("undo")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: nothing to undo: no journaled change is left to revert\n"


@pytest.mark.parametrize("command", ["history", "undo", "merge"])
def test_cli_help_shows_an_example(cli: Cli, command: str) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert f"Example: qualcode {command}" in result.stdout


JOURNAL_TRIGGERS = (
    "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'journal%' "
    "ORDER BY name"
)


def test_bulk_tables_are_untriggered_only_inside_their_transaction(project: Project) -> None:
    """A compact entry's bulk tables lose their journal triggers inside the transaction only:
    they are back, as they were, after a commit and after a rollback."""
    conn = project.conn
    triggers = conn.execute(JOURNAL_TRIGGERS).fetchall()

    def bulk(*tables: str) -> Any:
        return journaled(project, "autocode", "bulk", compact_runs=True, bulk_tables=tables)

    with bulk("codings", "suggestions") as inside:
        left = {row[1] for row in inside.execute(JOURNAL_TRIGGERS)}
        assert "codings" not in left and "suggestions" not in left and "memos" in left
    assert conn.execute(JOURNAL_TRIGGERS).fetchall() == triggers
    with pytest.raises(KeyboardInterrupt), bulk("codings"):
        raise KeyboardInterrupt
    assert conn.execute(JOURNAL_TRIGGERS).fetchall() == triggers
    with pytest.raises(ValueError), journaled(project, "code", "x", bulk_tables=("codings",)):
        pass
    with pytest.raises(ValueError), bulk("memos"):
        pass
