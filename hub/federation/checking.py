"""Checking signed summaries: pure, CPU-bound work that can run in other processes.

:func:`check_summaries` parses each payload strictly, verifies its signature
against the pinned key of the origin it names, and checks its fields and its
figures against what that origin's descriptor declares. It touches no
database, so :class:`ParallelChecker` can spread large batches over the
machine's cores (a sync of a big feed is bound by Ed25519 verification).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, NamedTuple

from nacl.signing import VerifyKey

from hub.federation.documents import (
    Figures,
    Refused,
    Signed,
    check_summary,
    read_payload,
    verify,
)
from hub.federation.grammar import shown


class Rules(NamedTuple):
    """What a summary from one origin is checked against: the key pinned for it and
    the figures its descriptor declares (None: this instance's own, taken back)."""

    key: bytes
    figures: Figures | None


class Checked(NamedTuple):
    """A summary whose signature and fields passed every check.

    A named tuple rather than a dataclass: workers send thousands of them back
    to the storing process, and tuples unpickle several times faster.
    """

    origin: str
    plugin: str
    period: str
    revision: int
    metrics: dict[str, int | None]
    generated_at: str
    payload: str
    signature: str

    def info(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "plugin": self.plugin,
            "period": self.period,
            "revision": self.revision,
        }

    def row(self, source: str) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "plugin": self.plugin,
            "period": self.period,
            "revision": self.revision,
            "metrics": self.metrics,
            "payload": self.payload,
            "signature": self.signature,
            "generated_at": self.generated_at,
            "received_from": source,
        }


Result = Checked | tuple[str, dict[str, Any]]


def _info(document: dict[str, Any] | None) -> dict[str, Any]:
    if document is None:
        return {}
    return {k: document.get(k) for k in ("origin", "plugin", "period", "revision")}


def check_one(payload: str, signature: str, rules: Mapping[str, Rules]) -> Result:
    signed = Signed(payload, signature)
    document = None
    try:
        document = read_payload(signed)
        origin = document.get("origin")
        found = rules.get(origin) if isinstance(origin, str) else None
        if found is None:
            raise Refused(f"unknown origin {shown(origin)!r}: no key is pinned for it here")
        verify(signed, VerifyKey(found.key))
        check_summary(document, found.figures)
    except Refused as exc:
        return str(exc), _info(document)
    return Checked(
        origin=document["origin"],
        plugin=document["plugin"],
        period=document["period"],
        revision=document["revision"],
        metrics=document["metrics"],
        generated_at=document["generated_at"],
        payload=payload,
        signature=signature,
    )


def check_summaries(pairs: Sequence[tuple[str, str]], rules: Mapping[str, Rules]) -> list[Result]:
    """Check ``(payload, signature)`` pairs against ``rules`` (origin -> its rules)."""
    return [check_one(payload, signature, rules) for payload, signature in pairs]


def _check_chunk(job: tuple[Sequence[tuple[str, str]], Mapping[str, Rules]]) -> list[Result]:
    return check_summaries(*job)


class ParallelChecker:
    """A drop-in for :func:`check_summaries` that uses every core for big batches.

    Small batches are checked in this process: starting workers costs more
    than it saves. Workers are started lazily and kept until :meth:`close`.
    :meth:`prefetch` starts on the next batch while the caller stores this one,
    so verification and database writes overlap.
    """

    def __init__(self, workers: int | None = None, threshold: int = 400) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.threshold = threshold
        self._pool: ProcessPoolExecutor | None = None
        self._ahead: tuple[list[tuple[str, str]], dict[str, Rules], list[Future[Any]]] | None = None

    def _parallel(self, pairs: Sequence[tuple[str, str]]) -> bool:
        return self.workers >= 2 and len(pairs) >= self.threshold

    def _submit(
        self, pairs: Sequence[tuple[str, str]], rules: Mapping[str, Rules]
    ) -> list[Future[Any]]:
        if self._pool is None:
            # spawn, not fork: the parent holds database connections and threads.
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        size = -(-len(pairs) // (self.workers * 2))
        return [
            self._pool.submit(_check_chunk, (pairs[i : i + size], rules))
            for i in range(0, len(pairs), size)
        ]

    def prefetch(self, pairs: Sequence[tuple[str, str]], rules: Mapping[str, Rules]) -> None:
        """Start checking a batch that the next call will (probably) ask for."""
        if self._parallel(pairs):
            self._ahead = (list(pairs), dict(rules), self._submit(pairs, rules))

    def __call__(
        self, pairs: Sequence[tuple[str, str]], rules: Mapping[str, Rules]
    ) -> list[Result]:
        ahead = self._ahead
        if ahead is not None and ahead[0] == list(pairs) and ahead[1] == rules:
            self._ahead = None
            futures = ahead[2]
        elif self._parallel(pairs):
            futures = self._submit(pairs, rules)
        else:
            return check_summaries(pairs, rules)
        return [result for future in futures for result in future.result()]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
