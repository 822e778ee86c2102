"""``qualcode import FILE --replace`` on a coded transcript: codings follow the corrected text.

A coded interview is replaced by a corrected version with insertions, deletions and a
rewritten sentence before, inside and after coded spans. Every coding is checked: carried
with the same quote, carried with its changed quote, or orphaned (listed, not deleted); then
``qualcode undo`` must give back the old document, segments and codings exactly.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import CODEBOOK, Cli, write

OLD = (
    "采访者：疫情期间社区是怎么做的？\n"
    "受访者：我们在小区门口设了卡口，网格员二十四小时值守。\n"
    "采访者：有没有谣言？\n"
    "受访者：微信群里有人说菜价涨了三倍，我们马上辟谣。后来大家就不信谣言了。\n"
)
#: Insertions before a coded span (一开始), inside one (全天 for 二十四小时), a deleted
#: sentence holding a coded span (后来大家就不信谣言了), a typo fix after one (群里 -> 群中).
NEW = (
    "采访者：疫情期间，社区一开始是怎么做的？\n"
    "受访者：我们在小区门口设了卡口，网格员全天值守。\n"
    "采访者：有没有谣言？\n"
    "受访者：微信群中有人说菜价涨了三倍，我们马上辟谣。\n"
)

#: (segment ordinal, quote) of every manual coding made on OLD, with its code.
CODED = [
    (1, "卡口", "grid.checkpoints"),  # unchanged, after an insertion earlier in the text
    (1, "网格员二十四小时值守", "grid.grid_workers"),  # a change inside the span
    (3, "菜价涨了三倍", "opinion.prices"),  # unchanged, after a fix just before it
    (3, "辟谣", "opinion.rumours"),  # unchanged
    (3, "后来大家就不信谣言了", "opinion.rumours"),  # the sentence is deleted: orphaned
]


def dump(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row a replacement touches, for comparing before and after undo."""
    connection = sqlite3.connect(db_path)
    try:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in ("documents", "segments", "codings", "suggestions", "memos",
                          "orphaned_codings", "speaker_roles")
        }  # fmt: skip
    finally:
        connection.close()


def coded_project(cli: Cli, tmp_path: Path) -> Path:
    path = write(tmp_path / "chaiji.txt", OLD)
    assert cli("import", str(path)).exit_code == 0
    cli("codebook", "load", str(write(tmp_path / "mini.yml", CODEBOOK)))
    segments = json.loads(cli("segments", "--format", "json").stdout)
    for ordinal, quote, code in CODED:
        segment_id = str(segments[ordinal]["segment_id"])
        result = cli("code", segment_id, code, "--quote", quote, "--coder", "li")
        assert result.exit_code == 0, result.stderr
    cli("memo", str(segments[1]["segment_id"]), "about the checkpoint", "--coder", "li")
    return path


def test_corrected_transcript_keeps_its_coding_and_undo_restores_it(
    cli: Cli, tmp_path: Path
) -> None:
    coded_project(cli, tmp_path)
    before = dump(cli.db_path)
    corrected = write(tmp_path / "corrected" / "chaiji.txt", NEW)
    result = cli("import", str(corrected), "--replace")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"replaced {corrected}  case chaiji, 4 segments; codings: 3 carried, 1 changed, "
        "1 orphaned; 1 memo moved; see 'qualcode codings orphaned'"
    )
    document = json.loads(cli("docs", "show", "chaiji.txt", "--format", "json").stdout)
    assert document["text"] == NEW
    quotes = json.loads(cli("quotes", "--format", "json").stdout)
    assert sorted((row["code"], row["quote"]) for row in quotes) == sorted([
        ("grid.checkpoints", "卡口"),
        ("grid.grid_workers", "网格员全天值守"),
        ("opinion.prices", "菜价涨了三倍"),
        ("opinion.rumours", "辟谣"),
    ])  # fmt: skip
    connection = sqlite3.connect(cli.db_path)
    for start, end, quote in connection.execute(
        "SELECT start_char, end_char, quote FROM codings_view"
    ):
        assert NEW[start:end] == quote
    connection.close()
    orphans = json.loads(cli("codings", "orphaned", "--format", "json").stdout)
    assert [(row["document"], row["code"], row["quote"], row["coder"]) for row in orphans] == [
        ("chaiji.txt", "opinion.rumours", "后来大家就不信谣言了", "li")
    ]
    segments = json.loads(cli("segments", "--format", "json").stdout)
    memos = json.loads(cli("memos", "--format", "json").stdout)
    assert [(memo["target"], memo["text"]) for memo in memos] == [
        (str(segments[1]["segment_id"]), "about the checkpoint")
    ]

    undone = cli("undo")
    assert undone.exit_code == 0, undone.stderr
    assert dump(cli.db_path) == before
    assert cli("search", "不信谣言").stdout.count("不信谣言") == 1  # the index follows
    assert json.loads(cli("codings", "orphaned", "--format", "json").stdout) == []


def test_replacing_keeps_roles_set_by_hand(cli: Cli, tmp_path: Path) -> None:
    text = "甲：你好。\n乙：好的。\n甲：再见。\n乙：再见。\n"
    path = write(tmp_path / "talk.txt", text)
    cli("import", str(path))
    cli("speakers", "set", "甲", "interviewer")
    segments = json.loads(cli("segments", "--format", "json").stdout)
    cli("memo", str(segments[1]["segment_id"]), "a memo to carry", "--coder", "li")
    write(path, text.replace("好的", "好的呀"))
    assert cli("import", str(path), "--replace").exit_code == 0
    roles = {
        row["speaker"]: row["role"]
        for row in json.loads(cli("segments", "--format", "json").stdout)
    }
    assert roles == {"甲": "interviewer", "乙": "respondent"}
