"""How many gunicorn workers ``hub serve`` runs: from the cores and the memory it may use."""

from __future__ import annotations

import pytest

from hub import server


@pytest.mark.parametrize(
    ("cores", "memory_mb", "workers"),
    [
        (2, 700, 3),  # a 1 GB VPS with PostgreSQL beside it: memory decides
        (2, 4000, 4),  # two per core
        (16, 64000, 8),  # never more than eight
        (1, 300, 1),  # always at least one
        (4, None, 8),  # memory unknown: cores decide
    ],
)
def test_workers_follow_cores_and_memory(cores, memory_mb, workers):
    sizing = server.size_workers(cores=cores, memory_mb=memory_mb)
    assert sizing.workers == workers
    assert f"gunicorn: {workers} workers" in sizing.explain()
    assert f"from {cores} cores" in sizing.explain()


def test_the_admins_choice_wins_and_is_said_so():
    sizing = server.size_workers(5, cores=1, memory_mb=200)
    assert sizing.workers == 5 and sizing.explain() == "gunicorn: 5 workers, as asked"


def test_this_machine_is_read():
    sizing = server.size_workers()
    assert 1 <= sizing.workers <= server.MAX_WORKERS and sizing.cores >= 1
    assert sizing.memory_mb is None or sizing.memory_mb > 0
