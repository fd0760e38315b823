"""Group commit: appends that arrive together share one durable transaction.

A writer puts its request in the queue and takes the commit lock. Whoever holds it first writes every
request queued so far in one transaction, each request inside a SAVEPOINT of its own: a request that
fails (a version already taken, a key already logged) is rolled back to its savepoint and answered with
its error while the others go on, so each request is all or nothing. The transaction commits (one fsync
at synchronous=FULL) before any of its writers is answered: nothing is acknowledged that a kill -9 could
lose. The writers that waited meanwhile find their requests done when they get the lock, or write the
next group themselves.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence


class Request:
    __slots__ = ("events", "kwargs", "done", "result", "error")

    def __init__(self, events: Sequence[Any], kwargs: dict):
        self.events = events
        self.kwargs = kwargs
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """``write(group)`` writes a list of requests in one transaction, setting each one's result or error;
    an exception out of it (the commit failed) is every request's answer."""

    def __init__(self, write: Callable[[list[Request]], None]):
        self._write = write
        self._queue: list[Request] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self.groups = 0  # transactions written, and requests in them (for the bench and the tests)
        self.requests = 0

    def submit(self, events: Sequence[Any], kwargs: dict) -> Any:
        request = Request(events, kwargs)
        with self._queue_lock:
            self._queue.append(request)
        with self._commit_lock:
            if not request.done:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                try:
                    self._write(group)
                except BaseException as e:
                    for r in group:
                        r.error = e
                    raise
                finally:
                    self.groups += 1
                    self.requests += len(group)
                    for r in group:
                        r.done = True
        if request.error is not None:
            raise request.error
        return request.result
