"""Auto-coding runs and batch tagging, end to end on real projects."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.models import Segment
from qualcode.parallel import worker_count
from qualcode.store.codebooks import load_into_project
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import open_project
from tests.conftest import CODEBOOK, INTERVIEW, Cli, prepare_interview, write, write_codebook


def quotes(cli: Cli, *extra: str) -> list[dict[str, object]]:
    return json.loads(cli("quotes", "--format", "json", *extra).stdout)  # type: ignore[no-any-return]


def test_run_codes_respondent_turns_with_provenance(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    result = cli("autocode", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"code": "grid.checkpoints", "segments": 1, "hits": 2},
        {"code": "grid.grid_workers", "segments": 1, "hits": 1},
        {"code": "opinion.rumours", "segments": 1, "hits": 1},
        {"code": "opinion.prices", "segments": 1, "hits": 1},
    ]
    assert result.stderr == "Run 1: 4 segments, 5 codings added.\n"
    rows = quotes(cli)
    # The interviewer's question mentions 谣言 but is not evidence (scope: respondent).
    assert all(row["role"] == "respondent" for row in rows)
    fields = ("code", "rule", "quote", "origin", "run_id")
    assert [tuple(row[name] for name in fields) for row in rows] == [
        ("grid.checkpoints", "卡口", "卡口", "auto", 1),
        ("grid.grid_workers", "网格员", "网格员", "auto", 1),
        ("grid.checkpoints", "值守", "值守", "auto", 1),
        ("opinion.prices", "菜价", "菜价", "auto", 1),
        ("opinion.rumours", "辟谣", "辟谣", "auto", 1),
    ]  # fmt: skip
    document = json.loads(cli("docs", "show", "chaiji.txt", "--format", "json").stdout)["text"]
    for row in rows:
        assert document[row["start_char"] : row["end_char"]] == row["quote"]
    runs = json.loads(cli("autocode", "runs", "--format", "json").stdout)
    assert len(runs) == 1
    run = runs[0]
    assert (run["mode"], run["version_id"], run["segments_processed"], run["codings_added"]) == (
        "apply", 1, 4, 5,
    )  # fmt: skip
    assert json.loads(run["parameters"]) == {"only_new": False, "codes": [], "after_segment_id": 0}
    assert run["tool_version"] and run["finished_at"] and len(run["codebook_hash"]) == 64


def test_dry_run_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    result = cli("autocode", "--dry-run", "--codes", "opinion", "--format", "csv")
    assert result.stdout.splitlines() == [
        "code,segments,hits", "opinion.rumours,1,1", "opinion.prices,1,1",
    ]  # fmt: skip
    assert result.stderr == "Dry run: 4 segments, 2 codings would be added.\n"
    assert quotes(cli) == []
    assert json.loads(cli("autocode", "runs", "--format", "json").stdout) == []
    # --code repeats like in matrix and quotes; commas work too.
    repeated = cli("autocode", "--dry-run", "--code", "opinion.rumours", "--code", "opinion.prices")
    commas = cli("autocode", "--dry-run", "--codes", "opinion.rumours,opinion.prices")
    assert repeated.stdout == commas.stdout and "opinion.prices" in repeated.stdout


def test_only_new_is_idempotent_and_picks_up_new_documents(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    assert cli("autocode", "--only-new").stderr == "Run 1: 4 segments, 5 codings added.\n"
    assert cli("autocode", "--only-new").stderr == "Run 2: 0 segments, 0 codings added.\n"
    cli("import", str(write(tmp_path / "anxi.txt", "受访者：我们也设了卡口。\n")))
    assert cli("autocode", "--only-new").stderr == "Run 3: 1 segments, 1 codings added.\n"
    assert len(quotes(cli)) == 6


def test_runs_never_touch_manual_codings(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    segments = json.loads(cli("segments", "--format", "json").stdout)
    cli("code", str(segments[1]["segment_id"]), "grid.checkpoints", "--coder", "li")
    cli("autocode")
    cli("autocode")  # a second full run supersedes the first's automatic codings only
    rows = quotes(cli)
    assert next(row for row in rows if row["origin"] == "manual")["coder"] == "li"
    assert len([row for row in rows if row["origin"] == "auto"]) == 5
    assert {row["run_id"] for row in rows if row["origin"] == "auto"} == {2}


def test_diff_between_codebook_versions(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    cli("autocode")
    changed = CODEBOOK.replace("keywords: [菜价]", "keywords: [微信群]").replace(
        "keywords: [网格员]", "keywords: [网格员, 小区门口]"
    )
    cli("codebook", "load", str(write_codebook(tmp_path, changed)))
    cli("autocode")
    segments = json.loads(cli("segments", "--format", "json").stdout)
    diff = json.loads(cli("autocode", "diff", "1", "2", "--format", "json").stdout)
    # prices now fires on 微信群 (same segment, so no change); grid_workers unchanged
    assert diff == []
    changed_again = changed.replace("keywords: [谣言, 辟谣]", "keywords: [谣言]")
    cli("codebook", "load", str(write_codebook(tmp_path, changed_again)))
    cli("autocode")
    diff = json.loads(cli("autocode", "diff", "2", "3", "--format", "json").stdout)
    assert diff == [
        {"segment_id": segments[3]["segment_id"], "gained": [], "lost": ["opinion.rumours"]}
    ]
    missing = cli("autocode", "diff", "1", "99")
    assert missing.exit_code == 1
    assert missing.stderr == "Error: no auto-coding run 99 (see 'qualcode autocode runs')\n"


def test_suggest_mode_stores_suggestions_not_codings(cli: Cli, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    result = cli("autocode", "--mode", "suggest")
    assert result.stderr == "Run 1: 4 segments, 5 suggestions added.\n"
    assert quotes(cli) == []
    conn = sqlite3.connect(cli.db_path)
    assert conn.execute("SELECT count(*) FROM suggestions WHERE status = 'pending'").fetchone() == (
        5,
    )
    conn.close()
    again = cli("autocode", "--mode", "suggest")
    assert again.stderr == "Run 2: 4 segments, 0 suggestions added.\n"


def test_autocode_without_codebook_is_one_line(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write(tmp_path / "chaiji.txt", INTERVIEW)))
    result = cli("autocode")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the project has no codebook: load one with 'qualcode codebook load FILE'\n"
    )


def test_tag_imports_and_codes_only_what_is_new(cli: Cli, tmp_path: Path) -> None:
    cli("codebook", "load", str(write_codebook(tmp_path)))
    folder = tmp_path / "new_interviews"
    write(folder / "chaiji.txt", INTERVIEW)
    write(folder / "anxi.txt", "受访者：卡口有人值守，谣言不多。\n")
    first = cli("tag", str(folder), "--format", "json")
    assert first.exit_code == 0, first.stderr
    rows = json.loads(first.stdout)
    fields = ("document", "status", "segments", "codes", "codings")
    assert [tuple(row[name] for name in fields) for row in rows] == [
        ("anxi.txt", "added", 1, 2, 3),
        ("chaiji.txt", "added", 4, 4, 5),
    ]  # fmt: skip
    assert first.stderr == "Run 1: 8 codings on 5 new segments.\n"
    second = cli("tag", str(folder), "--format", "json")
    assert [row["status"] for row in json.loads(second.stdout)] == ["skipped", "skipped"]
    assert second.stderr == "Nothing new to tag.\n"
    assert len(quotes(cli)) == 8
    write(folder / "broken.docx", "not a docx")
    failed = cli("tag", str(folder), "--format", "csv")
    assert failed.exit_code == 1
    assert "broken.docx" in failed.stdout


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
EXTENSION_B = st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF)
EMOJI = st.sampled_from(["😷", "👩‍⚕️", "🏘️", "❤️"])
LATIN = st.sampled_from(list("abcdefg XYZ,."))
FULL_WIDTH = st.sampled_from(list("ＡＢＣ１２３，。"))
PIECE = st.one_of(HAN, EXTENSION_B, EMOJI, LATIN, FULL_WIDTH)
KEYWORD = st.sampled_from(["卡口", "值守", "网格员", "谣言", "辟谣", "菜价", "checkpoint"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(
        st.lists(st.one_of(PIECE, KEYWORD), min_size=1, max_size=30), min_size=1, max_size=6
    )
)
def test_every_automatic_coding_satisfies_the_offset_invariant(
    tmp_path_factory: object, texts: list[list[str]]
) -> None:
    folder = Path(__import__("tempfile").mkdtemp())
    text_parts, segments, position = [], [], 0
    for ordinal, pieces in enumerate(texts):
        body = "".join(pieces).strip() or "卡口"
        label = "受访者："
        text_parts.append(label + body + "\n")
        start = position + len(label)
        segments.append(Segment(ordinal, start, start + len(body), "受访者", "respondent"))
        position += len(label) + len(body) + 1
    text = "".join(text_parts)
    with open_project(folder / "p.db", create=True) as project:
        store_document(
            project,
            PreparedDocument("x.txt", "x.txt", text, "utf-8", "txt", "zh", "turn", segments),
            case_name="x",
        )
        load_into_project(project, write_codebook(folder))
        run_autocode(project, AutocodeOptions())
        rows = project.conn.execute(
            "SELECT v.start_char, v.end_char, v.quote, v.rule, d.text FROM codings_view v "
            "JOIN documents d ON d.name = v.document"
        ).fetchall()
    for start_char, end_char, quote, _rule, document_text in rows:
        assert document_text[start_char:end_char] == quote
        assert quote


def test_bulk_run_rebuilds_the_indexes_and_codes_the_same(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large runs write with the codings indexes and triggers dropped; they come back exactly
    as before, and the run can still be undone."""
    prepare_interview(cli, tmp_path)
    indexes_sql = "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'codings' ORDER BY name"
    with sqlite3.connect(cli.db_path) as conn:
        indexes_before = conn.execute(indexes_sql).fetchall()
    assert cli("autocode").exit_code == 0
    normal = [(row["code"], row["start_char"], row["end_char"]) for row in quotes(cli)]
    monkeypatch.setattr("qualcode.autocode.runs.BULK_SEGMENTS", 1)
    assert cli("autocode").exit_code == 0
    bulk = [(row["code"], row["start_char"], row["end_char"]) for row in quotes(cli)]
    assert bulk == normal
    with sqlite3.connect(cli.db_path) as conn:
        assert conn.execute(indexes_sql).fetchall() == indexes_before
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM codings WHERE segment_id = 1"
        ).fetchall()
    assert any("codings_segment" in str(step) for step in plan)
    assert cli("undo").exit_code == 0
    assert [(row["code"], row["start_char"], row["end_char"]) for row in quotes(cli)] == normal


def test_a_run_matched_in_worker_processes_codes_the_same(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large runs match in workers beside the writes; the codings and the report must not
    change. The shipped samples and codebook exercise patterns, lemmas, exclusions and
    English whole words."""
    if worker_count() < 1:
        pytest.skip("a one-core machine never matches in workers")
    shipped = Path(__file__).resolve().parents[2]
    assert cli("import", str(shipped / "transcripts")).exit_code == 0
    assert (
        cli("codebook", "load", str(shipped / "codebooks" / "community_governance.yml")).exit_code
        == 0
    )
    fields = ("segment_id", "code", "rule", "start_char", "end_char", "quote")
    in_process = cli("autocode", "--format", "json")
    coded_here = [tuple(row[name] for name in fields) for row in quotes(cli)]
    monkeypatch.setattr("qualcode.autocode.runs.PARALLEL_SEGMENTS", 1)
    in_workers = cli("autocode", "--format", "json")
    assert in_workers.exit_code == 0, in_workers.stderr
    assert in_workers.stdout == in_process.stdout
    assert [tuple(row[name] for name in fields) for row in quotes(cli)] == coded_here
    assert len(coded_here) > 100
