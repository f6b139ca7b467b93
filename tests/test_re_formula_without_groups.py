"""``re_formula=None`` (brms's ``re_formula = NA``) needs no grouping column in ``newdata``:
the left-out factors' effects are weighted 0, so their levels are never read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_fit_object import SLEEP, flat, made_up_fit

import bayeszoo as bz


@pytest.fixture(scope="module")
def sleep_fit():
    return made_up_fit(SLEEP, bz.datasets.load_sleepstudy(), draws=200)


def test_population_predictions_without_the_grouping_column(sleep_fit):
    nd = pd.DataFrame({"Days": [0.0, 4.0, 9.0]})
    got = sleep_fit.posterior_epred(nd, re_formula=None)
    by_hand = flat(sleep_fit, "b_Intercept")[:, None] \
        + flat(sleep_fit, "b_Days")[:, None] * nd["Days"].to_numpy()
    np.testing.assert_allclose(got, by_hand, rtol=1e-12, atol=1e-12)
    with_column = sleep_fit.posterior_epred(nd.assign(Subject="308"), re_formula=None)
    np.testing.assert_array_equal(got, with_column)
    assert list(nd.columns) == ["Days"]  # the caller's frame is left as it was


def test_group_effects_still_need_the_column(sleep_fit):
    with pytest.raises((KeyError, ValueError), match="Subject"):
        sleep_fit.posterior_epred(pd.DataFrame({"Days": [1.0]}))
