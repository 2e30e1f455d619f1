"""Python's cyclic garbage collector, held off while a computation builds tens of
thousands of small objects (a province's rows as tuples, its figures, its 12,000
indicator values): each few hundred of them would otherwise start a collection,
and every so often one of the whole heap (a worker's imported Django, its caches),
which doubled the time of `indicator_values` in a busy process and made a
province's figures take 0.18 to 0.28 s from one run to the next (0.16–0.22 s held
off; docs/benchmarks.md).
Nothing is lost: the collector runs again as soon as the block ends, and whatever
cycles the block left are collected then. Reference counting, which frees almost
everything, never stops."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
