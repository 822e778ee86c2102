"""Where a project is found and how long a writer waits: what the command line must know
before any project is opened.

They live apart from :mod:`qualcode.store.project` (which re-exports them) because that
module imports sqlite3, json and datetime, and ``qualcode --help`` needs none of those just to
declare its ``--db`` and ``--wait`` options.
"""

from __future__ import annotations

#: The project file used when neither ``--db`` nor ``$QUALCODE_DB`` names one.
DEFAULT_DB = "qualcode.db"
#: The environment variable that names the project file.
DB_ENV = "QUALCODE_DB"
#: Seconds a statement waits for another process's lock before giving up (``--wait``).
DEFAULT_WAIT_SECONDS = 30.0
