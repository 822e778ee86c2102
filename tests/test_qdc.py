"""REFI-QDA codebooks: ``codebook export --format qdc`` and ``codebook load FILE.qdc``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from lxml import etree

from tests.conftest import Cli, prepare_interview
from tests.exporting.test_qdpx import interop_file

CODES = (
    "SELECT code_id, parent_id, name_zh, name_en, description_zh, description_en, color, "
    "depth, ordinal FROM codes WHERE active ORDER BY ordinal"
)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return [tuple(row) for row in conn.execute(sql)]


def test_export_is_valid_and_says_rules_stay_behind(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    out = tmp_path / "mini.qdc"
    result = cli("codebook", "export", "--format", "qdc", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "no keyword rules" in result.stderr
    schema = etree.XMLSchema(etree.parse(str(interop_file("refi-qda", "Codebook.xsd"))))
    document = etree.parse(str(out))
    assert schema.validate(document), schema.error_log
    count = rows(cli.db_path, "SELECT count(*) FROM codes WHERE active")[0][0]
    assert len(document.findall(".//{urn:QDA-XML:codebook:1.0}Code")) == count
    assert "keywords" not in out.read_text(encoding="utf-8")
    # Exporting twice gives the same file.
    assert (
        cli("codebook", "export", "--format", "qdc", "-o", str(tmp_path / "b.qdc")).exit_code == 0
    )
    assert (tmp_path / "b.qdc").read_bytes() == out.read_bytes()


def test_loading_back_keeps_rules_and_a_new_project_gets_the_tree(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    out = tmp_path / "mini.qdc"
    assert cli("codebook", "export", "--format", "qdc", "-o", str(out)).exit_code == 0
    rules_before = rows(cli.db_path, "SELECT code_id, rules FROM codes WHERE active")
    again = cli("codebook", "load", str(out))
    assert again.exit_code == 0 and "unchanged" in again.stderr, again.stderr
    assert rows(cli.db_path, "SELECT code_id, rules FROM codes WHERE active") == rules_before
    other = Cli(tmp_path / "other.db")
    assert other("codebook", "load", str(out)).exit_code == 0
    assert rows(other.db_path, CODES) == rows(cli.db_path, CODES)
    assert {rule for _code, rule in rows(other.db_path, "SELECT code_id, rules FROM codes")} == {
        '{"exclude": [], "keywords": [], "lemmas": [], "patterns": [], "scope": "respondent"}'
    }


def test_codebook_from_another_tool(cli: Cli, tmp_path: Path) -> None:
    qdc = tmp_path / "nvivo.qdc"
    qdc.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo">\n<Codes>\n'
        '<Code guid="5067d381-1dc9-4816-81dd-ae1dbfea2ad7" name="2. Attitűd szint" '
        'isCodable="true" color="#FF0000"><Description>Erősen szkeptikus</Description>'
        '<Code guid="e8811e5d-feb6-458a-b0dd-ae1dbfef84b8" name="piros" isCodable="true"/>'
        '<Code guid="e8811e5d-feb6-458a-b0dd-ae1dbfef84b9" name="Piros!" isCodable="true"/>'
        '<Code guid="e8811e5d-feb6-458a-b0dd-ae1dbfef84c0" name="网格员" isCodable="true"/>'
        "</Code>\n</Codes>\n</CodeBook>\n",
        encoding="utf-8",
    )
    result = cli("codebook", "load", str(qdc))
    assert result.exit_code == 0, result.stderr
    assert rows(
        cli.db_path, "SELECT code_id, name_zh, name_en, description_en, color FROM codes"
    ) == [
        ("2_attitud_szint", None, "2. Attitűd szint", "Erősen szkeptikus", "#FF0000"),
        ("2_attitud_szint.piros", None, "piros", None, None),
        ("2_attitud_szint.piros_2", None, "Piros!", None, None),
        ("2_attitud_szint.code", "网格员", None, None, None),
    ]


def test_qdc_with_a_dtd_is_refused(cli: Cli, tmp_path: Path) -> None:
    qdc = tmp_path / "bomb.qdc"
    qdc.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE CodeBook [<!ENTITY a "aaaaaaaaaa">]>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="'
        '5067d381-1dc9-4816-81dd-ae1dbfea2ad7" name="&a;" isCodable="true"/></Codes></CodeBook>',
        encoding="utf-8",
    )
    result = cli("codebook", "load", str(qdc))
    assert result.exit_code == 1
    assert str(qdc) in result.stderr and "declares a DTD" in result.stderr
    assert result.stderr.count("\n") == 1
