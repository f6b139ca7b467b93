"""The zoo: named models, each a dataset, a formula and the question it answers.

Pure data plus :func:`describe`; nothing here samples or fits. :func:`bayeszoo.fit` joins an
entry with a sampler and :func:`bayeszoo.reml` fits an entry's ``reml_formula`` (its REML twin:
the same Gaussian model, estimated by mgcv-equivalent restricted maximum likelihood).

>>> from bayeszoo import zoo
>>> zoo.names()[:3]
['radon_pooled', 'radon_unpooled', 'radon_intercept']
>>> zoo.get("radon_intercept").formula
'log_radon ~ 1 + (1 | county)'
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bayeszoo.formula.bf import BrmsFormula, bf

#: Sampler options every entry starts from (``bz.fit`` lets the caller override each one).
DEFAULT_SAMPLER: MappingProxyType = MappingProxyType(
    {"chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.8}
)


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo.

    * ``dataset``: a key of :data:`bayeszoo.datasets.DATASETS` (``"radon"``, ``"radon_full"``,
      ``"mcycle"``); :meth:`load_data` calls its loader.
    * ``formula``: what :func:`bayeszoo.sample` fits (a string, or :func:`bayeszoo.bf` with
      formulas for auxiliary parameters); ``family``: its response family (a name of
      :mod:`bayeszoo.families`, with ``link`` when not the default).
    * ``reml_formula``: the formula :func:`bayeszoo.reml` fits as the same model's REML twin, or
      ``None`` when there is none.
    * ``parameterization``: ``"noncentered"`` (default) or ``"centered"``.
    * ``sampler``: default sampler options (chains, draws, tune, target_accept, ...).
    * ``group``: for grouped models the grouping factor whose partial pooling the report shows.
    * ``smooth``: for smooth models the covariate of the smooth the report draws.
    """

    name: str
    dataset: str
    formula: str | BrmsFormula
    description: str
    question: str
    reml_formula: str | None = None
    family: str = "gaussian"
    link: str | None = None
    parameterization: str = "noncentered"
    sampler: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    smooth: str | None = None

    @property
    def sampler_options(self) -> dict[str, Any]:
        """:data:`DEFAULT_SAMPLER` updated with this entry's own options."""
        return {**DEFAULT_SAMPLER, **self.sampler}

    def family_object(self):
        """The entry's family as an object of :mod:`bayeszoo.families`."""
        from bayeszoo import families

        return families.get(self.family) if self.link is None \
            else families.get(self.family, link=self.link)

    def load_data(self):
        """The entry's dataset as a DataFrame."""
        from bayeszoo.datasets import DATASETS

        return DATASETS[self.dataset]["loader"]()


_ENTRIES: list[ZooEntry] = [
    ZooEntry(
        name="radon_pooled",
        dataset="radon",
        formula="log_radon ~ 1",
        reml_formula="log_radon ~ 1",
        description="Complete pooling: one mean log radon level for every Minnesota home.",
        question="How well does a single state-wide mean predict a home's radon level?",
    ),
    ZooEntry(
        name="radon_unpooled",
        dataset="radon",
        formula="log_radon ~ 0 + county",
        reml_formula="log_radon ~ 0 + county",
        description="No pooling: each of the 85 counties gets its own mean, estimated "
        "independently (county as a fixed factor, flat priors).",
        question="What do the counties look like when none borrows strength from the others, "
        "and how badly do counties with one or two homes overfit?",
        group="county",
    ),
    ZooEntry(
        name="radon_intercept",
        dataset="radon",
        formula="log_radon ~ 1 + (1 | county)",
        reml_formula="log_radon ~ 1 + (1 | county)",
        description="Partial pooling: county intercepts drawn from a common normal distribution "
        "whose sd is learned (non-centered).",
        question="How much do counties differ, and how far are small counties shrunk "
        "towards the state mean?",
        group="county",
    ),
    ZooEntry(
        name="radon_intercept_centered",
        dataset="radon",
        formula="log_radon ~ 1 + (1 | county)",
        reml_formula="log_radon ~ 1 + (1 | county)",
        parameterization="centered",
        description="The same partial-pooling model in the centered parameterization "
        "(r_county ~ Normal(0, sd) sampled directly).",
        question="Does the centered form's funnel show up as divergences and low ESS for "
        "sd_county, where the non-centered form samples cleanly?",
        group="county",
    ),
    ZooEntry(
        name="radon_re_smooth",
        dataset="radon",
        formula='log_radon ~ 1 + s(county, bs="re")',
        reml_formula='log_radon ~ 1 + s(county, bs="re")',
        description="The random intercept written as mgcv's random-effect smooth "
        "s(county, bs='re'): the same design, the same model as radon_intercept.",
        question="Is a random intercept the same thing as a penalized smooth? "
        "(Same design, same posterior, same LOO.)",
        group="county",
    ),
    ZooEntry(
        name="radon_floor",
        dataset="radon",
        formula="log_radon ~ floor + (1 | county)",
        reml_formula="log_radon ~ floor + (1 | county)",
        description="Partial pooling plus a house-level predictor: measured on the first floor "
        "(1) or in the basement (0).",
        question="How much lower is radon measured on the first floor, once counties are "
        "accounted for?",
        group="county",
    ),
    ZooEntry(
        name="radon_uranium",
        dataset="radon",
        formula="log_radon ~ floor + log_uranium + (1 | county)",
        reml_formula="log_radon ~ floor + log_uranium + (1 | county)",
        description="Adds the county-level soil uranium measurement as a group-level predictor.",
        question="How much of the between-county variation does soil uranium explain "
        "(compare sd_county with radon_floor)?",
        group="county",
    ),
    ZooEntry(
        name="radon_states",
        dataset="radon_full",
        formula="log_radon ~ floor + (1 | state) + (1 | state:county)",
        reml_formula="log_radon ~ floor + (1 | state) + (1 | state:county)",
        description="The full 8-state EPA survey (12,777 homes): counties nested in states.",
        question="How does the variation between states compare with the variation between "
        "counties within a state?",
        sampler={"chains": 2, "draws": 500, "tune": 500},
        group="state:county",
    ),
    ZooEntry(
        name="mcycle_cr20",
        dataset="mcycle",
        formula='accel ~ 1 + s(times, bs="cr", k=20)',
        reml_formula='accel ~ 1 + s(times, bs="cr", k=20)',
        description="Head acceleration after a simulated motorcycle crash, a penalized cubic "
        "regression spline with 20 knots (brms: accel ~ s(times, bs = 'cr', k = 20)).",
        question="What is the shape of the acceleration curve, with the wiggliness chosen "
        "by the data?",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_cr50",
        dataset="mcycle",
        formula='accel ~ 1 + s(times, bs="cr", k=50)',
        reml_formula='accel ~ 1 + s(times, bs="cr", k=50)',
        description="The same spline with 50 knots.",
        question="Does a richer basis change the fit once the penalty is learned? "
        "(It should barely: edf and LOO stay put.)",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_cr20_fx",
        dataset="mcycle",
        formula='accel ~ 1 + s(times, bs="cr", k=20, fx=TRUE)',
        reml_formula='accel ~ 1 + s(times, bs="cr", k=20, fx=TRUE)',
        description="The 20-knot basis unpenalized (fx=TRUE): plain regression on 19 basis "
        "columns plus the intercept.",
        question="What does the penalty buy? Compare p_loo (about 20) and elpd_loo with "
        "mcycle_cr20.",
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_tp",
        dataset="mcycle",
        formula="accel ~ 1 + s(times)",
        reml_formula="accel ~ 1 + s(times)",
        description="mgcv's and brms's default smooth: a thin plate regression spline, k=10.",
        question="Is the default basis rich enough for this curve? (k=10 is tight here.)",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    # distributional regression and Gaussian processes on mcycle
    ZooEntry(
        name="mcycle_distributional",
        dataset="mcycle",
        formula=bf('accel ~ 1 + s(times, bs="cr", k=20)', sigma='~ 1 + s(times, bs="cr", k=10)'),
        description="The 20-knot spline for the mean and a 10-knot spline for log sigma: the "
        "spread of the acceleration may change with time (brms: bf(accel ~ s(times, bs = 'cr', "
        "k = 20), sigma ~ s(times, bs = 'cr', k = 10)); mgcv's gaulss is its REML twin).",
        question="How much does letting the noise vary with time gain over mcycle_cr20? "
        "(Near zero before impact, largest around 30 ms: about 56 elpd in brms's fit.)",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_gp",
        dataset="mcycle",
        formula="accel ~ 1 + gp(times, k=30, c=5/4)",
        description="A Gaussian process for the mean, brms's Hilbert-space approximation with 30 "
        "basis functions on 5/4 of the (scaled) time range (brms: accel ~ gp(times, k = 30, "
        "c = 5/4)); length-scale prior tuned to the data as brms tunes it.",
        question="Does a GP prior (a length-scale instead of a penalty) fit the curve as well "
        "as the penalized spline, by LOO?",
    ),
]

_REGISTRY: dict[str, ZooEntry] = {e.name: e for e in _ENTRIES}

#: The models ``bayeszoo run`` fits (with their REML twins).
RUN_MODELS: tuple[str, ...] = (
    "radon_pooled",
    "radon_intercept",
    "radon_re_smooth",
    "mcycle_cr20",
    "mcycle_cr50",
    "mcycle_cr20_fx",
    "mcycle_distributional",
    "mcycle_gp",
)


def names() -> list[str]:
    """The names of all models, in the zoo's order."""
    return list(_REGISTRY)


def get(name: str) -> ZooEntry:
    """The entry called ``name``; ``KeyError`` listing the known names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown model {name!r}; the zoo has: {', '.join(_REGISTRY)}"
        ) from None


def entries() -> list[ZooEntry]:
    """All entries, in the zoo's order."""
    return list(_ENTRIES)


def describe(name: str) -> str:
    """A few lines on ``name``: dataset, formula, REML twin, question, sampler defaults."""
    e = get(name)
    opts = ", ".join(f"{k}={v}" for k, v in e.sampler_options.items())
    lines = [
        f"{e.name}",
        f"  dataset:          {e.dataset}",
        f"  formula:          {e.formula}",
        f"  family:           {e.family}" + (f" (link {e.link})" if e.link else ""),
        f"  parameterization: {e.parameterization}",
        f"  REML twin:        {e.reml_formula or '(none)'}",
        f"  sampler defaults: {opts}",
        "  description:",
        textwrap.indent(textwrap.fill(e.description, 76), "    "),
        "  question:",
        textwrap.indent(textwrap.fill(e.question, 76), "    "),
    ]
    return "\n".join(lines)
