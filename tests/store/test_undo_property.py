"""Undo never gets stuck: random sequences of operations are undone, one entry at a time, back
to the empty project, and every step back restores exactly the tables as they were."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.errors import QualcodeError
from qualcode.models import Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import add_memo, code_segment, uncode_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.journal import history, undo
from qualcode.store.merging import merge_project
from qualcode.store.project import Project, open_project
from qualcode.store.replacing import needs_alignment, replace_coded_document
from tests.conftest import CODEBOOK, write
from tests.store.test_journal import (
    REVISED,
    TURNS,
    comparable,
    dump,
    interview_document,
    other_project,
)

#: Lines a new version of an interview may end with (version 0 adds nothing).
ADDED_LINES = ("", "受访者：还有一点，志愿者也很重要。", "受访者：菜价的谣言，网格员马上辟谣。")
#: Documents the operations import: two file names, one of them also from a sub-folder.
NAMES = ("chaiji.txt", "anxi.txt", "B/chaiji.txt")
CODES = ("grid.checkpoints", "opinion.rumours", "grid", "grid.volunteers")


def interview(name: str, version: int) -> PreparedDocument:
    """The four turns (and an added line for versions 1 and 2), one segment per line.

    Version 0 of ``chaiji.txt`` is the interview of the other coder's project (merges match it).
    """
    if (name, version) == ("chaiji.txt", 0):
        return interview_document()
    lines = [text for _role, text in TURNS]
    roles = [role for role, _text in TURNS]
    if ADDED_LINES[version]:
        lines.append(ADDED_LINES[version].removeprefix("受访者："))
        roles.append("respondent")
    lines.insert(0, name)  # the name in the text, so that different documents differ
    roles.insert(0, "interviewer")
    segments, offset = [], 0
    for ordinal, (role, text) in enumerate(zip(roles, lines, strict=True)):
        segments.append(Segment(ordinal, offset, offset + len(text), role=role))  # type: ignore[arg-type]
        offset += len(text) + 1
    return PreparedDocument(
        name=name, source_path=name, text="\n".join(lines), encoding="utf-8",
        source_format="txt", language="zh", unit="turn", segments=segments,
    )  # fmt: skip


def segment_at(project: Project, index: int) -> int:
    """The ``index``-th segment (modulo how many there are), or a missing id when none."""
    ids = [row[0] for row in project.conn.execute("SELECT segment_id FROM segments ORDER BY 1")]
    return ids[index % len(ids)] if ids else 999_999


Operation = tuple[str, int, int]

OPERATION = st.tuples(
    st.sampled_from(
        ["import", "replace", "code", "uncode", "memo", "autocode", "codebook", "merge"]
    ),
    st.integers(min_value=0, max_value=11),
    st.integers(min_value=0, max_value=2),
)


def replace(project: Project, document: PreparedDocument, case: int) -> object:
    """``import --replace`` as the importer does it: a coded document's coding is carried to
    the new text (an ``import-replace`` entry), any other goes through the plain store."""
    if needs_alignment(project.conn, document):
        return replace_coded_document(project, document)
    return store_document(project, document, case_name=f"case{case}", replace=True)


def apply(project: Project, folder: Path, operation: Operation) -> None:
    kind, first, second = operation
    actions: dict[str, Callable[[], Any]] = {
        "import": lambda: store_document(
            project, interview(NAMES[first % 3], second), case_name=f"case{first % 2}"
        ),
        "replace": lambda: replace(project, interview(NAMES[first % 3], second), first % 2),
        "code": lambda: code_segment(
            project, segment_at(project, first), CODES[second], coder="li"
        ),
        "uncode": lambda: uncode_segment(
            project, segment_at(project, first), CODES[second], coder="li"
        ),
        "memo": lambda: add_memo(
            project, "segment", str(segment_at(project, first)), f"note {second}", coder="li"
        ),
        "autocode": lambda: run_autocode(
            project, AutocodeOptions(mode=("apply", "suggest")[second % 2], run_by="li")
        ),
        "codebook": lambda: load_into_project(
            project, write(folder / f"book{second % 2}.yml", (CODEBOOK, REVISED)[second % 2])
        ),
        "merge": lambda: merge_project(project, folder / "wang.db"),
    }
    actions[kind]()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATION, min_size=1, max_size=30))
def test_random_operations_undo_back_to_the_empty_project(operations: list[Operation]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        other_project(folder)  # wang.db, for merges
        with open_project(folder / "study.db", create=True) as project:
            states = [comparable(dump(project))]
            # Most operations need something to work on: start from an interview and a codebook.
            for operation in [("import", 0, 0), ("codebook", 0, 0), *operations]:
                entries = len(history(project))
                before = states[-1]
                # Refusals (nothing to code, a coded document to replace ...) change nothing.
                with contextlib.suppress(QualcodeError):
                    apply(project, folder, operation)
                after = comparable(dump(project))
                if len(history(project)) == entries:
                    assert after == before, f"{operation} changed the project without an entry"
                else:
                    assert len(history(project)) == entries + 1, operation
                    states.append(after)
                    event(f"entry: {operation[0]} ({history(project, 1)[0]['kind']})")
            while len(states) > 1:
                states.pop()
                [undone] = undo(project)
                assert comparable(dump(project)) == states[-1], undone
            assert not [row for row in history(project) if not row["undone"]]


def test_undo_after_code_uncode_and_replace_reaches_every_entry(tmp_path: Path) -> None:
    """The case that got undo stuck for good: a coding's segment replaced after uncoding."""
    with open_project(tmp_path / "study.db", create=True) as project:
        empty = comparable(dump(project))
        store_document(project, interview("chaiji.txt", 0), case_name="chaiji")
        load_into_project(project, write(tmp_path / "mini.yml", CODEBOOK))
        segment = segment_at(project, 2)
        code_segment(project, segment, "grid.checkpoints", coder="li")
        coded = comparable(dump(project))
        uncode_segment(project, segment, "grid.checkpoints", coder="li")
        replaced = store_document(
            project, interview("chaiji.txt", 1), case_name="chaiji", replace=True
        )
        assert replaced.status == "replaced"
        assert [entry.kind for entry in undo(project, 2)] == ["import", "uncode"]
        assert comparable(dump(project)) == coded
        assert [entry.kind for entry in undo(project, 3)] == ["code", "codebook-load", "import"]
        assert comparable(dump(project)) == empty
