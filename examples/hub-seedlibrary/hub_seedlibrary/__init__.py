"""A seed library for Community Hub: the worked example of docs/plugins.md."""
