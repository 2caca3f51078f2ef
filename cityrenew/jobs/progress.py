"""A command-line progress bar (tqdm) with the same ``progress(done, total, message)`` signature as
:meth:`cityrenew.jobs.models.Job.progress`, so a service reports progress once for both."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(desc: str, *, unit: str = "行", file=None, disable: bool | None = None) -> Iterator[Callable[[int, int, str], None]]:
    """Yield ``progress(done, total, message)`` drawing a tqdm bar on stderr (hidden when stderr is not
    a terminal, e.g. in scripts and tests, unless ``disable=False``)."""
    bar = tqdm(total=0, desc=desc, unit=unit, file=file or sys.stderr, disable=disable, leave=False,
               dynamic_ncols=True)

    def progress(done: int, total: int, message: str = "") -> None:
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        if message:
            bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    try:
        yield progress
    finally:
        bar.close()
