"""A review key pressed while another process writes to the project: the action waits, is
tried again, and lands exactly once; if the project stays busy, nothing is written and the
card stays so that the same key retries it."""

from __future__ import annotations

import threading
from pathlib import Path

from qualcode.review.queue import BUSY_ATTEMPTS, Command
from qualcode.review.segments import SegmentSession
from qualcode.review.suggestions import ReviewSession
from qualcode.store.codings import SegmentSelection
from qualcode.store.project import Project, open_project
from qualcode.store.suggestions import SuggestionFilter
from tests.store.test_concurrency import hold
from tests.store.test_suggestions import build_project


def manual_codings(project: Project) -> list[tuple[int, str, str]]:
    return [
        (int(row[0]), str(row[1]), str(row[2]))
        for row in project.conn.execute(
            "SELECT segment_id, code_id, coder FROM codings WHERE origin = 'manual' ORDER BY 1"
        )
    ]


def test_a_key_pressed_while_another_process_writes_lands_once_it_is_done(
    project: Project, tmp_path: Path
) -> None:
    build_project(project, tmp_path)
    waiting = open_project(project.path, wait_seconds=1.0)
    session = SegmentSession(waiting, coder="li", selection=SegmentSelection())
    first = session.state.current
    assert first is not None
    holder = hold(project.path, 60)
    # The holder lets go after the first try has given up, well before the tries run out.
    release = threading.Timer(1.5, holder.terminate)
    release.start()
    try:
        status = session.apply(Command.CODE, "grid")
    finally:
        release.cancel()
        holder.terminate()
        holder.wait()
        waiting.close()
    assert status.startswith(f"Coded segment {first} with")
    assert manual_codings(project) == [(first, "grid", "li")]
    assert BUSY_ATTEMPTS >= 2


def test_a_project_that_stays_busy_keeps_the_card_and_the_same_key_retries(
    project: Project, tmp_path: Path
) -> None:
    build_project(project, tmp_path)
    waiting = open_project(project.path, wait_seconds=0.2)
    session = ReviewSession(waiting, coder="li", filters=SuggestionFilter())
    current = session.state.current
    holder = hold(project.path, 60)
    try:
        status = session.apply(Command.ACCEPT)
    finally:
        holder.terminate()
        holder.wait()
    assert status.startswith("Not saved yet: ")
    assert "press the key again to retry" in status
    assert session.state.current == current and session.summary.accepted == 0
    assert manual_codings(project) == []
    assert session.apply(Command.ACCEPT).startswith(f"Accepted suggestion {current}")
    assert len(manual_codings(project)) == 1
    waiting.close()
