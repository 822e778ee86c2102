"""Storing documents: replacing keeps memos and codings; a skipped file sets case attributes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from qualcode.flows.importing import ImportOptions, prepare_document
from qualcode.models import Segment
from qualcode.store.documents import (
    PreparedDocument,
    SegmentColumns,
    content_hash,
    store_document,
)
from qualcode.store.project import Project
from tests.conftest import Cli, write
from tests.flows.test_importing import INTERVIEW, table_dump


def imported(cli: Cli, tmp_path: Path) -> list[dict[str, object]]:
    """Import the sample interview; return its segments."""
    assert cli("import", str(write(tmp_path / "chaiji.txt", INTERVIEW))).exit_code == 0
    return list(json.loads(cli("segments", "--format", "json").stdout))


def replace_result(cli: Cli, tmp_path: Path) -> tuple[Path, int, str]:
    newer = write(tmp_path / "new" / "chaiji.txt", INTERVIEW + "受访者：补充一句。\n")
    result = cli("import", str(newer), "--replace")
    return newer, result.exit_code, result.stderr


def test_replacing_a_document_with_segment_memos_keeps_them(cli: Cli, tmp_path: Path) -> None:
    segments = imported(cli, tmp_path)
    segment_id = str(segments[1]["segment_id"])
    cli("memo", segment_id, "Secretary contrasts 2020 and 2022", "--coder", "li")
    newer, exit_code, stderr = replace_result(cli, tmp_path)
    assert exit_code == 0, stderr
    assert stderr.splitlines()[0] == (
        f"replaced {newer}  case chaiji, 5 segments; codings: 0 carried, 0 changed, 0 orphaned; "
        "1 memo moved"
    )
    replaced = json.loads(cli("segments", "--format", "json").stdout)
    memos = json.loads(cli("memos", "--format", "json").stdout)
    assert [(memo["target"], memo["text"]) for memo in memos] == [
        (str(replaced[1]["segment_id"]), "Secretary contrasts 2020 and 2022")
    ]


def test_replacing_a_document_with_a_document_memo_keeps_it(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    cli("memo", "chaiji.txt", "Recorded in the office", "--on", "document", "--coder", "li")
    newer, exit_code, stderr = replace_result(cli, tmp_path)
    assert exit_code == 0, stderr
    assert stderr.splitlines()[0].startswith(f"replaced {newer}")
    memos = json.loads(cli("memos", "--format", "json").stdout)
    assert [(memo["target"], memo["text"]) for memo in memos] == [
        ("chaiji.txt", "Recorded in the office")
    ]


def test_replacing_carries_codings_and_memos(cli: Cli, tmp_path: Path) -> None:
    segments = imported(cli, tmp_path)
    first, second = str(segments[1]["segment_id"]), str(segments[3]["segment_id"])
    cli("codebook", "load", str(write(tmp_path / "book.yml", CODEBOOK)))
    cli("code", first, "grid", "--coder", "li")
    cli("code", second, "grid", "--coder", "li")
    cli("memo", first, "one", "--coder", "li")
    cli("memo", second, "two", "--coder", "wang")
    cli("memo", "chaiji.txt", "three", "--on", "document", "--coder", "li")
    cli("memo", "grid", "about the code, not the document", "--on", "code", "--coder", "li")
    _newer, exit_code, stderr = replace_result(cli, tmp_path)
    assert exit_code == 0, stderr
    assert "codings: 2 carried, 0 changed, 0 orphaned; 2 memos moved" in stderr
    assert len(json.loads(cli("memos", "--format", "json").stdout)) == 4


def test_replacing_an_unannotated_document_still_works(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    write(tmp_path / "other.txt", INTERVIEW.replace("八", "九"))
    cli("import", str(tmp_path / "other.txt"))
    segments = json.loads(cli("segments", "--doc", "other.txt", "--format", "json").stdout)
    cli("memo", str(segments[1]["segment_id"]), "on another document", "--coder", "li")
    newer, exit_code, stderr = replace_result(cli, tmp_path)
    assert exit_code == 0, stderr
    assert stderr.splitlines()[0].startswith(f"replaced {newer}")


CODEBOOK = """\
name: Test codebook
codes:
  - id: grid
    name: Grid management
"""


def test_attributes_given_with_a_skipped_file_are_set_on_its_case(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "chaiji.txt", INTERVIEW)
    cli("import", str(path))
    again = cli("import", str(path), "--attr", "district=Liangxi", "--attr", "staff=9")
    assert again.exit_code == 0
    assert again.stderr.splitlines()[0] == (
        f"skipped  {path}: already imported; attributes set on case 'chaiji'"
    )
    [case] = json.loads(cli("cases", "list", "--format", "json").stdout)
    assert (case["case_name"], case["district"], case["staff"]) == ("chaiji", "Liangxi", 9)
    copy = write(tmp_path / "copy" / "again.txt", INTERVIEW)
    renamed = cli("import", str(copy), "--case", "Elsewhere", "--attr", "district=Binhu")
    assert renamed.stderr.splitlines()[0] == (
        f"skipped  {copy}: same content as 'chaiji.txt', already imported; attributes set on "
        "case 'chaiji'"
    )
    cases = json.loads(cli("cases", "list", "--format", "json").stdout)
    assert [(row["case_name"], row["district"]) for row in cases] == [("chaiji", "Binhu")]


def test_a_skipped_file_without_attributes_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "chaiji.txt", INTERVIEW)
    cli("import", str(path), "--attr", "district=Liangxi")
    before = table_dump(cli.db_path)
    again = cli("import", str(path))
    assert again.stderr.splitlines()[0] == f"skipped  {path}: already imported"
    assert table_dump(cli.db_path) == before


def test_a_prepared_document_sent_from_a_worker_stores_the_same_rows(
    project: Project, tmp_path: Path
) -> None:
    """Workers pickle documents as columns; what is stored must not depend on that."""
    text = (
        "采访者：有几个网格员？\n受访者：😀 六个网格员，𠀋 两个卡口。\n"
        "Interviewer: And volunteers?\n"
    )
    path = write(tmp_path / "chaiji.txt", text)
    document = prepare_document(path, ImportOptions())
    sent = pickle.loads(pickle.dumps(document))
    assert isinstance(sent.segments, SegmentColumns)
    assert list(sent.segments) == list(document.segments)
    assert sent.segments[1:] == list(document.segments)[1:]
    assert sent.content_hash == content_hash(sent.text) == document.content_hash
    store_document(project, sent, case_name="Chaiji")
    rows = project.conn.execute(
        "SELECT d.text, s.ordinal, s.speaker, s.role, s.start_char, s.end_char, s.text "
        "FROM segments s JOIN documents d USING (document_id) ORDER BY s.ordinal"
    ).fetchall()
    assert [
        (ordinal, speaker, role, start, end) for _, ordinal, speaker, role, start, end, _ in rows
    ] == [(s.ordinal, s.speaker, s.role, s.start_char, s.end_char) for s in document.segments]
    assert all(stored == full[start:end] for full, *_, start, end, stored in rows)
    assert rows[1][-1] == "😀 六个网格员，𠀋 两个卡口。"


STORED_NAMES = ("int01.txt", "A/int01.txt", "B/sub/int01.txt", "xint01.txt", "Int01.txt", "a/b")


@pytest.mark.parametrize(
    "new_name",
    ["int01.txt", "A/int01.txt", "C/int01.txt", "C/B/sub/int01.txt", "sub/int01.txt",
     "nt01.txt", "INT01.TXT", "b", "x/a/b", "other.txt", "/int01.txt"],
)  # fmt: skip
def test_the_name_look_up_before_the_path_look_up_agrees_with_the_name_rule(
    project: Project, new_name: str
) -> None:
    """A new document is looked up by source path (a scan of every document's text) only when
    some stored name could name the same file; that pre-check, which reads only the name
    index, must say yes exactly when the rule that picks the document would accept a name."""
    from qualcode.store.documents import _has_name_of_same_file, _same_file_name

    for number, name in enumerate(STORED_NAMES):
        text = f"受访者：第{number}份。"
        document = PreparedDocument(
            name, name, text, "utf-8", "txt", "zh", "turn", [Segment(0, 4, len(text))]
        )
        store_document(project, document, case_name="c")
    expected = any(_same_file_name(stored, new_name) for stored in STORED_NAMES)
    assert _has_name_of_same_file(project.conn, new_name) is expected
