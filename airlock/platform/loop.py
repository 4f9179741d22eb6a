"""A background loop in its own thread: woken when there is work, or after a wait."""

from __future__ import annotations

import logging
import threading

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
