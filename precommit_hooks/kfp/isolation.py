"""Run tasks in forked children: own process group, timeout, bounded output.

Each task is a function that runs in a fresh ``os.fork()`` child and never
returns (it ends with ``os._exit`` or ``os.execv``).  The child leads its own
session, so a timeout or its end kills everything it started; its stdin is
``/dev/null`` and its stdout and stderr are pipes that the parent reads in
chunks, keeping only the last :data:`KEEP_BYTES` of each: a child that prints
300 MB costs the parent 64 KiB.  Single-threaded (a selector), because forking
a process that runs threads can deadlock the child.
"""

from __future__ import annotations

import io
import os
import selectors
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

KEEP_BYTES = 64 << 10
_CHUNK = 64 << 10
# How often a child whose pipes are closed (or held by a grandchild) is polled.
_POLL_SECONDS = 0.02
_IDLE_SECONDS = 0.25


@dataclass
class Task:
    """A function to run in a child, in ``cwd``, for at most ``timeout`` s."""

    key: object
    target: Callable[[], None]
    cwd: str
    timeout: float


@dataclass
class Ended:
    """What became of a task: exit code (None when killed), output tails."""

    task: Task
    exit_code: int | None
    timed_out: bool
    stdout: bytes
    stderr: bytes


@dataclass
class _Child:
    task: Task
    pid: int
    deadline: float
    status: int | None = None  # set when reaped without os.waitid (macOS)
    tails: dict[int, bytearray] = field(default_factory=dict)
    streams: dict[int, int] = field(default_factory=dict)  # read fd -> 1 or 2


def _in_child(task: Task, writes: tuple[int, int], others: Iterable[int]) -> None:
    """Set the forked child up and run the task; never returns."""
    try:
        os.setsid()
        for fd in others:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(writes[0], 1)
        os.dup2(writes[1], 2)
        # The parent's sys.stdout may be a capture object (pytest): use the fds.
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False), write_through=True
        )
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), write_through=True
        )
        os.chdir(task.cwd)
        task.target()
    finally:
        os._exit(70)  # the target returned or raised: never run the parent's code


def _start(task: Task, selector: selectors.BaseSelector) -> _Child:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the child would write the parent's buffer again
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    others = [key.fd for key in selector.get_map().values()] + [out_r, err_r]
    try:
        pid = os.fork()
    except OSError:
        for fd in (out_r, out_w, err_r, err_w):
            os.close(fd)
        raise
    if pid == 0:  # the child: ends in os._exit or exec
        _in_child(task, (out_w, err_w), others)
    os.close(out_w)
    os.close(err_w)
    child = _Child(task, pid, time.monotonic() + task.timeout)
    for fd, stream in ((out_r, 1), (err_r, 2)):
        os.set_blocking(fd, False)
        child.streams[fd] = stream
        child.tails[stream] = bytearray()
        selector.register(fd, selectors.EVENT_READ, child)
    return child


def _read(child: _Child, fd: int, selector: selectors.BaseSelector) -> None:
    """Read what the pipe holds now; keep the tail; close it at end of file."""
    tail = child.tails[child.streams[fd]]
    while True:
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            return
        if not chunk:
            selector.unregister(fd)
            os.close(fd)
            del child.streams[fd]
            return
        tail += chunk
        if len(tail) > KEEP_BYTES:
            del tail[:-KEEP_BYTES]


def _exited(child: _Child) -> bool:
    """Whether the child ended; left a zombie where it can, so that its group id
    is not reused before the group is killed."""
    if hasattr(os, "waitid"):
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        return os.waitid(os.P_PID, child.pid, flags) is not None
    pid, status = os.waitpid(child.pid, os.WNOHANG)  # no waitid on macOS
    if pid:
        child.status = status
    return bool(pid)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _finish(child: _Child, selector, timed_out: bool) -> Ended:
    """Kill what the child left behind, reap it, drain and close its pipes."""
    _kill_group(child.pid)  # grandchildren left behind by the user's code
    status = child.status
    if status is None:
        _, status = os.waitpid(child.pid, 0)
    for fd in list(child.streams):
        _read(child, fd, selector)
        if fd in child.streams:  # a grandchild that escaped the group holds it
            selector.unregister(fd)
            os.close(fd)
    code = None if timed_out else os.waitstatus_to_exitcode(status)
    tails = child.tails
    return Ended(child.task, code, timed_out, bytes(tails[1]), bytes(tails[2]))


def _ended(child: _Child, now: float) -> tuple[bool, bool]:
    """(ended, timed out) for a running child."""
    if _exited(child):
        return True, False
    return now >= child.deadline, now >= child.deadline


def run_tasks(tasks: Iterable[Task], jobs: int = 1) -> Iterator[Ended]:
    """Run every task, ``jobs`` at a time; yield each as it ends."""
    pending = deque(tasks)
    running: list[_Child] = []
    selector = selectors.DefaultSelector()
    try:
        while pending or running:
            while pending and len(running) < jobs:
                running.append(_start(pending.popleft(), selector))
            now = time.monotonic()
            quiet = any(len(child.streams) < 2 for child in running)
            wait = _POLL_SECONDS if quiet else _IDLE_SECONDS
            wait = min([wait] + [max(0.0, c.deadline - now) for c in running])
            for key, _ in selector.select(wait):
                _read(key.data, key.fd, selector)
            now = time.monotonic()
            for child in list(running):
                ended, timed_out = _ended(child, now)
                if ended:
                    running.remove(child)
                    yield _finish(child, selector, timed_out)
    finally:
        for child in running:  # interrupted (Ctrl-C) or the caller stopped early
            _kill_group(child.pid)
            if child.status is None:
                os.waitpid(child.pid, 0)
        for key in list(selector.get_map().values()):
            os.close(key.fd)
        selector.close()
