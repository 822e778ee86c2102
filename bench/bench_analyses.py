"""Analyses as a user runs them on large projects: peak memory and time of whole processes.

Run:  .venv/bin/python bench/bench_analyses.py --segments 1000000 --segments 3000000
      .venv/bin/python bench/bench_analyses.py --segments 1000000 --against OTHER/qualcode
      .venv/bin/python bench/bench_analyses.py --segments 100000 --only matrix --runs 1

For each size it builds a project once through the CLI (cached under bench/out/analyses/):
labelled transcripts from bench/generate.py (2,000 turns a file, seeded), ``qualcode import``,
the shipped codebook, ``qualcode autocode``, then a codings CSV of two coders, ``li`` and
``wang``, written from the automatic codings (each keeps an automatic coding with probability
0.3 and adds another code on one segment in twenty; ``document,code,coder,segment_ordinal``) and
imported with ``qualcode codings import``. Then it times, ``--runs`` times each:

- ``matrix -o m.csv``, ``report -o r.html``, ``agree --coders li,wang``,
  ``cooccur --format csv`` and ``freq`` on that project;
- ``codings import`` of the CSV (its first part, when split) into a fresh copy of the
  auto-coded project.

Each figure is min / median / max wall seconds, the median CPU seconds (user and system of the
process and its workers) and the largest peak RSS (``wait4``), with the load average before
the runs. ``--against EXE`` runs every command with a second ``qualcode`` executable too,
alternating A B A B, and prints the medians of the pairwise ratios A/B.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench_cli import CODEBOOK, TURNS_PER_FILE, Timing, copy_project, remove_project, timed
from generate import write_transcripts

from qualcode.text.input_files import MAX_TEXT_FILE_BYTES

COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "matrix": lambda out: ["matrix", "-o", str(out / "m.csv")],
    "report": lambda out: ["report", "-o", str(out / "r.html")],
    "agree": lambda out: ["agree", "--coders", "li,wang"],
    "cooccur": lambda out: ["cooccur", "--format", "csv", "-o", str(out / "c.csv")],
    "freq": lambda out: ["freq"],
}


def write_codings_csv(db_path: Path, csv_path: Path, seed: int = 5) -> int:
    """Two coders' codings of whole segments, drawn from the project's automatic codings.

    A table over the size qualcode reads (80 MB) is split into one file per coder
    (``codings_N_li.csv``, ``codings_N_wang.csv``), each imported on its own."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db_path)
    codes = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE depth >= 1")]
    rows = 0
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "coder", "segment_ordinal"])
        for document, ordinal, code in conn.execute(
            "SELECT d.name, s.ordinal, c.code_id FROM codings c "
            "JOIN segments s ON s.segment_id = c.segment_id "
            "JOIN documents d ON d.document_id = s.document_id "
            "WHERE c.origin = 'auto' ORDER BY c.coding_id"
        ):
            for coder in ("li", "wang"):
                if rng.random() < 0.3:
                    writer.writerow([document, code, coder, ordinal])
                    rows += 1
                if rng.random() < 0.05:
                    writer.writerow([document, rng.choice(codes), coder, ordinal])
                    rows += 1
    conn.close()
    if csv_path.stat().st_size > MAX_TEXT_FILE_BYTES:
        header, *lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
        for coder in ("li", "wang"):
            mine = [line for line in lines if line.split(",")[2] == coder]
            coder_file(csv_path, coder).write_text(header + "".join(mine), encoding="utf-8")
    return rows


def coder_file(csv_path: Path, coder: str) -> Path:
    return csv_path.with_name(f"{csv_path.stem}_{coder}.csv")


def codings_files(csv_path: Path) -> list[Path]:
    """The file(s) to import: the table, or its per-coder parts when it is too large."""
    if csv_path.stat().st_size > MAX_TEXT_FILE_BYTES:
        return [coder_file(csv_path, coder) for coder in ("li", "wang")]
    return [csv_path]


def run(executable: str, db_path: Path, *arguments: str) -> None:
    subprocess.run([executable, "--db", str(db_path), *arguments], check=True, capture_output=True)


def build(segments: int, out: Path, executable: str) -> tuple[Path, Path, Path]:
    """The auto-coded project, the codings CSV and the project with both coders (cached)."""
    folder = out.parent / f"transcripts_{segments}"
    if not folder.exists():
        write_transcripts(folder, files=segments // TURNS_PER_FILE, turns_per_file=TURNS_PER_FILE)
    auto = out / f"auto_{segments}.db"
    codings = out / f"codings_{segments}.csv"
    coded = out / f"coded_{segments}.db"
    done = out / f"coded_{segments}.done"
    if not done.exists():
        remove_project(auto)
        run(executable, auto, "import", str(folder))
        run(executable, auto, "codebook", "load", str(CODEBOOK))
        run(executable, auto, "autocode")
        rows = write_codings_csv(auto, codings)
        copy_project(auto, coded)
        for path in codings_files(codings):
            run(executable, coded, "codings", "import", str(path))
        done.write_text(f"{rows} codings rows\n")
        print(f"built {coded.name}: {rows:,} rows in {codings.name}", file=sys.stderr)
    return auto, codings, coded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, action="append", help="project size (repeat)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", help="a second qualcode executable to compare with")
    parser.add_argument(
        "--only", action="append", choices=[*COMMANDS, "import"], help="commands to time"
    )
    parser.add_argument("--build-only", action="store_true", help="build the projects only")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    arguments = parser.parse_args()
    executables = [str(Path(sys.executable).with_name("qualcode"))]
    if arguments.against:
        executables.append(str(Path(arguments.against).resolve()))
    work = arguments.out / "analyses"
    work.mkdir(parents=True, exist_ok=True)
    written = work / "written"
    written.mkdir(exist_ok=True)
    chosen = arguments.only or [*COMMANDS, "import"]
    for segments in arguments.segments or [100_000]:
        auto, codings, coded = build(segments, work, executables[0])
        if arguments.build_only:
            continue
        print(f"\n### {segments:,} segments ({(work / f'coded_{segments}.done').read_text()})")
        print("| command | exe | min s | median s | max s | median CPU s | peak MB | load |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for name in chosen:
            timings: dict[str, Timing] = {exe: Timing() for exe in executables}
            load = os.getloadavg()[0]
            for _ in range(arguments.runs):
                for index, exe in enumerate(executables):
                    if name == "import":
                        target = work / f"import-{index}.db"
                        copy_project(auto, target)
                        first_file = str(codings_files(codings)[0])
                        command = [exe, "--db", str(target), "codings", "import", first_file]
                    else:
                        command = [exe, "--db", str(coded), *COMMANDS[name](written)]
                    timings[exe].add(timed(command))
            label = "codings import" if name == "import" else name
            for index, exe in enumerate(executables):
                row = timings[exe].row(f"{label} | {'AB'[index]}")
                print(f"{row} {load:.2f} |", flush=True)
            if len(executables) == 2:
                first, second = (timings[exe] for exe in executables)
                wall = [a / b for a, b in zip(first.seconds, second.seconds, strict=True)]
                cpu = [a / b for a, b in zip(first.cpu_seconds, second.cpu_seconds, strict=True)]
                peak = max(first.peak_mb) / max(second.peak_mb)
                print(
                    f"| {label} | A/B | wall ratios {', '.join(f'{r:.2f}' for r in wall)} "
                    f"| CPU ratios {', '.join(f'{r:.2f}' for r in cpu)} | peak {peak:.2f} | | | |",
                    flush=True,
                )
        for index in range(len(executables)):
            remove_project(work / f"import-{index}.db")


if __name__ == "__main__":
    main()
