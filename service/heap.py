"""Long-running commands freeze what startup allocated out of the cyclic garbage collector's sight."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Move every object alive now (modules, the app and its routes, the migration machinery) to the
    collector's permanent generation.

    Nearly all of them live as long as the process, yet every full collection would walk them again; the few
    that later become cyclic garbage are never collected, a bounded one-off cost. Under batch appends, full
    collections came every ≈ 40,000 events and cost ≈ 2 µs per event; after the freeze, ≈ 0.1 µs
    (bench/append.py, which freezes its own startup the same way). Garbage left by startup is collected
    first, or it would be kept forever.
    """
    gc.collect()
    gc.freeze()
