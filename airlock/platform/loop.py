"""A background loop in its own thread: woken when there is work, or after a wait."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

log = logging.getLogger("airlock.loop")


class BackgroundLoop:
    """Calls `tick()` until stopped; `tick` returns how long to wait unless woken sooner."""

    name = "airlock-loop"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> threading.Event:
        """Set once `stop()` was called."""
        return self._stop

    def tick(self) -> float:
        """Do what is due; how many seconds to wait before the next tick at most."""
        raise NotImplementedError

    def on_start(self) -> None:
        """Before the thread starts."""

    def on_stop(self) -> None:
        """After the thread ended."""

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self.on_start()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.on_stop()

    def wake(self) -> None:
        """There may be work now."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                wait = self.tick()
            except Exception:
                log.exception("%s failed; retrying", self.name)
                wait = 1.0
            if wait > 0:
                self._wake.wait(wait)


class ThreadPerItem(BackgroundLoop):
    """Runs each due item in a thread of its own; stopping waits for those threads.

    A stopping server tells the items through `stopping`; each records how it ended
    before `stop()` returns, so nothing touches the database after it is gone.
    """

    # How long a stopping server waits for the items' threads to record their ends (they
    # end side by side, so one deadline serves them all).
    grace_seconds = 10.0

    def __init__(self) -> None:
        super().__init__()
        self._running: set[int] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def due(self) -> Sequence[int]:
        """The ids of the items that should be running now."""
        raise NotImplementedError

    def run_item(self, item_id: int) -> None:
        """Run one item to its end (or until `stopping`)."""
        raise NotImplementedError

    def tick(self) -> float:
        """Start a thread for each due item no thread runs yet."""
        for item_id in self.due():
            with self._lock:
                if item_id in self._running:
                    continue
                self._running.add(item_id)
                thread = threading.Thread(target=self._item, args=(item_id,), daemon=True)
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
        return 1.0

    def on_stop(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        deadline = time.monotonic() + self.grace_seconds
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _item(self, item_id: int) -> None:
        try:
            self.run_item(item_id)
        finally:
            with self._lock:
                self._running.discard(item_id)


class WorkerGroup:
    """Several workers started, stopped and woken as one."""

    def __init__(self, workers: list[BackgroundLoop]) -> None:
        self.workers = workers

    def start(self) -> None:
        """Start every worker."""
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        """Stop every worker."""
        for worker in self.workers:
            worker.stop()

    def wake(self) -> None:
        """Wake every worker."""
        for worker in self.workers:
            worker.wake()
