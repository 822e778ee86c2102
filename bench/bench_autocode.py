"""Auto-coding speed and peak memory: 1,000,000 stored segments, a 500-keyword codebook.

Run:  .venv/bin/python bench/bench_autocode.py --segments 1000000 --keywords 500

``--line-breaks 50`` builds (in its own project file) turns of which half hold a line break
at a random place, as wrapped subtitle cues do, so that folding them is timed too.

It builds a project of generated segments (stored with the library, one transaction per
document, outside the timing), writes a generated codebook of mixed Chinese and English
keywords, and times ``run_autocode`` in apply mode: reading every segment, matching all rules,
and writing every coding with its run in one transaction, as ``qualcode autocode`` does. The
naive way, a loop over the keywords per segment with ``str.find``, is measured in the same
run on the first ``--naive-segments`` segments and its rate is given next to ours. Matching
alone (``Matcher.match_many`` over the respondent texts, in this process, no writes) is timed
last, in CPU seconds, the figure least disturbed by other work on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generate import make_turn_text

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.codebook.files import load_codebook
from qualcode.models import Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project, open_project

SEGMENTS_PER_DOCUMENT = 2_000
SHIPPED_CODEBOOK = Path(__file__).resolve().parent.parent / "codebooks" / "community_governance.yml"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_project(
    project: Project, segments: int, seed: int = 11, line_break_percent: int = 0
) -> None:
    """Store ``segments`` generated turns, alternating interviewer and respondent; in
    ``line_break_percent`` of them a line break is put at a random place."""
    rng = random.Random(seed)
    breaks = random.Random(seed + 1)
    for number in range(segments // SEGMENTS_PER_DOCUMENT):
        parts, spans, offset = [], [], 0
        for ordinal in range(SEGMENTS_PER_DOCUMENT):
            text = make_turn_text(rng)
            if line_break_percent and breaks.randrange(100) < line_break_percent:
                cut = breaks.randrange(1, len(text))
                text = text[:cut] + "\n" + text[cut:]
            parts.append(text)
            spans.append(
                Segment(ordinal, offset, offset + len(text),
                        role="interviewer" if ordinal % 2 == 0 else "respondent")
            )  # fmt: skip
            offset += len(text) + 1
        document = PreparedDocument(
            name=f"generated_{number:05d}.txt", source_path=f"generated_{number:05d}.txt",
            text="\n".join(parts),
            encoding="utf-8", source_format="txt", language="zh", unit="turn", segments=spans,
        )  # fmt: skip
        store_document(project, document, case_name=f"case_{number % 200:03d}")


def keyword_pool(rng: random.Random, size: int) -> list[str]:
    """``size`` keywords drawn from the shipped codebook (Chinese and English, as written)."""
    codebook = load_codebook(SHIPPED_CODEBOOK)
    keywords = sorted({keyword for rules in codebook.rules() for keyword in rules.keywords})
    return rng.sample(keywords, k=min(size, len(keywords)))


def write_codebook(path: Path, keywords: list[str], per_code: int = 5) -> None:
    lines = ["name: generated", 'version: "1"', "codes:"]
    for start in range(0, len(keywords), per_code):
        lines.append(f"  - id: code{start // per_code:03d}")
        lines.append(f"    name: generated code {start // per_code}")
        quoted = ", ".join(f'"{keyword}"' for keyword in keywords[start : start + per_code])
        lines.append(f"    keywords: [{quoted}]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def naive_autocode(project: Project, keywords: list[str], limit: int) -> tuple[int, int, float]:
    """Per keyword, per segment: casefold and ``str.find`` every occurrence.

    It reads the same segments our run matches (respondent turns: the generated codebook's
    scope) and writes nothing, which flatters it.
    """
    started = time.perf_counter()
    rows = project.conn.execute(
        "SELECT segment_id, text FROM segments WHERE role IS NOT 'interviewer' "
        "ORDER BY segment_id LIMIT ?",
        (limit,),
    ).fetchall()
    folded = [(segment_id, text.casefold()) for segment_id, text in rows]
    hits = 0
    for keyword in keywords:
        needle = keyword.casefold()
        for _segment_id, text in folded:
            position = text.find(needle)
            while position != -1:
                hits += 1
                position = text.find(needle, position + len(needle))
    return len(rows), hits, time.perf_counter() - started


def parse_arguments(description: str | None, segments: int, **extra: int) -> argparse.Namespace:
    """``--segments``, ``--keywords``, an integer option per ``extra`` (``naive_segments=N`` is
    ``--naive-segments``, default N) and ``--out``, which is created."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--segments", type=int, default=segments)
    parser.add_argument("--keywords", type=int, default=500)
    for name, default in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    return arguments


@contextmanager
def generated_project(
    db_path: Path, segments: int, line_break_percent: int = 0
) -> Iterator[Project]:
    """Open ``db_path``, first storing ``segments`` generated turns in it if it is new."""
    fresh = not db_path.exists()
    with open_project(db_path, create=True) as project:
        if fresh:
            started = time.perf_counter()
            build_project(project, segments, line_break_percent=line_break_percent)
            print(f"built {segments} segments in {time.perf_counter() - started:.1f} s")
        yield project


def load_generated_codebook(project: Project, path: Path, keywords: list[str]) -> None:
    """Write the generated codebook of ``keywords`` to ``path`` and load it into ``project``."""
    write_codebook(path, keywords)
    load_into_project(project, path)


def main() -> None:
    arguments = parse_arguments(__doc__, 1_000_000, naive_segments=100_000, line_breaks=0)
    suffix = f"_breaks{arguments.line_breaks}" if arguments.line_breaks else ""
    db_path = arguments.out / f"autocode_{arguments.segments}{suffix}.db"
    with generated_project(db_path, arguments.segments, arguments.line_breaks) as project:
        project.conn.execute("DELETE FROM codings")
        keywords = keyword_pool(random.Random(5), arguments.keywords)
        codebook_path = arguments.out / f"codebook_{arguments.keywords}.yml"
        load_generated_codebook(project, codebook_path, keywords)

        load_before = os.getloadavg()[0]
        started, started_cpu = time.perf_counter(), time.process_time()
        report = run_autocode(project, AutocodeOptions(run_by="bench"))
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        rate = report.segments_processed / ours
        print(f"qualcode autocode: {report.segments_processed} segments, {report.codings} "
              f"codings in {ours:.2f} s ({rate:,.0f} segments/s); CPU {ours_cpu:.2f} s in this "
              f"process, {workers.ru_utime + workers.ru_stime:.2f} s in matching workers; "
              f"peak RSS {peak_rss_mb():.0f} MB, workers {workers.ru_maxrss / 1024:.0f} MB; "
              f"load average before {load_before:.2f}")  # fmt: skip

        count, hits, naive = naive_autocode(project, keywords, arguments.naive_segments)
        in_scope = project.conn.execute(
            "SELECT count(*) FROM segments WHERE role IS NOT 'interviewer'"
        ).fetchone()[0]
        projected = naive / count * in_scope
        print(f"naive per-keyword loop (match only, no writes): {count} respondent segments, "
              f"{hits} hits in {naive:.2f} s; {projected:.1f} s projected for the "
              f"{in_scope} respondent segments of the run")  # fmt: skip
        print(f"speed-up: {projected / ours:.1f}x")
        print(matching_only(project))


def matching_only(project: Project) -> str:
    """CPU time of matching the current codebook over every respondent text, in this process."""
    from qualcode.autocode.matching import compile_matcher
    from qualcode.store.codebooks import current_codebook

    texts = [
        row[0]
        for row in project.conn.execute(
            "SELECT text FROM segments WHERE role IS NOT 'interviewer' ORDER BY segment_id"
        )
    ]
    matcher = compile_matcher(current_codebook(project).rules())
    started = time.process_time()
    hits = sum(len(matches) for matches in matcher.match_many(texts))
    cpu = time.process_time() - started
    with_breaks = sum("\n" in text for text in texts)
    return (
        f"matching only: {len(texts)} respondent texts ({with_breaks} with a line break), "
        f"{hits} hits, CPU {cpu:.2f} s"
    )


if __name__ == "__main__":
    main()
