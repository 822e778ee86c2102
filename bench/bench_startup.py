"""Start-up time of every ``qualcode`` command on a small project, each as a whole process.

Run:  .venv/bin/python bench/bench_startup.py [--runs 7]
      .venv/bin/python bench/bench_startup.py --against-source ../other-checkout
      .venv/bin/python bench/bench_startup.py --only segments,search --runs 11

A researcher runs dozens of small commands an hour (``segments``, ``code``, ``search``), so
what counts is the time from typing the command to its answer, start-up included. The project
is what ``qualcode demo --dir D`` leaves (the seven sample interviews, 139 segments, the shipped
codebook, automatic and two coders' manual codings). Every command of ``qualcode --help`` is
run as ``python -m qualcode ...`` in that folder, ``--runs`` times after one warm-up run; the
median CPU time (user + system of the process, from the children's rusage) and wall time are
printed with the load average. A command that changes the project (``code``, ``undo``,
``codebook rename``, ...) gets the project file back, untimed, before each run, so every run
does the same work. Python's compiled bytecode is kept (in a temporary ``PYTHONPYCACHEPREFIX``)
as an installed package keeps it; ``--no-bytecode-cache`` compiles qualcode's sources on every
run instead, as a checkout run with ``PYTHONDONTWRITEBYTECODE=1`` does.

``--against-source DIR`` runs every command a second time with another qualcode source tree
first on ``PYTHONPATH`` (the same interpreter and libraries), alternating A B A B, on a demo
project of its own, and prints the median of the pairwise CPU ratios, so that a comparison
holds while the machine's load drifts. Beside them: a bare interpreter and ``import typer``
(the floor under any typer command line) and what the CLI would cost if it imported its heavy
libraries at start-up (the naive way). Output is a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
EAGER_IMPORTS = "import spacy, jieba, sqlite_utils, openpyxl, matplotlib.pyplot, qualcode.cli"
#: The goal of issue 16, per command on a small project on a quiet machine.
GOAL_MS = 250
#: The two coders of the demo project's manual codings.
CODERS = "li (illustrative),wang (illustrative)"
#: Placeholders in COMMANDS: the folder for files a command writes, the repository.
OUT = "{out}"
REPO = "{repository}"


@dataclass(frozen=True)
class Command:
    """One command line to time; ``writes``: the project file is put back before each run."""

    arguments: tuple[str, ...]
    writes: bool = False
    why: str = ""  # what it must load by its nature, when that is heavy


def _command(*arguments: str, writes: bool = False, why: str = "") -> Command:
    return Command(arguments, writes, why)


#: Every command of ``qualcode --help`` (and every sub-command of its groups), as a user would
#: run it on the demo project: listings in their default format, and JSON where scripts use it.
COMMANDS: tuple[Command, ...] = (
    _command("--help"),
    _command("matrix", "--help"),
    _command("codebook", "--help"),
    _command("init"),
    _command("info"),
    _command("info", "--format", "json"),
    _command("import", f"{REPO}/transcripts", writes=True),
    _command("segments"),
    _command("segments", "--format", "json"),
    _command("search", "网格员"),
    _command("search", "网格员", "--format", "json"),
    _command("code", "3", "grid", writes=True),
    _command("uncode", "4", "grid.grid_workers", "--coder", "li (illustrative)", writes=True),
    _command("memo", "3", "A memo on this turn.", writes=True),
    _command("memos"),
    _command("tag", f"{REPO}/transcripts", writes=True),
    _command("quotes"),
    _command("quotes", "--format", "csv"),
    _command("matrix"),
    _command("matrix", "--format", "xlsx", "-o", f"{OUT}/matrix.xlsx", why="openpyxl"),
    _command("cooccur"),
    _command("freq", why="jieba"),
    _command("report", "-o", f"{OUT}/report.html"),
    _command("agree", "--coders", CODERS),
    _command("sample", "--size", "10", "--seed", "7"),
    _command("adjudicate", "--coders", CODERS, "--list", f"{OUT}/open.csv"),
    _command("review", "--input", f"{OUT}/quit.keys", writes=True),
    _command("history"),
    _command("undo", writes=True),
    _command("merge", f"{OUT}/other.db", writes=True),
    _command("cases", "import", f"{REPO}/transcripts/communities.csv", writes=True),
    _command("cases", "list"),
    _command("cases", "set", "Chaiji", "--attr", "district=Liangxi", writes=True),
    _command("docs", "list"),
    _command("docs", "show", "chaiji.md"),
    _command("speakers"),
    _command("speakers", "set", "访谈者", "interviewer", "--doc", "anxi.docx", writes=True),
    _command("codebook", "load", f"{REPO}/codebooks/community_governance.yml", writes=True),
    _command("codebook", "show"),
    _command("codebook", "export", "--format", "csv", "-o", f"{OUT}/codebook.csv"),
    _command("codebook", "versions"),
    _command("codebook", "rename", "grid.checkpoints", "bayonets", writes=True),
    _command("codebook", "move", "grid.checkpoints", "opinion", writes=True),
    _command("codebook", "merge", "grid.checkpoints", "grid.grid_workers", writes=True),
    _command("codebook", "suggest", "grid.checkpoints", "--coder", "li (illustrative)"),
    _command("codings", "import", f"{REPO}/transcripts/demo_codings.csv", writes=True),
    _command("codings", "orphaned"),
    _command("autocode", "--dry-run"),
    _command("autocode", writes=True),
    _command("autocode", "runs"),
    _command("autocode", "diff", "1", "1"),
    _command("chart", "matrix", "-o", f"{OUT}/heatmap.png", why="matplotlib"),
    _command("suggestions", "list"),
    _command("suggestions", "accept", "--all", writes=True),
    _command("suggestions", "reject", "--all", writes=True),
    _command("export", "qdpx", f"{OUT}/study.qdpx"),
    _command("demo", "--dir", f"{OUT}/demo", why="the whole pipeline: import, auto-coding, report"),
)


class Qualcode:
    """One qualcode to time, on a demo project of its own: this checkout or another source tree."""

    def __init__(self, source: Path | None, folder: Path, bytecode: Path | None) -> None:
        self.environment = dict(os.environ)
        self.environment.pop("PYTHONPATH", None)
        if source is not None:
            self.environment["PYTHONPATH"] = str(source.resolve())
        if bytecode is None:
            self.environment["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            self.environment.pop("PYTHONDONTWRITEBYTECODE", None)
            self.environment["PYTHONPYCACHEPREFIX"] = str(bytecode)
        self.folder = folder
        self.out = folder / "out"
        self.out.mkdir(parents=True)
        self.project = folder / "qualcode.db"
        self.call(("demo", "--dir", str(folder)))
        (self.out / "quit.keys").write_text("q\n", encoding="utf-8")
        self.pristine = folder / "pristine.db"
        shutil.copyfile(self.project, self.pristine)
        shutil.copyfile(self.project, self.out / "other.db")

    def call(self, arguments: tuple[str, ...]) -> tuple[float, float]:
        """Run ``qualcode ARGUMENTS`` in the project folder; its (CPU, wall) milliseconds."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "qualcode", *arguments], capture_output=True,
            cwd=self.folder, env=self.environment, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        wall = (time.perf_counter() - started) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if completed.returncode != 0:
            raise RuntimeError(
                f"qualcode {' '.join(arguments)}: exit {completed.returncode}: "
                f"{completed.stderr.decode(errors='replace').strip()[-300:]}"
            )
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
        return cpu, wall

    def run(self, command: Command) -> tuple[float, float]:
        """One timed run of COMMAND; the project is put back (untimed) after one that writes."""
        if command.arguments[0] == "demo":
            shutil.rmtree(self.out / "demo", ignore_errors=True)
        arguments = tuple(
            argument.format(out=self.out, repository=REPOSITORY) for argument in command.arguments
        )
        try:
            return self.call(arguments)
        finally:
            if command.writes:
                for suffix in ("-wal", "-shm"):
                    Path(f"{self.project}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(self.pristine, self.project)


def floor(command: list[str], runs: int, environment: dict[str, str]) -> float:
    """Median CPU milliseconds of a process that is not qualcode."""
    cpu = []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, capture_output=True, check=True, env=environment)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
    return statistics.median(cpu[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--against-source", type=Path, help="another qualcode source tree")
    parser.add_argument("--only", help="comma-separated first words of the commands to time")
    parser.add_argument("--no-bytecode-cache", action="store_true")
    arguments = parser.parse_args()
    only = set(arguments.only.split(",")) if arguments.only else None
    commands = [c for c in COMMANDS if only is None or c.arguments[0] in only]
    with tempfile.TemporaryDirectory() as directory:
        bytecode = None if arguments.no_bytecode_cache else Path(directory) / "bytecode"
        now = Qualcode(None, Path(directory) / "now", bytecode)
        before = (
            Qualcode(arguments.against_source, Path(directory) / "before", bytecode)
            if arguments.against_source
            else None
        )
        print(
            f"{arguments.runs} runs each after a warm-up; bytecode "
            f"{'compiled every run' if bytecode is None else 'cached'}; "
            f"load average at the start {os.getloadavg()[0]:.2f}\n"
        )
        if before is None:
            print("| command | CPU median | wall median | under 250 ms CPU |")
            print("|---|---:|---:|---|")
        else:
            print(
                "| command | CPU before | CPU now | CPU ratio now/before (median of pairs) "
                "| wall now | under 250 ms CPU |"
            )
            print("|---|---:|---:|---:|---:|---|")
        for command in commands:
            now.run(command)  # warm-up: bytecode compiled and cached, files created
            if before is not None:
                before.run(command)
            cpu_now, wall_now, cpu_before = [], [], []
            for _ in range(arguments.runs):
                cpu, wall = now.run(command)
                cpu_now.append(cpu)
                wall_now.append(wall)
                if before is not None:
                    cpu_before.append(before.run(command)[0])
            median = statistics.median(cpu_now)
            met = "yes" if median < GOAL_MS else f"no ({command.why})" if command.why else "no"
            shown = " ".join(command.arguments).replace("{out}/", "").replace("{repository}/", "")
            if before is None:
                print(
                    f"| `qualcode {shown}` | {median:.0f} ms | "
                    f"{statistics.median(wall_now):.0f} ms | {met} |"
                )
            else:
                ratio = statistics.median(a / b for a, b in zip(cpu_now, cpu_before, strict=True))
                print(
                    f"| `qualcode {shown}` | {statistics.median(cpu_before):.0f} ms | "
                    f"{median:.0f} ms | {ratio:.2f} | {statistics.median(wall_now):.0f} ms "
                    f"| {met} |",
                    flush=True,
                )
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    environment = dict(os.environ)
    for label, code, runs in (
        ("bare `python -c pass`", "pass", 5),
        ("`python -c 'import typer'` (the floor of a typer command line)", "import typer", 5),
        ("naive: heavy libraries imported at start-up", EAGER_IMPORTS, 3),
    ):
        median = floor([sys.executable, "-c", code], runs, environment)
        print(f"{label}: CPU median {median:.0f} ms")


if __name__ == "__main__":
    main()
