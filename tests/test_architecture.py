"""The layout the import contracts rely on: every module of a feature package other than its service is
protected by .importlinter, so a new module cannot slip past the rule."""
import configparser
import importlib
import pkgutil

import pytest

from costing import ROOT

FEATURES = ("budgets", "rosters", "parameters", "accounts")


@pytest.mark.parametrize("feature", FEATURES)
def test_every_module_of_a_feature_but_its_service_is_protected(feature):
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    protected = set(config[f"importlinter:contract:{feature}"]["protected_modules"].split())
    package = importlib.import_module(f"costing.{feature}")
    modules = {f"costing.{feature}.{m.name}" for m in pkgutil.iter_modules(package.__path__)}
    assert f"costing.{feature}.service" in modules
    assert protected == modules - {f"costing.{feature}.service"}
