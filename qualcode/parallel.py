"""Work spread over worker processes, with results handed back in order.

Two jobs are bound by Python's CPU and can run beside SQLite: preparing transcripts on import
(reading, finding speaker turns, segmenting) and matching segments when auto-coding. The
process that owns the project keeps one core for its own writes, and the workers take the
rest. Results come back in the order of the inputs, so that what is stored does not depend
on which worker was quicker.

Workers ignore Ctrl-C: the main process handles it (rolling back its transaction), and the
pool's shutdown cancels what has not started. On Linux a worker also dies with the main
process, even when that is killed outright, so no orphan keeps the terminal's pipes open.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

#: More workers than this gain little: the main process's writes become the bottleneck.
MAX_WORKERS = 4
#: Inputs submitted ahead per worker: enough to keep workers busy while the main process
#: writes, few enough to keep memory flat.
AHEAD_PER_WORKER = 4


def worker_count() -> int:
    """Workers to start: one core per worker, except the one kept for the main process."""
    return max(0, min((os.cpu_count() or 1) - 1, MAX_WORKERS))


def _start_worker(setup: Callable[..., None] | None, setup_args: tuple[Any, ...]) -> None:
    """Ignore Ctrl-C, die with the parent (Linux), then run the job's own ``setup``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG in <sys/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL)
    if setup is not None:
        setup(*setup_args)


def ordered_map(
    function: Callable[[Item], Result],
    items: Iterable[Item],
    *,
    workers: int,
    setup: Callable[..., None] | None = None,
    setup_args: tuple[Any, ...] = (),
) -> Iterator[Result]:
    """``map(function, items)`` computed in ``workers`` processes, yielded in input order.

    ``function`` and ``setup`` must be module-level functions (they are pickled by name);
    ``setup(*setup_args)`` runs once in each worker before any item, for state that is
    costly to build or to send with every item (a compiled matcher). An exception raised by
    ``function`` is raised here, when its result's turn comes.
    """
    if workers < 1:
        raise ValueError(f"ordered_map needs at least one worker, got {workers}")
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_start_worker, initargs=(setup, setup_args)
    ) as pool:
        pending: deque[Future[Result]] = deque()
        remaining = iter(items)
        try:
            for item in remaining:
                pending.append(pool.submit(function, item))
                if len(pending) >= workers * AHEAD_PER_WORKER:
                    break
            while pending:
                result = pending.popleft().result()
                next_item = next(remaining, _END)
                if next_item is not _END:
                    pending.append(pool.submit(function, next_item))
                yield result
        finally:
            for future in pending:
                future.cancel()


_END: Any = object()
