"""Large imports and runs take faster paths than small ones; they must store the same things.

An import of many files prepares documents in worker processes; an auto-coding run over many
segments matches in workers that read their own segments and writes its codings with the
indexes dropped and foreign keys checked once at the end. Here the thresholds are lowered so
that small projects (the shipped samples and a generated one) take those paths, and what they
store is compared, field by field, with what the plain in-process paths store.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from qualcode.errors import ConflictError
from qualcode.parallel import worker_count
from qualcode.store.project import open_project
from qualcode.store.runs import RunRecord, store_run
from tests.conftest import REPOSITORY, SAMPLES, Cli

SHIPPED_CODEBOOK = REPOSITORY / "codebooks" / "community_governance.yml"

#: Phrases of the generated interviews: keywords of the shipped codebook among ordinary talk.
TOPICAL = (
    "我们社区一共划了八个网格", "每个网格配一到两个网格员", "卡口二十四小时有人值守",
    "志愿者每天上门排查", "微信群里有人传谣言", "菜价一度涨得很高", "每天要填很多重复的报表",
    "以后要建智慧社区平台", "the grid workers went door to door",
    "volunteers staffed the checkpoint", "rumours spread in the WeChat group",
)  # fmt: skip
FILLER = ("那个时候大家都很紧张", "我印象特别深", "后来慢慢就好了", "we talked a lot")
LABELS = (("采访者", "受访者"), ("问", "答"), ("Interviewer", "Respondent"))

SEGMENT_COLUMNS = (
    "segment_id, document, case_name, ordinal, speaker, role, start_char, end_char, "
    "start_time, end_time, text"
)
CODING_COLUMNS = (
    "coding_id, segment_id, code_id, coder, origin, run_id, rule_kind, rule, start_char, "
    "end_char, spans, memo, superseded_by_run"
)


def generated_interviews(folder: Path, files: int = 10, turns: int = 120) -> Path:
    """Labelled interviews, seeded, with codebook keywords in about a third of the phrases."""
    rng = random.Random(3)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        interviewer, respondent = LABELS[number % len(LABELS)]
        lines = []
        for turn in range(turns):
            phrases = [
                rng.choice(TOPICAL if rng.random() < 0.3 else FILLER)
                for _ in range(rng.randint(1, 4))
            ]
            speaker = interviewer if turn % 2 == 0 else respondent
            lines.append(f"{speaker}：{'，'.join(phrases)}。")
        (folder / f"interview_{number:02d}.txt").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def rows(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def imported(db_path: Path, source: Path) -> list[tuple[object, ...]]:
    result = Cli(db_path)("import", str(source))
    assert result.exit_code == 0, result.stderr
    return rows(db_path, f"SELECT {SEGMENT_COLUMNS} FROM segments_view ORDER BY segment_id")


def coded(db_path: Path) -> tuple[str, list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Auto-code twice (the second run supersedes the first's codings); what was stored."""
    cli = Cli(db_path)
    first = cli("autocode", "--format", "json")
    assert first.exit_code == 0, first.stderr
    second = cli("autocode", "--format", "json")
    assert second.exit_code == 0, second.stderr
    codings = rows(db_path, f"SELECT {CODING_COLUMNS} FROM codings ORDER BY coding_id")
    journal = rows(db_path, "SELECT kind, summary FROM journal_entries ORDER BY entry_id")
    return first.stdout + second.stdout, codings, journal


@pytest.mark.parametrize("source", ["samples", "generated"])
def test_large_import_and_run_paths_store_what_small_ones_do(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if worker_count() < 1:
        pytest.skip("a one-core machine never uses worker processes")
    folder = SAMPLES if source == "samples" else generated_interviews(tmp_path / "interviews")
    plain, fast = tmp_path / "plain.db", tmp_path / "fast.db"

    monkeypatch.setattr("qualcode.flows.importing.PARALLEL_FILES", 10_000)
    plain_segments = imported(plain, folder)
    monkeypatch.setattr("qualcode.flows.importing.PARALLEL_FILES", 1)
    assert imported(fast, folder) == plain_segments
    assert len(plain_segments) > 100

    for db_path in (plain, fast):
        assert Cli(db_path)("codebook", "load", str(SHIPPED_CODEBOOK)).exit_code == 0
    plain_report, plain_codings, plain_journal = coded(plain)
    monkeypatch.setattr("qualcode.autocode.runs.PARALLEL_SEGMENTS", 1)
    monkeypatch.setattr("qualcode.autocode.runs.BULK_SEGMENTS", 1)
    fast_report, fast_codings, fast_journal = coded(fast)
    assert fast_report == plain_report
    assert fast_codings == plain_codings
    assert fast_journal == plain_journal
    assert len(plain_codings) > 50
    assert any(coding[-1] is not None for coding in plain_codings)  # superseded by run 2
    assert rows(fast, "PRAGMA foreign_key_check") == []
    assert rows(fast, "PRAGMA integrity_check") == [("ok",)]


def test_a_bulk_run_pointing_at_a_missing_code_writes_nothing(tmp_path: Path) -> None:
    """Foreign keys are off while a large run writes; what it wrote is checked before the
    commit, and a run that refers to a code the project does not have is rolled back."""
    db_path = tmp_path / "study.db"
    assert Cli(db_path)("import", str(SAMPLES)).exit_code == 0
    assert Cli(db_path)("codebook", "load", str(SHIPPED_CODEBOOK)).exit_code == 0
    shutil.copyfile(db_path, tmp_path / "before.db")
    with open_project(db_path) as project:
        segment_id = int(project.conn.execute("SELECT min(segment_id) FROM segments").fetchone()[0])
        record = RunRecord(
            codebook_hash="x", mode="apply", codes=(), only_new=False, run_by="test",
            after_segment_id=0, through_segment_id=segment_id, code_ids=("no.such.code",),
            segments_processed=1, bulk=True,
        )  # fmt: skip
        hit = (segment_id, "no.such.code", "keyword", "网格", 0, 1, None)
        with pytest.raises(ConflictError, match="missing row of codes"):
            store_run(project, record, "autocode apply", [[hit]])
        assert project.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    for table in ("autocode_runs", "codings", "journal_entries"):
        assert rows(db_path, f"SELECT count(*) FROM {table}") == rows(
            tmp_path / "before.db", f"SELECT count(*) FROM {table}"
        )
