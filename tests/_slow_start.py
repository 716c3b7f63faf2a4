"""A Dask worker preload that delays a worker's start, for the restart tests.

Each worker process runs :func:`dask_setup` before it registers with the
scheduler. When the file named by ``SK_HPSEARCH_SLOW_START`` exists, it holds
a number of seconds to sleep first: a test creates it once its workers are
up, so only the workers that a nanny restarts after it start slowly (as they
do on a loaded machine).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path


async def dask_setup(worker) -> None:
    marker = os.environ.get("SK_HPSEARCH_SLOW_START")
    if marker and Path(marker).exists():
        await asyncio.sleep(float(Path(marker).read_text()))
