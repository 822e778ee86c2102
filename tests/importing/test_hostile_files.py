"""Files a careful user or an attacker might hand the importer: control characters and
terminal escape sequences, ZIP bombs, oversized documents, FIFOs and other special files.

Each is refused (or cleaned) with one line naming the file, and the rest of the import goes on.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest

from qualcode.importing.readers import read_file
from qualcode.text.input_files import MAX_DOCUMENT_CHARACTERS, MAX_INFLATION_RATIO
from tests.conftest import Cli, write

# Control characters ---------------------------------------------------------------------------

#: Enough ordinary text that the control characters stay under the 1% that marks a binary file.
PREAMBLE = "柴机社区访谈记录。" * 100 + "\n"
ESCAPED = PREAMBLE + (
    "采访者：\x1b[1m您好\x1b[0m，请问社区怎么划网格？\n"
    "受访者：我们划了八个网格\x1c，每个\x07网格配网格员。\x1b]0;title\x07\n"
    "采访者：卡口呢？\n"
    "受访者：\x9b31m只留一个出入口\x7f。\n"
)
CLEAN = PREAMBLE + (
    "采访者：您好，请问社区怎么划网格？\n"
    "受访者：我们划了八个网格，每个网格配网格员。\n"
    "采访者：卡口呢？\n"
    "受访者：只留一个出入口。\n"
)


def test_the_importer_removes_control_characters_and_reports_how_many(
    cli: Cli, tmp_path: Path
) -> None:
    path = write(tmp_path / "escaped.txt", ESCAPED)
    result = cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[1] == (
        f"added    {path}  case escaped, 4 segments; removed 7 control characters or terminal "
        "escape sequences"
    )
    shown = json.loads(cli("docs", "show", "escaped.txt", "--format", "json").stdout)
    assert shown["text"] == CLEAN
    for segment in json.loads(cli("segments", "--format", "json").stdout):
        assert CLEAN[segment["start_char"] : segment["end_char"]] == segment["text"]
    assert cli("quotes", "-o", str(tmp_path / "quotes.xlsx")).exit_code == 0


def turn_table(rows: list[str]) -> bytes:
    return ("time,speaker,text\n" + "".join(row + "\n" for row in rows)).encode()


def test_turns_of_a_turn_table_keep_their_text_when_controls_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "turns.csv"
    path.write_bytes(turn_table([
        "00:00,受访者," + PREAMBLE.strip(),
        "00:01,\x1b[32m采访者\x1b[0m,\x1b[1m您好\x1b[0m",
        "00:02,受访者,\x1b[0m\x07",  # nothing but controls: the turn goes, its text was empty
        '00:03,受访者,"网格\x07员\n值守"',
    ]))  # fmt: skip
    result = read_file(path)
    assert result.controls_removed == 7
    assert "\x1b" not in result.text and "\x07" not in result.text
    assert result.turns is not None
    spoken = [(turn.speaker, result.text[turn.start_char : turn.end_char]) for turn in result.turns]
    assert spoken[1:] == [("采访者", "您好"), ("受访者", "网格员\n值守")]


def test_a_file_of_nothing_but_controls_is_empty(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="is empty"):
        read_file(write(tmp_path / "controls.txt", "\x1b[0m" + " " * 1000 + "\x1c\n"))


# Limits -----------------------------------------------------------------------------------------


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def with_member(data: bytes, name: str, size: int) -> bytes:
    """``data`` (a ZIP) with one more member of ``size`` zero bytes, written in chunks."""
    buffer = io.BytesIO(data)
    with (
        zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_docx_is_refused_before_reading_and_the_import_goes_on(
    cli: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "interviews"
    bomb = folder / "bomb.docx"
    folder.mkdir()
    # 40 MB of zeros deflate to about 40 KB: far over 100 times the file's size.
    bomb.write_bytes(with_member(docx_bytes("受访者：网格员。"), "word/media/zeros.bin", 40 << 20))
    assert bomb.stat().st_size * MAX_INFLATION_RATIO < 40 << 20
    write(folder / "good.txt", CLEAN)
    result = cli("import", str(folder))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()[1:]  # after "Created project ..."
    assert lines[0].startswith(f"failed   {bomb}: would inflate to ")
    assert lines[0].endswith("refused as a possible ZIP bomb")
    assert lines[1].startswith(f"added    {folder / 'good.txt'}")
    assert lines[-1] == "1 added, 0 replaced, 0 skipped, 1 failed"


def test_an_ordinary_docx_is_not_taken_for_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "long.docx"
    path.write_bytes(docx_bytes("受访者：" + "网格员值守，" * 20_000))
    assert read_file(path).text.startswith("受访者：网格员值守")


def test_a_document_over_the_character_limit_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * (MAX_DOCUMENT_CHARACTERS + 1))
    result = cli("import", str(path), str(write(tmp_path / "good.txt", CLEAN)))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        f"failed   {path}: is too long (20,000,001 characters; a document may have up to "
        "20,000,000): split it into several files"
    )
    assert result.stderr.splitlines()[-1] == "1 added, 0 replaced, 0 skipped, 1 failed"


# Special files ------------------------------------------------------------------------------------


def run(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``qualcode ARGUMENTS`` in a real process; a hang fails the test instead of blocking it."""
    return subprocess.run(
        [sys.executable, "-m", "qualcode", "--db", str(cwd / "study.db"), *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("import",), "pipe.txt"),
        (("cases", "import"), "pipe.csv"),
        (("codings", "import"), "pipe.csv"),
        (("codebook", "load"), "pipe.yml"),
    ],
    ids=["import", "cases-import", "codings-import", "codebook-load"],
)
def test_a_fifo_named_on_the_command_line_is_refused_at_once(
    command: tuple[str, ...], name: str, tmp_path: Path
) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    assert run("init", cwd=tmp_path).returncode == 0
    result = run(*command, str(fifo), cwd=tmp_path)
    assert result.returncode == 1
    expected = f"{fifo}: is a named pipe (FIFO), not a regular file: name a file to read"
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_device_and_a_socket_are_refused(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    device = Path("/dev/null")
    result = cli("cases", "import", str(device))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {device}: is a character device, not a regular file: name a file to read\n",
    )  # fmt: skip
    path = tmp_path / "s.txt"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(path))
        result = cli("cases", "import", str(path))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {path}: is a socket, not a regular file: name a file to read\n",
    )  # fmt: skip


# Turn tables with an unquoted delimiter in the text ----------------------------------------------


def test_an_unquoted_comma_in_the_last_column_keeps_the_whole_text(tmp_path: Path) -> None:
    path = tmp_path / "turns.csv"
    path.write_bytes(
        b"time,speaker,text\n"
        b"00:00:01,Interviewer,How did you organise it?\n"
        b"00:00:03,Respondent,Well, we had grid workers, and volunteers\n"
        b'00:00:09,Respondent,"Quoted, as it should be",\n'
    )
    result = read_file(path)
    assert result.turns is not None
    assert [result.text[turn.start_char : turn.end_char] for turn in result.turns] == [
        "How did you organise it?",
        "Well, we had grid workers, and volunteers",
        "Quoted, as it should be",  # a trailing empty cell adds nothing
    ]
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_bytes("时间;说话人;内容\n00:01;受访者;第一;第二\n".encode())
    table = read_file(semicolons)
    assert table.turns is not None
    assert table.text[table.turns[0].start_char : table.turns[0].end_char] == "第一;第二"


def test_extra_cells_that_cannot_be_told_apart_refuse_the_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "turns.csv"
    path.write_bytes(
        b"time,text,speaker\n00:00:01,Fine,Interviewer\n00:00:03,Well, we had,Respondent\n"
    )
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        f"failed   {path}:3: has 4 cells in a row but 3 columns in the header, and the text "
        "column 'text' is not the last one, so the extra cells cannot be told apart: put text "
        "that contains ',' in double quotes"
    )
