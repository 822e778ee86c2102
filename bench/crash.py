"""kill -9 at random moments: import, autocode, undo and import --replace keep the project whole.

Run:  .venv/bin/python bench/crash.py [--kills 30] [--files 40] [--turns 5000] [--seed 1]

A generated study (bench/generate.py: ``--files`` interviews of ``--turns`` turns, 200,000 by
default) is prepared once per scenario as a template project. Each scenario first runs its
command to the end on a copy (the clean result), then, ``--kills`` times, on a fresh copy:
starts the real CLI, kills it with SIGKILL after a random delay within the clean run's
duration, checks the project, runs the command again to the end and compares the result with
the clean one. The checks after each kill:

- ``PRAGMA integrity_check`` is ``ok`` and ``PRAGMA foreign_key_check`` finds nothing;
- no partial document: every document has exactly the segments the clean run gave it;
- no partial run: every auto-coding run row is finished and holds as many codings (or
  suggestions) as it says it added;
- the journal names only what is there: no active entry left behind (``journal_state``);
- after the re-run, the scenario's table dump equals the clean run's (ids and times left out).

Scenarios: ``import`` (the folder into an empty project), ``autocode`` (apply, on the imported
project with the shipped codebook), ``undo`` (of that auto-coding run) and ``replace``
(``import --replace`` of a corrected version of one coded interview; its codings are carried).
Prints one line per scenario: kills, how many landed before / during / after the write, and
whether every check passed; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generate import write_transcripts

REPOSITORY = Path(__file__).resolve().parent.parent
CODEBOOK = REPOSITORY / "codebooks" / "community_governance.yml"
QUALCODE = [sys.executable, "-m", "qualcode"]


def qualcode(db: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*QUALCODE, "--db", str(db), *arguments], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"qualcode {' '.join(arguments)} failed: {result.stderr.strip()}")
    return result


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(row) for row in conn.execute(sql)]
    finally:
        conn.close()


#: What a scenario's result is compared by: documents and segments by content, codings by
#: what they say; no ids (a re-run may number rows differently) and no times.
DUMP = {
    "documents": "SELECT name, content_hash FROM documents ORDER BY name",
    "segments": "SELECT d.name, s.ordinal, s.start_char, s.end_char, s.role FROM segments s "
    "JOIN documents d USING (document_id) ORDER BY d.name, s.ordinal",
    "codings": "SELECT d.name, s.ordinal, c.code_id, c.coder, c.origin, c.rule, c.start_char, "
    "c.end_char, c.superseded_by_run IS NULL FROM codings c JOIN segments s USING (segment_id) "
    "JOIN documents d USING (document_id) ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
    "runs": "SELECT mode, codings_added FROM autocode_runs ORDER BY run_id",
    "journal": "SELECT kind, undone_at IS NOT NULL FROM journal_entries ORDER BY entry_id",
}


def dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(db, sql) for name, sql in DUMP.items()}


def problems_after_kill(db: Path, clean_segments: dict[str, int]) -> list[str]:
    """What is wrong with a project just after a kill (empty list: nothing)."""
    found = []
    if rows(db, "PRAGMA integrity_check") != [("ok",)]:
        found.append("integrity_check failed")
    if rows(db, "PRAGMA foreign_key_check"):
        found.append("foreign keys broken")
    for name, count in rows(
        db,
        "SELECT d.name, count(s.segment_id) FROM documents d "
        "LEFT JOIN segments s USING (document_id) GROUP BY d.document_id",
    ):
        if clean_segments.get(str(name)) != count:
            found.append(f"partial document {name}: {count} segments")
    for run_id, added, finished, codings, suggestions in rows(
        db,
        "SELECT r.run_id, r.codings_added, r.finished_at, "
        "(SELECT count(*) FROM codings c WHERE c.run_id = r.run_id AND c.origin = 'auto'), "
        "(SELECT count(*) FROM suggestions g WHERE g.run_id = r.run_id) FROM autocode_runs r",
    ):
        if finished is None or added not in (codings, suggestions):
            found.append(f"partial run {run_id}")
    if rows(db, "SELECT entry_id FROM journal_state WHERE entry_id IS NOT NULL"):
        found.append("journal entry left active")
    return found


@dataclass
class Scenario:
    name: str
    #: Prepares the template project the command starts from.
    prepare: Callable[[Path], None]
    #: The command's arguments.
    arguments: list[str]
    #: Whether the command already took effect (so running it again would do something else).
    done: Callable[[Path], bool] = lambda db: False
    outcomes: dict[str, int] = field(default_factory=lambda: {"before": 0, "during": 0, "after": 0})
    failures: list[str] = field(default_factory=list)


def run_scenario(scenario: Scenario, work: Path, kills: int, rng: random.Random) -> None:
    template = work / f"{scenario.name}-template.db"
    scenario.prepare(template)
    clean = work / f"{scenario.name}-clean.db"
    shutil.copy(template, clean)
    started = time.monotonic()
    qualcode(clean, *scenario.arguments)
    duration = time.monotonic() - started
    expected = dump(clean)
    clean_segments = {
        str(name): int(str(count))
        for name, count in rows(
            clean,
            "SELECT d.name, count(s.segment_id) FROM documents d "
            "LEFT JOIN segments s USING (document_id) GROUP BY d.document_id",
        )
    }
    before = dump(template)
    for kill in range(kills):
        db = work / f"{scenario.name}-{kill}.db"
        shutil.copy(template, db)
        process = subprocess.Popen(
            [*QUALCODE, "--db", str(db), *scenario.arguments],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for suffix in ("-owner",):  # a killed writer cannot clean up its owner note
            Path(str(db) + suffix).unlink(missing_ok=True)
        found = problems_after_kill(db, clean_segments)
        state = dump(db)
        if state == before:
            scenario.outcomes["before"] += 1
        elif state == expected:
            scenario.outcomes["after"] += 1
        else:
            scenario.outcomes["during"] += 1
        if not scenario.done(db):
            qualcode(db, *scenario.arguments)
        if dump(db) != expected:
            found.append("re-run differs from a clean run")
        scenario.failures.extend(f"kill {kill}: {problem}" for problem in found)
        db.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["import", "autocode", "undo", "replace"])
    options = parser.parse_args()
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        interviews = work / "interviews"
        write_transcripts(interviews, files=options.files, turns_per_file=options.turns)
        corrected = work / "corrected" / "interview_00000.txt"
        corrected.parent.mkdir()
        original = (interviews / "interview_00000.txt").read_text(encoding="utf-8")
        corrected.write_text(
            original.replace("网格员", "网格管理员", 40).replace("卡口", "检查卡口", 20),
            encoding="utf-8",
        )
        imported = work / "imported.db"
        qualcode(imported, "init")
        qualcode(imported, "import", str(interviews))
        qualcode(imported, "codebook", "load", str(CODEBOOK))
        coded = work / "coded.db"
        shutil.copy(imported, coded)
        qualcode(coded, "autocode")

        def copy_of(source: Path) -> Callable[[Path], None]:
            def copy(target: Path) -> None:
                shutil.copy(source, target)

            return copy

        def empty(target: Path) -> None:
            qualcode(target, "init")

        def run_undone(db: Path) -> bool:
            return rows(db, "SELECT count(*) FROM journal_entries WHERE kind = 'autocode' "
                        "AND undone_at IS NOT NULL") == [(1,)]  # fmt: skip

        def run_finished(db: Path) -> bool:
            return rows(db, "SELECT count(*) FROM autocode_runs") == [(1,)]

        scenarios = [
            Scenario("import", empty, ["import", str(interviews)]),
            Scenario("autocode", copy_of(imported), ["autocode"], done=run_finished),
            Scenario("undo", copy_of(coded), ["undo"], done=run_undone),
            Scenario("replace", copy_of(coded), ["import", str(corrected), "--replace"]),
        ]
        segments = rows(imported, "SELECT count(*) FROM segments")[0][0]
        print(f"{segments:,} segments in {options.files} interviews; {options.kills} kills each")
        failed = False
        for scenario in scenarios:
            if options.only and scenario.name != options.only:
                continue
            run_scenario(scenario, work, options.kills, rng)
            outcomes = ", ".join(f"{count} {name}" for name, count in scenario.outcomes.items())
            verdict = "all checks passed" if not scenario.failures else "FAILED"
            print(f"{scenario.name:<9} {options.kills} kills ({outcomes}): {verdict}")
            for failure in scenario.failures[:10]:
                print(f"    {failure}")
            failed = failed or bool(scenario.failures)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
