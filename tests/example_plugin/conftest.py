"""Fixtures for the tests of the plugin shape: the skeleton ``hub plugin new`` writes,
installed for one test as pip would install it (see :func:`hub.testing.install_plugin`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
