"""Codebooks in a project and manual coding, through the CLI a researcher uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CODEBOOK, INTERVIEW, Cli, prepare_interview, write, write_codebook


@pytest.fixture
def coded_project(cli: Cli, tmp_path: Path) -> list[dict[str, object]]:
    """A project with one interview and the mini codebook; returns its segments."""
    prepare_interview(cli, tmp_path)
    return json.loads(cli("segments", "--format", "json").stdout)  # type: ignore[no-any-return]


def codings(cli: Cli) -> list[dict[str, object]]:
    return json.loads(cli("quotes", "--format", "json").stdout)  # type: ignore[no-any-return]


def test_code_whole_segment_and_span(cli: Cli, coded_project: list[dict[str, object]]) -> None:
    segment = coded_project[1]
    whole = cli("code", str(segment["segment_id"]), "grid.grid_workers", "--coder", "li")
    assert whole.exit_code == 0, whole.stderr
    assert whole.stderr == (
        f"Coded segment {segment['segment_id']} grid.grid_workers (li): {segment['text']}\n"
    )
    span = cli("code", str(segment["segment_id"]), "grid.checkpoints", "--quote", "卡口",
               "--coder", "li", "--memo", "gate")  # fmt: skip
    assert span.exit_code == 0, span.stderr
    rows = codings(cli)
    fields = ("code", "theme", "coder", "origin", "quote")
    assert [tuple(row[name] for name in fields) for row in rows] == [
        ("grid.grid_workers", "grid", "li", "manual", segment["text"]),
        ("grid.checkpoints", "grid", "li", "manual", "卡口"),
    ]  # fmt: skip
    document = json.loads(cli("docs", "show", "chaiji.txt", "--format", "json").stdout)["text"]
    for row in rows:
        assert document[row["start_char"] : row["end_char"]] == row["quote"]
    again = cli("code", str(segment["segment_id"]), "grid.checkpoints", "--quote", "卡口",
                "--coder", "li")  # fmt: skip
    assert again.stderr.startswith("Already coded")
    assert len(codings(cli)) == 2


def test_coder_from_environment(
    cli: Cli, coded_project: list[dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALCODE_CODER", "wang")
    cli("code", str(coded_project[3]["segment_id"]), "opinion.rumours")
    assert codings(cli)[0]["coder"] == "wang"


def test_start_end_are_relative_to_the_segment(
    cli: Cli, coded_project: list[dict[str, object]]
) -> None:
    segment = coded_project[3]
    text = str(segment["text"])
    start = text.index("菜价")
    result = cli("code", str(segment["segment_id"]), "opinion.prices", "--start", str(start),
                 "--end", str(start + 2), "--coder", "li")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert codings(cli)[0]["quote"] == "菜价"
    outside = cli("code", str(segment["segment_id"]), "opinion.prices", "--start", "0",
                  "--end", "999", "--coder", "li")  # fmt: skip
    assert outside.exit_code == 2
    assert outside.stderr == (
        f"Error: span 0:999 is outside segment {segment['segment_id']} "
        f"(its text has {len(text)} characters)\n"
    )


def test_unknown_segment_or_code_changes_nothing(
    cli: Cli, coded_project: list[dict[str, object]]
) -> None:
    missing_segment = cli("code", "9999", "grid.checkpoints", "--coder", "li")
    assert missing_segment.exit_code == 1
    assert missing_segment.stderr == "Error: no segment 9999 (see 'qualcode segments')\n"
    typo = cli("code", str(coded_project[1]["segment_id"]), "grid.checkpoint", "--coder", "li")
    assert typo.exit_code == 1
    assert typo.stderr == (
        "Error: no code 'grid.checkpoint' in the project's codebook; "
        "did you mean 'grid.checkpoints'?\n"
    )
    absent_quote = cli("code", str(coded_project[1]["segment_id"]), "grid.checkpoints",
                       "--quote", "口罩", "--coder", "li")  # fmt: skip
    assert absent_quote.exit_code == 1
    assert codings(cli) == []


def test_uncode_removes_only_that_coders_manual_coding(
    cli: Cli, coded_project: list[dict[str, object]]
) -> None:
    segment_id = str(coded_project[1]["segment_id"])
    cli("code", segment_id, "grid.checkpoints", "--coder", "li")
    cli("code", segment_id, "grid.checkpoints", "--coder", "wang")
    result = cli("uncode", segment_id, "grid.checkpoints", "--coder", "li")
    assert result.exit_code == 0
    assert [row["coder"] for row in codings(cli)] == ["wang"]
    nothing = cli("uncode", segment_id, "grid.checkpoints", "--coder", "li")
    assert nothing.exit_code == 1
    assert nothing.stderr == (
        f"Error: segment {segment_id} has no manual coding 'grid.checkpoints' by li\n"
    )


def test_memos_on_segment_code_and_document(
    cli: Cli, coded_project: list[dict[str, object]]
) -> None:
    segment_id = str(coded_project[1]["segment_id"])
    assert (
        cli("memo", segment_id, "Secretary contrasts 2020 and 2022", "--coder", "li").exit_code == 0
    )
    assert (
        cli("memo", "grid.checkpoints", "卡口即 bayonet", "--on", "code", "--coder", "li").exit_code
        == 0
    )
    assert (
        cli(
            "memo", "chaiji.txt", "Recorded in the office", "--on", "document", "--coder", "li"
        ).exit_code
        == 0
    )
    bad = cli("memo", "nowhere.txt", "x", "--on", "document", "--coder", "li")
    assert bad.exit_code == 1
    memos = json.loads(cli("memos", "--format", "json").stdout)
    assert [(memo["target_kind"], memo["target"], memo["text"]) for memo in memos] == [
        ("segment", segment_id, "Secretary contrasts 2020 and 2022"),
        ("code", "grid.checkpoints", "卡口即 bayonet"),
        ("document", "chaiji.txt", "Recorded in the office"),
    ]


def test_reload_keeps_codings_of_surviving_codes_and_retires_dropped_ones(
    cli: Cli, coded_project: list[dict[str, object]], tmp_path: Path
) -> None:
    segment_id = str(coded_project[3]["segment_id"])
    cli("code", segment_id, "opinion.rumours", "--coder", "li")
    cli("code", segment_id, "opinion.prices", "--coder", "li")
    same = cli("codebook", "load", str(tmp_path / "mini.yml"))
    assert same.stderr == f"{tmp_path / 'mini.yml'}: unchanged (version 1, 6 codes).\n"
    changed = CODEBOOK.replace("keywords: [菜价]", "keywords: [菜价, 物价]").replace(
        "      - id: grid_workers\n        name: 网格员\n        keywords: [网格员]\n", ""
    )
    result = cli("codebook", "load", str(write_codebook(tmp_path, changed)))
    assert result.stderr == (
        f"{tmp_path / 'mini.yml'}: version 2, 5 codes (0 added, 1 changed, 1 retired).\n"
    )
    assert sorted(str(row["code"]) for row in codings(cli)) == ["opinion.prices", "opinion.rumours"]
    versions = json.loads(cli("codebook", "versions", "--format", "json").stdout)
    assert [version["version_id"] for version in versions] == [1, 2]


def test_rename_move_and_merge_carry_codings(
    cli: Cli, coded_project: list[dict[str, object]]
) -> None:
    segment_id = str(coded_project[1]["segment_id"])
    cli("code", segment_id, "grid.checkpoints", "--coder", "li")
    cli("code", segment_id, "grid.grid_workers", "--coder", "li")
    assert cli("codebook", "rename", "grid.checkpoints", "bayonets").exit_code == 0
    assert {row["code"] for row in codings(cli)} == {"grid.bayonets", "grid.grid_workers"}
    moved = cli("codebook", "move", "grid.bayonets", "opinion")
    assert moved.stderr == "Moved grid.bayonets to opinion.bayonets (1 codes).\n"
    assert {(row["code"], row["theme"]) for row in codings(cli)} == {
        ("opinion.bayonets", "opinion"), ("grid.grid_workers", "grid"),
    }  # fmt: skip
    merged = cli("codebook", "merge", "opinion.bayonets", "grid.grid_workers")
    assert merged.stderr == (
        "Merged opinion.bayonets into grid.grid_workers (0 codings moved, 1 duplicates dropped).\n"
    )
    # li had coded the segment with both: the merge leaves one coding, not a duplicate.
    assert [row["code"] for row in codings(cli)] == ["grid.grid_workers"]
    shown = json.loads(cli("codebook", "show", "--format", "json").stdout)
    assert [row["code_id"] for row in shown] == [
        "grid", "grid.grid_workers", "opinion", "opinion.rumours", "opinion.prices",
    ]  # fmt: skip
    exported = cli("codebook", "export").stdout
    assert "grid_workers" in exported and "bayonets" not in exported


def test_bad_codebook_is_reported_with_file_line_and_code(cli: Cli, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yml", "codes:\n  - id: grid\n    keywords: ['']\n    colour: red\n")
    result = cli("codebook", "load", str(bad))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: {bad}: 2 problems in codebook:"
    assert any(line.startswith(f"{bad}:3: code 'grid'") and "empty" in line for line in lines)
    assert any(line.startswith(f"{bad}:4: code 'grid'") and "colour" in line for line in lines)
    assert cli("codebook", "versions", "--format", "json").stdout.strip() == "[]"


def test_replacing_a_coded_document_keeps_the_coding(
    cli: Cli, coded_project: list[dict[str, object]], tmp_path: Path
) -> None:
    cli("code", str(coded_project[1]["segment_id"]), "grid.checkpoints", "--coder", "li")
    before = codings(cli)
    path = write(tmp_path / "chaiji.txt", INTERVIEW + "受访者：补充一句。\n")
    result = cli("import", str(path), "--replace")
    assert result.exit_code == 0, result.stderr
    assert "codings: 1 carried, 0 changed, 0 orphaned" in result.stderr
    after = codings(cli)
    assert [(row["code"], row["quote"]) for row in after] == [
        (row["code"], row["quote"]) for row in before
    ]
