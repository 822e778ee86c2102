"""The library a script calls: ``qualcode``'s public names, documented, working end to end."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import qualcode
from tests.conftest import REPOSITORY, SAMPLES


def test_every_public_name_resolves_and_is_documented() -> None:
    assert set(qualcode.__all__) == {*qualcode._EXPORTS, "__version__"}
    for name in qualcode.__all__:
        value = getattr(qualcode, name)
        if name == "__version__":
            assert isinstance(value, str) and value
            continue
        assert inspect.getdoc(value), f"qualcode.{name} has no docstring"
        assert f":{'class' if inspect.isclass(value) else 'func'}:`{name}`" in (
            qualcode.__doc__ or ""
        ), f"qualcode.{name} is not listed in the package docstring"


def test_importing_the_package_loads_none_of_the_pipeline() -> None:
    code = (
        "import sys, qualcode\n"
        "print(sorted(m for m in sys.modules if m.startswith('qualcode.')"
        " or m in ('spacy', 'jieba', 'numpy', 'sqlite_utils')))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPOSITORY
    ).stdout
    assert output.strip() == "['qualcode._version']"


def test_a_script_runs_the_pipeline_with_the_public_names(tmp_path: Path) -> None:
    with qualcode.open_project(tmp_path / "study.db", create=True) as project:
        outcomes = qualcode.import_paths(project, [SAMPLES], qualcode.ImportOptions())
        assert sum(outcome.status == "added" for outcome in outcomes) == 7
        qualcode.load_into_project(project, REPOSITORY / "codebooks" / "community_governance.yml")
        report = qualcode.run_autocode(project, qualcode.AutocodeOptions())
        assert report.codings > 0 and report.run_id is not None
        matrix = qualcode.build_matrix(project, qualcode.MatrixOptions())
        assert len(matrix.row_labels) == 7
        hits = list(qualcode.search(project, "网格"))
        assert hits
