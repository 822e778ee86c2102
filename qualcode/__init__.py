"""qualcode: qualitative interview coding and thematic analysis, library first.

The command line (``qualcode.cli``) is a thin layer over these functions; scripts and
notebooks can call them directly. What a script usually does, in order::

    from pathlib import Path
    import qualcode

    with qualcode.open_project("study.db", create=True) as project:
        qualcode.import_paths(project, [Path("transcripts")], qualcode.ImportOptions())
        qualcode.load_into_project(project, Path("codebooks/community_governance.yml"))
        qualcode.run_autocode(project, qualcode.AutocodeOptions())
        matrix = qualcode.build_matrix(project, qualcode.MatrixOptions())
        report = qualcode.compare_coders(project, qualcode.AgreementOptions(coders=("li", "wang")))

The public names, each documented where it lives:

- :func:`open_project`, :class:`Project`: open (or create) a project file; transactions.
- :func:`import_paths`, :class:`ImportOptions`: import transcript files or folders.
- :func:`load_into_project`: load a codebook file as the project's new codebook version.
- :func:`run_autocode`, :class:`AutocodeOptions`: apply the codebook's rules, with provenance.
- :func:`search`: keyword in context over the stored segments.
- :func:`build_matrix`, :class:`MatrixOptions`: the theme matrix (cases x codes, any measure).
- :func:`export_matrix`: write a matrix as CSV, XLSX, Markdown or JSON.
- :func:`compare_coders`, :class:`AgreementOptions`: agreement between coders.
- :func:`compare_rules`: how well the codebook's rules agree with a coder.
- :class:`QualcodeError`: the base of every error the library raises.

Each name is imported on first use (PEP 562), so ``import qualcode`` (and so
``qualcode --help``) loads none of the pipeline.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from qualcode._version import __version__

if TYPE_CHECKING:
    from qualcode.agreement.compare import AgreementOptions, compare_coders
    from qualcode.agreement.rules import compare_rules
    from qualcode.analysis.matrix import MatrixOptions, build_matrix
    from qualcode.autocode.runs import AutocodeOptions, run_autocode
    from qualcode.errors import QualcodeError
    from qualcode.exporting.matrix import export_matrix
    from qualcode.flows.importing import ImportOptions, import_paths
    from qualcode.store.codebooks import load_into_project
    from qualcode.store.project import Project, open_project
    from qualcode.store.search import search

#: Public names and the modules they live in.
_EXPORTS = {
    "AgreementOptions": "qualcode.agreement.compare",
    "AutocodeOptions": "qualcode.autocode.runs",
    "ImportOptions": "qualcode.flows.importing",
    "MatrixOptions": "qualcode.analysis.matrix",
    "Project": "qualcode.store.project",
    "QualcodeError": "qualcode.errors",
    "build_matrix": "qualcode.analysis.matrix",
    "compare_coders": "qualcode.agreement.compare",
    "compare_rules": "qualcode.agreement.rules",
    "export_matrix": "qualcode.exporting.matrix",
    "import_paths": "qualcode.flows.importing",
    "load_into_project": "qualcode.store.codebooks",
    "open_project": "qualcode.store.project",
    "run_autocode": "qualcode.autocode.runs",
    "search": "qualcode.store.search",
}

__all__ = [
    "AgreementOptions",
    "AutocodeOptions",
    "ImportOptions",
    "MatrixOptions",
    "Project",
    "QualcodeError",
    "__version__",
    "build_matrix",
    "compare_coders",
    "compare_rules",
    "export_matrix",
    "import_paths",
    "load_into_project",
    "open_project",
    "run_autocode",
    "search",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qualcode' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
