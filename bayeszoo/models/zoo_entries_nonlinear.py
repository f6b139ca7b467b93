"""The zoo's entries with non-linear formulas (:mod:`bayeszoo.formula.nonlinear`): the loss
triangle of brms's non-linear vignette.

:mod:`bayeszoo.models.zoo` lists them after the other entry modules. REML fits none of them
(it needs a predictor linear in its coefficients).
"""

from __future__ import annotations

from bayeszoo.formula.bf import bf

from .zoo_entry import ZooEntry

#: The entries, in the zoo's order.
ENTRIES: list[ZooEntry] = [
    ZooEntry(
        name="loss_nonlinear",
        dataset="loss",
        formula=bf("cum ~ ult * (1 - exp(-(dev / theta)^omega))", ult="~ 1 + (1 | AY)",
                   omega="~ 1", theta="~ 1", nl=True),
        sampler={"target_accept": 0.9,
                 "priors": {"b_ult": "normal(5000, 1000)", "b_omega": "normal(1, 2)",
                            "b_theta": "normal(45, 10)"}},
        description="The loss triangle: cumulative insurance payments of ten accident years "
        "growing towards an ultimate loss along a Weibull-shaped curve of the development "
        "month, ult * (1 - exp(-(dev / theta)^omega)), with the ultimate loss varying by "
        "accident year (brms's non-linear vignette: nl = TRUE, its priors and adapt_delta = "
        "0.9).",
        question="What will each accident year's payments finally total, and how fast do "
        "claims develop towards that ultimate loss?",
        group="AY",
    ),
]
