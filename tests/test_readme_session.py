"""The README's first session runs exactly as written, command after command (issue 13, item 11).

The commands are read from the README itself (the first ``bash`` block under "A first
session"), so the test and the text cannot drift apart. They run as real processes in a fresh
folder holding copies of the shipped ``transcripts/`` and ``codebooks/``, each one expected to
succeed, in order.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY


def first_session() -> list[list[str]]:
    """The first session's commands, comments stripped, as argument lists."""
    readme = (REPOSITORY / "README.md").read_text("utf-8")
    section = readme.split("## A first session", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return [
        shlex.split(line, comments=True)
        for line in block.group(1).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


@pytest.mark.slow
def test_the_first_session_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(REPOSITORY / "transcripts", tmp_path / "transcripts")
    shutil.copytree(REPOSITORY / "codebooks", tmp_path / "codebooks")
    qualcode = str(Path(sys.executable).with_name("qualcode"))
    environment = {**os.environ, "QUALCODE_CODER": "reader"}
    environment.pop("QUALCODE_DB", None)
    commands = first_session()
    assert [command[0] for command in commands] == ["qualcode"] * len(commands)
    assert [command[1] for command in commands[-5:]] == [
        "agree", "adjudicate", "adjudicate", "matrix", "undo",
    ]  # fmt: skip
    said: dict[int, str] = {}
    for number, command in enumerate(commands):
        result = subprocess.run(
            [qualcode, *command[1:]], cwd=tmp_path, env=environment, capture_output=True,
            text=True, timeout=300, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert result.returncode == 0, f"{shlex.join(command)}: {result.stderr}"
        said[number - len(commands)] = result.stdout + result.stderr
    assert (tmp_path / "matrix.xlsx").is_file()
    assert (tmp_path / "report.html").is_file()
    # The adjudication lists the open disagreements, keeps the agreements as the consensus
    # coder's codings (the listing's decisions are left empty: they stay open), the settled
    # matrix counts them, and undo takes the adjudication back.
    listed = re.search(r"(\d+) open disagreements", said[-4])
    assert listed is not None and int(listed.group(1)) > 0
    assert (tmp_path / "open.csv").is_file()
    kept = re.search(r"Kept (\d+) \(agreements: \1\), dropped 0: \d+ codings by consensus; "
                     r"(\d+) disagreements still open", said[-3])  # fmt: skip
    assert kept is not None and int(kept.group(1)) > 0, said[-3]
    assert kept.group(2) == listed.group(1)
    assert "consensus" in said[-2] and "(adjudicate)" in said[-1]
