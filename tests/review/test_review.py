"""The review session: the pure state machine, and real sessions driven through
prompt_toolkit's pipe input, checked against the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from qualcode.cli.screen import run_review, suggestion_card
from qualcode.review.queue import (
    ADJUDICATION_KEYS,
    KEYS,
    SEGMENT_KEYS,
    SUGGESTION_KEYS,
    Command,
)
from qualcode.review.suggestions import Entry, ReviewSession, ReviewState
from qualcode.store.codings import list_memos
from qualcode.store.project import Project, open_project
from qualcode.store.suggestions import (
    Decision,
    SuggestionFilter,
    accept_suggestion,
    list_suggestions,
)
from tests.conftest import Cli, write
from tests.store.test_suggestions import EXPECTED, build_project

# The pure state machine -------------------------------------------------------------------------


def test_keys_map_to_commands() -> None:
    assert [SUGGESTION_KEYS.command_for(key) for key in "arscmuq"] == [
        Command.ACCEPT, Command.REJECT, Command.SKIP, Command.CODE, Command.MEMO,
        Command.UNDO, Command.QUIT,
    ]  # fmt: skip
    assert SUGGESTION_KEYS.command_for("A") is Command.ACCEPT
    assert SUGGESTION_KEYS.command_for("x") is None
    assert SUGGESTION_KEYS.help == "[a]ccept  [r]eject  [s]kip  [c]ode  [m]emo  [u]ndo  [q]uit"


def test_one_key_map_serves_every_session() -> None:
    # A key means the same in every session; every command has exactly one key.
    key_maps = (SUGGESTION_KEYS, SEGMENT_KEYS, ADJUDICATION_KEYS)
    for key_map in key_maps:
        assert all(key_map.command_for(key) is KEYS[key] for key in key_map.keys)
    assert sorted(KEYS.values(), key=lambda command: command.value) == sorted(
        Command, key=lambda command: command.value
    )
    assert set().union(*(key_map.commands for key_map in key_maps)) == set(Command)
    assert ADJUDICATION_KEYS.help == "[k]eep  [d]rop  [s]kip  [u]ndo  [q]uit"


def test_state_moves_on_decisions_and_skips_and_undo_goes_back() -> None:
    state = ReviewState([10, 11, 12])
    assert (state.current, state.progress()) == (10, "1/3")
    state.record(Entry("decision", 0, 10, decision=Decision(10, "accepted", 1, True)))
    assert (state.current, state.progress()) == (11, "2/3")
    state.advance()  # skip
    state.record(Entry("memo", 2, 12, memo_id=5))  # a memo stays on the suggestion
    assert (state.current, state.progress()) == (12, "3/3")
    assert state.undo() == Entry("memo", 2, 12, memo_id=5)
    assert state.current == 12
    undone = state.undo()
    assert undone is not None and undone.suggestion_id == 10
    assert (state.current, state.progress()) == (10, "1/3")
    assert state.undo() is None
    for _ in range(5):
        state.advance()
    assert state.finished and state.current is None and state.progress() == "3/3"


def test_empty_queue_is_finished() -> None:
    state = ReviewState([])
    assert state.finished and state.current is None and state.progress() == "0/0"


# Sessions on a real project --------------------------------------------------------------------


@pytest.fixture
def run_id(project: Project, tmp_path: Path) -> int:
    return build_project(project, tmp_path)


def review(project: Project, keys: str, coder: str = "li", **filters: Any) -> ReviewSession:
    """Run a real prompt_toolkit session fed with ``keys``; return it when it ends."""
    session = ReviewSession(project, coder=coder, filters=SuggestionFilter("pending", **filters))
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        run_review(session, input=pipe, output=DummyOutput())
    return session


def statuses(project: Project) -> list[tuple[str, str, str | None]]:
    """(rule, status, decided_by) of every suggestion in reading order."""
    return [
        (row["rule"], row["status"], row["decided_by"])
        for row in list_suggestions(project, SuggestionFilter(None))
    ]


def codings(project: Project) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in project.conn.execute(
            "SELECT code, coder, origin, run_id, rule, quote FROM codings_view ORDER BY coding_id"
        )
    ]


def test_accept_reject_skip_quit(project: Project, run_id: int) -> None:
    session = review(project, "arsaq")
    assert statuses(project) == [
        ("卡口", "accepted", "li"),
        ("网格员", "rejected", "li"),
        ("值守", "pending", None),
        ("菜价", "accepted", "li"),
        ("辟谣", "pending", None),
        ("卡口", "pending", None),
    ]
    assert codings(project) == [
        ("grid.checkpoints", "li", "manual", run_id, "卡口", "卡口"),
        ("opinion.prices", "li", "manual", run_id, "菜价", "菜价"),
    ]
    assert session.quit and session.state.progress() == "5/6"
    summary = session.summary
    assert (summary.accepted, summary.rejected, summary.skipped) == (2, 1, 1)


def test_undo_reverts_decisions_in_order(project: Project, run_id: int) -> None:
    review(project, "aruuq")
    assert [status for _, status, _ in statuses(project)] == ["pending"] * 6
    assert codings(project) == []
    # Undo returns to the undone suggestion: the next key decides it again.
    review(project, "aurq")
    assert statuses(project)[0] == ("卡口", "rejected", "li")
    assert codings(project) == []


def test_code_the_segment_with_another_code_and_write_a_memo(project: Project, run_id: int) -> None:
    session = review(project, "c opinion.rumours\rm网格员全天值守\rrq")
    first = list_suggestions(project, SuggestionFilter(None))[0]
    segment_text = project.conn.execute(
        "SELECT text FROM segments WHERE segment_id = ?", (first["segment_id"],)
    ).fetchone()[0]
    # A code id typed after 'c' (leading space and all) codes the whole segment by hand.
    assert codings(project) == [("opinion.rumours", "li", "manual", None, None, segment_text)]
    assert [(memo["target"], memo["text"], memo["coder"]) for memo in list_memos(project)] == [
        (str(first["segment_id"]), "网格员全天值守", "li")
    ]
    # Coding and the memo stay on the suggestion; 'r' then rejects it.
    assert statuses(project)[0] == ("卡口", "rejected", "li")
    assert (session.summary.coded, session.summary.memos) == (1, 1)


def test_undo_removes_a_coding_and_a_memo_made_in_the_session(
    project: Project, run_id: int
) -> None:
    review(project, "copinion.rumours\rmnote\ruuq")
    assert codings(project) == []
    assert list_memos(project) == []
    assert statuses(project)[0] == ("卡口", "pending", None)


def test_unknown_code_changes_nothing_and_the_session_goes_on(
    project: Project, run_id: int
) -> None:
    session = review(project, "cgird\raq")
    assert codings(project) == [("grid.checkpoints", "li", "manual", run_id, "卡口", "卡口")]
    assert session.summary.coded == 0


def test_filters_and_the_session_ends_at_the_end_of_its_queue(
    project: Project, run_id: int
) -> None:
    session = review(project, "ar", code="opinion")
    assert session.state.finished and not session.quit
    assert [(rule, status) for rule, status, _ in statuses(project)] == [
        ("卡口", "pending"), ("网格员", "pending"), ("值守", "pending"),
        ("菜价", "accepted"), ("辟谣", "rejected"), ("卡口", "pending"),
    ]  # fmt: skip
    review(project, "a", case_name="安西社区")
    assert statuses(project)[-1] == ("卡口", "accepted", "li")


def test_ctrl_c_keeps_what_was_decided(project: Project, run_id: int, db_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        review(project, "ar\x03a")
    with open_project(db_path) as reopened:
        assert [status for _, status, _ in statuses(reopened)[:3]] == [
            "accepted", "rejected", "pending",
        ]  # fmt: skip


def test_end_of_input_ends_the_session(project: Project, run_id: int) -> None:
    session = ReviewSession(project, coder="li", filters=SuggestionFilter())
    with create_pipe_input() as pipe:
        pipe.send_text("a")
        pipe.close()
        run_review(session, input=pipe, output=DummyOutput())
    assert [status for _, status, _ in statuses(project)][:2] == ["accepted", "pending"]


def test_a_suggestion_decided_elsewhere_is_passed_over(project: Project, run_id: int) -> None:
    session = ReviewSession(project, coder="li", filters=SuggestionFilter())
    ids = list(session.state.queue)
    accept_suggestion(project, ids[0], coder="wang")  # another reviewer, meanwhile
    status = session.apply(Command.REJECT)
    assert status.startswith(f"Not changed: suggestion {ids[0]} was already accepted by wang")
    assert session.state.current == ids[1]
    accept_suggestion(project, ids[2], coder="wang")
    session.apply(Command.ACCEPT)
    assert session.state.current == ids[3]  # ids[2] was skipped over
    assert statuses(project)[:3] == [
        ("卡口", "accepted", "wang"), ("网格员", "accepted", "li"), ("值守", "accepted", "wang"),
    ]  # fmt: skip


def test_a_command_the_session_does_not_offer_changes_nothing(
    project: Project, run_id: int
) -> None:
    session = ReviewSession(project, coder="li", filters=SuggestionFilter())
    status = session.apply(Command.UNCODE)
    assert status == "Not changed: 'uncode' is not a suggestion review command."
    assert session.state.progress() == "1/6" and codings(project) == []
    assert [status for _, status, _ in statuses(project)] == ["pending"] * 6


def test_the_card_highlights_the_matched_span(project: Project, run_id: int) -> None:
    session = ReviewSession(project, coder="li", filters=SuggestionFilter())
    session.apply(Command.SKIP)  # to 网格员
    context = session.context()
    assert context is not None
    card = suggestion_card(session, context)
    text = "".join(fragment[1] for fragment in card)
    assert ("class:match", "网格员") in card
    assert "2/6" in text and "柴机社区" in text and "受访者" in text
    assert "grid.grid_workers 网格员" in text and "keyword" in text
    assert "疫情期间社区是怎么做的？" in text  # the previous segment, for context
    assert "我们在小区门口设了卡口，网格员二十四小时值守。" in text


# The command ------------------------------------------------------------------------------------


@pytest.fixture
def cli_project(db_path: Path, tmp_path: Path) -> int:
    with open_project(db_path, create=True) as opened:
        return build_project(opened, tmp_path)


def test_review_without_a_terminal_is_a_usage_error(cli: Cli, cli_project: int) -> None:
    result = cli("review")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: review is interactive and stdin is not a terminal")
    assert len(result.stderr.splitlines()) == 1


def test_scripted_review_from_a_file_and_from_stdin(
    cli: Cli, cli_project: int, tmp_path: Path
) -> None:
    keys = write(tmp_path / "keys.txt", "a\nr\ncopinion.prices\nmchecked\nsq\n")
    result = cli("review", "--suggestions", "--input", str(keys), "--coder", "li")
    assert result.exit_code == 0, result.stderr
    assert (
        result.stderr
        == "Accepted 1, rejected 1, coded 1, memos 1; 4 pending left in this selection.\n"
    )
    result = cli(
        "review", "--suggestions", "--input", "-", "--coder", "wang", "--code", "grid", input="aaaa"
    )
    assert result.exit_code == 0, result.stderr
    assert (
        result.stderr
        == "Accepted 2, rejected 0, coded 0, memos 0; 0 pending left in this selection.\n"
    )
    rows = json.loads(cli("suggestions", "list", "--status", "all", "--format", "json").stdout)
    assert [(row["rule"], row["status"], row["decided_by"]) for row in rows] == [
        ("卡口", "accepted", "li"), ("网格员", "rejected", "li"), ("值守", "accepted", "wang"),
        ("菜价", "pending", None), ("辟谣", "pending", None), ("卡口", "accepted", "wang"),
    ]  # fmt: skip
    assert len(EXPECTED) == len(rows)
    nothing = cli("review", "--suggestions", "--input", "-", "--code", "grid", input="a")
    assert (nothing.exit_code, nothing.stderr) == (0, "No pending suggestions in this selection.\n")


def test_review_reports_a_missing_keys_file_and_an_unknown_code(
    cli: Cli, cli_project: int, tmp_path: Path
) -> None:
    missing = cli("review", "--input", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: {tmp_path / 'nope.txt'}: cannot read keys")
    unknown = cli("review", "--suggestions", "--input", "-", "--code", "gird", input="q")
    assert unknown.exit_code == 1
    assert (
        unknown.stderr == "Error: no code 'gird' in the project's codebook; did you mean 'grid'?\n"
    )
