"""Talking to peers over HTTP, defensively.

Every request has a connect and read time-out and an overall deadline (a peer
that drips bytes cannot hold a sync), a size limit on the answer, and a few
retries with exponential back-off for failures that may pass (connection
errors, time-outs, 5xx, 429). Redirects are not followed. Peer addresses are
resolved once, checked, and connected to by that address, so a peer URL
cannot be used to reach loopback, private or link-local services unless the
admin sets ``FEDERATION_ALLOW_PRIVATE``.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from hub import __version__
from hub.federation.documents import parse_json
from hub.federation.grammar import Refused, instance_id, shown

USER_AGENT = f"community-hub/{__version__} (hub-federation/1)"
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class PeerError(Exception):
    """A peer could not be reached or answered badly; ``str()`` is one line for the admin."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


def normalise_url(url: str) -> str:
    """A peer's base URL as its id: ``scheme://host[:port]`` (docs/federation.md §1),
    lower case and without the scheme's default port, or ValueError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{url!r}: give the instance's base URL, with no path, query or login")
    netloc = parts.netloc.lower().removesuffix(":443" if parts.scheme == "https" else ":80")
    if netloc.startswith("["):  # an IPv6 address, as an operator may write it: its shortest form
        literal, _, port = netloc[1:].partition("]")
        try:
            netloc = f"[{ipaddress.IPv6Address(literal).compressed}]{port}"
        except ValueError:
            raise ValueError(f"{url!r} has a malformed IPv6 address") from None
    try:
        return instance_id(urlunsplit((parts.scheme, netloc, "", "", "")), "the URL")
    except Refused as exc:
        raise ValueError(str(exc)) from None


NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo's client,
    the old IPv4-compatible form): a way to reach 10.0.0.1 by another name."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(address.packed[-4:])
    return None


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if address.is_site_local or (embedded is not None and _forbidden(embedded)):
            return True
        if embedded is not None and address.ipv4_mapped is not None:
            return False  # ::ffff:a.b.c.d is that public IPv4 address itself
    return not address.is_global or address.is_multicast


def resolve(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to for ``host``; refuses internal ones unless allowed.

    Every address the name resolves to is checked (a name that also points
    inside is refused), and the request then goes to the checked address, so a
    second, different DNS answer cannot redirect it.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise PeerError(f"cannot resolve {host}: {exc.strerror}", retry=True) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise PeerError(f"cannot resolve {host}")
    if not allow_private:
        internal = [str(a) for a in addresses if _forbidden(a)]
        if internal:
            raise PeerError(
                f"{host} resolves to an internal address ({', '.join(internal)}); "
                "set FEDERATION_ALLOW_PRIVATE = true to allow it"
            )
    return str(addresses[0])


@dataclass
class Traffic:
    """Requests made and bytes moved, for status and the benchmark: HTTP/1.1 as it
    goes over the connection (request and status lines, headers, bodies as sent,
    compressed or not), before TLS; the framing of a chunked body is not counted."""

    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0


class Client:
    """An HTTP client for federation requests; one per command run."""

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_bytes = max_bytes
        self.traffic = Traffic()
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment could bypass the address check
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", url, params=params)

    def post(self, url: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
        return self.request(
            "POST",
            url,
            content=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request, retrying what may pass; return the parsed JSON answer."""
        attempt = 0
        while True:
            try:
                return self._once(method, url, **kwargs)
            except PeerError as exc:
                if not exc.retry or attempt >= self.retries:
                    raise
            time.sleep(self.backoff * 2**attempt)
            attempt += 1

    def _once(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PeerError(f"{url!r} is not an http(s) URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(parts.hostname, port, self.allow_private)
        host_in_url = f"[{address}]" if ":" in address else address
        target = urlunsplit((parts.scheme, f"{host_in_url}:{port}", parts.path, parts.query, ""))
        request_headers = {"Host": parts.netloc, **(headers or {})}
        # TLS still checks the certificate against the name, not the address.
        extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
        deadline = time.monotonic() + self.timeout * 3
        request = self._http.build_request(
            method,
            target,
            params=params,
            content=content,
            headers=request_headers,
            extensions=extensions,
        )
        self.traffic.requests += 1
        try:
            response = self._http.send(request, stream=True)
            self.traffic.bytes_sent += _request_bytes(request)
            try:
                body = self._read_limited(response, deadline)
            finally:
                response.close()
                self.traffic.bytes_received += _response_bytes(response)
        except httpx.TimeoutException:
            raise PeerError(f"{parts.netloc} timed out", retry=True) from None
        except httpx.TransportError as exc:
            raise PeerError(f"{parts.netloc} unreachable: {exc}", retry=True) from None
        return self._decode(parts.netloc, response.status_code, body)

    def _read_limited(self, response: httpx.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise PeerError(f"answer of {declared} bytes is over the {self.max_bytes}-byte limit")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise PeerError(f"answer is over the {self.max_bytes}-byte limit")
            if time.monotonic() > deadline:
                raise PeerError("answer too slow: overall deadline passed", retry=True)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _decode(where: str, status: int, body: bytes) -> Any:
        # By the protocol's rules; a breach inside one item of a feed page marks
        # that item (refused on its own), not the page.
        try:
            data = parse_json(body, "the answer", container=True) if body else None
        except Refused:
            data = None
            if status < 400:
                raise PeerError(
                    f"{where} answered {status} with something that is not JSON"
                ) from None
        if status >= 500 or status == 429:
            raise PeerError(f"{where} answered {status}", retry=True)
        if status >= 300:
            detail = data.get("error") if isinstance(data, dict) else None
            # The peer's words go into the log and the peer's row: printable, bounded.
            raise PeerError(f"{where} answered {status}" + (f": {shown(detail)}" if detail else ""))
        return data


def _header_bytes(headers: httpx.Headers) -> int:
    """A ``Name: value`` line (CRLF-ended) for each header, and the blank line after."""
    return sum(len(name) + len(value) + 4 for name, value in headers.raw) + 2


def _request_bytes(request: httpx.Request) -> int:
    line = len(request.method) + len(request.url.raw_path) + len(" HTTP/1.1\r\n") + 1
    return line + _header_bytes(request.headers) + len(request.content)


def _response_bytes(response: httpx.Response) -> int:
    line = f"{response.http_version} {response.status_code} {response.reason_phrase}\r\n"
    return len(line) + _header_bytes(response.headers) + response.num_bytes_downloaded
