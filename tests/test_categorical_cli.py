"""``bayeszoo fit --family categorical`` on the bundled housing table: brms's names in the JSON
line and the brms posterior means of the weighted model within Monte Carlo reach."""

import json

import pytest
from conftest import FIXTURES, run_cli

pytestmark = pytest.mark.slow


def test_cli_fits_the_weighted_categorical_model():
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())["housing_categorical_weights"]
    res = run_cli("fit", "--formula", "Sat | weights(Freq) ~ Infl + Type + Cont", "--data",
                  "housing", "--family", "categorical", "--chains", "2", "--draws", "300",
                  "--tune", "300", "--seed", "1", "-q")
    head = json.loads(res.stdout.strip().splitlines()[-1])
    assert head["family"] == "categorical (logit link)" and head["rows"] == 72
    assert set(ref["posterior"]) <= set(head["means"])
    for par, r in ref["posterior"].items():
        assert head["means"][par] == pytest.approx(r["mean"], abs=0.3 * r["sd"]), par
