"""Skillshare: a Community Hub plugin (its hooks are in :mod:`hub_skillshare.plugin`)."""
