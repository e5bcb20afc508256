"""The federation client counts what goes over the connection, not only bodies: a
no-change round is mostly request lines and headers, and a benchmark or a status
that counted bodies alone would call it almost free."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from hub.federation.net import Client


class CountingServer:
    """An HTTP/1.1 server on a raw socket, counting every byte it reads and writes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.read = self.written = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                self._answer_each(connection)

    def _answer_each(self, connection: socket.socket) -> None:
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                pending += chunk
            head, _, pending = pending.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            while len(pending) < length:
                pending += connection.recv(65536)
            body, pending = pending[:length], pending[length:]
            self.read += len(head) + 4 + len(body)
            answer = json.dumps({"items": [], "next": "", "more": False, "echo": len(body)})
            reply = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(answer)}\r\nX-Padding: {'p' * 300}\r\n\r\n{answer}"
            ).encode()
            connection.sendall(reply)
            self.written += len(reply)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    made = CountingServer()
    yield made
    made.close()


def test_traffic_counts_request_and_status_lines_headers_and_bodies(server):
    with Client(allow_private=True) as client:
        client.get(f"{server.url}/federation/v1/summaries", params={"since": "41", "limit": 500})
        client.post(f"{server.url}/federation/v1/summaries", b'{"items": []}', {"X-Hub": "1"})
        client.get(f"{server.url}/.well-known/hub")
    assert client.traffic.requests == 3
    assert client.traffic.bytes_sent == server.read
    assert client.traffic.bytes_received == server.written
    # Headers, not bodies, are most of a round that moves nothing.
    assert client.traffic.bytes_received > 3 * 300
