"""Labels come from the plugins' metric declarations and travel in the descriptor, so an
aggregator reads a plugin it does not run; declarations written before labels still read."""

from __future__ import annotations

import pytest

from hub import plugin_api as api
from hub.federation.documents import Refused, check_descriptor


def test_the_descriptor_carries_service_and_metric_labels(make_app):
    app = make_app(plugins=["foodbank", "repaircafe"])
    descriptor = app.test_client().get("/.well-known/hub").json
    check_descriptor(descriptor)  # what a receiver checks, labels included
    plugins = {plugin["name"]: plugin for plugin in descriptor["plugins"]}
    assert plugins["foodbank"]["label"] == "Food bank"  # its hub_service_label
    assert plugins["repaircafe"]["label"] == "Repair café"
    metrics = {metric["name"]: metric for metric in plugins["foodbank"]["metrics"]}
    assert metrics["grams_distributed"]["label"] == "Food given out"
    assert metrics["grams_distributed"]["unit"] == "grams"  # the protocol still adds grams


class Older:
    """A third party's plugin written before labels: no hub_service_label, no label=."""

    @api.hookimpl
    def hub_metrics(self):
        return [
            api.Metric("cups", "cups", "Cups of tea served: each cup counted"),
            api.Metric("sugar_g", "grams", "", counts="quantity"),
        ]


class Careless:
    @api.hookimpl
    def hub_service_label(self):
        return "Tea\nand sympathy"  # two lines: no descriptor may carry it


def test_older_declarations_read_from_their_descriptions(make_app):
    app = make_app(
        plugins=["older", "careless"], extra_plugins={"older": Older(), "careless": Careless()}
    )
    plugins = {p["name"]: p for p in app.test_client().get("/.well-known/hub").json["plugins"]}
    assert plugins["older"]["label"] == "Older"
    assert plugins["careless"]["label"] == "Careless"
    labels = {m["name"]: m["label"] for m in plugins["older"]["metrics"]}
    assert labels == {"cups": "Cups of tea served", "sugar_g": "Sugar g"}


@pytest.mark.parametrize("label", ["Two\nlines", "x" * 121, "\u202eevil"])
def test_a_label_no_descriptor_could_carry_is_refused_at_declaration(label):
    with pytest.raises(ValueError, match="label"):
        api.Metric("cups", "cups", "Cups", label=label)


@pytest.mark.parametrize("window", ["end of period", "Period", "", "x" * 41])
def test_a_window_no_descriptor_could_carry_is_refused_at_declaration(window):
    # Found when an instance could not publish its own descriptor: refuse it where it is written.
    with pytest.raises(ValueError, match="window"):
        api.Metric("cups", "cups", "Cups", window=window)


def test_receivers_refuse_a_label_that_is_not_text(make_app):
    descriptor = make_app(plugins=["foodbank"]).test_client().get("/.well-known/hub").json
    descriptor["plugins"][0]["metrics"][0]["label"] = "a" * 121
    with pytest.raises(Refused, match="label is longer than 120 bytes"):
        check_descriptor(descriptor)
    descriptor["plugins"][0]["metrics"][0].pop("label")
    descriptor["plugins"][0]["label"] = 7
    with pytest.raises(Refused, match="label must be non-empty text"):
        check_descriptor(descriptor)
