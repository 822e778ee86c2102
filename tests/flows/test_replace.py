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


def auto_coded_project(cli: Cli, tmp_path: Path) -> Path:
    """OLD with suggestions (a suggest run), automatic codings (two apply runs: the first
    run's codings are superseded), a manual coding and a memo."""
    path = write(tmp_path / "chaiji.txt", OLD)
    assert cli("import", str(path)).exit_code == 0
    cli("codebook", "load", str(write(tmp_path / "mini.yml", CODEBOOK)))
    for arguments in (("--mode", "suggest"), (), ()):
        assert cli("autocode", *arguments).exit_code == 0
    segment_id = str(json.loads(cli("segments", "--format", "json").stdout)[3]["segment_id"])
    assert cli("code", segment_id, "opinion.prices", "--quote", "菜价涨了三倍").exit_code == 0
    assert cli("memo", segment_id, "prices again", "--coder", "li").exit_code == 0
    return path


def suggestion_quotes(db_path: Path) -> list[tuple[str, str]]:
    """(code, the document's text at the suggestion's offsets) of every suggestion."""
    connection = sqlite3.connect(db_path)
    try:
        return sorted(
            (code_id, text[start:end])
            for code_id, start, end, text in connection.execute(
                "SELECT g.code_id, g.start_char, g.end_char, d.text FROM suggestions g "
                "JOIN segments s USING (segment_id) JOIN documents d USING (document_id)"
            )
        )
    finally:
        connection.close()


def test_automatic_codings_and_suggestions_follow_the_corrected_text(
    cli: Cli, tmp_path: Path
) -> None:
    auto_coded_project(cli, tmp_path)
    before = dump(cli.db_path)
    corrected = write(tmp_path / "corrected" / "chaiji.txt", NEW)
    result = cli("import", str(corrected), "--replace")
    assert result.exit_code == 0, result.stderr
    # 谣言 in the deleted sentence: its current automatic coding is orphaned, its superseded
    # one (history) dropped, its suggestion dropped.
    assert result.stderr.splitlines()[0].endswith(
        "codings: 6 carried, 0 changed, 1 orphaned; suggestions: 5 carried, 1 dropped; "
        "1 superseded automatic coding dropped; 1 memo moved; see 'qualcode codings orphaned'"
    )
    assert suggestion_quotes(cli.db_path) == sorted([
        ("grid.checkpoints", "卡口"), ("grid.checkpoints", "值守"),
        ("grid.grid_workers", "网格员"), ("opinion.prices", "菜价"), ("opinion.rumours", "辟谣"),
    ])  # fmt: skip
    quotes = json.loads(cli("quotes", "--format", "json").stdout)
    assert sorted(
        (row["origin"], row["code"], row["quote"], row["run_id"] or 0) for row in quotes
    ) == sorted([
        ("auto", "grid.checkpoints", "卡口", 3),
        ("auto", "grid.checkpoints", "值守", 3),
        ("auto", "grid.grid_workers", "网格员", 3),
        ("auto", "opinion.prices", "菜价", 3),
        ("auto", "opinion.rumours", "辟谣", 3),
        ("manual", "opinion.prices", "菜价涨了三倍", 0),
    ])  # fmt: skip
    connection = sqlite3.connect(cli.db_path)
    # Every coding, superseded ones too, still slices the new text at its offsets.
    assert {
        NEW[start:end]
        for start, end in connection.execute("SELECT start_char, end_char FROM codings")
    } == {"卡口", "值守", "网格员", "菜价", "辟谣", "菜价涨了三倍"}
    connection.close()
    orphans = json.loads(cli("codings", "orphaned", "--format", "json").stdout)
    assert [(row["origin"], row["code"], row["quote"]) for row in orphans] == [
        ("auto", "opinion.rumours", "谣言")
    ]
    assert cli("undo").exit_code == 0
    assert dump(cli.db_path) == before


def test_replace_with_autocode_reruns_the_rules_on_the_new_text(cli: Cli, tmp_path: Path) -> None:
    auto_coded_project(cli, tmp_path)
    before = dump(cli.db_path)
    corrected = write(tmp_path / "corrected" / "chaiji.txt", NEW)
    result = cli("import", str(corrected), "--replace", "--autocode")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "auto-coded: run 4, 4 new segments, 5 codings"
    quotes = json.loads(cli("quotes", "--origin", "auto", "--format", "json").stdout)
    assert sorted((row["code"], row["quote"], row["run_id"]) for row in quotes) == sorted([
        ("grid.checkpoints", "卡口", 4),
        ("grid.checkpoints", "值守", 4),
        ("grid.grid_workers", "网格员", 4),
        ("opinion.prices", "菜价", 4),
        ("opinion.rumours", "辟谣", 4),
    ])  # fmt: skip
    # The replacement and the run are two steps: two undos give back the old project.
    assert cli("undo").exit_code == 0
    assert cli("undo").exit_code == 0
    assert dump(cli.db_path) == before


def test_import_with_autocode_needs_rules_before_it_imports(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "chaiji.txt", OLD)
    result = cli("import", str(path), "--autocode")
    assert result.exit_code == 1
    assert "codebook" in result.stderr
    assert json.loads(cli("docs", "list", "--format", "json").stdout) == []


def test_replacing_with_interviewer_named_sets_its_role(cli: Cli, tmp_path: Path) -> None:
    from tests.test_speakers import XINAN as text

    path = write(tmp_path / "talk.txt", text)
    cli("import", str(path))
    segment_id = str(json.loads(cli("segments", "--format", "json").stdout)[1]["segment_id"])
    cli("memo", segment_id, "a memo to carry", "--coder", "li")
    write(path, text.replace("好的，", "好的呀，"))
    assert cli("import", str(path), "--replace", "--interviewer", "说话人 1").exit_code == 0
    roles = {
        row["speaker"]: row["role"]
        for row in json.loads(cli("segments", "--format", "json").stdout)
    }
    assert roles == {"说话人 1": "interviewer", "说话人 2": "respondent"}


def test_tag_replace_recodes_a_corrected_file(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "chaiji.txt", OLD)
    cli("codebook", "load", str(write(tmp_path / "mini.yml", CODEBOOK)))
    assert cli("tag", str(path)).exit_code == 0
    write(path, NEW)
    refused = cli("tag", str(path), "--format", "json")
    assert refused.exit_code == 1
    assert "--replace" in json.loads(refused.stdout)[0]["message"]
    result = cli("tag", str(path), "--replace", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["status"], row["codings"]) == ("replaced", 5)
    quotes = json.loads(cli("quotes", "--format", "json").stdout)
    expected = ["卡口", "值守", "网格员", "菜价", "辟谣"]
    assert sorted(row["quote"] for row in quotes) == sorted(expected)
    assert {row["run_id"] for row in quotes} == {2}
