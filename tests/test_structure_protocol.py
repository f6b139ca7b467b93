"""Every block structure subclasses one base and is registered once; what callers used to probe
for (``can_center``, ``predictive_coefficients``, a network's own contribution, the names of a
level's coefficients) every structure now answers."""

from __future__ import annotations

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY
from bayeszoo.structures import (
    IID,
    STRUCTURES,
    CategorySpecific,
    ExactGp,
    HilbertSpaceGp,
    Iid,
    Monotonic,
    MultiPenalty,
    Network,
    Structure,
    Unstructured,
)
from bayeszoo.structures.network import block_contribution


def test_every_structure_is_registered_by_its_kind():
    assert STRUCTURES == {"iid": Iid, "multipenalty": MultiPenalty,
                          "unstructured": Unstructured, "hsgp": HilbertSpaceGp,
                          "exact_gp": ExactGp, "network": Network, "monotonic": Monotonic,
                          "category_specific": CategorySpecific}
    assert all(issubclass(cls, Structure) for cls in STRUCTURES.values())


def test_a_structure_must_give_z_shape_and_coefficients():
    class NoCoefficients(Structure):
        kind = "broken"

        def z_shape(self, block):
            return (1,)

    with pytest.raises(TypeError, match="coefficients"):
        NoCoefficients()


def test_the_base_answers_what_callers_probed_for():
    net = Network(in_features=1, hidden=(2,))
    gp = ExactGp(points=np.zeros((2, 1)), new_points=np.zeros((0, 1)))
    assert [IID.can_center, net.can_center, gp.can_center] == [True, False, False]
    assert [IID.draws_predictive_coefficients, gp.draws_predictive_coefficients] == [False, True]
    assert [IID.computes_contribution, net.computes_contribution] == [False, True]
    coef = np.arange(6.0).reshape(2, 3)
    assert IID.predictive_coefficients([np.ones(2)], coef, np.random.default_rng(0)) is coef
    assert block_contribution(IID, coef, NUMPY) is coef
    with pytest.raises(ValueError, match="network block cannot be sampled centered"):
        net.centered_scale([np.ones(1)], NUMPY)
    with pytest.raises(ValueError, match="iid block contributes Z·r"):
        IID.contribution(coef, np.ones((4, 3)), NUMPY)


def test_level_coefficients_name_each_levels_coefficients():
    import pandas as pd

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"y": rng.normal(size=40), "x": rng.normal(size=40),
                       "g": np.repeat(list("abcd"), 10), "h": np.tile(list("uv"), 20)})
    d = bz.design("y ~ x + (1 + x | g) + (1 | h)", df)
    assert [b.structure.level_coefficients(b) for b in d.blocks] == [("Intercept", "x"),
                                                                     ("Intercept",)]


def test_the_centered_parameterization_refuses_a_structure_without_it():
    import pandas as pd

    rng = np.random.default_rng(1)
    df = pd.DataFrame({"y": rng.normal(size=30), "x": rng.uniform(size=30)})
    with pytest.raises(ValueError, match="centered parameterization.*is hsgp"):
        bz.sample("y ~ gp(x, k=5, c=5/4)", df, parameterization="centered", chains=1, draws=5,
                  tune=5, progress=False)
