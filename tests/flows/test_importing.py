"""Importing through the CLI: reporting, idempotence, conflicts, cases, bad input, reading back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import docx

from qualcode.store.documents import SEGMENT_FIELDS
from tests.conftest import Cli, write

INTERVIEW = (
    "柴机社区访谈（示例）\n"
    "关键词：网格化；疫情防控\n"
    "\n"
    "采访者：您好，请问社区是怎么划分网格的？\n"
    "受访者：我们一共划了八个网格，每个网格配一到两个网格员。\n"
    "采访者：卡口是怎么设置的？\n"
    "受访者：小区只留一个出入口，二十四小时值守，测体温、查行程码。\n"
)


def table_dump(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every user table, to compare a project before and after."""
    conn = sqlite3.connect(db_path)
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'segments_fts%'"
        )
    ]
    dump = {
        table: conn.execute(f"SELECT * FROM [{table}] ORDER BY 1").fetchall() for table in tables
    }
    conn.close()
    return dump


def test_import_text_with_speaker_labels(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "chaiji.txt", INTERVIEW)
    result = cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"Created project {cli.db_path}.",
        f"added    {path}  case chaiji, 4 segments",
        "1 added, 0 replaced, 0 skipped, 0 failed",
    ]
    segments = json.loads(cli("segments", "--format", "json").stdout)
    assert [tuple(row) for row in segments] == [SEGMENT_FIELDS] * 4
    assert [(row["speaker"], row["role"]) for row in segments] == [
        ("采访者", "interviewer"), ("受访者", "respondent"),
        ("采访者", "interviewer"), ("受访者", "respondent"),
    ]  # fmt: skip
    assert segments[1]["text"] == "我们一共划了八个网格，每个网格配一到两个网格员。"
    document = json.loads(cli("docs", "show", "chaiji.txt", "--format", "json").stdout)
    assert document["text"] == INTERVIEW
    assert document["language"] == "zh"
    assert document["encoding"] == "utf-8"
    assert document["case_name"] == "chaiji"
    for row in segments:
        assert document["text"][row["start_char"] : row["end_char"]] == row["text"]


def test_same_content_again_is_skipped_even_under_another_name(cli: Cli, tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "chaiji.txt", INTERVIEW)
    cli("import", str(first))
    before = table_dump(cli.db_path)
    again = cli("import", str(first))
    assert again.exit_code == 0
    assert again.stderr.splitlines()[0] == f"skipped  {first}: already imported"
    # Same bytes in GB18030 under another name: same normalised text, same document.
    other = write(tmp_path / "b" / "copy.txt", INTERVIEW, encoding="gb18030")
    copy = cli("import", str(other))
    assert copy.stderr.splitlines()[0] == (
        f"skipped  {other}: same content as 'chaiji.txt', already imported"
    )
    assert table_dump(cli.db_path) == before


def test_same_name_different_content_needs_replace(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "chaiji.txt", INTERVIEW)
    cli("import", str(path))
    before = table_dump(cli.db_path)
    write(path, INTERVIEW + "受访者：还有一点，志愿者也很重要。\n")
    refused = cli("import", str(path))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"failed   {path}: a different document named 'chaiji.txt' is already in the project; "
        "use --replace to replace it"
    )
    assert table_dump(cli.db_path) == before
    replaced = cli("import", str(path), "--replace")
    assert replaced.exit_code == 0
    assert replaced.stderr.splitlines()[0] == (
        f"replaced {path}  case chaiji, 5 segments; replaced document 'chaiji.txt' (id 1, 4 "
        "segments)"
    )
    segments = json.loads(cli("segments", "--format", "json").stdout)
    assert len(segments) == 5
    # The search index forgets the replaced document's segments.
    hits = json.loads(cli("search", "网格员", "--format", "json").stdout)
    assert [hit["segment_id"] for hit in hits] == [segments[1]["segment_id"]]


def test_case_from_option_then_cases_csv_then_file_name(cli: Cli, tmp_path: Path) -> None:
    cases_csv = write(tmp_path / "communities.csv", "case,file,district\nChaiji,one.txt,Liangxi\n")
    cli("cases", "import", str(cases_csv))
    one = write(tmp_path / "in" / "one.txt", INTERVIEW)
    two = write(tmp_path / "in" / "two.txt", INTERVIEW.replace("八", "九"))
    three = write(tmp_path / "in" / "three.txt", INTERVIEW.replace("八", "七"))
    cli("import", str(one), str(two))
    cli("import", str(three), "--case", "Anxi", "--attr", "district=Xishan", "--attr", "staff=9")
    documents = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert {row["document"]: row["case_name"] for row in documents} == {
        "one.txt": "Chaiji", "two.txt": "two", "three.txt": "Anxi",
    }  # fmt: skip
    cases = {
        row["case_name"]: row for row in json.loads(cli("cases", "list", "--format", "json").stdout)
    }
    assert cases["Anxi"]["staff"] == 9
    assert cases["Anxi"]["district"] == "Xishan"
    assert cases["Chaiji"]["district"] == "Liangxi"


def test_folder_import_skips_readme_and_cases_table(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    write(folder / "README.md", "# Sample interviews\n\nThese are illustrative.\n")
    write(folder / "communities.csv", "case,file,district\nChaiji,chaiji.txt,Liangxi\n")
    write(folder / "chaiji.txt", INTERVIEW)
    write(folder / ".hidden.txt", INTERVIEW + "x")
    result = cli("import", str(folder))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[1:] == [
        f"skipped  {folder / 'communities.csv'}: case attribute table, not a transcript",
        f"added    {folder / 'chaiji.txt'}  case chaiji, 4 segments",
        "1 added, 0 replaced, 1 skipped, 0 failed",
    ]


def test_bad_inputs_fail_one_line_each_and_good_files_still_import(
    cli: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    good = write(folder / "good.txt", INTERVIEW)
    empty = write(folder / "empty.txt", "")
    (folder / "zero.docx").write_bytes(b"")
    (folder / "corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip archive")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "broken.txt").write_bytes(b"\xff\xfe\xfa\xfb\xfc broken \xff\xff\x80\x81" * 3)
    unknown = write(folder / "notes.pdf", "%PDF-1.4")
    table = write(folder / "turns.csv", "time,speaker\n00:01,A\n")
    result = cli("import", str(folder), str(unknown))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    failed = [line for line in lines if line.startswith("failed")]
    named = {
        path.name
        for path in (empty, folder / "zero.docx", folder / "corrupt.docx",
                     folder / "image.txt", folder / "broken.txt", unknown, table)
    }  # fmt: skip
    assert len(failed) == len(named)
    for name in named:
        assert sum(name in line for line in failed) == 1, name
    assert f"added    {good}  case good, 4 segments" in lines
    assert lines[-1] == "1 added, 0 replaced, 0 skipped, 7 failed"
    documents = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert [row["document"] for row in documents] == ["good.txt"]


def test_json_report_on_stdout(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "chaiji.txt", INTERVIEW)
    result = cli("import", str(path), "--format", "json")
    report = json.loads(result.stdout)
    assert report == [
        {"path": str(path), "status": "added", "document": "chaiji.txt", "case_name": "chaiji",
         "segments": 4, "message": "", "controls_removed": 0, "roles_unknown": False}
    ]  # fmt: skip


def test_docx_with_table_imports_in_body_order(cli: Cli, tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("安溪社区访谈（示例）")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "社区"
    table.cell(0, 1).text = "安溪"
    document.add_paragraph("【访谈者】社区怎么组织应急队伍？")
    document.add_paragraph("【受访者】我们靠党员和志愿者，还有物业。")
    path = tmp_path / "anxi.docx"
    document.save(str(path))
    result = cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    segments = json.loads(cli("segments", "--format", "json").stdout)
    assert [(row["speaker"], row["role"], row["text"]) for row in segments] == [
        ("访谈者", "interviewer", "社区怎么组织应急队伍？"),
        ("受访者", "respondent", "我们靠党员和志愿者，还有物业。"),
    ]
    text = json.loads(cli("docs", "show", "anxi.docx", "--format", "json").stdout)["text"]
    assert text.index("安溪社区访谈") < text.index("安溪\n") < text.index("【访谈者】")


def test_unit_sentence_splits_turns(cli: Cli, tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.txt",
        "采访者：有谣言吗？\n受访者：有的。说菜价太高了！后来我们辟谣了。\n",
    )
    cli("import", str(path), "--unit", "sentence")
    texts = [row["text"] for row in json.loads(cli("segments", "--format", "json").stdout)]
    assert texts == ["有谣言吗？", "有的。", "说菜价太高了！", "后来我们辟谣了。"]


def test_segments_filters(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.txt", INTERVIEW)
    write(tmp_path / "in" / "b.txt", INTERVIEW.replace("八", "六"))
    cli("import", str(tmp_path / "in"))
    rows = json.loads(
        cli("segments", "--case", "b", "--speaker", "受访者", "--format", "json").stdout
    )
    assert [row["case_name"] for row in rows] == ["b", "b"]
    assert "六个网格" in rows[0]["text"]
    assert (
        json.loads(
            cli("segments", "--role", "interviewer", "--limit", "1", "--format", "json").stdout
        )[0]["role"]
        == "interviewer"
    )


def test_segments_with_an_unknown_case_document_or_code_is_an_error(
    cli: Cli, tmp_path: Path
) -> None:
    """A typo in a filter must not look like "no segments"."""
    cli("import", str(write(tmp_path / "chaiji.txt", INTERVIEW)))
    case = cli("segments", "--case", "chaij")
    assert (case.exit_code, case.stderr) == (1, "Error: no case 'chaij'; did you mean 'chaiji'?\n")
    document = cli("segments", "--doc", "nope.txt")
    assert (document.exit_code, document.stderr) == (
        1, "Error: no document 'nope.txt' (see 'qualcode docs list')\n"
    )  # fmt: skip
    code = cli("segments", "--code", "grid")
    assert code.exit_code == 1
    assert code.stderr.startswith("Error: no code 'grid' in the project's codebook")


def test_same_file_names_in_different_folders_are_different_documents(
    cli: Cli, tmp_path: Path
) -> None:
    """``import multi/ --replace`` with A/int01.txt and B/int01.txt loses neither interview."""
    folder = tmp_path / "multi"
    first = write(folder / "A" / "int01.txt", INTERVIEW)
    second = write(folder / "B" / "int01.txt", INTERVIEW + "受访者：还有一点，志愿者也很重要。\n")
    result = cli("import", str(folder), "--replace")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[1:] == [
        f"added    {first}  case int01, 4 segments",
        f"added    {second}  case int01, 5 segments",
        "2 added, 0 replaced, 0 skipped, 0 failed",
    ]
    listed = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert [row["document"] for row in listed] == ["A/int01.txt", "B/int01.txt"]
    # A new version of B replaces B, and only B; A is reported as unchanged.
    write(second, INTERVIEW + "受访者：最后，居民的配合最重要。\n")
    result = cli("import", str(folder), "--replace")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"skipped  {first}: already imported",
        f"replaced {second}  case int01, 5 segments; replaced document 'B/int01.txt' (id 2, 5 "
        "segments)",
        "0 added, 1 replaced, 1 skipped, 0 failed",
    ]
    listed = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert [row["document"] for row in listed] == ["A/int01.txt", "B/int01.txt"]
    assert (
        json.loads(cli("docs", "show", "A/int01.txt", "--format", "json").stdout)["text"]
        == INTERVIEW
    )


def test_a_file_named_after_its_folder_was_imported_replaces_its_own_document(
    cli: Cli, tmp_path: Path
) -> None:
    """The document imported from the same file is the one replaced, whatever it is named."""
    folder = tmp_path / "multi"
    first = write(folder / "A" / "int01.txt", INTERVIEW)
    write(folder / "B" / "int01.txt", INTERVIEW + "受访者：还有一点，志愿者也很重要。\n")
    assert cli("import", str(folder)).exit_code == 0
    write(first, INTERVIEW + "受访者：最后，居民的配合最重要。\n")
    result = cli("import", str(first), "--replace")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"replaced {first}  case int01, 5 segments; replaced document 'A/int01.txt' (id 1, 4 "
        "segments)"
    )
    listed = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert [row["document"] for row in listed] == ["B/int01.txt", "int01.txt"]
