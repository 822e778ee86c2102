"""REFI-QDA export and import of a project with 1,000,000 codings (issue 14: each < 30 s, < 1 GB).

Run:  .venv/bin/python bench/bench_qdpx.py                 (1,000,000 codings)
      .venv/bin/python bench/bench_qdpx.py --codings 100000   (quicker)

The project is bench_matrix.py's generated one (cached under bench/out/): 200 cases with one
interview of 1,000 turns each, a codebook of 500 codes, N codings (70 % automatic, 30 % manual
by two coders). Each step runs in a fresh process, as ``qualcode export qdpx`` and ``qualcode
import qdpx`` do, and reports its wall time and peak RSS:

1. export the project to ``bench/out/qdpx_N.qdpx``;
2. import that file into a new project (documents, codebook, cases, every coding, one
   journaled transaction), and check that the new project has as many current codings.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench_matrix import project_path

STEP = """
import json, resource, sys, time
from pathlib import Path
from qualcode.store.project import open_project
from qualcode.flows.qdpx import export_qdpx, import_qdpx
step, source, target = sys.argv[1:4]
started = time.perf_counter()
if step == "export":
    with open_project(source) as project:
        summary = export_qdpx(project, Path(target))
    result = {"codings": summary.codings}
else:
    Path(target).unlink(missing_ok=True)
    with open_project(target, create=True) as project:
        report = import_qdpx(project, Path(source))
        current = project.conn.execute(
            "SELECT count(*) FROM codings WHERE superseded_by_run IS NULL").fetchone()[0]
    result = {"codings": current, "manual": report.codings_added, "auto": report.auto_codings}
usage = resource.getrusage(resource.RUSAGE_SELF)
result["seconds"] = round(time.perf_counter() - started, 2)
result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
result["peak_mib"] = round(usage.ru_maxrss / 1024)
print(json.dumps(result))
"""


def run_step(step: str, source: Path, target: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-c", STEP, step, str(source), str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codings", type=int, default=1_000_000)
    arguments = parser.parse_args()
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    source = project_path(out, arguments.codings)
    with_codings = f"{arguments.codings:,} codings"
    archive = out / f"qdpx_{arguments.codings}.qdpx"
    exported = run_step("export", source, archive)
    size = archive.stat().st_size / 1024**2
    print(f"export {with_codings}: {exported} ({size:.0f} MiB archive)")
    imported = run_step("import", archive, out / f"qdpx_back_{arguments.codings}.db")
    print(f"import {with_codings}: {imported}")
    # The generator writes a few identical automatic codings (same segment, code and span);
    # the import keeps one of each, so the new project has as many as the source has distinct.
    if imported["codings"] > exported["codings"]:
        raise SystemExit(f"imported {imported['codings']} codings, exported {exported['codings']}")


if __name__ == "__main__":
    main()
