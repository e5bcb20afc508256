"""The hook reference stays honest: every hook documented and fully annotated."""

from __future__ import annotations

import inspect

from hub import hookspecs


def hooks():
    return {
        name: function
        for name, function in vars(hookspecs).items()
        if name.startswith("hub_") and callable(function)
    }


def test_every_hook_is_documented_and_annotated():
    found = hooks()
    assert len(found) >= 15
    for name, function in found.items():
        doc = inspect.getdoc(function) or ""
        assert len(doc.split()) >= 20, f"{name}: the docstring is the reference; say more"
        signature = inspect.signature(function)
        assert signature.return_annotation is not inspect.Signature.empty, name
        for parameter in signature.parameters.values():
            assert parameter.annotation is not inspect.Parameter.empty, (name, parameter.name)
            # Every argument is described, as pytest's hookspecs do.
            assert f"- ``{parameter.name}``:" in doc, f"{name}: describe ``{parameter.name}``"


def test_every_hook_declares_its_failure_policy():
    for name, function in hooks().items():
        policy = getattr(function, "hub_policy", None)
        assert policy in hookspecs.POLICIES, f"{name} has no failure policy"
        assert hookspecs.policy_of(name) == policy
    assert hookspecs.policy_of("hub_not_a_hook") is None
    startup = {name for name, function in hooks().items() if function.hub_policy == "startup"}
    assert startup == {
        "hub_models",
        "hub_settings",
        "hub_translations",
        "hub_blueprints",
        "hub_permissions",
        "hub_cli_commands",
    }


def test_the_test_plugin_exercises_most_of_the_contract(visits_app):
    """The third-party test plugin implements every hook but the dashboard
    panel (whose robust handling has its own test) and the deprecated per-period
    metrics hook (tested in test_compatibility.py)."""
    record = visits_app.extensions["hub.plugins"].records["testvisits"]
    assert set(hooks()) - set(record.hooks) == {"hub_dashboard_panels", "hub_compute_metrics"}
