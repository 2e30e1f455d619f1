"""Python's cyclic garbage collector, held off while a computation builds tens of
thousands of small acyclic objects (a province's rows as tuples, its 12,000
indicator values): each few hundred of them would otherwise start a collection,
and every so often one of the whole heap (a worker's imported Django, its caches),
which doubled the time of `indicator_values` in a busy process (docs/benchmarks.md).
The objects built hold no cycles, so there is nothing the pause leaves behind; the
collector runs again as soon as the block ends."""

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
