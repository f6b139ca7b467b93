"""design.linear_predictor over chains × draws of NumPy coefficients: one matrix product over
all draws gives what the per-draw products give, with an offset and a group block."""

import numpy as np
import pandas as pd

from bayeszoo.design import design_arrays, linear_predictor
from bayeszoo.formula import design


def test_eta_over_draws_equals_each_draws_product():
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n),
                       "g": rng.integers(0, 5, n).astype(str)})
    d = design("y ~ x + (1 | g)", df)
    arrays = design_arrays(d)
    p = arrays.X.shape[1]
    beta = rng.normal(size=(3, 7, p))
    r = rng.normal(size=(3, 7, 5))
    eta = linear_predictor(arrays, beta, [r])
    assert eta.shape == (3, 7, n)
    for c in range(3):
        for k in range(7):
            np.testing.assert_allclose(eta[c, k], linear_predictor(arrays, beta[c, k], [r[c, k]]),
                                       rtol=1e-12)


def test_eta_over_draws_without_fixed_columns():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"y": rng.normal(size=12), "g": rng.integers(0, 3, 12).astype(str)})
    arrays = design_arrays(design("y ~ 0 + (1 | g)", df))
    assert arrays.X.shape == (12, 0)
    r = rng.normal(size=(2, 4, 3))
    eta = linear_predictor(arrays, np.zeros((2, 4, 0)), [r])
    assert eta.shape == (2, 4, 12)
    np.testing.assert_allclose(eta[1, 2], linear_predictor(arrays, np.zeros(0), [r[1, 2]]))
