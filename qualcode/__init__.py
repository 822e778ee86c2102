"""qualcode: qualitative interview coding and thematic analysis, library first.

The command line (``qualcode.cli``) is a thin layer over these functions; scripts and
notebooks can call them directly::

    from qualcode import ImportOptions, import_paths, open_project

    with open_project("study.db", create=True) as project:
        import_paths(project, [Path("transcripts")], ImportOptions())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qualcode.errors import QualcodeError
    from qualcode.importing.pipeline import ImportOptions, import_paths
    from qualcode.project import Project, open_project
    from qualcode.search import search

__version__ = "0.1.0"

#: Public names and the modules they live in, imported on first use (PEP 562) so that
#: ``import qualcode`` (and so ``qualcode --help``) does not load the import pipeline.
_EXPORTS = {
    "ImportOptions": "qualcode.importing.pipeline",
    "Project": "qualcode.project",
    "QualcodeError": "qualcode.errors",
    "import_paths": "qualcode.importing.pipeline",
    "open_project": "qualcode.project",
    "search": "qualcode.search",
}

__all__ = [
    "ImportOptions",
    "Project",
    "QualcodeError",
    "__version__",
    "import_paths",
    "open_project",
    "search",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qualcode' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
