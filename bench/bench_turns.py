"""CPU per turn of finding turns and assigning roles: the worker's share of an import.

Run:  .venv/bin/python bench/bench_turns.py
Uses 60 of the generated transcripts of ``bench_import.py`` (2,000 turns each, labelled
``采访者：``/``受访者：`` and the like: the fast path), generating them if needed, and
reports the best of five passes in process CPU time, which a busy shared machine disturbs
far less than wall time. To compare two versions of the code in one session, run this
script with ``PYTHONPATH`` pointing at a checkout of the other version.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from generate import write_transcripts

from qualcode.models import Turn
from qualcode.text.roles import assign_roles
from qualcode.text.turns import detect_turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    arguments = parser.parse_args()
    folder = arguments.out / "transcripts_1000000"
    if len(list(folder.glob("*.txt"))) < arguments.files:
        write_transcripts(folder, files=arguments.files, turns_per_file=2_000)
    paths = sorted(folder.glob("*.txt"))[: arguments.files]
    texts = [path.read_text(encoding="utf-8") for path in paths]
    detect_best = assign_best = float("inf")
    found: list[list[Turn]] = []
    for _ in range(arguments.passes):
        started = time.process_time()
        found = [detect_turns(text) for text in texts]
        detected = time.process_time()
        for turns, text in zip(found, texts, strict=True):
            assign_roles(turns, text)
        detect_best = min(detect_best, detected - started)
        assign_best = min(assign_best, time.process_time() - detected)
    count = sum(map(len, found))
    print(
        f"{count:,} turns in {len(texts)} transcripts: detect_turns "
        f"{detect_best / count * 1e6:.2f} us/turn, assign_roles "
        f"{assign_best / count * 1e6:.2f} us/turn (best of {arguments.passes}, CPU)"
    )


if __name__ == "__main__":
    main()
