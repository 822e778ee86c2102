"""The segment review session (plain ``qualcode review``): the pure state, naming codes, and
real sessions driven through prompt_toolkit's pipe input, checked against the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.cli.screen import code_completer, run_segment_review, segment_card
from qualcode.errors import NotFoundError, UsageError
from qualcode.review.queue import SEGMENT_KEYS, Command
from qualcode.review.segments import (
    SegmentEntry,
    SegmentSession,
    SegmentState,
    numbered_codes,
    resolve_code,
)
from qualcode.store.codebooks import code_rows
from qualcode.store.codings import SegmentSelection, code_segment, list_memos
from qualcode.store.project import Project, open_project
from qualcode.store.rows import CodeRow
from qualcode.store.suggestions import SuggestionFilter, list_suggestions
from tests.conftest import Cli, write
from tests.store.test_suggestions import build_project

# Segments of the project build_project makes (two interviews, mini codebook, a suggest run):
# 1 interviewer, 2 respondent, 3 interviewer, 4 respondent (chaiji.txt, 柴机社区),
# 5 respondent (anxi.txt, 安西社区). Pending suggestions: 2 has three, 4 two, 5 one.
RESPONDENT_SEGMENTS = [2, 4, 5]

# The pure state ------------------------------------------------------------------------------


def test_keys_map_to_segment_commands() -> None:
    assert [SEGMENT_KEYS.command_for(key) for key in "cxarmnbulq"] == [
        Command.CODE, Command.UNCODE, Command.ACCEPT, Command.REJECT, Command.MEMO,
        Command.NEXT, Command.BACK, Command.UNDO, Command.LIST, Command.QUIT,
    ]  # fmt: skip
    assert SEGMENT_KEYS.command_for("s") is None
    assert SEGMENT_KEYS.help == (
        "[c]ode  [x] uncode  [a]ccept  [r]eject  [m]emo  [n]ext  [b]ack  [u]ndo  [l]ist codes  "
        "[q]uit"
    )


def test_state_moves_with_next_and_back_and_undo_returns_to_the_action() -> None:
    state = SegmentState([2, 4, 5])
    assert (state.current, state.progress()) == (2, "1/3")
    assert not state.back() and state.current == 2
    state.record(SegmentEntry("coding", 0, 2, coding_id=7))  # an action stays on its segment
    assert state.current == 2
    state.next()
    state.next()
    assert (state.current, state.progress()) == (5, "3/3")
    assert state.back() and state.current == 4
    assert state.undo() == SegmentEntry("coding", 0, 2, coding_id=7)
    assert state.current == 2 and state.undo() is None
    for _ in range(5):
        state.next()
    assert state.finished and state.current is None and state.progress() == "3/3"


# Naming codes --------------------------------------------------------------------------------


@pytest.fixture
def codes(project: Project, tmp_path: Path) -> list[CodeRow]:
    build_project(project, tmp_path)
    return code_rows(project)


def test_a_code_is_named_by_id_name_number_or_the_last_part_of_its_id(
    codes: list[dict[str, Any]],
) -> None:
    assert resolve_code("grid.checkpoints", codes) == "grid.checkpoints"
    assert resolve_code("  卡口 ", codes) == "grid.checkpoints"  # Chinese name
    assert resolve_code("CHECKPOINTS", codes) == "grid.checkpoints"  # English name, any case
    assert resolve_code("Public opinion", codes) == "opinion"
    assert resolve_code("grid_workers", codes) == "grid.grid_workers"  # the last part of the id
    assert resolve_code("2", codes) == "grid.checkpoints"  # the number in the list
    assert resolve_code("6", codes) == "opinion.prices"
    assert resolve_code("谣", codes) == "opinion.rumours"  # a part of one code's names
    assert resolve_code("rumour", codes) == "opinion.rumours"  # or of its id


def test_unknown_ambiguous_and_out_of_range_codes_are_errors(codes: list[dict[str, Any]]) -> None:
    with pytest.raises(NotFoundError, match=r"no code 'gird' .*did you mean 'grid'\?"):
        resolve_code("gird", codes)
    with pytest.raises(NotFoundError, match=r"did you mean 'opinion\.rumours'"):
        resolve_code("谣言们", codes)  # close to the name 谣言: the hint is the id
    with pytest.raises(UsageError, match=r"'grid\.' matches several codes \(grid\.checkpoints, "):
        resolve_code("grid.", codes)
    with pytest.raises(UsageError, match=r"no code number 7: the list \('l'\) has 1 to 6"):
        resolve_code("7", codes)
    with pytest.raises(UsageError, match="no code given"):
        resolve_code(" ", codes)
    twins = [*codes, {**codes[1], "code_id": "opinion.checkpoints"}]
    with pytest.raises(UsageError, match=r"'卡口' matches several codes \(grid.checkpoints, opin"):
        resolve_code("卡口", twins)
    with pytest.raises(NotFoundError, match="the project has no codebook"):
        resolve_code("grid", [])


def test_completion_offers_ids_and_names_matching_anywhere(codes: list[dict[str, Any]]) -> None:
    """In codebook order, each code's id then its names; the meta says what each stands for."""
    completer = code_completer(codes)

    def candidates(typed: str) -> list[tuple[str, str]]:
        completions = completer.get_completions(Document(typed), CompleteEvent())
        return [(completion.text, completion.display_meta_text) for completion in completions]

    assert candidates("卡") == [("卡口", "grid.checkpoints")]
    assert candidates("check") == [
        ("grid.checkpoints", "卡口 / Checkpoints"), ("Checkpoints", "grid.checkpoints"),
    ]  # fmt: skip
    assert [text for text, _ in candidates("opinion")] == [
        "opinion", "Public opinion", "opinion.rumours", "opinion.prices",
    ]  # fmt: skip
    assert candidates("谣") == [("谣言", "opinion.rumours")]


def test_the_numbered_code_list(codes: list[dict[str, Any]]) -> None:
    assert numbered_codes(codes) == (
        "1  grid 网格化应急治理 / Grid governance\n"
        "2    grid.checkpoints 卡口 / Checkpoints\n"
        "3    grid.grid_workers 网格员\n"
        "4  opinion 舆情引导 / Public opinion\n"
        "5    opinion.rumours 谣言\n"
        "6    opinion.prices 菜价"
    )


# Sessions on a real project ------------------------------------------------------------------


@pytest.fixture
def run_id(project: Project, tmp_path: Path) -> int:
    return build_project(project, tmp_path)


def code_segments(project: Project, keys: str, coder: str = "li", **filters: Any) -> SegmentSession:
    """Run a real prompt_toolkit session fed with ``keys`` (then end of input); return it."""
    session = SegmentSession(project, coder=coder, selection=SegmentSelection(**filters))
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()
        run_segment_review(session, input=pipe, output=DummyOutput())
    return session


def codings(project: Project) -> list[tuple[Any, ...]]:
    """(segment, code, coder, origin, quote) of every current coding, oldest first."""
    return [
        tuple(row)
        for row in project.conn.execute(
            "SELECT segment_id, code, coder, origin, quote FROM codings_view ORDER BY coding_id"
        )
    ]


def statuses(project: Project) -> list[tuple[int, str, str, str | None]]:
    """(segment, rule, status, decided_by) of every suggestion in reading order."""
    return [
        (row["segment_id"], row["rule"], row["status"], row["decided_by"])
        for row in list_suggestions(project, SuggestionFilter(None))
    ]


def segment_text(project: Project, segment_id: int) -> str:
    row = project.conn.execute("SELECT text FROM segments WHERE segment_id = ?", (segment_id,))
    return str(row.fetchone()[0])


def test_code_segments_by_id_by_name_and_by_number(project: Project, run_id: int) -> None:
    session = code_segments(project, "cgrid.checkpoints\rc网格员\rnc6\rcPublic opinion\rnc 2\rq")
    assert [coding[:4] for coding in codings(project)] == [
        (2, "grid.checkpoints", "li", "manual"),
        (2, "grid.grid_workers", "li", "manual"),
        (4, "opinion.prices", "li", "manual"),
        (4, "opinion", "li", "manual"),
        (5, "grid.checkpoints", "li", "manual"),
    ]  # fmt: skip
    assert codings(project)[0][4] == segment_text(project, 2)  # the whole segment
    assert session.quit and session.summary.coded == 5
    assert [status for *_, status, _ in statuses(project)] == ["pending"] * 6  # untouched


def test_coding_the_same_code_again_changes_nothing(project: Project, run_id: int) -> None:
    session = code_segments(project, "c卡口\rccheckpoints\rq")
    assert len(codings(project)) == 1 and session.summary.coded == 1
    assert session.apply(Command.CODE, "2") == "Segment 2 already has grid.checkpoints by li."


def test_an_unknown_code_changes_nothing_and_the_session_goes_on(
    project: Project, run_id: int
) -> None:
    session = code_segments(project, "cgird\rc99\rc\rc菜价\rq")
    assert [code for _, code, *_ in codings(project)] == ["opinion.prices"]
    assert session.summary.coded == 1
    status = session.apply(Command.CODE, "gird")
    assert status == "Not changed: no code 'gird' in the project's codebook; did you mean 'grid'?"
    assert len(codings(project)) == 1


def test_uncode_removes_only_your_codings_of_that_code_and_undo_restores_them(
    project: Project, run_id: int
) -> None:
    code_segment(project, 2, "grid.checkpoints", coder="wang")
    code_segments(project, "c卡口\rc网格员\rx卡口\rq")
    assert codings(project) == [
        (2, "grid.checkpoints", "wang", "manual", segment_text(project, 2)),
        (2, "grid.grid_workers", "li", "manual", segment_text(project, 2)),
    ]
    before = project.conn.execute("SELECT * FROM codings ORDER BY coding_id").fetchall()
    session = code_segments(project, "xgrid.grid_workers\ru")
    assert session.summary.uncoded == 0 and session.summary.undone == 1
    after = project.conn.execute("SELECT * FROM codings ORDER BY coding_id").fetchall()
    assert [tuple(row) for row in after] == [tuple(row) for row in before]  # same id, same row
    # Nothing of yours on the segment: uncode says so and asks nothing.
    session = SegmentSession(project, coder="zhao", selection=SegmentSelection())
    assert session.apply(Command.UNCODE) == "Segment 2 has no codes by zhao to remove."
    assert session.apply(Command.UNCODE, "卡口").startswith(
        "Not changed: segment 2 has no manual coding 'grid.checkpoints' by zhao"
    )


def test_accept_and_reject_suggestions_by_number(project: Project, run_id: int) -> None:
    # Segment 2 has three pending suggestions: a number picks one; segment 5 has one: no number.
    session = code_segments(project, "a2\rr2\rnnan")
    assert statuses(project) == [
        (2, "卡口", "pending", None),
        (2, "网格员", "accepted", "li"),
        (2, "值守", "rejected", "li"),
        (4, "菜价", "pending", None),
        (4, "辟谣", "pending", None),
        (5, "卡口", "accepted", "li"),
    ]  # fmt: skip
    assert codings(project) == [
        (2, "grid.grid_workers", "li", "manual", "网格员"),
        (5, "grid.checkpoints", "li", "manual", "卡口"),
    ]
    assert (session.summary.accepted, session.summary.rejected) == (2, 1)
    # After 'a2' the list is renumbered: 卡口 is 1, 值守 is 2.
    assert session.state.finished and not session.quit


def test_a_bad_suggestion_number_changes_nothing(project: Project, run_id: int) -> None:
    session = SegmentSession(project, coder="li", selection=SegmentSelection())
    assert session.apply(Command.ACCEPT, "4") == (
        "Not changed: give a suggestion number from 1 to 3, not '4'"
    )
    assert session.apply(Command.REJECT) == (
        "Not changed: give a suggestion number from 1 to 3, not ''"
    )
    session.state.position = 2  # segment 5: one suggestion, no number needed
    assert (
        session.apply(Command.ACCEPT) == "Accepted suggestion 1: grid.checkpoints (keyword 卡口)."
    )
    assert session.apply(Command.ACCEPT) == ("Not changed: segment 5 has no pending suggestions")
    assert [status for *_, status, _ in statuses(project)] == ["pending"] * 5 + ["accepted"]


def test_undo_reverts_decisions_and_goes_back_to_their_segment(
    project: Project, run_id: int
) -> None:
    session = code_segments(project, "a1\rnr2\rnuu")
    assert [status for *_, status, _ in statuses(project)] == ["pending"] * 6
    assert codings(project) == []
    assert session.state.current == 2 and session.summary.undone == 2
    assert session.apply(Command.UNDO) == "Nothing to undo."


def test_uncoding_an_accepted_suggestion_and_undoing_it_keeps_the_link(
    project: Project, run_id: int
) -> None:
    session = SegmentSession(project, coder="li", selection=SegmentSelection(case_name="安西社区"))
    session.apply(Command.ACCEPT)
    (accepted,) = list_suggestions(project, SuggestionFilter("accepted"))
    assert accepted["coding_id"] is not None
    assert session.apply(Command.UNCODE, "卡口") == (
        "Removed grid.checkpoints 卡口 / Checkpoints from segment 5."
    )
    (unlinked,) = list_suggestions(project, SuggestionFilter("accepted"))
    assert unlinked["coding_id"] is None and codings(project) == []
    assert session.apply(Command.UNDO) == "Undone: uncoding on segment 5."
    (relinked,) = list_suggestions(project, SuggestionFilter("accepted"))
    assert relinked["coding_id"] == accepted["coding_id"]
    assert codings(project) == [(5, "grid.checkpoints", "li", "manual", "卡口")]


def test_a_command_the_session_does_not_offer_changes_nothing(
    project: Project, run_id: int
) -> None:
    session = SegmentSession(project, coder="li", selection=SegmentSelection())
    status = session.apply(Command.SKIP)
    assert status == "Not changed: 'skip' is not a segment review command."
    assert session.state.progress() == "1/3" and codings(project) == []
    assert [status for *_, status, _ in statuses(project)] == ["pending"] * 6


def test_back_and_next_walk_the_queue(project: Project, run_id: int) -> None:
    session = code_segments(project, "nnbc菜价\rbbc卡口\rq")
    assert [(segment, code) for segment, code, *_ in codings(project)] == [
        (4, "opinion.prices"), (2, "grid.checkpoints"),
    ]  # fmt: skip
    assert session.state.current == 2


def test_memo_and_its_undo(project: Project, run_id: int) -> None:
    session = code_segments(project, "m书记对比了两次封控\rnm  \rmdraft\ruq")
    assert [(memo["target"], memo["text"], memo["coder"]) for memo in list_memos(project)] == [
        ("2", "书记对比了两次封控", "li")
    ]
    assert session.summary.memos == 1
    assert session.apply(Command.MEMO, " ") == "Empty memo: nothing written."


def test_filters_select_the_queue_in_reading_order(project: Project, run_id: int) -> None:
    def queue(**filters: Any) -> list[int]:
        return list(
            SegmentSession(project, coder="li", selection=SegmentSelection(**filters)).state.queue
        )

    assert queue() == RESPONDENT_SEGMENTS
    assert queue(all_speakers=True) == [1, 2, 3, 4, 5]
    assert queue(case_name="安西社区") == [5]
    assert queue(document="chaiji.txt", all_speakers=True) == [1, 2, 3, 4]
    code_segment(project, 4, "opinion.prices", coder="wang")
    run_autocode(project, AutocodeOptions(mode="apply", run_by="bot"))  # auto codings count too
    assert queue(code="opinion") == [4]
    assert queue(code="opinion.prices") == [4]
    assert queue(code="grid") == [2, 5]
    code_segment(project, 2, "grid.checkpoints", coder="li")
    assert queue(uncoded_by="li") == [4, 5]  # wang's and the rules' codings do not count
    assert queue(uncoded_by="wang") == [2, 5]
    assert queue(uncoded_by="li", case_name="柴机社区", code="opinion") == [4]
    with pytest.raises(NotFoundError, match="no case '柴机'; did you mean '柴机社区'"):
        queue(case_name="柴机")
    with pytest.raises(
        NotFoundError, match=r"no document 'chaji.txt'; did you mean 'chaiji.txt'\?"
    ):
        queue(document="chaji.txt")
    with pytest.raises(NotFoundError, match="no code 'gird'"):
        queue(code="gird")


def test_the_session_ends_at_the_end_of_its_queue(project: Project, run_id: int) -> None:
    session = code_segments(project, "c谣言\rn", case_name="安西社区")
    assert session.state.finished and not session.quit
    assert codings(project) == [(5, "opinion.rumours", "li", "manual", "我们也设了卡口。")]


def test_quitting_mid_way_keeps_everything(project: Project, run_id: int, db_path: Path) -> None:
    code_segments(project, "c网格员\ra1\rmnote\rnc菜")  # the keys end inside a prompt
    with pytest.raises(KeyboardInterrupt):
        code_segments(project, "nnc谣言\r\x03c菜价\r")
    with open_project(db_path) as reopened:
        assert [(segment, code) for segment, code, *_ in codings(reopened)] == [
            (2, "grid.grid_workers"), (2, "grid.checkpoints"), (5, "opinion.rumours"),
        ]  # fmt: skip
        assert statuses(reopened)[0] == (2, "卡口", "accepted", "li")
        assert [memo["text"] for memo in list_memos(reopened)] == ["note"]


def test_the_card_shows_context_speaker_codes_and_numbered_suggestions(
    project: Project, run_id: int
) -> None:
    run_autocode(project, AutocodeOptions(mode="apply", run_by="bot", codes=("opinion",)))
    code_segment(project, 4, "opinion.prices", coder="li")
    session = SegmentSession(project, coder="li", selection=SegmentSelection())
    session.apply(Command.NEXT)
    session.apply(Command.MEMO, "涨价是谣言")
    card = session.card()
    assert card is not None
    text = "".join(fragment[1] for fragment in segment_card(session, card))
    assert text == (
        "── 2/3 · segment 4 · case 柴机社区 · chaiji.txt ──\n"
        "  采访者 (interviewer): 有没有谣言？\n"
        "受访者 (respondent)\n"
        "> 微信群里有人说菜价涨了三倍，我们马上辟谣。\n"
        "codes:\n"
        "  opinion.rumours 谣言 · auto (keyword 辟谣) 「辟谣」\n"
        "  opinion.prices 菜价 · li · manual\n"
        "  opinion.prices 菜价 · auto (keyword 菜价) 「菜价」\n"
        "pending suggestions:\n"
        "  1. opinion.prices 菜价 · keyword 菜价 「菜价」\n"
        "  2. opinion.rumours 谣言 · keyword 辟谣 「辟谣」\n"
        "memo (li): 涨价是谣言\n"
    )
    assert card.own_codes("li") == ["opinion.prices"] and card.own_codes("bot") == []


# The command ---------------------------------------------------------------------------------


@pytest.fixture
def cli_project(db_path: Path, tmp_path: Path) -> int:
    with open_project(db_path, create=True) as opened:
        return build_project(opened, tmp_path)


def test_scripted_segment_review_from_a_file_and_from_stdin(
    cli: Cli, cli_project: int, tmp_path: Path
) -> None:
    keys = write(tmp_path / "keys.txt", "c卡口\na2\nn\nc6\nx菜价\nm涨价传言\nq\n")
    result = cli("review", "--input", str(keys), "--coder", "li")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        "Coded 2, uncoded 1, accepted 1, rejected 0, memos 1; stopped at segment 2/3.\n"
    )
    result = cli("review", "--input", "-", "--uncoded", "--coder", "li", input="c谣言\nnn")
    assert (result.exit_code, result.stderr) == (
        0,
        "Coded 1, uncoded 0, accepted 0, rejected 0, memos 0; reached the end of the 2 segments.\n",
    )
    with open_project(cli.db_path) as project:
        assert [(segment, code) for segment, code, *_ in codings(project)] == [
            (2, "grid.checkpoints"), (2, "grid.grid_workers"), (4, "opinion.rumours"),
        ]  # fmt: skip
    done = cli(
        "review", "--input", "-", "--uncoded", "--case", "柴机社区", "--coder", "li", input="q"
    )
    assert (done.exit_code, done.stderr) == (0, "No segments in this selection.\n")


def test_ctrl_c_in_a_scripted_review_exits_130_and_keeps_the_work(
    cli: Cli, cli_project: int
) -> None:
    result = cli("review", "--input", "-", "--coder", "li", input="c卡口\nm封控\n\x03c菜价\n")
    assert (result.exit_code, result.stderr) == (130, "Interrupted: work already saved is kept.\n")
    with open_project(cli.db_path) as project:
        assert [coding[:3] for coding in codings(project)] == [(2, "grid.checkpoints", "li")]
        assert [memo["text"] for memo in list_memos(project)] == ["封控"]


def test_review_options_of_the_other_mode_are_usage_errors(cli: Cli, cli_project: int) -> None:
    for arguments, error in (
        (("--run", "1"), "Error: --run selects suggestions: use it with --suggestions\n"),
        (
            ("--suggestions", "--uncoded"),
            "Error: --doc, --uncoded and --all-speakers select segments: not with --suggestions\n",
        ),
    ):
        result = cli("review", "--input", "-", *arguments, input="q")
        assert (result.exit_code, result.stderr) == (2, error)


def test_review_reports_an_unknown_case(cli: Cli, cli_project: int) -> None:
    result = cli("review", "--input", "-", "--case", "柴机", input="q")
    assert (result.exit_code, result.stderr) == (
        1, "Error: no case '柴机'; did you mean '柴机社区'?\n",
    )  # fmt: skip


def test_review_help_describes_both_modes_with_an_example(cli: Cli) -> None:
    text = " ".join(cli("review", "--help").stdout.split())  # unwrapped
    assert "Example: qualcode review --case Chaiji --uncoded --coder li" in text
    assert "Keys: c code (id, name or number), x uncode, a/r accept/reject a suggestion" in text
    assert "--suggestions: pending suggestions one at a time instead. Keys: a accept" in text
