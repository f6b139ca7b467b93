"""Beta-family draws stay inside ``0 < y < 1`` (small shapes round to 0 or 1 in double
precision otherwise), so the family accepts its own simulated responses."""

import numpy as np

from bayeszoo.families import get
from bayeszoo.families.ops import NUMPY


def test_small_shapes_draw_inside_the_open_interval():
    rng = np.random.default_rng(0)
    raw = np.random.default_rng(0).beta(np.full(20000, 1e-3), np.full(20000, 1e-3))
    assert ((raw == 0) | (raw == 1)).any()  # what the clipping is for
    for name, aux in (("beta", {"phi": np.full(20000, 2e-3)}),
                      ("zero_inflated_beta", {"phi": np.full(20000, 2e-3),
                                               "zi": np.full(20000, 0.2)})):
        fam = get(name)
        y = fam.draw(rng, np.zeros(20000), aux)
        inside = y[y != 0] if name == "zero_inflated_beta" else y
        assert inside.min() > 0 and inside.max() < 1
        assert np.isfinite(fam.log_prob(NUMPY, y, np.zeros(20000), aux, {})).all()
        fam.check_values(y, "y", None)
