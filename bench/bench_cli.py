"""Commands as a user runs them: whole ``qualcode`` processes on generated projects.

Run:  .venv/bin/python bench/bench_cli.py --segments 100000
      .venv/bin/python bench/bench_cli.py --segments 100000 --segments 1000000 --runs 3
      .venv/bin/python bench/bench_cli.py --segments 200000 --against ../old/.venv/bin/qualcode
      .venv/bin/python bench/bench_cli.py --segments 1000000 --only import --only autocode \
          --keywords 500 --against-source /tmp/old-checkout

The in-process benchmarks (bench_import, bench_autocode, bench_matrix) time one library call
warm; this one times what a researcher waits for: a new process, start-up, opening the project,
first-run costs (the search index) and writing the output. For each size it generates labelled
transcripts (bench/generate.py, seeded), then times, ``--runs`` times each:

- ``import`` of the folder into a new project (the naive way beside it: the same turns written
  with sqlite-utils ``insert_all`` in one batch, no segmenting or turn detection);
- ``autocode`` with the shipped codebook, each run on a fresh copy of the imported project;
- the first ``search`` on a fresh copy (whatever index building it does is in the figure), and
  a second search on the same copy;
- ``matrix -o FILE.csv``, ``quotes --format csv -o FILE.csv`` and ``report -o FILE.html`` on
  the auto-coded project;
- ``segments --format json`` on a 20-turn project (start-up of a real command).

Each figure is min / median / max wall seconds, the median CPU seconds (the process and its
workers, user and system) and the largest peak RSS of the process (from ``wait4``), with the
load average before the runs. ``--against EXE`` runs every command with a second ``qualcode``
executable too, alternating A B A B, and prints the medians of the pairwise ratios A/B (wall
and CPU), so that a comparison holds while the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generate import write_transcripts

REPOSITORY = Path(__file__).resolve().parent.parent
CODEBOOK = REPOSITORY / "codebooks" / "community_governance.yml"
TURNS_PER_FILE = 2_000


@dataclass
class Timing:
    """Wall seconds, CPU seconds and peak RSS (MB) of each run of one command."""

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.seconds.append(run.seconds)
        self.cpu_seconds.append(run.cpu_seconds)
        self.peak_mb.append(run.peak_mb)

    def row(self, label: str) -> str:
        low, middle, high = min(self.seconds), statistics.median(self.seconds), max(self.seconds)
        cpu = statistics.median(self.cpu_seconds)
        return (
            f"| {label} | {low:.2f} | {middle:.2f} | {high:.2f} | {cpu:.2f} "
            f"| {max(self.peak_mb):.0f} |"
        )


@dataclass(frozen=True)
class Run:
    """One finished process: wall seconds, CPU seconds (its own and its workers', user and
    system, which a busy machine disturbs far less than wall time) and peak RSS in MB."""

    seconds: float
    cpu_seconds: float
    peak_mb: float


def timed(command: list[str]) -> Run:
    """Run ``command`` to completion and measure it (``wait4``'s figures)."""
    import tempfile

    # stderr to a file, not a pipe: nobody reads a pipe until the command ends, and an import
    # of 1,500 files says more than a pipe holds, so the command would wait forever.
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        errors = stderr.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def remove_project(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_project(source: Path, target: Path) -> None:
    remove_project(target)
    shutil.copyfile(source, target)


def naive_import(folder: Path, db_path: Path) -> None:
    """The same turns as rows, one batch per file, with sqlite-utils: no turn detection,
    segmenting, language detection or hashing. What a script would do first."""
    import sqlite_utils

    database = sqlite_utils.Database(db_path)
    for path in sorted(folder.glob("*.txt")):
        rows = (
            {"document": path.name, "ordinal": ordinal, "text": line}
            for ordinal, line in enumerate(path.read_text(encoding="utf-8").splitlines())
            if line.strip()
        )
        database["segments"].insert_all(rows, batch_size=10_000)  # type: ignore[union-attr]
    database.conn.close()


def naive_runner(folder: Path, db_path: Path) -> Run:
    remove_project(db_path)
    command = [
        sys.executable,
        "-c",
        "import sys; sys.path.insert(0, sys.argv[1]); from bench_cli import naive_import; "
        "from pathlib import Path; naive_import(Path(sys.argv[2]), Path(sys.argv[3]))",
        str(Path(__file__).parent),
        str(folder),
        str(db_path),
    ]
    return timed(command)


@dataclass
class Scenario:
    """One command to time: how to prepare its project and what to run."""

    label: str
    project: str  # scenarios naming the same project share its file, in order
    prepare: Callable[[str, Path], None]
    command: Callable[[str, Path], list[str]]


def measure(
    scenarios: list[Scenario], executables: list[str], work: Path, runs: int
) -> dict[tuple[str, str], Timing]:
    """Every scenario ``runs`` times per executable, executables alternating run by run."""
    timings: dict[tuple[str, str], Timing] = {}
    for scenario in scenarios:
        for _ in range(runs):
            for executable in executables:
                db_path = work / f"{scenario.project}-{executables.index(executable)}.db"
                scenario.prepare(executable, db_path)
                run = timed(scenario.command(executable, db_path))
                timings.setdefault((scenario.label, executable), Timing()).add(run)
    return timings


def source_runner(source: Path, work: Path) -> str:
    """An executable that runs the qualcode of the checkout ``source`` (``PYTHONPATH``), from a
    folder outside this repository so that this checkout's package is not found first."""
    runner = work / f"qualcode-from-{source.name or 'source'}"
    runner.write_text(
        f'#!/bin/sh\ncd "{work}" || exit 1\n'
        f'PYTHONPATH="{source}" exec "{sys.executable}" -m qualcode "$@"\n',
        encoding="utf-8",
    )
    runner.chmod(0o755)
    return str(runner)


def selected(scenarios: list[Scenario], only: list[str] | None) -> list[Scenario]:
    """The scenarios whose label starts with one of ``only`` (all when none is given)."""
    if not only:
        return scenarios
    return [s for s in scenarios if any(s.label.startswith(word) for word in only)]


def codebook_file(work: Path, keywords: int | None) -> Path:
    """The shipped codebook, or one of ``keywords`` keywords drawn from it (bench_autocode)."""
    if keywords is None:
        return CODEBOOK
    import random

    from bench_autocode import keyword_pool, write_codebook

    path = work / f"codebook_{keywords}.yml"
    write_codebook(path, keyword_pool(random.Random(5), keywords))
    return path


def scenarios_for(
    folder: Path,
    work: Path,
    executables: list[str],
    only: list[str] | None = None,
    codebook: Path = CODEBOOK,
) -> list[Scenario]:
    """The commands, with projects built once per executable (import, codebook, autocode)."""
    imported = {exe: work / f"built-imported-{index}.db" for index, exe in enumerate(executables)}
    coded = {exe: work / f"built-coded-{index}.db" for index, exe in enumerate(executables)}
    wanted = set(only or ["autocode", "search", "matrix"])
    for exe in executables:
        if not wanted - {"import"}:
            break  # the import scenario imports on its own
        remove_project(imported[exe])
        subprocess.run(
            [exe, "--db", str(imported[exe]), "import", str(folder)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [exe, "--db", str(imported[exe]), "codebook", "load", str(codebook)],
            check=True,
            capture_output=True,
        )
        if wanted & {"matrix", "quotes", "report"}:  # they read an auto-coded project
            copy_project(imported[exe], coded[exe])
            subprocess.run(
                [exe, "--db", str(coded[exe]), "autocode"], check=True, capture_output=True
            )

    def fresh(_: str, db_path: Path) -> None:
        remove_project(db_path)

    def copy_of(projects: dict[str, Path]) -> Callable[[str, Path], None]:
        return lambda exe, db_path: copy_project(projects[exe], db_path)

    def keep(_: str, __: Path) -> None:
        return None

    out = work / "out"
    out.mkdir(exist_ok=True)
    scenarios = [
        Scenario(
            "import", "import", fresh, lambda e, d: [e, "--db", str(d), "import", str(folder)]
        ),
        Scenario(
            "autocode", "autocode", copy_of(imported), lambda e, d: [e, "--db", str(d), "autocode"]
        ),
        Scenario(
            "search (first, fresh project)",
            "search",
            copy_of(imported),
            lambda e, d: [e, "--db", str(d), "search", "网格", "--limit", "50"],
        ),
        Scenario(
            "search (again)",
            "search",
            keep,
            lambda e, d: [e, "--db", str(d), "search", "网格", "--limit", "50"],
        ),
        Scenario(
            "matrix -o csv",
            "coded",
            copy_of(coded),
            lambda e, d: [e, "--db", str(d), "matrix", "-o", str(out / "m.csv")],
        ),
        Scenario(
            "quotes csv",
            "coded",
            keep,
            lambda e, d: [e, "--db", str(d), "quotes", "--format", "csv", "-o", str(out / "q.csv")],
        ),
        Scenario(
            "report",
            "coded",
            keep,
            lambda e, d: [e, "--db", str(d), "report", "-o", str(out / "r.html")],
        ),
    ]
    return selected(scenarios, only)


def small_project(work: Path, executables: list[str]) -> list[Scenario]:
    """``segments --format json`` on a one-interview project: start-up of a real command."""
    sample = REPOSITORY / "transcripts" / "chaiji.md"
    projects = {exe: work / f"built-small-{index}.db" for index, exe in enumerate(executables)}
    for exe, db_path in projects.items():
        remove_project(db_path)
        subprocess.run(
            [exe, "--db", str(db_path), "import", str(sample)], check=True, capture_output=True
        )
    return [
        Scenario(
            "segments --format json (20 turns)",
            "startup",
            lambda e, d: copy_project(projects[e], d),
            lambda e, d: [e, "--db", str(d), "segments", "--format", "json"],
        ),
    ]


def report(
    title: str, timings: dict[tuple[str, str], Timing], executables: list[str], load: float
) -> None:
    print(f"\n### {title} (load average before: {load:.2f})\n")
    for executable in executables:
        print(f"`{executable}`\n")
        print(
            "| command | min s | median s | max s | median CPU s | peak MB |\n"
            "|---|---:|---:|---:|---:|---:|"
        )
        for (label, exe), timing in timings.items():
            if exe == executable:
                print(timing.row(label))
        print()
    if len(executables) == 2:
        first, second = executables
        print("| command | median ratio A/B, wall | median ratio A/B, CPU |\n|---|---:|---:|")
        for (label, exe), timing in timings.items():
            if exe == first:
                other = timings[(label, second)]
                wall = [a / b for a, b in zip(timing.seconds, other.seconds, strict=True)]
                cpu = [a / b for a, b in zip(timing.cpu_seconds, other.cpu_seconds, strict=True)]
                print(f"| {label} | {statistics.median(wall):.2f} | {statistics.median(cpu):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, action="append", help="project size (repeat)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", help="a second qualcode executable to compare with")
    parser.add_argument(
        "--against-source", type=Path, help="a checkout of another version to compare with"
    )
    parser.add_argument("--only", action="append", help="commands whose label starts so (repeat)")
    parser.add_argument("--keywords", type=int, help="N keywords drawn from the shipped codebook")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    arguments = parser.parse_args()
    out = arguments.out.resolve()
    work = out / "cli"
    work.mkdir(parents=True, exist_ok=True)
    executables = [str(Path(sys.executable).with_name("qualcode"))]
    if arguments.against:
        executables.append(str(Path(arguments.against).resolve()))
    if arguments.against_source:
        executables.append(source_runner(arguments.against_source.resolve(), work))
    codebook = codebook_file(work, arguments.keywords)

    if not arguments.only or "segments" in arguments.only:
        load = os.getloadavg()[0]
        runs = max(5, arguments.runs)
        timings = measure(small_project(work, executables), executables, work, runs)
        report("start-up of a real command", timings, executables, load)
    for segments in arguments.segments or [100_000]:
        folder = out / f"cli_transcripts_{segments}"
        if not folder.exists():
            write_transcripts(
                folder, files=segments // TURNS_PER_FILE, turns_per_file=TURNS_PER_FILE
            )
        scenarios = scenarios_for(folder, work, executables, arguments.only, codebook)
        load = os.getloadavg()[0]
        timings = measure(scenarios, executables, work, arguments.runs)
        report(f"{segments:,} segments", timings, executables, load)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        if not arguments.only or "naive" in arguments.only:
            naive = Timing()
            for _ in range(arguments.runs):
                naive.add(naive_runner(folder, work / "naive.db"))
            print(naive.row("naive import: sqlite-utils insert_all of the same turns"))


if __name__ == "__main__":
    main()
