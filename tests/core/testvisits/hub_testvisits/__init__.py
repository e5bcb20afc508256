"""A small third-party plugin for the core's tests: visits by people from the registry.

It is installed the way pip would leave it (a ``.dist-info`` folder with an
entry point on ``hub.plugins``) and imports nothing of the hub but
``hub.plugin_api``, so it exercises exactly what a real plugin can do.
"""
