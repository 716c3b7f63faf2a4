"""Children that a test interrupts get Ctrl-C back.

A shell without job control starts a background job (``pytest ... &``, a
CI runner's step) with SIGINT ignored, and a child process inherits that:
Python then installs no KeyboardInterrupt handler, and the SIGINT a test
sends as "Ctrl-C" does nothing. Children started with
``preexec_fn=ctrl_c_restored`` get the default action back before Python
starts, as a child of an interactive shell has it.
"""

from __future__ import annotations

import signal

__all__ = ["ctrl_c_restored"]


def ctrl_c_restored() -> None:
    """Reset SIGINT to its default action (run in the child before exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
