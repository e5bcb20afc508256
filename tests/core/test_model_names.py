"""Plugins name their models as they like: two plugins' ``Member`` classes (the tool
library's and the time bank's) share the one registry without making either ambiguous."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points

from sqlalchemy.orm import RelationshipProperty, configure_mappers

from hub.db import Model


def test_a_relationship_names_the_class_of_its_own_module():
    for plugin in entry_points(group="hub.plugins"):
        importlib.import_module(plugin.module.rsplit(".", 1)[0] + ".models")
    configure_mappers()
    names = [mapper.class_.__name__ for mapper in Model.registry.mappers]
    assert names.count("Member") >= 2, "the case this guards against needs two plugins' Member"
    for mapper in Model.registry.mappers:
        module = sys.modules[mapper.class_.__module__]
        for prop in mapper.relationships:
            assert isinstance(prop, RelationshipProperty)
            name = prop.mapper.class_.__name__
            if isinstance(getattr(module, name, None), type):
                assert prop.mapper.class_ is getattr(module, name), (mapper, prop.key)
