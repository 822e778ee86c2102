"""Replacing a coded transcript by a corrected version: alignment and carrying the codings.

Run:  .venv/bin/python bench/bench_replace.py
A generated interview of about 50,000 characters (bench/generate.py's register) is imported
and coded with 500 manual codings (spans of 2-12 characters in respondent turns); a corrected
version with 300 small edits (typo fixes, insertions, deletions, spread over the text) then
replaces it through ``qualcode import --replace``'s code path: alignment with
diff-match-patch, codings, suggestions and memos carried, one journaled transaction. The
naive alignment, difflib's SequenceMatcher, is timed in the same run on the first 10,000
characters (on the whole text it takes minutes).
Target (issue 12): under 1 s for the replacement.
"""

from __future__ import annotations

import difflib
import random
import tempfile
import time
from pathlib import Path

from generate import make_turn_text

from qualcode.flows.importing import ImportOptions, prepare_document
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import Span, code_in_transaction
from qualcode.store.project import open_project
from qualcode.store.replacing import replace_coded_document
from qualcode.text.aligning import Alignment

CODEBOOK = "name: bench\ncodes:\n  - id: topic\n    name: Topic\n"
TARGET_CHARACTERS = 50_000
CODINGS = 500
EDITS = 300
#: difflib is quadratic here: it is timed on a prefix (the whole text takes minutes).
NAIVE_CHARACTERS = 10_000


def interview(rng: random.Random) -> str:
    lines = []
    length = 0
    turn = 0
    while length < TARGET_CHARACTERS:
        speaker = "采访者" if turn % 2 == 0 else "受访者"
        lines.append(f"{speaker}：{make_turn_text(rng)}")
        length += len(lines[-1]) + 1
        turn += 1
    return "\n".join(lines) + "\n"


def corrected(text: str, rng: random.Random) -> str:
    """``EDITS`` small edits inside spoken text: replace, insert or delete 1-4 characters."""
    characters = list(text)
    for _ in range(EDITS):
        position = rng.randrange(len(characters) - 5)
        if characters[position] in "\n：" or "\n" in characters[position : position + 4]:
            continue
        kind = rng.choice(("replace", "insert", "delete"))
        width = rng.randint(1, 4)
        if kind == "replace":
            characters[position : position + width] = list("改正文字"[:width])
        elif kind == "insert":
            characters[position:position] = list("补充"[: min(width, 2)])
        else:
            del characters[position : position + width]
    return "".join(characters)


def main() -> None:
    rng = random.Random(12)
    folder = Path(tempfile.mkdtemp())
    old_text = interview(rng)
    path = folder / "interview.txt"
    path.write_text(old_text, encoding="utf-8")
    with open_project(folder / "bench.db", create=True) as project:
        from qualcode.store.documents import store_document

        store_document(project, prepare_document(path, ImportOptions()), case_name="bench")
        book = folder / "book.yml"
        book.write_text(CODEBOOK, encoding="utf-8")
        load_into_project(project, book)
        respondent_segments = [
            (int(row[0]), str(row[1]))
            for row in project.conn.execute(
                "SELECT segment_id, text FROM segments WHERE role = 'respondent'"
            )
        ]
        with project.transaction() as conn:
            for number in range(CODINGS):
                segment_id, segment_text = respondent_segments[number % len(respondent_segments)]
                width = rng.randint(2, 12)
                start = rng.randrange(max(1, len(segment_text) - width))
                code_in_transaction(
                    conn, segment_id, "topic", coder=f"coder{number}",
                    span=Span(start=start, end=min(len(segment_text), start + width)),
                )  # fmt: skip
        new_text = corrected(old_text, rng)
        path.write_text(new_text, encoding="utf-8")
        document = prepare_document(path, ImportOptions())
        started = time.perf_counter()
        report = replace_coded_document(project, document)
        elapsed = time.perf_counter() - started
    aligned = time.perf_counter()
    Alignment(old_text, new_text)
    alignment_elapsed = time.perf_counter() - aligned
    naive = time.perf_counter()
    prefix = NAIVE_CHARACTERS
    difflib.SequenceMatcher(
        None, old_text[:prefix], new_text[:prefix], autojunk=False
    ).get_opcodes()
    naive_elapsed = time.perf_counter() - naive
    print(
        f"replace {len(old_text):,} -> {len(new_text):,} characters, {CODINGS} codings: "
        f"{elapsed:.3f} s ({report.summary()})"
    )
    print(f"alignment alone (diff-match-patch): {alignment_elapsed:.3f} s")
    print(
        f"naive alignment (difflib.SequenceMatcher, autojunk off) of the first "
        f"{NAIVE_CHARACTERS:,} characters only: {naive_elapsed:.3f} s"
    )


if __name__ == "__main__":
    main()
