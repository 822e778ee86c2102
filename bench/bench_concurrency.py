"""How long a user's command waits while a long auto-coding run works on the same project.

Run:  .venv/bin/python bench/bench_concurrency.py [--files 40] [--turns 5000] [--against DIR]

A generated study (bench/generate.py, 200,000 turns by default) is imported and given the
shipped codebook. Then ``qualcode autocode`` starts, and while it runs, one process after
another does what a researcher does meanwhile: ``code`` a segment, write a ``memo``,
``search`` a three-character word, and ``import`` one more interview. Each is timed (wall
seconds, whole process), and afterwards every manual coding and memo is counted: each must
have landed exactly once.

``--against DIR`` runs the same with the qualcode checked out in DIR (its own .venv), for the
naive way: a run that holds the write lock while it matches.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import write_transcripts

REPOSITORY = Path(__file__).resolve().parent.parent
CODEBOOK = REPOSITORY / "codebooks" / "community_governance.yml"


def python_of(checkout: Path) -> str:
    candidate = checkout / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def qualcode(python: str, db: Path, *arguments: str) -> tuple[float, int, str]:
    started = time.monotonic()
    result = subprocess.run(
        [python, "-m", "qualcode", "--db", str(db), *arguments],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return time.monotonic() - started, result.returncode, result.stderr.strip()


def measure(python: str, template: Path, extra: Path, work: Path) -> dict[str, object]:
    db = work / "study.db"
    shutil.copy(template, db)
    started = time.monotonic()
    autocode = subprocess.Popen(
        [python, "-m", "qualcode", "--db", str(db), "autocode"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(1.0)  # let it start matching
    waits: dict[str, list[float]] = {"code": [], "memo": [], "search": [], "import": []}
    failures: list[str] = []
    round_number = 0
    while autocode.poll() is None:
        round_number += 1
        segment = str(1000 + round_number)
        for name, arguments in (
            ("code", ["code", segment, "grid", "--coder", "bench"]),
            ("memo", ["memo", segment, f"note {round_number}", "--coder", "bench"]),
            ("search", ["search", "志愿者", "--limit", "5", "--format", "json"]),
        ):  # fmt: skip
            seconds, status, stderr = qualcode(python, db, *arguments)
            waits[name].append(seconds)
            if status != 0:
                failures.append(f"{name}: {stderr.splitlines()[-1] if stderr else status}")
        if round_number == 1:
            seconds, status, stderr = qualcode(python, db, "import", str(extra))
            waits["import"].append(seconds)
            if status != 0:
                failures.append(f"import: {stderr.splitlines()[-1] if stderr else status}")
    _out, autocode_err = autocode.communicate()
    autocode_seconds = time.monotonic() - started
    conn = sqlite3.connect(db)
    codings = conn.execute(
        "SELECT count(*), count(DISTINCT segment_id) FROM codings WHERE coder = 'bench'"
    ).fetchone()
    memos = conn.execute("SELECT count(*) FROM memos WHERE coder = 'bench'").fetchone()[0]
    conn.close()
    return {
        "autocode": autocode_seconds,
        "autocode_status": autocode.returncode,
        "autocode_error": autocode_err.strip().splitlines()[-1:] if autocode_err else [],
        "waits": waits,
        "failures": failures,
        "rounds": round_number,
        "codings": tuple(codings),
        "memos": memos,
    }


def report(label: str, result: dict[str, object]) -> None:
    waits = result["waits"]
    assert isinstance(waits, dict)
    print(f"{label}: autocode {result['autocode']:.1f} s (exit {result['autocode_status']}), "
          f"{result['rounds']} rounds of code + memo + search meanwhile")  # fmt: skip
    for name, seconds in waits.items():
        if seconds:
            print(f"  {name:<7} n={len(seconds):<3} median {statistics.median(seconds):5.2f} s  "
                  f"max {max(seconds):5.2f} s")  # fmt: skip
    print(f"  manual codings (rows, segments): {result['codings']}, memos: {result['memos']}")
    failures = result["failures"]
    assert isinstance(failures, list)
    for failure in failures[:5]:
        print(f"  failed: {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--against", type=Path)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        write_transcripts(work / "interviews", files=options.files, turns_per_file=options.turns)
        write_transcripts(work / "extra", files=1, turns_per_file=200, seed=99)
        extra = work / "extra" / "interview_00000.txt"
        extra = extra.rename(work / "extra" / "later_interview.txt")
        checkouts = [("this checkout", REPOSITORY)]
        if options.against:
            checkouts.append((f"against {options.against}", options.against.resolve()))
        for label, checkout in checkouts:
            python = python_of(checkout)
            template = work / f"template-{len(label)}.db"
            for arguments in (["init"], ["import", str(work / "interviews")],
                              ["codebook", "load", str(CODEBOOK)]):  # fmt: skip
                _seconds, status, stderr = qualcode(python, template, *arguments)
                if status != 0:
                    raise SystemExit(f"{label}: {' '.join(arguments)} failed: {stderr}")
            run = work / label.replace(" ", "_").replace("/", "_")
            run.mkdir()
            report(label, measure(python, template, extra, run))


if __name__ == "__main__":
    main()
