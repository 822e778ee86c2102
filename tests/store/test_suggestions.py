"""Suggestions from ``autocode --mode suggest``: listing, accepting, rejecting, provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.errors import ConflictError, NotFoundError, UsageError
from qualcode.models import Role, Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import Span, code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project, open_project
from qualcode.store.rows import SuggestionRow
from qualcode.store.suggestions import (
    Decision,
    SuggestionFilter,
    accept_suggestion,
    accept_suggestions,
    count_by_status,
    list_suggestions,
    reject_suggestion,
    reopen_suggestion,
)
from tests.conftest import INTERVIEW, Cli, write_codebook

ANXI = "受访者：我们也设了卡口。\n"

#: The suggestions a suggest run makes on the two interviews, in reading order:
#: (case, code, rule). The interviewer's 谣言 is out of scope (respondent turns only).
EXPECTED = [
    ("柴机社区", "grid.checkpoints", "卡口"),
    ("柴机社区", "grid.grid_workers", "网格员"),
    ("柴机社区", "grid.checkpoints", "值守"),
    ("柴机社区", "opinion.prices", "菜价"),
    ("柴机社区", "opinion.rumours", "辟谣"),
    ("安西社区", "grid.checkpoints", "卡口"),
]


def turns(text: str) -> list[Segment]:
    """One segment per line, covering the words after the speaker label."""
    segments = []
    offset = 0
    for ordinal, line in enumerate(text.splitlines(keepends=True)):
        speaker, _, spoken = line.rstrip("\n").partition("：")
        start = offset + len(speaker) + 1
        role: Role = "interviewer" if speaker == "采访者" else "respondent"
        segments.append(Segment(ordinal, start, start + len(spoken), speaker, role))
        offset += len(line)
    return segments


def store(project: Project, name: str, case_name: str, text: str) -> None:
    document = PreparedDocument(
        name=name, source_path=name, text=text, encoding="utf-8", source_format="txt",
        language="zh", unit="turn", segments=turns(text),
    )  # fmt: skip
    assert store_document(project, document, case_name=case_name).status == "added"


def build_project(project: Project, tmp_path: Path) -> int:
    """Two interviews, the mini codebook and one suggest run; returns the run id."""
    store(project, "chaiji.txt", "柴机社区", INTERVIEW)
    store(project, "anxi.txt", "安西社区", ANXI)
    load_into_project(project, write_codebook(tmp_path))
    report = run_autocode(project, AutocodeOptions(mode="suggest", run_by="bot"))
    assert report.run_id is not None
    return report.run_id


@pytest.fixture
def run_id(project: Project, tmp_path: Path) -> int:
    return build_project(project, tmp_path)


def pending(project: Project, **filters: Any) -> list[SuggestionRow]:
    return list_suggestions(project, SuggestionFilter("pending", **filters))


def codings(project: Project) -> list[dict[str, Any]]:
    return [dict(row) for row in project.conn.execute("SELECT * FROM codings ORDER BY coding_id")]


def test_suggest_run_lists_pending_in_reading_order(project: Project, run_id: int) -> None:
    rows = pending(project)
    assert [(row["case_name"], row["code"], row["rule"]) for row in rows] == EXPECTED
    assert all(row["quote"] == row["rule"] and row["run_id"] == run_id for row in rows)
    assert all(row["status"] == "pending" and row["rule_kind"] == "keyword" for row in rows)
    assert rows[0]["code_name"] == "卡口" and rows[0]["speaker"] == "受访者"
    assert codings(project) == []


def test_filters_by_code_case_run_and_status(project: Project, run_id: int) -> None:
    assert [row["rule"] for row in pending(project, code="grid")] == [
        "卡口",
        "网格员",
        "值守",
        "卡口",
    ]
    assert [row["rule"] for row in pending(project, code="opinion.prices")] == ["菜价"]
    assert [row["rule"] for row in pending(project, case_name="安西社区")] == ["卡口"]
    assert len(pending(project, run_id=run_id)) == 6
    with pytest.raises(NotFoundError, match="no code 'gird'"):
        pending(project, code="gird")
    with pytest.raises(NotFoundError, match="no case named"):
        pending(project, case_name="nowhere")
    with pytest.raises(NotFoundError, match="no auto-coding run 99"):
        pending(project, run_id=99)
    with pytest.raises(UsageError, match="unknown status"):
        SuggestionFilter("maybe")


def test_accept_creates_manual_coding_with_the_suggestions_provenance(
    project: Project, run_id: int
) -> None:
    first = pending(project)[1]  # 网格员
    decision = accept_suggestion(project, first["suggestion_id"], coder="li")
    assert decision.status == "accepted" and decision.coding_created
    [coding] = codings(project)
    assert coding["coding_id"] == decision.coding_id
    assert (coding["origin"], coding["coder"], coding["run_id"]) == ("manual", "li", run_id)
    assert (coding["rule_kind"], coding["rule"], coding["code_id"]) == (
        "keyword", "网格员", "grid.grid_workers",
    )  # fmt: skip
    assert (coding["start_char"], coding["end_char"]) == (first["start_char"], first["end_char"])
    # The offset invariant: the document text at the coding's span is the keyword.
    view = project.conn.execute(
        "SELECT v.origin, v.run_id, v.rule, v.quote, d.text FROM codings_view v "
        "JOIN documents d ON d.name = v.document"
    ).fetchone()
    assert (view["origin"], view["run_id"], view["rule"], view["quote"]) == (
        "manual", run_id, "网格员", "网格员",
    )  # fmt: skip
    assert view["text"][coding["start_char"] : coding["end_char"]] == "网格员"
    row = list_suggestions(project, SuggestionFilter("accepted"))[0]
    assert (row["status"], row["decided_by"], row["coding_id"]) == (
        "accepted",
        "li",
        coding["coding_id"],
    )
    assert row["decided_at"]


def test_deciding_twice_is_a_conflict_and_unknown_id_not_found(
    project: Project, run_id: int
) -> None:
    first, second = (row["suggestion_id"] for row in pending(project)[:2])
    accept_suggestion(project, first, coder="li")
    reject_suggestion(project, second, coder="li")
    with pytest.raises(ConflictError, match=f"suggestion {first} was already accepted by li"):
        accept_suggestion(project, first, coder="wang")
    with pytest.raises(ConflictError, match="already rejected"):
        accept_suggestion(project, second, coder="li")
    with pytest.raises(ConflictError, match="already accepted"):
        reject_suggestion(project, first, coder="li")
    with pytest.raises(NotFoundError, match="no suggestion 999"):
        accept_suggestion(project, 999, coder="li")
    with pytest.raises(NotFoundError, match="no suggestion 999"):
        reject_suggestion(project, 999, coder="li")
    assert len(codings(project)) == 1
    assert count_by_status(project, SuggestionFilter()) == {
        "pending": 4, "accepted": 1, "rejected": 1,
    }  # fmt: skip


def test_a_batch_is_all_or_nothing(project: Project, run_id: int) -> None:
    ids = [row["suggestion_id"] for row in pending(project)]
    reject_suggestion(project, ids[3], coder="li")
    with pytest.raises(ConflictError, match=f"suggestion {ids[3]}"):
        accept_suggestions(project, ids, coder="li")
    assert codings(project) == []
    assert len(pending(project)) == 5
    decisions = accept_suggestions(project, [ids[0], ids[1], ids[0]], coder="li")
    assert [d.suggestion_id for d in decisions] == [ids[0], ids[1]]
    assert len(codings(project)) == 2


def test_accepting_a_span_already_coded_reuses_that_coding(project: Project, run_id: int) -> None:
    suggestion = pending(project)[0]  # 卡口 in segment 2
    manual = code_segment(
        project, suggestion["segment_id"], "grid.checkpoints", coder="li", span=Span(quote="卡口")
    )
    decision = accept_suggestion(project, suggestion["suggestion_id"], coder="li")
    assert (decision.coding_id, decision.coding_created) == (manual.coding_id, False)
    assert len(codings(project)) == 1
    # Undoing the acceptance must not delete the coding the reviewer made by hand.
    reopen_suggestion(project, decision)
    assert len(codings(project)) == 1
    assert pending(project)[0]["suggestion_id"] == suggestion["suggestion_id"]


def test_reopen_undoes_accept_and_reject(project: Project, run_id: int) -> None:
    first, second = (row["suggestion_id"] for row in pending(project)[:2])
    accepted = accept_suggestion(project, first, coder="li")
    rejected = reject_suggestion(project, second, coder="li")
    reopen_suggestion(project, accepted)
    reopen_suggestion(project, rejected)
    assert codings(project) == []
    rows = pending(project)
    assert len(rows) == 6
    assert rows[0]["decided_by"] is None and rows[0]["coding_id"] is None
    with pytest.raises(ConflictError, match="nothing undone"):
        reopen_suggestion(project, Decision(first, "accepted", 1, True))


def test_autocode_apply_runs_leave_accepted_suggestions_alone(
    project: Project, run_id: int
) -> None:
    suggestion = pending(project)[0]
    accept_suggestion(project, suggestion["suggestion_id"], coder="li")
    run_autocode(project, AutocodeOptions(mode="apply", run_by="bot"))
    run_autocode(project, AutocodeOptions(mode="apply", run_by="bot"))
    reviewed = project.conn.execute(
        "SELECT superseded_by_run FROM codings WHERE origin = 'manual'"
    ).fetchall()
    assert [row[0] for row in reviewed] == [None]


# The scripted CLI -----------------------------------------------------------------------------


@pytest.fixture
def cli_project(cli: Cli, db_path: Path, tmp_path: Path) -> int:
    with open_project(db_path, create=True) as opened:
        return build_project(opened, tmp_path)


def listing(cli: Cli, *extra: str) -> list[dict[str, Any]]:
    result = cli("suggestions", "list", "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_cli_list_accept_reject(cli: Cli, cli_project: int) -> None:
    rows = listing(cli)
    assert [(row["case_name"], row["code"], row["rule"]) for row in rows] == EXPECTED
    ids = [row["suggestion_id"] for row in rows]
    result = cli("suggestions", "accept", str(ids[0]), str(ids[1]), "--coder", "li",
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["suggestion_id,status,coding_id", f"{ids[0]},accepted,1",
                                          f"{ids[1]},accepted,2"]  # fmt: skip
    assert result.stderr == "Accepted 2 suggestions.\n"
    result = cli("suggestions", "reject", str(ids[2]), "--coder", "li")
    assert result.exit_code == 0 and result.stderr == "Rejected 1 suggestions.\n"
    again = cli("suggestions", "accept", str(ids[2]), "--coder", "li")
    assert again.exit_code == 1
    assert again.stderr == f"Error: suggestion {ids[2]} was already rejected by li\n"
    missing = cli("suggestions", "reject", "999")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no suggestion 999")
    assert [row["status"] for row in listing(cli, "--status", "all")] == [
        "accepted", "accepted", "rejected", "pending", "pending", "pending",
    ]  # fmt: skip
    with open_project(cli.db_path) as opened:
        rows = opened.conn.execute(
            "SELECT code, origin, coder FROM codings_view ORDER BY coding_id"
        ).fetchall()
    assert [tuple(row) for row in rows] == [
        ("grid.checkpoints", "manual", "li"), ("grid.grid_workers", "manual", "li"),
    ]  # fmt: skip


def test_cli_accept_all_for_a_code(cli: Cli, cli_project: int) -> None:
    result = cli("suggestions", "accept", "--all", "--code", "grid", "--case", "柴机社区",
                 "--coder", "li")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "Accepted 3 suggestions.\n"
    assert [row["rule"] for row in listing(cli)] == ["菜价", "辟谣", "卡口"]
    assert cli("suggestions", "accept", "--all", "--run", str(cli_project)).exit_code == 0
    assert listing(cli) == []


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("accept",), "give suggestion ids, or --all"),
        (("accept", "1", "--all"), "not both"),
        (("reject", "1", "--code", "grid"), "narrow --all"),
        (("list", "--status", "maybe"), "Invalid value"),
    ],
)
def test_cli_usage_errors(cli: Cli, cli_project: int, args: tuple[str, ...], problem: str) -> None:
    result = cli("suggestions", *args)
    assert result.exit_code == 2
    assert problem in result.stderr


def test_every_command_has_an_example_in_its_help(cli: Cli) -> None:
    for command in (("review",), ("suggestions",), ("suggestions", "list"),
                    ("suggestions", "accept"), ("suggestions", "reject")):  # fmt: skip
        result = cli(*command, "--help")
        assert result.exit_code == 0
        assert "qualcode" in result.stdout and (
            "Example" in result.stdout or command == ("suggestions",)
        )
