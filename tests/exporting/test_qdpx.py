"""``qualcode export qdpx``: a project leaves qualcode as a REFI-QDA 1.0 project.

Every export is validated against the standard's ``Project.xsd`` (from ``../shared/interop``,
laid beside the repository as CI lays it out); positions are checked to be code points into the
exported text, GUIDs to be stable across exports.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from qualcode.flows.demo import run_demo
from qualcode.flows.qdpx import export_qdpx
from qualcode.store.codings import Span, add_memo, code_segment
from qualcode.store.project import Project, open_project
from tests.conftest import REPOSITORY, Cli, prepare_interview, write

INTEROP = REPOSITORY.parent / "shared" / "interop"
NS = {"q": "urn:QDA-XML:project:1.0"}


def interop_file(*parts: str) -> Path:
    """A file of ``../shared/interop``; missing is a failure, never a skip."""
    path = INTEROP.joinpath(*parts)
    assert path.is_file(), f"{path} is missing: the interop material must sit beside the repo"
    return path


def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(interop_file("refi-qda", "Project.xsd"))))


def read_export(path: Path) -> tuple[Any, zipfile.ZipFile]:
    """The parsed project.qde (validated against Project.xsd) and the open archive."""
    archive = zipfile.ZipFile(path)
    root = etree.fromstring(archive.read("project.qde"))
    schema = project_schema()
    assert schema.validate(root), schema.error_log
    return root, archive


def source_text(root: Any, archive: zipfile.ZipFile, name: str) -> str:
    source = root.find(f".//q:TextSource[@name='{name}']", NS)
    member = "sources/" + source.get("plainTextPath").removeprefix("internal://")
    return str(archive.read(member).decode("utf-8"))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    return run_demo(folder).db_path


def test_demo_export_is_valid_and_complete(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.qdpx"
    with open_project(demo_db) as project:
        summary = export_qdpx(project, out)
        codings = project.conn.execute(
            "SELECT document, coder, origin, start_char, end_char, quote FROM codings_view"
        ).fetchall()
        documents = project.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        codes = project.conn.execute("SELECT count(*) FROM codes WHERE active").fetchone()[0]
    root, archive = read_export(out)
    assert summary.codings == len(codings) > 600
    assert len(root.findall(".//q:TextSource", NS)) == documents == summary.documents
    assert len(root.findall(".//q:CodeBook//q:Code", NS)) == codes
    users = {user.get("name"): user.get("guid") for user in root.findall(".//q:User", NS)}
    assert {"auto", "li (illustrative)", "wang (illustrative)"} <= set(users)
    # Every coding is a selection whose positions cut its quote out of the exported text.
    exported = []
    for source in root.findall(".//q:TextSource", NS):
        text = source_text(root, archive, source.get("name"))
        for selection in source.findall("q:PlainTextSelection", NS):
            if selection.find("q:Coding", NS) is None:
                continue
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            user = next(
                name for name, guid in users.items() if guid == selection.get("creatingUser")
            )
            exported.append((source.get("name"), user, start, end, text[start:end]))
    expected = [(d, c, s, e, q) for d, c, _origin, s, e, q in codings]
    assert sorted(exported) == sorted(expected)


def test_auto_codings_name_their_run_and_rule(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.qdpx"
    with open_project(demo_db) as project:
        export_qdpx(project, out)
        run_id, rule_kind, rule = project.conn.execute(
            "SELECT run_id, rule_kind, rule FROM codings WHERE origin = 'auto' LIMIT 1"
        ).fetchone()
    root, _archive = read_export(out)
    descriptions = {
        element.text for element in root.findall(".//q:PlainTextSelection/q:Description", NS)
    }
    assert f"qualcode auto-coding: run {run_id}, {rule_kind} {rule}" in descriptions


def test_exporting_twice_gives_the_same_file(demo_db: Path, tmp_path: Path) -> None:
    with open_project(demo_db) as project:
        export_qdpx(project, tmp_path / "first.qdpx")
        export_qdpx(project, tmp_path / "second.qdpx")
    first = (tmp_path / "first.qdpx").read_bytes()
    assert first == (tmp_path / "second.qdpx").read_bytes()
    root, _archive = read_export(tmp_path / "first.qdpx")
    guids = [element.get("guid") for element in root.iter() if element.get("guid")]
    assert len(guids) == len(set(guids))


def test_positions_are_code_points_and_memos_are_notes(
    cli: Cli, project: Project, tmp_path: Path
) -> None:
    text = "采访者：你好😀吗？\n书记：网格员😀😀每天巡查，防控物资充足。\n"
    assert cli("import", str(write(tmp_path / "emoji.txt", text))).exit_code == 0
    prepare_interview(cli, tmp_path)
    conn = project.conn
    segment_id, segment_text = conn.execute(
        "SELECT segment_id, text FROM segments_view WHERE document = 'emoji.txt' "
        "AND text LIKE '%巡查%'"
    ).fetchone()
    code_id = conn.execute("SELECT code_id FROM codes WHERE parent_id IS NOT NULL").fetchone()[0]
    coding = code_segment(project, segment_id, code_id, coder="mei", span=Span(quote="巡查"))
    code_segment(project, segment_id, code_id, coder="mei", memo="daily rounds")
    add_memo(project, "segment", str(segment_id), "two emoji before", coder="mei")
    add_memo(project, "code", code_id, "about patrols", coder="jun")
    add_memo(project, "document", "emoji.txt", "a made-up interview", coder="jun")
    out = tmp_path / "emoji.qdpx"
    assert cli("export", "qdpx", str(out)).exit_code == 0
    root, archive = read_export(out)
    exported_text = source_text(root, archive, "emoji.txt")
    selections = root.findall(".//q:TextSource[@name='emoji.txt']/q:PlainTextSelection", NS)
    spans = [(int(s.get("startPosition")), int(s.get("endPosition"))) for s in selections]
    start = text.index("巡查")
    assert (start, start + 2) in spans  # code points: each emoji counts one
    assert exported_text[start : start + 2] == coding.quote == "巡查"
    notes = {
        note.findtext("q:PlainTextContent", namespaces=NS)
        for note in root.iterfind(".//q:Note", NS)
    }
    assert notes == {"daily rounds", "two emoji before", "about patrols", "a made-up interview"}
    memo_selection = [s for s in selections if s.find("q:Coding", NS) is None]
    assert len(memo_selection) == 1
    assert (
        exported_text[
            int(memo_selection[0].get("startPosition")) : int(memo_selection[0].get("endPosition"))
        ]
        == segment_text
    )
    code_note = root.find(".//q:Code[@guid]/q:NoteRef", NS)
    assert code_note is not None


def test_export_of_an_empty_project_is_valid(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    result = cli("export", "qdpx", str(tmp_path / "empty.qdpx"))
    assert result.exit_code == 0, result.stderr
    read_export(tmp_path / "empty.qdpx")


def test_export_into_a_missing_folder_is_one_line(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    result = cli("export", "qdpx", str(tmp_path / "nowhere" / "x.qdpx"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr


def test_case_attributes_become_typed_variables(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.qdpx"
    with open_project(demo_db) as project:
        export_qdpx(project, out)
    root, _archive = read_export(out)
    kinds = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind(".//q:Variable", NS)}
    assert kinds["years_in_post"] == "Integer" and kinds["district"] == "Text"
    chaiji = root.find(".//q:Case[@name='Chaiji']", NS)
    assert chaiji.find("q:SourceRef", NS) is not None
    values = [
        value.findtext("q:TextValue", namespaces=NS)
        for value in chaiji.iterfind("q:VariableValue", NS)
    ]
    assert "Liangxi" in values
