"""CSV tables: rows with their physical lines in any encoding and delimiter, and table kinds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qualcode.errors import InputError
from qualcode.text.csv_tables import (
    looks_like_cases_table,
    looks_like_codings_table,
    read_csv_rows,
    read_csv_table,
)
from tests.conftest import REPOSITORY


def test_looks_like_codings_table() -> None:
    assert looks_like_codings_table(["Document", "Code", "Coder", "Quote"])
    assert looks_like_codings_table(["文档", "编码", "编码员", "段落序号"])
    assert not looks_like_codings_table(["时间", "说话人", "内容"])
    assert not looks_like_codings_table(["community", "file", "district"])


def test_looks_like_cases_table() -> None:
    assert looks_like_cases_table([" Community ", "File", "district"])
    assert looks_like_cases_table(["case", "document"])
    assert not looks_like_cases_table(["community", "district"])
    assert not looks_like_cases_table(["speaker", "text"])


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_rows_keep_the_line_they_start_on(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "table.csv"
    text = f'case{delimiter}memo\n\nChaiji{delimiter}"two\nlines"\nAnxi{delimiter}short\n'
    path.write_text(text, encoding="gb18030")
    assert read_csv_rows(path) == [
        (1, ["case", "memo"]),
        (3, ["Chaiji", "two\nlines"]),
        (5, ["Anxi", "short"]),
    ]


def test_the_delimiter_is_sniffed_from_the_first_non_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("\n case ;file\nChaiji;chaiji.txt\n", encoding="utf-8")
    assert read_csv_table(path) == (["case", "file"], [(3, ["Chaiji", "chaiji.txt"])])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b",,\n,,\n", "has no row with text (only separators)"),
        (b"a,b\n\nc," + b"x" * 131_073 + b"\n", "3: not a readable CSV table"),
    ],
)
def test_unreadable_tables_are_one_error_naming_the_file(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        read_csv_rows(path)
    assert str(raised.value).startswith(f"{path}:")
    assert problem in str(raised.value)


def test_readers_and_text_tools_never_import_the_project_store() -> None:
    """Readers turn files into a Transcript; only flows/ bring readers and the store together."""
    offenders = []
    for folder in ("importing", "text"):
        for module in sorted((REPOSITORY / "qualcode" / folder).glob("*.py")):
            tree = ast.parse(module.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                offenders += [
                    f"{folder}/{module.name}: {name}"
                    for name in names
                    if name.startswith(("qualcode.store", "qualcode.flows"))
                ]
    assert offenders == []
