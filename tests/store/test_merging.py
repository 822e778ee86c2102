"""``qualcode merge``: a second coder's project brought in, without duplicates, with conflicts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.models import Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import Span, add_memo, code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.merging import merge_project
from qualcode.store.project import Project, open_project
from tests.conftest import CODEBOOK, Cli, write
from tests.store.test_journal import build_study, dump, interview_document, segment_ids

#: Wang's codebook has a code Li's lacks.
WANG_CODEBOOK = (
    CODEBOOK
    + """\
  - id: resources
    name: 资源
    codes:
      - id: volunteers
        name: 志愿者
"""
)


def renamed(document: PreparedDocument, name: str) -> PreparedDocument:
    return PreparedDocument(
        name=name, source_path=name, text=document.text, encoding=document.encoding,
        source_format=document.source_format, language=document.language, unit=document.unit,
        segments=document.segments,
    )  # fmt: skip


def one_segment_document(name: str, text: str) -> PreparedDocument:
    return PreparedDocument(
        name=name, source_path=name, text=text, encoding="utf-8", source_format="txt",
        language="zh", unit="paragraph", segments=[Segment(0, 0, len(text))],
    )  # fmt: skip


@pytest.fixture
def li(db_path: Path, tmp_path: Path) -> list[int]:
    """Li's project (the one merged into): the interview, the codebook, one coding of hers."""
    with open_project(db_path, create=True) as project:
        segments = build_study(project, tmp_path)
        store_document(
            project, one_segment_document("notes.txt", "第一段。第二段。"), case_name="x"
        )
        code_segment(project, segments[1], "grid.checkpoints", coder="li")
        return segments


@pytest.fixture
def wang(tmp_path: Path) -> Path:
    """Wang's project: the same interview under another name, his codings and memos."""
    path = tmp_path / "wang" / "qualcode.db"
    path.parent.mkdir()
    with open_project(path, create=True) as other:
        store_document(other, renamed(interview_document(), "chaiji_wang.txt"), case_name="c")
        load_into_project(other, write(tmp_path / "wang.yml", WANG_CODEBOOK))
        _first, second, _third, fourth = segment_ids(other)
        code_segment(other, second, "grid.checkpoints", coder="wang", memo="gate")
        code_segment(other, fourth, "opinion.rumours", coder="wang", span=Span(quote="辟谣"))
        code_segment(other, fourth, "resources.volunteers", coder="wang")
        add_memo(other, "segment", str(fourth), "rumour control", coder="wang")
        add_memo(other, "document", "chaiji_wang.txt", "talkative", coder="wang")
        add_memo(other, "code", "resources.volunteers", "not in Li's codebook", coder="wang")
        run_autocode(other, AutocodeOptions(run_by="wang"))
        # A document Li does not have, and one Li segmented differently.
        store_document(other, one_segment_document("extra.txt", "另一个访谈。"), case_name="c")
        split = PreparedDocument(
            name="notes.txt", source_path="notes.txt", text="第一段。第二段。", encoding="utf-8",
            source_format="txt", language="zh", unit="sentence",
            segments=[Segment(0, 0, 4), Segment(1, 4, 8)],
        )  # fmt: skip
        store_document(other, split, case_name="c")
        extra, first_half, _second_half = segment_ids(other)[-3:]
        code_segment(other, extra, "grid.checkpoints", coder="wang")
        code_segment(other, first_half, "grid.checkpoints", coder="wang")
        add_memo(other, "segment", str(first_half), "short", coder="wang")
    return path


def codings(project: Project) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in project.conn.execute(
            "SELECT segment_id, code, coder, origin, quote FROM codings_view "
            "WHERE origin = 'manual' ORDER BY segment_id, coder, code"
        )
    ]


def test_merge_brings_codings_and_memos_in_once(db_path: Path, li: list[int], wang: Path) -> None:
    fingerprint = hashlib.sha256(wang.read_bytes()).hexdigest()
    with open_project(db_path) as project:
        result = merge_project(project, wang)
        assert (result.codings_added, result.codings_present) == (2, 0)
        assert (result.memos_added, result.memos_present) == (2, 0)
        assert result.auto_skipped > 0
        turn = "我们在小区门口设了卡口，网格员二十四小时值守。"
        assert codings(project) == [
            (li[1], "grid.checkpoints", "li", "manual", turn),
            (li[1], "grid.checkpoints", "wang", "manual", turn),
            (li[3], "opinion.rumours", "wang", "manual", "辟谣"),
        ]  # fmt: skip
        memos = project.conn.execute(
            "SELECT target_kind, target, coder, text FROM memos ORDER BY memo_id"
        ).fetchall()
        assert [tuple(row) for row in memos] == [
            ("segment", str(li[3]), "wang", "rumour control"),
            ("document", "chaiji.txt", "wang", "talkative"),
        ]
        memo = project.conn.execute(
            "SELECT memo FROM codings WHERE coder = 'wang' AND code_id = 'grid.checkpoints'"
        ).fetchone()[0]
        assert memo == "gate"
        before = dump(project)
        again = merge_project(project, wang)
        assert (again.codings_added, again.codings_present) == (0, 2)
        assert (again.memos_added, again.memos_present) == (0, 2)
        assert dump(project) == before
        assert [row[0] for row in project.conn.execute("SELECT kind FROM journal_entries")] == [
            "import", "codebook-load", "import", "code", "merge",
        ]  # fmt: skip
    assert hashlib.sha256(wang.read_bytes()).hexdigest() == fingerprint


def test_cli_merge_reports_conflicts_one_line_each(cli: Cli, li: list[int], wang: Path) -> None:
    result = cli("merge", str(wang))
    # What could be placed is merged; the conflicts make the exit status 1, as documented.
    assert (result.exit_code, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"Merged {wang}: 2 codings added (0 already here), 2 memos added (0 already here)."
    )
    assert lines[1].endswith(
        "automatic codings there were not merged: run 'qualcode autocode' here."
    )
    assert lines[2:] == [
        "Conflict: document 'extra.txt' is not in this project (no document with the same "
        "content): 1 coding not merged",
        "Conflict: document 'notes.txt': 1 of its segments there have no segment with the same "
        "span here (segmented differently?): 1 coding and 1 memo not merged",
        "Conflict: code 'resources.volunteers' is not in this project's codebook: 1 coding and "
        "1 memo not merged",
    ]
    second = cli("merge", str(wang))
    assert second.exit_code == 1  # the same conflicts again
    assert second.stderr.splitlines()[0] == (
        f"Merged {wang}: 0 codings added (2 already here), 0 memos added (2 already here)."
    )
    history = json.loads(cli("history", "--format", "json").stdout)
    assert history[0]["kind"] == "merge"
    assert history[0]["summary"] == f"merge from {wang}: 2 codings, 2 memos"
    undone = cli("undo")
    assert (
        undone.stderr == f"Undid entry {history[0]['entry_id']} (merge): {history[0]['summary']}\n"
    )
    quotes = json.loads(cli("quotes", "--format", "json").stdout)
    assert {row["coder"] for row in quotes} == {"li"}


def test_merge_refuses_itself_and_non_projects(
    cli: Cli, db_path: Path, li: list[int], tmp_path: Path
) -> None:
    itself = cli("merge", str(db_path))
    assert (itself.exit_code, itself.stderr) == (
        2,
        f"Error: {db_path} is this project: nothing to merge\n",
    )
    missing = cli("merge", str(tmp_path / "nowhere.db"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: {tmp_path / 'nowhere.db'}:")
    text = write(tmp_path / "notes.db", "not a database")
    bad = cli("merge", str(text))
    assert (bad.exit_code, bad.stderr) == (
        1, f"Error: {text}: not a qualcode project (not an SQLite file)\n",
    )  # fmt: skip


def test_merge_reports_a_code_retired_here(project: Project, tmp_path: Path) -> None:
    from tests.store.test_journal import REVISED

    segments = build_study(project, tmp_path)
    load_into_project(project, write(tmp_path / "v2.yml", REVISED))  # retires opinion.prices
    other_path = tmp_path / "zhao.db"
    with open_project(other_path, create=True) as other:
        build_study(other, tmp_path)
        code_segment(other, segment_ids(other)[3], "opinion.prices", coder="zhao")
    result = merge_project(project, other_path)
    assert (result.codings_added, result.conflicts) == (
        0, ["code 'opinion.prices' is retired in this project's codebook: 1 coding not merged"],
    )  # fmt: skip
    assert segments == segment_ids(project)
    assert [row["kind"] for row in project.conn.execute("SELECT kind FROM journal_entries")] == [
        "import", "codebook-load", "codebook-load",
    ]  # fmt: skip


def test_cli_merge_without_conflicts_exits_0(cli: Cli, li: list[int], tmp_path: Path) -> None:
    path = tmp_path / "zhao" / "qualcode.db"
    path.parent.mkdir()
    with open_project(path, create=True) as other:
        store_document(other, interview_document(), case_name="c")
        load_into_project(other, write(tmp_path / "zhao.yml", CODEBOOK))
        code_segment(other, segment_ids(other)[1], "grid.checkpoints", coder="zhao")
    result = cli("merge", str(path))
    assert (result.exit_code, result.stderr) == (
        0, f"Merged {path}: 1 codings added (0 already here), 0 memos added (0 already here).\n",
    )  # fmt: skip
