"""Running a session and a controller task side by side until either is finished."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


async def drive(sim: Any, milliseconds: float, control: Coroutine[Any, Any, None]) -> None:
    """Run ``sim`` for ``milliseconds`` while ``control`` consumes its streams.

    ``control`` must return once it has handled the last chunk of the run, or earlier to
    stop the run (at the next chunk boundary).  An error in either task cancels the other
    and is raised here; what was recorded until then stays recorded.
    """
    controller = asyncio.create_task(control)
    await asyncio.sleep(0)  # the controller subscribes before the first chunk
    run = asyncio.create_task(sim.run(milliseconds))
    try:
        done, _ = await asyncio.wait({run, controller}, return_when=asyncio.FIRST_COMPLETED)
        if controller not in done and run.exception() is None:
            await controller  # the run ended: the controller answers its last chunk
    finally:
        for task in (run, controller):
            if not task.done():
                task.cancel()
        await asyncio.gather(run, controller, return_exceptions=True)
    for task in (controller, run):
        if not task.cancelled():
            exc = task.exception()
            if exc is not None:
                raise exc
