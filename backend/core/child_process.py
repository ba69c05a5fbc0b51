"""Child processes that stop with their parent, however the parent ends.

A parent killed with SIGKILL (or by the OOM killer) runs no clean-up, so its children would keep
running and holding their ports. Linux's ``PR_SET_PDEATHSIG`` has the kernel signal the child when
its parent exits. It is called through ctypes (no extra dependency); elsewhere it does nothing.

Two caveats from prctl(2): the signal follows the *thread* that started the child, so start
children from a thread that lives as long as the process (the main thread); and it survives
``exec`` (except of set-user-id programs), so it can be set before ``exec`` in ``preexec_fn``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from functools import cache

PR_SET_PDEATHSIG = 1


@cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    return ctypes.CDLL(None, use_errno=True).prctl  # libc's, from the running process's own symbols


def stop_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Ask for ``signum`` when the parent process exits. ``parent_pid`` is the parent this process
    was started by: if it is already gone (it died before the request), the signal comes now."""
    prctl = _prctl()
    if prctl is None:
        return
    if prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signum)


def stopping_with_this_process(signum: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child stops when the calling process exits.
    Everything it needs is resolved here, before the fork, so the child only makes the call."""
    parent_pid = os.getpid()
    _prctl()

    def preexec() -> None:
        stop_with_parent(parent_pid, signum)

    return preexec
