"""qualcode: qualitative interview coding and thematic analysis, library first.

The command line (``qualcode.cli``) is a thin layer over these functions; scripts and
notebooks can call them directly::

    from qualcode import ImportOptions, import_paths, open_project

    with open_project("study.db", create=True) as project:
        import_paths(project, [Path("transcripts")], ImportOptions())
"""

from qualcode.errors import QualcodeError
from qualcode.importing.pipeline import ImportOptions, import_paths
from qualcode.project import Project, open_project
from qualcode.search import search

__version__ = "0.1.0"

__all__ = [
    "ImportOptions",
    "Project",
    "QualcodeError",
    "__version__",
    "import_paths",
    "open_project",
    "search",
]
