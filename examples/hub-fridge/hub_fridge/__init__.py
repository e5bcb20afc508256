"""A community fridge: the worked example of docs/plugins.md."""
