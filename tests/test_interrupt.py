"""An import interrupted mid-way keeps every finished document and no partial one.

These run the real CLI in a subprocess and interrupt it for real (SIGINT, then SIGKILL).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

TURNS_PER_FILE = 4000
#: Enough that the import is still running when the signal arrives, on a loaded machine too.
FILES = 100


def _make_transcripts(folder: Path, count: int) -> None:
    folder.mkdir()
    for number in range(count):
        lines = []
        for turn in range(TURNS_PER_FILE):
            speaker = "采访者" if turn % 2 == 0 else "受访者"
            lines.append(f"{speaker}：第{number}份访谈第{turn}段，网格员上门排查。")
        (folder / f"interview_{number:03d}.txt").write_text("\n".join(lines), encoding="utf-8")


def _documents_and_segments(db_path: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT d.name, count(s.segment_id) FROM documents d "
        "LEFT JOIN segments s ON s.document_id = d.document_id GROUP BY d.document_id"
    ).fetchall()
    conn.close()
    return [(str(name), int(count)) for name, count in rows]


def _wait_for_first_document(db_path: Path, process: subprocess.Popen[str]) -> None:
    """Return as soon as one document is stored. The check reads one row, not the segment
    counts: on a loaded machine a slow check let the import finish before the signal."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if db_path.exists():
            try:
                conn = sqlite3.connect(db_path)
                try:
                    if conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone():
                        return
                finally:
                    conn.close()
            except sqlite3.OperationalError:
                pass
        time.sleep(0.02)
    pytest.fail("the import finished or stalled before it could be interrupted")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_interrupted_import_leaves_only_whole_documents(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    folder = tmp_path / "many"
    _make_transcripts(folder, FILES)
    db_path = tmp_path / "study.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "qualcode", "--db", str(db_path), "import", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for_first_document(db_path, process)
    process.send_signal(stop_signal)
    _stdout, stderr = process.communicate(timeout=60)
    if stop_signal is signal.SIGINT:
        assert process.returncode == 130
        assert stderr.splitlines()[-1] == "Interrupted: work already saved is kept."
        assert "Traceback" not in stderr
    stored = _documents_and_segments(db_path)
    assert 0 < len(stored) < FILES
    assert all(count == TURNS_PER_FILE for _name, count in stored)
    # Importing again completes the job: finished files are skipped, the rest added.
    rerun = subprocess.run(
        [sys.executable, "-m", "qualcode", "--db", str(db_path), "import", str(folder)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert rerun.stderr.splitlines()[-1] == (
        f"{FILES - len(stored)} added, 0 replaced, {len(stored)} skipped, 0 failed"
    )
    assert len(_documents_and_segments(db_path)) == FILES
