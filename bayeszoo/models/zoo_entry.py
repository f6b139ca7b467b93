"""A zoo entry: a dataset, a formula, the question it answers and how to sample it
(:class:`ZooEntry`); the entries themselves are in :mod:`bayeszoo.models.zoo_entries`,
:mod:`bayeszoo.models.zoo_entries_ordinal_censored_serial` and
:mod:`bayeszoo.models.zoo_entries_multivariate`, and :mod:`bayeszoo.models.zoo` lists them."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bayeszoo.formula.bf import BrmsFormula
from bayeszoo.formula.multivariate import MultivariateFormula

#: Sampler options every entry starts from (``bz.fit`` lets the caller override each one).
DEFAULT_SAMPLER: MappingProxyType = MappingProxyType(
    {"chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.8}
)


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo.

    Parameters
    ----------
    name : str
        The model's name (:func:`bayeszoo.models.zoo.names`).
    dataset : str
        A key of :data:`bayeszoo.datasets.DATASETS` (``"radon"``, ``"radon_full"``,
        ``"mcycle"``, ``"cbpp"``, ...); :meth:`load_data` calls its loader with
        ``data_options``.
    formula : str, BrmsFormula or MultivariateFormula
        What :func:`bayeszoo.sample` fits (a string, :func:`bayeszoo.bf` with formulas for
        auxiliary parameters, or a multivariate formula, :func:`bayeszoo.mvbf`).
    description : str
        What the model is.
    question : str
        The question it answers.
    reml_formula : str or None
        The formula :func:`bayeszoo.reml` fits as the same model's REML twin, or ``None`` when
        there is none.
    family : str or Family
        The response family: a name of :mod:`bayeszoo.families`, or a family object such as
        ``bayeszoo.families.bernoulli(link="probit")``.
    link : str or None
        The family's link when not the default.
    parameterization : str
        ``"noncentered"`` (default) or ``"centered"``.
    sampler : dict
        Default sampler options (chains, draws, tune, target_accept, ...).
    group : str or None
        For grouped models the grouping factor whose partial pooling the report shows.
    smooth : str or None
        For smooth models the covariate of the smooth the report draws.
    knots : dict or None
        Column -> knot values for the formula's smooths (mgcv's ``knots = list(...)``; for a
        cyclic ``bs="cc"`` smooth the ends of the period), passed to ``bz.sample`` and
        ``bz.reml``; ``None`` for mgcv's default knots.
    data_options : dict
        Keywords of the dataset's loader (airquality's ``{"dropna": True}``: the rows with
        ``Ozone``, as R's model frame).

    Examples
    --------
    >>> from bayeszoo import zoo
    >>> entry = zoo.get("radon_intercept")
    >>> entry.dataset, entry.reml_formula
    ('radon', 'log_radon ~ 1 + (1 | county)')
    """

    name: str
    dataset: str
    formula: str | BrmsFormula | MultivariateFormula
    description: str
    question: str
    reml_formula: str | None = None
    family: Any = "gaussian"
    link: str | None = None
    parameterization: str = "noncentered"
    sampler: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    smooth: str | None = None
    knots: dict[str, tuple[float, ...]] | None = None
    data_options: dict[str, Any] = field(default_factory=dict)

    @property
    def backends(self) -> tuple[str, ...]:
        """The registered backends that can fit this entry's model."""
        from bayeszoo.formula.nonlinear_design import nonlinear_main
        from bayeszoo.formula.parse import parse_formula
        from bayeszoo.inference.backends import able

        f = self.formula
        if isinstance(f, MultivariateFormula):
            from bayeszoo.models.multivariate import SAMPLERS

            return SAMPLERS
        parsed = [parse_formula(nonlinear_main(f.formula) if f.nl else f.formula),
                  *(parse_formula(g, dpar=k) for k, g in (f.dpars | f.nlpars).items())] \
            if isinstance(f, BrmsFormula) else [parse_formula(f)]
        return able(networks=any(t.is_network for p in parsed for t in p.terms))

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

        return DATASETS[self.dataset]["loader"](**self.data_options)
