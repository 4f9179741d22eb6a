"""HTTP/1.1 to one model-server process, on the server's event loop.

InvokeEndpoint is answered on the event loop when everything it needs is in
memory, so the request to the instance is made there too: keep-alive
connections, one request at a time on each, idle ones kept for the next call.
The controller (another thread) resets the pool when the process stops or
restarts; the connections are then closed on their own loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass

MAX_HEAD = 64 * 1024


class NotSent(Exception):
    """The request never reached the instance (its connection failed first)."""


class BrokenAnswer(OSError):
    """The instance closed the connection or answered what is not HTTP."""


class NoAnswer(BrokenAnswer):
    """The instance closed the connection before the first byte of an answer."""


@dataclass
class _Connection:
    loop: asyncio.AbstractEventLoop
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def close(self) -> None:
        """Close on the connection's own loop, from whichever thread asks."""
        if self.loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.writer.close()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(self.writer.close)


class Upstream:
    """Keep-alive connections to one model-server port."""

    def __init__(self) -> None:
        self.port = 0
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()

    def reset(self, port: int = 0) -> None:
        """Forget (and close) every idle connection; new ones go to `port`."""
        with self._lock:
            idle, self._idle = self._idle, []
            self.port = port
        for connection in idle:
            connection.close()

    async def post(
        self, path: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        """The status, headers (lower-cased names) and body of the instance's answer.

        NotSent if the connection failed before the request went out; TimeoutError
        after `timeout` seconds; BrokenAnswer if the answer broke off.
        """
        port = self.port
        connection = self._take()
        reused = connection is not None
        if connection is None:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError as error:
                raise NotSent(str(error)) from error
            connection = _Connection(asyncio.get_running_loop(), reader, writer)
        head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        try:
            connection.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await connection.writer.drain()
        except OSError as error:
            connection.close()
            raise NotSent(str(error)) from error
        try:
            async with asyncio.timeout(timeout):
                status, answer, data, keep = await _read_answer(connection.reader)
        except (ConnectionResetError, NoAnswer) as error:
            connection.close()
            if reused:
                # An idle connection whose process died (or closed it) takes the request into
                # the kernel's buffer and then resets: the instance never saw it, as a client
                # of keep-alive connections assumes when not one byte of an answer came back.
                raise NotSent(str(error)) from error
            raise
        except BaseException:
            connection.close()
            raise
        if keep and port == self.port:
            with self._lock:
                self._idle.append(connection)
        else:
            connection.close()
        return status, answer, data

    def _take(self) -> _Connection | None:
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.writer.is_closing() and not connection.reader.at_eof():
                    return connection
                connection.close()
        return None


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes, bool]:
    """One HTTP/1.1 response: status, headers, body, and whether the connection stays open."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial:
            raise BrokenAnswer("the instance broke off its answer's headers") from error
        raise NoAnswer("the instance closed the connection without an answer") from error
    except asyncio.LimitOverrunError as error:
        raise BrokenAnswer("the instance's answer has headers over 64 KiB") from error
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise BrokenAnswer(f"the instance answered what is not HTTP: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    keep = parts[0] == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    try:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = await _read_chunked(reader)
        elif "content-length" in headers:
            data = await reader.readexactly(int(headers["content-length"]))
        else:
            data, keep = await reader.read(), False
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
        raise BrokenAnswer(f"the instance broke off its answer: {error!r}") from error
    return int(parts[1]), headers, data, keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    pieces: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(pieces)
        pieces.append(await reader.readexactly(size))
        await reader.readexactly(2)
