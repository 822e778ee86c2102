"""A phrase cut across two subtitle lines is auto-coded and counted as a keyword candidate,
and the coded quote is exactly the stored text it points at (line break included)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from qualcode.analysis.discovery import DiscoveryOptions, discover_keywords
from qualcode.store.project import open_project
from tests.conftest import Cli

CODEBOOK = """\
name: line breaks
version: "1"
codes:
  - id: grid
    name: grid workers
    keywords: ["网格员", "grid worker"]
  - id: help
    name: help
"""

#: Cues as a subtitle editor wraps them (CRLF line ends): the keyword is cut at the line end.
SUBTITLES = (
    "1\r\n00:00:01,000 --> 00:00:04,000\r\n我们这里主要靠网\r\n格员\r\n\r\n"
    "2\r\n00:00:05,000 --> 00:00:07,000\r\nThe grid\r\nworker knows everyone.\r\n\r\n"
    "3\r\n00:00:08,000 --> 00:00:09,000\r\n没有别的办法。\r\n\r\n"
)


def import_subtitles(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "talk.srt"
    path.write_bytes(SUBTITLES.encode("utf-8"))
    assert cli("import", str(path)).exit_code == 0
    codebook = tmp_path / "codebook.yml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    assert cli("codebook", "load", str(codebook)).exit_code == 0


def test_a_keyword_on_two_subtitle_lines_is_coded_at_its_stored_offsets(
    cli: Cli, tmp_path: Path
) -> None:
    import_subtitles(cli, tmp_path)
    assert cli("autocode").exit_code == 0
    quotes = json.loads(cli("quotes", "--format", "json").stdout)
    assert [(row["code"], row["rule"], row["quote"]) for row in quotes] == [
        ("grid", "网格员", "网\n格员"),
        ("grid", "grid worker", "grid\nworker"),
    ]
    text = json.loads(cli("docs", "show", "talk.srt", "--format", "json").stdout)["text"]
    connection = sqlite3.connect(cli.db_path)
    rows = connection.execute("SELECT start_char, end_char, quote FROM codings_view").fetchall()
    connection.close()
    assert rows and all(text[start:end] == quote for start, end, quote in rows)


def test_keyword_discovery_counts_a_word_cut_by_a_line_break(cli: Cli, tmp_path: Path) -> None:
    import_subtitles(cli, tmp_path)
    segments = json.loads(cli("segments", "--format", "json").stdout)
    assert cli("code", str(segments[0]["segment_id"]), "help", "--coder", "li").exit_code == 0
    with open_project(cli.db_path) as project:
        report = discover_keywords(project, DiscoveryOptions("help", "li", top=50))
    # 网格 exists only across the line break (longer slices with the same segments, such as
    # 网格员, are left out as redundant).
    assert "网格" in {candidate.candidate for candidate in report.candidates}
