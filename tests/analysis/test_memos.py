"""Coding memos are visible (issue 13, item 5): the quotes memo column, ``qualcode memos`` with
what each memo is attached to, and the review card's codings."""

from __future__ import annotations

import json
from pathlib import Path

from qualcode.analysis.query import CodingFilter
from qualcode.analysis.quotes import iter_quotes
from qualcode.store.codings import code_segment, segment_details
from qualcode.store.project import Project
from tests.analysis.test_matrix import build_study
from tests.conftest import Cli


def test_coding_memos_in_quotes_memos_and_the_review_card(
    cli: Cli, project: Project, tmp_path: Path
) -> None:
    ids = build_study(project, tmp_path)
    segment_id = ids["huazhuang.txt"][2]
    code_segment(project, segment_id, "grid.workers", coder="li", memo="volunteers do grid work")
    conn = project.conn
    # Every coding memo, counted independently from the codings table.
    stored = {
        int(coding_id): memo
        for coding_id, memo in conn.execute(
            "SELECT coding_id, memo FROM codings WHERE memo IS NOT NULL AND memo <> ''"
        )
    }
    assert list(stored.values()) == ["volunteers do grid work"]
    quotes = list(iter_quotes(project, CodingFilter()))
    assert {row["coding_id"]: row["memo"] for row in quotes if row["memo"]} == stored
    assert len(quotes) == conn.execute("SELECT count(*) FROM codings_view").fetchone()[0]
    table = cli("quotes", "--coder", "li", "--format", "csv")
    assert table.exit_code == 0, table.stderr
    assert "volunteers do grid work" in table.stdout
    memos = json.loads(cli("memos", "--format", "json").stdout)
    (coding_id,) = stored
    assert memos == [
        {
            "memo_id": None, "target_kind": "coding", "target": str(coding_id),
            "attached_to": f"coding {coding_id}: grid.workers on segment {segment_id} "
            "(huazhuang.txt, 华庄社区)",
            "coder": "li", "text": "volunteers do grid work", "created_at": memos[0]["created_at"],
        }
    ]  # fmt: skip
    card = segment_details(project, segment_id)
    assert [coding["memo"] for coding in card.codings if coding["coder"] == "li"] == [
        "volunteers do grid work"
    ]
