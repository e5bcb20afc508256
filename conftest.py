"""Fixtures for every test in the repository, the core's and the plugins'."""

pytest_plugins = ["hub.testing"]
