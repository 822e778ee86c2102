"""``qualcode import qdpx``: REFI-QDA projects from NVivo and others come in, exactly.

The real NVivo 12 export in ``../shared/interop`` (two sources, 152 codes, 303 selections by
two users, UTF-16 positions over text with 892 emoji) is the main witness; hand-made archives
cover the leniency real exports need and the refusals safe parsing needs.
"""

from __future__ import annotations

import io
import sqlite3
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.flows.qdpx import fit_segments
from qualcode.importing.qdpx import read_qdpx
from qualcode.models import Segment
from tests.conftest import Cli
from tests.exporting.test_qdpx import interop_file

NVIVO = "nvivo12_oltas0517.qdpx"
CODED_SOURCE = "68bbdc14-c361-4432-b4dd-ae1dbfc12890"


@pytest.fixture(scope="module")
def nvivo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("nvivo") / "nvivo.db"
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "import", "qdpx", str(interop_file("refi-qda", NVIVO))],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    return db


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return [tuple(row) for row in conn.execute(sql)]


@pytest.mark.slow
def test_nvivo_sources_codes_and_coders(nvivo_db: Path) -> None:
    assert rows(nvivo_db, "SELECT name FROM documents ORDER BY name") == [
        ("videos_10_selected",),
        ("videos_selection",),
    ]
    assert rows(nvivo_db, "SELECT count(*) FROM codes WHERE active") == [(152,)]
    by_depth = dict(rows(nvivo_db, "SELECT depth, count(*) FROM codes GROUP BY depth"))
    assert by_depth[0] >= 5 and by_depth[1] > by_depth[0] and 2 in by_depth
    assert rows(
        nvivo_db,
        "SELECT parent_id, name_en FROM codes WHERE code_id = '2_attitud_szint_az_oltashoz.piros'",
    ) == [("2_attitud_szint_az_oltashoz", "piros")]
    # Each selection's creatingUser, not the Coding's (which names who last saved the file).
    assert rows(nvivo_db, "SELECT coder, count(*) FROM codings GROUP BY coder ORDER BY coder") == [
        ("Gergo", 6),
        ("floriansipos", 297),
    ]


def _nvivo_selected_texts() -> list[str]:
    """What NVivo selected: UTF-16 positions over the .txt without BOM, CRLF kept; then line
    ends and NFC as qualcode stores text."""
    from lxml import etree

    archive = zipfile.ZipFile(interop_file("refi-qda", NVIVO))
    raw = archive.read(f"Sources/{CODED_SOURCE}.txt").decode("utf-8-sig").encode("utf-16-le")
    root = etree.fromstring(archive.read("project.qde"))
    texts = []
    for selection in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection"):
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        selected = raw[2 * start : 2 * end].decode("utf-16-le").replace("\r\n", "\n")
        texts.append(unicodedata.normalize("NFC", selected))
    return texts


@pytest.mark.slow
def test_nvivo_quotes_are_the_text_nvivo_selected(nvivo_db: Path) -> None:
    quotes = [row[0] for row in rows(nvivo_db, "SELECT quote FROM codings_view")]
    assert len(quotes) == 303
    assert sorted(quotes) == sorted(_nvivo_selected_texts())
    text = rows(nvivo_db, "SELECT text FROM documents WHERE name = 'videos_10_selected'")[0][0]
    assert isinstance(text, str)
    spans = rows(nvivo_db, "SELECT start_char, end_char, quote FROM codings_view")
    assert all(text[start:end] == quote for start, end, quote in spans)


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    def boundary(position: int) -> bool:
        if position <= 0 or position >= len(text):
            return True
        return not (text[position - 1].isalnum() and text[position].isalnum())

    return boundary(start) and boundary(end)


def test_nvivo_selections_fall_on_word_boundaries() -> None:
    """Counted as UTF-16 units, nearly every selection starts and ends between words; counted
    as code points (what the standard says) they drift after the first emoji."""
    project = read_qdpx(interop_file("refi-qda", NVIVO))
    source = next(source for source in project.sources if source.selections)
    assert source.position_unit == "utf16" and source.text is not None
    text = source.text
    on_boundaries = [
        _on_word_boundaries(text, selection.start_char, selection.end_char)
        for selection in source.selections
    ]
    assert sum(on_boundaries) >= 0.97 * len(on_boundaries)
    plain = text  # the same positions taken as code points
    drifted = [
        _on_word_boundaries(plain, selection.start_position, selection.end_position)
        for selection in source.selections
        if selection.end_position <= len(plain)
    ]
    assert sum(drifted) < 0.8 * len(drifted)


# Hand-made archives -----------------------------------------------------------------------

G = "00000000-0000-4000-8000-{:012d}"


def qde(body: str, origin: str = "QualCoder 3.5") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="hand" origin="{origin}">{body}</Project>'
    )


def users_and_codes() -> str:
    return (
        f'<Users><User guid="{G.format(1)}" name="ana"/><User guid="{G.format(2)}" name="ben"/>'
        f'</Users><CodeBook><Codes><Code guid="{G.format(10)}" name="治理" isCodable="false">'
        f'<Code guid="{G.format(11)}" name="Grid work" isCodable="true"/></Code></Codes>'
        "</CodeBook>"
    )


def selection(start: int, end: int, user: int = 1, code: int = 11, guid: int = 100) -> str:
    return (
        f'<PlainTextSelection guid="{G.format(guid)}" startPosition="{start}" '
        f'endPosition="{end}" creatingUser="{G.format(user)}"><Coding guid="{G.format(guid + 1)}">'
        f'<CodeRef targetGUID="{G.format(code)}"/></Coding></PlainTextSelection>'
    )


def source(name: str, path: str, selections: str = "", guid: int = 50) -> str:
    return (
        f'<Sources><TextSource guid="{G.format(guid)}" name="{name}" plainTextPath="{path}">'
        f"{selections}</TextSource></Sources>"
    )


def make_qdpx(
    path: Path, project_xml: str, files: dict[str, bytes], qde_name: str = "project.qde"
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, project_xml.encode("utf-8"))
        for name, data in files.items():
            archive.writestr(name, data)
    return path


TEXT = "书记：网格员每天巡查 😀 and grid workers patrol.\n采访者：还有呢？\n"


def test_lenient_archive_crlf_bom_relative_path_upper_case_qde(cli: Cli, tmp_path: Path) -> None:
    crlf = TEXT.replace("\n", "\r\n")
    start = TEXT.index("网格员")
    body = users_and_codes() + source(
        "talk", "sources/talk.txt", selection(start, start + 3) + selection(0, 2, user=2, guid=200)
    )
    archive = make_qdpx(
        tmp_path / "hand.qdpx",
        qde(body),
        {"Sources/talk.txt": b"\xef\xbb\xbf" + crlf.encode("utf-8")},
        qde_name="Project.QDE",
    )
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 0, result.stderr
    db = cli.db_path
    assert rows(db, "SELECT coder, code, quote FROM codings_view ORDER BY coder") == [
        ("ana", "code.grid_work", "网格员"),
        ("ben", "code.grid_work", "书记"),
    ]
    assert rows(db, "SELECT name_zh, name_en FROM codes ORDER BY depth") == [
        ("治理", None),
        (None, "Grid work"),
    ]
    # Importing the same file again adds nothing.
    again = cli("import", "qdpx", str(archive))
    assert again.exit_code == 0 and "0 codings added (2 already present" in again.stderr
    assert rows(db, "SELECT count(*) FROM codings") == [(2,)]


def test_code_point_positions_after_an_emoji(cli: Cli, tmp_path: Path) -> None:
    """QualCoder counts code points: the same quote after the emoji comes out right."""
    start = TEXT.index("grid")
    body = users_and_codes() + source(
        "talk", "internal://talk.txt", selection(start, start + len("grid workers"))
    )
    archive = make_qdpx(tmp_path / "qc.qdpx", qde(body), {"sources/talk.txt": TEXT.encode()})
    assert cli("import", "qdpx", str(archive)).exit_code == 0
    assert rows(cli.db_path, "SELECT quote FROM codings_view") == [("grid workers",)]


def test_utf16_positions_from_nvivo_after_an_emoji(cli: Cli, tmp_path: Path) -> None:
    start = TEXT.index("grid") + 1  # the emoji counts two UTF-16 units
    body = users_and_codes() + source(
        "talk", "internal://talk.txt", selection(start, start + len("grid workers"))
    )
    archive = make_qdpx(
        tmp_path / "nv.qdpx",
        qde(body, origin="NVivo for Windows 12.6"),
        {"sources/talk.txt": TEXT.encode()},
    )
    assert cli("import", "qdpx", str(archive)).exit_code == 0
    assert rows(cli.db_path, "SELECT quote FROM codings_view") == [("grid workers",)]


def test_loose_qde_with_sources_folder_and_nested_codebook(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "talk.txt").write_text(TEXT, encoding="utf-8")
    start = TEXT.index("网格员")
    body = (
        f'<Users><User guid="{G.format(1)}" name="ana"/></Users>'
        f'<CodeBook><Codes><Code guid="{{{G.format(11).upper()}}}" name="Grid" isCodable="true"/>'
        "</Codes></CodeBook>" + source("talk", "talk.txt", selection(start, start + 3, code=11))
    )
    (folder / "project.qde").write_text(qde(body), encoding="utf-8")
    result = cli("import", "qdpx", str(folder / "project.qde"))
    assert result.exit_code == 0, result.stderr
    assert rows(cli.db_path, "SELECT code, quote FROM codings_view") == [("grid", "网格员")]


def test_missing_source_is_named_and_strict_refuses(cli: Cli, tmp_path: Path) -> None:
    start = TEXT.index("网格员")
    body = users_and_codes() + (
        f'<Sources><TextSource guid="{G.format(50)}" name="talk" plainTextPath="internal://t.txt">'
        f"{selection(start, start + 3)}</TextSource>"
        f'<PictureSource guid="{G.format(60)}" name="map of the district" path="internal://m.png"/>'
        f'<TextSource guid="{G.format(70)}" name="lost interview" plainTextPath="internal://x.txt"/>'
        "</Sources>"
    )
    archive = make_qdpx(tmp_path / "m.qdpx", qde(body), {"sources/t.txt": TEXT.encode()})
    strict = cli("import", "qdpx", str(archive), "--strict")
    assert strict.exit_code == 1
    assert "lost interview" in strict.stderr and "map of the district" in strict.stderr
    assert not rows(cli.db_path, "SELECT * FROM codings") if cli.db_path.exists() else True
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 0, result.stderr
    assert "lost interview" in result.stderr and "map of the district" in result.stderr
    assert rows(cli.db_path, "SELECT quote FROM codings_view") == [("网格员",)]


def test_selection_outside_its_source_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    body = users_and_codes() + source("talk", "internal://t.txt", selection(5, 5000))
    archive = make_qdpx(tmp_path / "bad.qdpx", qde(body), {"sources/t.txt": TEXT.encode()})
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 1
    assert str(archive) in result.stderr and "5-5000" in result.stderr and "line" in result.stderr
    assert rows(cli.db_path, "SELECT count(*) FROM documents") == [(0,)]
    assert rows(cli.db_path, "SELECT count(*) FROM codes") == [(0,)]


def test_position_that_is_not_a_number_names_the_element(cli: Cli, tmp_path: Path) -> None:
    body = users_and_codes() + source("talk", "internal://t.txt", selection(0, 2)).replace(
        'endPosition="2"', 'endPosition="two"'
    )
    archive = make_qdpx(tmp_path / "bad.qdpx", qde(body), {"sources/t.txt": TEXT.encode()})
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 1
    assert "PlainTextSelection" in result.stderr and "'two'" in result.stderr


def test_a_file_named_qdpx_is_still_a_transcript(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "qdpx").write_text("采访者：你好。\n书记：网格员很辛苦。\n", encoding="utf-8")
    result = cli("import", "qdpx")
    assert result.exit_code == 1  # no extension: refused as a transcript, not taken as a format
    assert "has no file extension" in result.stderr


# Safe parsing -------------------------------------------------------------------------------


def _refused(cli: Cli, archive: Path, words: str) -> None:
    assert cli("init").exit_code == 0
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and words in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert rows(cli.db_path, "SELECT count(*) FROM documents") == [(0,)]


def test_member_escaping_the_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    body = users_and_codes()
    archive = make_qdpx(tmp_path / "escape.qdpx", qde(body), {"../../evil.txt": b"x"})
    _refused(cli, archive, "points outside the archive's folder")


def test_zip_bomb_is_refused(cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        bomb.writestr("project.qde", qde(users_and_codes()))
        bomb.writestr("sources/zeros.txt", b"0" * (30 * 1024**2))
    _refused(cli, archive, "times the archive's")


def test_lying_zip_header_is_caught_while_inflating(tmp_path: Path) -> None:
    """Sizes are counted while inflating: a member that declares less than it holds is caught."""
    from qualcode.errors import InputError

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        bomb.writestr("project.qde", qde(users_and_codes() + " " * (30 * 1024**2)))
    archive = tmp_path / "liar.qdpx"
    archive.write_bytes(data.getvalue())
    with pytest.raises(InputError, match="times the archive's"):
        read_qdpx(archive)


def test_xml_bomb_is_refused(cli: Cli, tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY a "lol">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + ']>\n<Project xmlns="urn:QDA-XML:project:1.0" name="&j;"/>'
    )
    archive = make_qdpx(tmp_path / "laughs.qdpx", laughs, {})
    _refused(cli, archive, "declares a DTD")


def test_zip_that_is_not_refi_qda_is_refused(cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "photos.qdpx"
    with zipfile.ZipFile(archive, "w") as other:
        other.writestr("photo.txt", "not a project")
    _refused(cli, archive, "not a REFI-QDA project")


def test_malformed_xml_names_its_line(cli: Cli, tmp_path: Path) -> None:
    archive = make_qdpx(tmp_path / "broken.qdpx", qde("<Users><User"), {})
    _refused(cli, archive, "not well-formed XML")


# Segments that fit selections ----------------------------------------------------------------


def test_segments_are_merged_and_added_so_every_selection_fits() -> None:
    segments = [
        Segment(0, 0, 10, "A", "respondent"),
        Segment(1, 12, 20, "A", "respondent"),
        Segment(2, 25, 30, "B", "interviewer"),
    ]
    fitted = fit_segments(segments, [(5, 15), (21, 23), (28, 33)])
    assert [(s.ordinal, s.start_char, s.end_char, s.speaker) for s in fitted] == [
        (0, 0, 20, "A"),
        (1, 21, 23, None),
        (2, 25, 33, "B"),
    ]


def test_non_conformant_guids_import_with_a_warning(cli: Cli, tmp_path: Path) -> None:
    start = TEXT.index("网格员")
    body = (
        f'<Users><User guid="{G.format(1)}" name="ana"/></Users>'
        '<CodeBook><Codes><Code guid="code-1" name="Grid" isCodable="true"/></Codes></CodeBook>'
        + source("talk", "internal://t.txt", selection(start, start + 3)).replace(
            f'targetGUID="{G.format(11)}"', 'targetGUID="code-1"'
        )
    )
    archive = make_qdpx(tmp_path / "odd.qdpx", qde(body), {"sources/t.txt": TEXT.encode()})
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 0, result.stderr
    assert "warning" in result.stderr and "GUID" in result.stderr
    assert rows(cli.db_path, "SELECT code, quote FROM codings_view") == [("grid", "网格员")]


def test_undo_of_an_import_takes_its_documents_and_cases_out_too(cli: Cli, tmp_path: Path) -> None:
    """The import is one journal entry: undo leaves the project as it was before, documents
    and cases included (they are journaled with the codes and codings)."""
    start = TEXT.index("网格员")
    body = users_and_codes() + source("talk", "sources/talk.txt", selection(start, start + 3))
    archive = make_qdpx(tmp_path / "one.qdpx", qde(body), {"sources/talk.txt": TEXT.encode()})
    assert cli("init").exit_code == 0
    tables = ("documents", "segments", "cases", "codes", "codings")
    before = {table: rows(cli.db_path, f"SELECT * FROM {table}") for table in tables}
    assert cli("import", "qdpx", str(archive)).exit_code == 0
    assert rows(cli.db_path, "SELECT count(*) FROM documents") == [(1,)]
    result = cli("undo")
    assert result.exit_code == 0, result.stderr
    assert {table: rows(cli.db_path, f"SELECT * FROM {table}") for table in tables} == before


# Streaming: written source by source, still all or nothing ----------------------------------


def two_sources(second_selection: str) -> str:
    start = TEXT.index("网格员")
    return users_and_codes() + (
        f'<Sources><TextSource guid="{G.format(50)}" name="first" plainTextPath="internal://a.txt">'
        f"{selection(start, start + 3)}</TextSource>"
        f'<TextSource guid="{G.format(70)}" name="second" plainTextPath="internal://b.txt">'
        f"{second_selection}</TextSource></Sources>"
    )


def test_a_problem_in_a_later_source_leaves_the_project_as_it_was(cli: Cli, tmp_path: Path) -> None:
    """The first source is written before the second is read; the second's bad selection
    rolls the first back too."""
    assert cli("init").exit_code == 0
    files = {"sources/a.txt": TEXT.encode(), "sources/b.txt": TEXT.encode()}
    archive = make_qdpx(tmp_path / "late.qdpx", qde(two_sources(selection(3, 900))), files)
    triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    journaling = rows(cli.db_path, triggers)
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 1 and "second" in result.stderr and "3-900" in result.stderr
    for table in ("documents", "segments", "codes", "codings", "cases", "journal_entries"):
        assert rows(cli.db_path, f"SELECT count(*) FROM {table}") == [(0,)], table
    # The journal triggers the import dropped for its transaction came back with the rollback.
    assert rows(cli.db_path, triggers) == journaling


def test_xml_broken_after_the_first_source_leaves_the_project_as_it_was(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("init").exit_code == 0
    whole = qde(two_sources(selection(0, 2)))
    cut = whole[: whole.index('<TextSource guid="' + G.format(70))] + "<TextSource"
    files = {"sources/a.txt": TEXT.encode(), "sources/b.txt": TEXT.encode()}
    archive = make_qdpx(tmp_path / "cut.qdpx", cut, files)
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 1 and "not well-formed XML" in result.stderr
    assert rows(cli.db_path, "SELECT count(*) FROM documents") == [(0,)]
    assert rows(cli.db_path, "SELECT count(*) FROM codings") == [(0,)]


# Sources given only as .docx ------------------------------------------------------------------

PARAGRAPHS = [
    "书记：网格员每天巡查 😀 and grid workers patrol.",
    "采访者：还有呢？",
    "书记：还有志愿者。",
]


def docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """A real .docx written by python-docx."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table, strict=True):
            for cell, text in zip(row.cells, cells, strict=True):
                cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_only_source(selections: str, name: str = "talk", guid: int = 50) -> str:
    return (
        f'<TextSource guid="{G.format(guid)}" name="{name}" '
        f'richTextPath="internal://{name}.docx">{selections}</TextSource>'
    )


def test_docx_only_source_is_read_as_qualcode_reads_docx(cli: Cli, tmp_path: Path) -> None:
    """No plain-text rendering in the archive: the .docx is rendered one line per paragraph
    (as qualcode's .docx importer does, and as exporters render paragraphs), positions count
    in that text, and a warning says so."""
    text = "\n".join(PARAGRAPHS)
    start = text.index("志愿者")  # after the emoji and a paragraph break
    body = users_and_codes() + "<Sources>" + docx_only_source(selection(start, start + 3))
    archive = make_qdpx(
        tmp_path / "docx.qdpx",
        qde(body + "</Sources>"),
        {"sources/talk.docx": docx_bytes(PARAGRAPHS)},
    )
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 0, result.stderr
    assert "positions counted in qualcode's rendering" in result.stderr
    assert rows(cli.db_path, "SELECT quote FROM codings_view") == [("志愿者",)]
    assert cli("docs", "show", "talk", "--format", "json").stdout.count("网格员") == 1


def test_docx_only_source_with_a_table_and_selections_is_refused_by_name(
    cli: Cli, tmp_path: Path
) -> None:
    """Tools render tables differently (NVivo: a cell per line), so positions into a .docx
    with a table cannot be trusted: that source is named and left out, --strict refuses."""
    table = [["书记", "网格员每天巡查"], ["采访者", "还有呢？"]]
    body = users_and_codes() + (
        "<Sources>"
        + docx_only_source(selection(0, 2), name="tabled", guid=50)
        + docx_only_source("", name="plain", guid=70)
        + "</Sources>"
    )
    files = {
        "sources/tabled.docx": docx_bytes(PARAGRAPHS[:1], table),
        "sources/plain.docx": docx_bytes(PARAGRAPHS[1:], table),  # no selections: imported
    }
    archive = make_qdpx(tmp_path / "table.qdpx", qde(body), files)
    strict = cli("import", "qdpx", str(archive), "--strict")
    assert strict.exit_code == 1 and "tabled" in strict.stderr and "table" in strict.stderr
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 0, result.stderr
    assert "tabled" in result.stderr and "holds a table" in result.stderr
    assert rows(cli.db_path, "SELECT name FROM documents") == [("plain",)]
    assert rows(cli.db_path, "SELECT count(*) FROM codings") == [(0,)]


def test_a_write_refused_at_a_later_source_rolls_back_the_earlier_ones(
    cli: Cli, tmp_path: Path
) -> None:
    """The project already has a different document named like the second source: the
    import stops there, and the first source, already written, is gone again."""
    other = tmp_path / "second.txt"
    other.write_text("采访者：别的访谈。\n书记：完全不同的内容。\n", encoding="utf-8")
    assert cli("import", str(other)).exit_code == 0
    body = two_sources(selection(0, 2)).replace('name="second"', 'name="second.txt"')
    files = {"sources/a.txt": TEXT.encode(), "sources/b.txt": "书记：又一份。\n".encode()}
    archive = make_qdpx(tmp_path / "clash.qdpx", qde(body), files)
    result = cli("import", "qdpx", str(archive))
    assert result.exit_code == 1 and "'second.txt' is already" in result.stderr, result.stderr
    assert rows(cli.db_path, "SELECT name FROM documents") == [("second.txt",)]
    assert rows(cli.db_path, "SELECT count(*) FROM codings") == [(0,)]
    assert rows(cli.db_path, "SELECT count(*) FROM codes") == [(0,)]
