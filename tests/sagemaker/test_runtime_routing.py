"""The gateway's side of InvokeEndpoint: keep-alive connections, answers, a request never sent.

Instances here are real loopback HTTP servers (asyncio) or ports nothing listens on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from airlock.core.errors import ServiceError
from airlock.sagemaker.hosting.fleet import Fleet, Fleets, Instance
from airlock.sagemaker.hosting.upstream import BrokenAnswer, NotSent
from airlock.sagemaker_runtime.operations import _Call, _score, _Serving
from tests.support import refusing_port


class Model:
    """A loopback model server that answers each request with `answer(body)`."""

    def __init__(self, answer: Callable[[bytes], bytes], close_after_answer: bool = False) -> None:
        self.answer = answer
        self.close_after_answer = close_after_answer
        self.connections = 0
        self.requests = 0
        self.instances: list[Instance] = []
        self._handlers: list[asyncio.Task[None]] = []

    def instance(self, tmp_path: Path, port: int, index: int) -> Instance:
        """An instance at `port`, whose connections the test's end closes."""
        one = instance(tmp_path, port, index)
        self.instances.append(one)
        return one

    async def finish(self) -> None:
        """Close the gateway's side of every connection; wait for each handler to end."""
        for one in self.instances:
            one.upstream.reset()
        await asyncio.wait_for(asyncio.gather(*self._handlers), 10)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.append(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                self.requests += 1
                writer.write(self.answer(body))
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes) -> bytes:
    data = b"scored:" + body
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s" % (
        len(data),
        data,
    )


def instance(tmp_path: Path, port: int, index: int) -> Instance:
    one = Instance("AllTraffic", index, [], {}, tmp_path / f"instance-{index}.log")
    one.port, one.healthy = port, True
    one.upstream.reset(port)
    return one


def run(model: Model, test: Callable[[int], Awaitable[None]]) -> None:
    async def main() -> None:
        server = await asyncio.start_server(model.handle, "127.0.0.1", 0)
        try:
            await test(server.sockets[0].getsockname()[1])
        finally:
            await model.finish()
            server.close()
            await server.wait_closed()

    asyncio.run(main())


def fleets_of(*instances: Instance) -> Fleets:
    fleets = Fleets()
    fleet = Fleet("blue", {"AllTraffic": list(instances)}, {"AllTraffic": 1.0})
    fleets.serve("arn:endpoint/e", [(fleet, 1.0)])
    return fleets


CALL = _Call(b"5,3,1,0", {"Content-Type": "text/csv"}, None)
SERVING = _Serving("arn:endpoint/e", "e")


def test_a_request_never_sent_goes_to_another_instance_once(tmp_path: Path) -> None:
    model = Model(ok)

    async def test(port: int) -> None:
        with refusing_port() as refused:
            dead, live = instance(tmp_path, refused, 0), model.instance(tmp_path, port, 1)
            fleets = fleets_of(dead, live)  # equally idle: the dead one, listed first, is chosen
            scored = await _score(fleets, SERVING, CALL)
        assert scored.instance is live
        assert (scored.status, scored.data) == (200, b"scored:5,3,1,0")
        assert dead.inflight == live.inflight == 0

    run(model, test)
    assert model.requests == 1


def test_no_instance_accepting_is_service_unavailable(tmp_path: Path) -> None:
    async def test() -> None:
        with refusing_port() as one, refusing_port() as other:
            fleets = fleets_of(instance(tmp_path, one, 0), instance(tmp_path, other, 1))
            with pytest.raises(ServiceError) as caught:
                await _score(fleets, SERVING, CALL)
        assert caught.value.code == "ServiceUnavailable"
        assert caught.value.message == "Endpoint e: no instance accepted the request; try again."

    asyncio.run(test())


def test_connections_are_kept_alive_and_reset_on_restart(tmp_path: Path) -> None:
    model = Model(ok)

    async def test(port: int) -> None:
        one = model.instance(tmp_path, port, 0)
        for n in range(3):
            status, headers, data = await one.invoke(b"%d" % n, {"Content-Type": "text/csv"})
            assert (status, headers["content-type"], data) == (200, "text/csv", b"scored:%d" % n)
        assert model.connections == 1
        one.upstream.reset(port)  # what a restart of the process does
        await one.invoke(b"x", {})
        assert model.connections == 2

    run(model, test)
    assert model.requests == 4


def test_chunked_and_closing_answers(tmp_path: Path) -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    ]
    model = Model(lambda body: answers.pop(0))

    async def test(port: int) -> None:
        upstream = model.instance(tmp_path, port, 0).upstream
        assert (await upstream.post("/invocations", b"a", {}, 5))[2] == b"abcde"
        assert (await upstream.post("/invocations", b"b", {}, 5))[2] == b"ok"
        assert upstream._take() is None  # the closing connection was not kept

    run(model, test)
    assert model.connections == 1


def test_an_answer_broken_off_is_a_model_error(tmp_path: Path) -> None:
    partial = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
    model = Model(lambda body: partial, close_after_answer=True)

    async def test(port: int) -> None:
        upstream = model.instance(tmp_path, port, 0).upstream
        with pytest.raises(BrokenAnswer, match="broke off its answer"):
            await upstream.post("/invocations", b"x", {}, 5)
        fleets = fleets_of(model.instance(tmp_path, port, 1))
        with pytest.raises(ServiceError) as caught:
            await _score(fleets, SERVING, CALL)
        assert caught.value.code == "ModelError"
        assert "the instance broke off its answer" in caught.value.message

    run(model, test)
    assert model.requests == 2


def test_a_port_nothing_listens_on_is_not_sent(tmp_path: Path) -> None:
    async def test() -> None:
        with refusing_port() as refused, pytest.raises(NotSent):
            await instance(tmp_path, refused, 0).upstream.post("/invocations", b"", {}, 5)

    asyncio.run(test())


def test_an_instance_that_never_answers_times_out_as_a_model_error(tmp_path: Path) -> None:
    received: list[bytes] = []
    ended = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        await reader.read()  # no answer: wait until the gateway gives up and closes
        writer.close()
        await writer.wait_closed()
        ended.set()

    async def test() -> None:
        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        try:
            slow = instance(tmp_path, server.sockets[0].getsockname()[1], 0)
            fleets = fleets_of(slow)
            fleets.invoke_timeout = 0.2
            with pytest.raises(ServiceError) as caught:
                await _score(fleets, SERVING, CALL)
            assert caught.value.code == "ModelError"
            assert caught.value.message == (
                "Received server error (0) from the model: it did not answer within 0.2 seconds."
            )
            assert slow.inflight == 0
            # The timed-out connection is not kept: its late answer can never reach another call.
            assert slow.upstream._take() is None
            await asyncio.wait_for(ended.wait(), 10)
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(test())
    assert len(received) == 1
