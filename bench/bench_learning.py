"""Learning from manual coding at scale: keyword discovery, and training then suggesting.

Run:  .venv/bin/python bench/bench_learning.py --segments 1000000 --coded 10000
      [--discovery 0] [--learned 0|1|2]   (one step per process, so each peak RSS is its
      own; --learned 2 times the training alone, without scoring the uncoded turns)

It uses the generated project of ``bench_autocode.py`` (built on first use, outside the
timing), loads a generated two-code codebook, and writes ``--coded`` manual codings by one
coder on the first respondent turns: a turn gets the code ``topic`` when it holds one of the
topic phrases of the generator (grid workers, checkpoints, volunteers ...) and ``other``
otherwise. Then it times, each with its peak memory:

- ``discover_keywords`` for ``topic`` (``qualcode codebook suggest topic``), over every
  respondent turn of the project;
- ``learn_and_suggest`` (``qualcode autocode --mode suggest --learned``): cross-validating
  and fitting ``topic`` on the coded turns and scoring every respondent turn the coder has
  not coded.
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from pathlib import Path

from bench_autocode import generated_project, parse_arguments

from qualcode.analysis.discovery import DiscoveryOptions, discover_keywords
from qualcode.flows.learning import LearnedOptions, learn_and_suggest
from qualcode.store.codebooks import load_into_project
from qualcode.store.project import Project, open_project

CODEBOOK = """\
name: learning
codes:
  - id: topic
    name: on topic
  - id: other
    name: talk around the topic
"""
TOPIC_WORDS = ("网格员", "卡口", "志愿者", "谣言", "排查", "物业", "口罩", "grid", "volunteer")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    arguments = parse_arguments(__doc__, 1_000_000, coded=10_000, discovery=1, learned=1)
    source = arguments.out / f"autocode_{arguments.segments}.db"
    with generated_project(source, arguments.segments):
        pass
    db_path = arguments.out / f"learning_{arguments.segments}_{os.getpid()}.db"
    shutil.copy(source, db_path)
    codebook_path = arguments.out / "learning.yml"
    codebook_path.write_text(CODEBOOK, encoding="utf-8")
    with open_project(db_path) as project:
        load_into_project(project, codebook_path)
        rows = project.conn.execute(
            "SELECT segment_id, text FROM segments WHERE role = 'respondent' "
            "ORDER BY segment_id LIMIT ?",
            (arguments.coded,),
        ).fetchall()
        with project.transaction() as conn:
            conn.executemany(
                "INSERT INTO codings (segment_id, code_id, coder, origin, start_char, end_char, "
                "created_at) SELECT segment_id, ?, 'bench', 'manual', start_char, end_char, 'now' "
                "FROM segments WHERE segment_id = ?",
                [
                    ("topic" if any(word in text for word in TOPIC_WORDS) else "other", segment)
                    for segment, text in rows
                ],
            )
        topic = project.conn.execute(
            "SELECT count(*) FROM codings WHERE code_id = 'topic'"
        ).fetchone()[0]
        print(f"coded {len(rows)} respondent turns by hand ({topic} topic)")

        print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the start")
        if arguments.discovery:
            discover(project)
        if arguments.learned == 2:
            train_only(project)
        elif arguments.learned:
            learn(project)
        print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")
    Path(db_path).unlink()


def discover(project: Project) -> None:
    started, started_cpu = time.perf_counter(), time.process_time()
    report = discover_keywords(project, DiscoveryOptions("topic", "bench", top=10))
    print(
        f"discovery: {time.perf_counter() - started:.1f} s wall, "
        f"{time.process_time() - started_cpu:.1f} s CPU, peak RSS {peak_rss_mb():.0f} MB; "
        f"{report.coded_segments} coded, {report.uncoded_segments} uncoded; top: "
        + ", ".join(candidate.candidate for candidate in report.candidates[:5])
    )


def train_only(project: Project) -> None:
    """Training alone, as ``--learned`` does it: the examples, 5-fold cross-validation and
    the final fit, without scoring the uncoded turns."""
    from qualcode.analysis.query import manual_codes_by_segment
    from qualcode.autocode.classifier import (
        cross_validate,
        examples_of,
        make_pipeline,
        scope_texts,
    )

    started, started_cpu = time.perf_counter(), time.process_time()
    coded = manual_codes_by_segment(project.conn, "bench")
    examples = examples_of(scope_texts(project, "respondent"), coded, {"topic"})
    cross_validate(examples.texts, examples.labels)
    make_pipeline().fit(examples.texts, examples.labels)
    print(
        f"training only ({len(examples.labels)} examples, 5-fold cross-validation, fit): "
        f"{time.perf_counter() - started:.1f} s wall, "
        f"{time.process_time() - started_cpu:.1f} s CPU, peak RSS {peak_rss_mb():.0f} MB"
    )


def learn(project: Project) -> None:
    started, started_cpu = time.perf_counter(), time.process_time()
    learned = learn_and_suggest(
        project, LearnedOptions(coder="bench", codes=("topic",), run_by="bench")
    )
    (row,) = learned.codes
    print(
        f"learned: {time.perf_counter() - started:.1f} s wall, "
        f"{time.process_time() - started_cpu:.1f} s CPU, peak RSS {peak_rss_mb():.0f} MB; "
        f"cross-validated precision {row['precision']}, recall {row['recall']}, "
        f"F1 {row['f1']}; {learned.suggestions} suggestions"
    )


if __name__ == "__main__":
    main()
