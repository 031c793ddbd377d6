"""A loopback TCP forwarder to stand between the service and its database, for tests that
take the database away and bring it back.

``TcpProxy(host, port)`` picks a loopback port of its own and keeps it: ``start()`` listens
and forwards every connection to ``host:port``; ``stop()`` stops listening (a new connection
is refused, as by a database that is down) and cuts every open connection; ``drop()`` cuts
every open connection but keeps listening (a network blip, a failover). It runs its own event
loop in a thread, so synchronous and asynchronous tests can both drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from tests.live import free_port

T = TypeVar("T")


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        #: Connections forwarded since the proxy was made.
        self.connections = 0

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(10)

    @property
    def listening(self) -> bool:
        return self._server is not None

    def start(self) -> TcpProxy:
        self._call(self._start())
        return self

    def stop(self) -> None:
        self._call(self._stop())

    def drop(self) -> None:
        self._call(self._drop())

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def _start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        await self._drop()
        if server is not None:
            await server.wait_closed()

    async def _drop(self) -> None:
        writers, self._writers = set(self._writers), set()
        for writer in writers:
            # An abort sends a reset: the peer learns at once, as when a server process dies.
            writer.transport.abort()

    async def _forward(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        try:
            server_reader, server = await asyncio.open_connection(*self.target)
        except OSError:
            client.transport.abort()
            return
        self.connections += 1
        self._writers.update((client, server))

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                writer.transport.abort()

        await asyncio.gather(pipe(client_reader, server), pipe(server_reader, client))
        for writer in (client, server):
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()
