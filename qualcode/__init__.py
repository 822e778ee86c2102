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
    from qualcode.flows.importing import ImportOptions, import_paths
    from qualcode.store.project import Project, open_project
    from qualcode.store.search import search

from qualcode._version import __version__

#: Public names and the modules they live in, imported on first use (PEP 562) so that
#: ``import qualcode`` (and so ``qualcode --help``) does not load the import pipeline.
_EXPORTS = {
    "ImportOptions": "qualcode.flows.importing",
    "Project": "qualcode.store.project",
    "QualcodeError": "qualcode.errors",
    "import_paths": "qualcode.flows.importing",
    "open_project": "qualcode.store.project",
    "search": "qualcode.store.search",
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
