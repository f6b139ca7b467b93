"""The zoo's entries with ordinal, censored and serial data: ordinal ratings (inhaler), an
unordered choice (housing satisfaction, categorical), censored survival times (kidney), a
monotonic effect (cbpp) and an autoregressive series (LakeHuron).

:mod:`bayeszoo.models.zoo` lists them after :data:`bayeszoo.models.zoo_entries.ENTRIES`.
REML fits none of the ordinal, categorical, censored or monotonic models (mgcv's ``ocat`` is a
cumulative logit, but an entry has one family), so only the smooth of LakeHuron has a REML
twin.
"""

from __future__ import annotations

from .zoo_entry import ZooEntry

#: The entries, in the zoo's order.
ENTRIES: list[ZooEntry] = [
    ZooEntry(
        name="inhaler_cumulative",
        dataset="inhaler",
        formula="rating ~ treat + period + carry + (1 | subject)",
        family="cumulative",
        description="The crossover trial's ordinal rating (1 to 4) as a cumulative logit model: "
        "one latent logistic scale cut by three thresholds, with a random intercept per "
        "subject (brms: family = cumulative).",
        question="Does the new inhaler shift the patients' ratings towards 'clear', beyond the "
        "period and carry-over effects of a crossover design?",
        group="subject",
    ),
    ZooEntry(
        name="inhaler_sratio",
        dataset="inhaler",
        formula="rating ~ treat + period + carry + (1 | subject)",
        family="sratio",
        description="The same rating as a stopping-ratio (sequential) model: each category is "
        "reached by passing the ones before it, one logit per step (brms: family = sratio).",
        question="Is the rating better read as a sequence of steps than as a cut latent scale: "
        "does the stopping-ratio model beat the cumulative one by LOO?",
        group="subject",
    ),
    ZooEntry(
        name="housing_categorical",
        dataset="housing",
        formula="Sat | weights(Freq) ~ Infl + Type + Cont",
        family="categorical",
        description="Copenhagen residents' satisfaction (Low, Medium, High) as a multinomial "
        "logit on the frequency table: Low the reference, one linear predictor each for Medium "
        "and High (b_muMedium_*, b_muHigh_*), each row weighted by its count "
        "(brms: Sat | weights(Freq) ~ ..., family = categorical).",
        question="How do the residents' influence on management, the type of housing and "
        "their contact with other residents move satisfaction away from Low, and do they move "
        "Medium and High alike?",
    ),
    ZooEntry(
        name="kidney_weibull_cens",
        dataset="kidney",
        formula="time | cens(censored) ~ age + sex + disease + (1 | patient)",
        family="weibull",
        sampler={"target_accept": 0.95},
        description="Recurrence times of kidney infection, right-censored where the catheter "
        "was removed, with a Weibull response and a frailty (random intercept) per patient "
        "(brms: time | cens(censored) ~ ..., family = weibull).",
        question="Do sex and the kind of kidney disease change how soon an infection recurs, "
        "once the censored times and the patients' frailty are accounted for?",
        group="patient",
    ),
    ZooEntry(
        name="kidney_lognormal_cens",
        dataset="kidney",
        formula="time | cens(censored) ~ age + sex",
        family="lognormal",
        description="The censored recurrence times with a lognormal response, age and sex "
        "only, and no frailty (brms: family = lognormal).",
        question="How much does a lognormal model without the disease and the patient frailty "
        "lose by LOO against the Weibull frailty model?",
    ),
    ZooEntry(
        name="cbpp_monotonic",
        dataset="cbpp",
        formula="incidence | trials(size) ~ mo(period) + (1 | herd)",
        family="binomial",
        description="Contagious bovine pleuropneumonia incidence with the four periods as a "
        "monotonic effect: one total change split over the steps by a simplex "
        "(brms: mo(period)), and a random intercept per herd.",
        question="Does incidence fall steadily over the periods, and which steps carry the "
        "fall, compared with a free effect per period (cbpp_binomial)?",
        group="herd",
    ),
    ZooEntry(
        name="lakehuron_ar1",
        dataset="lakehuron",
        formula="level ~ 1 + ar(time = year, p = 1)",
        description="The level of Lake Huron, 1875 to 1972, as a constant mean with AR(1) "
        "errors (brms: ar(time = year, p = 1)).",
        question="How persistent are the lake's deviations from its mean from one year to the "
        "next, and does an AR(1) beat a smooth trend of time by LOO?",
    ),
    ZooEntry(
        name="lakehuron_smooth",
        dataset="lakehuron",
        formula="level ~ s(year, k = 20)",
        reml_formula="level ~ s(year, k = 20)",
        sampler={"target_accept": 0.95},
        description="The level of Lake Huron as a thin-plate smooth of the year with "
        "independent errors (mgcv: s(year, k = 20)).",
        question="Is the lake's wandering level a smooth trend in time rather than "
        "autocorrelated noise about a constant mean?",
        smooth="year",
    ),
]
