"""Which effects the zoo gallery draws for a model (``docs/sitegen/gallery_figures.py``):
brms's default effects, else the covariates of a network's curve, else the variables of a
categorical model's per-category predictors, else none (then the partial pooling where the
model has a grouping factor)."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "sitegen"))

from gallery_figures import effects_of  # noqa: E402

import bayeszoo as bz  # noqa: E402
from bayeszoo import zoo  # noqa: E402


@pytest.mark.parametrize(("name", "effects"), [
    ("mcycle_cr20", ["times"]),
    ("mcycle_bnn", ["times"]),
    ("mcycle_bnn_distributional", ["times"]),
    ("housing_categorical", ["Infl", "Type", "Cont"]),
    ("inhaler_cumulative", ["treat", "period", "carry"]),
    ("radon_intercept", []),
    ("lakehuron_ar1", []),
])
def test_the_effects_drawn_for_each_kind_of_model(name, effects):
    entry = zoo.get(name)
    design = bz.design(entry.formula, entry.load_data(), family=entry.family_object(),
                       knots=entry.knots)
    assert effects_of(design) == effects
