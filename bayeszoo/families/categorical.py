"""``categorical``: brms 2.18's multinomial logit model of an unordered response in ``K``
categories. The first category is the reference (its linear predictor is 0); each other
category ``c`` has a linear predictor ``mu<c>`` of its own, so that ``P(y = c) = exp(mu<c>) /
(1 + Σ_d exp(mu<d>))`` (Stan's ``categorical_logit_lpmf`` of ``[0, mu<2>, ..., mu<K>]``).

The categories are brms's ``levels(factor(y))`` (``extract_cat_names``): a pandas Categorical's
categories that occur in the data, in their declared order (an unused level is dropped, as R's
``factor()`` drops it; a warning names it), the sorted distinct strings or numbers otherwise.
Category ``k`` is coded ``k`` (``1..K``). The linear predictors are named as brms names them:
``"mu"`` and the category, with every character other than a letter or digit removed
(``make.names`` then ``gsub("\\\\.|_", "", ...)``): ``muMedium``, ``mu2``. They reach the family
as distributional parameters (``aux["muMedium"]``, on the identity link), in category order;
the formula machinery gives each one the main formula's right-hand side unless ``bf()`` gives it
its own (:mod:`bayeszoo.formula.categories`).
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .base import AuxParameter, Family, format_number

__all__ = ["Categorical", "categorical", "category_labels", "predictor_name"]

#: brms 2.18's default prior of each ``mu<c>`` intercept (class ``Intercept``, ``dpar =
#: mu<c>``); the other coefficients are flat.
INTERCEPT_PRIOR = "student_t(3, 0, 2.5)"


def predictor_name(category: Any) -> str:
    """brms's name of a category's linear predictor: ``"mu"`` and the category without the
    characters ``make.names`` would replace, nor dots and underscores (a logical category as R
    prints it: ``muTRUE``)."""
    if isinstance(category, (bool, np.bool_)):
        text = "TRUE" if category else "FALSE"
    elif isinstance(category, (float, np.floating)):
        text = format_number(category)
    else:
        text = str(category)
    return "mu" + re.sub(r"[^0-9A-Za-z]", "", text)


def category_labels(y: Any, column: str = "y") -> tuple:
    """The response's categories as brms's ``levels(factor(y))`` takes them (see the module
    doc); ``ValueError`` for a missing value, naming its row."""
    s = y if isinstance(y, pd.Series) else pd.Series(y)
    if s.isna().any():
        i = int(np.flatnonzero(s.isna().to_numpy())[0])
        outside = isinstance(s.dtype, pd.CategoricalDtype)
        raise ValueError(f"response {column!r} has a missing value at row {i}"
                         + (f" (or a category outside its levels {list(s.cat.categories)})"
                            if outside else "") + "; drop those rows or declare the level")
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.cat.codes.to_numpy().tolist())
        return tuple(c for k, c in enumerate(s.cat.categories) if k in present)
    if s.dtype.kind in "biuf":
        return tuple(v.item() if hasattr(v, "item") else v for v in np.unique(s.to_numpy()))
    values = s.to_numpy()
    kinds = {type(v) for v in values}
    if len(kinds) > 1:
        raise ValueError(f"response {column!r} mixes {sorted(k.__name__ for k in kinds)}; give "
                         "one kind of category label (or a pandas Categorical)")
    return tuple(sorted(set(values.tolist())))


class Categorical(Family):
    """The categorical family (see the module doc)."""

    name = "categorical"
    links = ("logit",)
    discrete = True
    category_predictors = True

    # -- parameters -----------------------------------------------------------------------------
    def aux_parameters(self, additions=()):
        """None as constants: every ``mu<c>`` is a linear predictor."""
        return ()

    def aux_parameter(self, name: str) -> AuxParameter:
        """``mu<c>``: a category's linear predictor (real, identity link, brms's
        ``student_t(3, 0, 2.5)`` on its intercept)."""
        if not name.startswith("mu") or len(name) == 2:
            raise ValueError(f"family 'categorical' has one linear predictor per category "
                             f"but the first, named mu<category> (muB, mu2); got {name!r}")
        return AuxParameter(name, -np.inf, "identity", None, INTERCEPT_PRIOR)

    def predictor_names(self, categories: tuple) -> list[str]:
        """``mu<c>`` of every category but the reference, in category order; ``ValueError``
        when fewer than two categories or two names coincide (brms's messages)."""
        if len(categories) < 2:
            raise ValueError(f"a categorical response needs at least 2 categories (brms: 'At "
                             f"least 2 response categories are required.'); it has "
                             f"{list(categories)}")
        names = [predictor_name(c) for c in categories[1:]]
        if len(set(names)) < len(names) or any(n == "mu" for n in names):
            raise ValueError(f"the categories {list(categories)} give the linear predictors "
                             f"{names}; brms needs them distinct and named by letters or "
                             "digits: rename the categories")
        return names

    # -- response -------------------------------------------------------------------------------
    def categories(self, y: Any, column: str = "y") -> tuple:
        """The response's categories (:func:`category_labels`), warning of a Categorical's
        unused levels, which brms drops."""
        cats = category_labels(y, column)
        s = y if isinstance(y, pd.Series) else pd.Series(y)
        if isinstance(s.dtype, pd.CategoricalDtype) and len(cats) < len(s.cat.categories):
            unused = [c for c in s.cat.categories if c not in cats]
            warnings.warn(f"response {column!r}: the levels {unused} do not occur; as brms "
                          "(levels(factor(y))) the model has the categories "
                          f"{list(cats)} only", UserWarning, stacklevel=3)
        return cats

    def response_values(self, y, column):
        """Codes ``1..K``: a Categorical's over its declared categories (a design's response is
        one, :func:`bayeszoo.formula.categories.coded_response`), else over
        :func:`category_labels`."""
        s = y if isinstance(y, pd.Series) else pd.Series(y)
        if isinstance(s.dtype, pd.CategoricalDtype):
            category_labels(s, column)
            return s.cat.codes.to_numpy().astype(float) + 1.0, tuple(s.cat.categories)
        cats = category_labels(s, column)
        index = {c: k for k, c in enumerate(cats, start=1)}
        codes = np.array([index[v.item() if hasattr(v, "item") else v] for v in s.to_numpy()],
                         dtype=float)
        return codes, cats

    def response_labels(self, y: Any) -> tuple:
        """The category of each code ``1..K``: predictive draws are returned as these."""
        return category_labels(y)

    def default_priors(self, y, dpars=(), offset=None):
        """brms 2.18's (``get_prior(..., family = categorical())``): ``student_t(3, 0, 2.5)``
        on each ``mu<c>``'s intercept (``Intercept_mu<c>``), flat ``b``; ``sd`` and ``sds``
        ``student_t(3, 0, 2.5)`` (on the logit scale, as every logit model's)."""
        out = {"Intercept": INTERCEPT_PRIOR, "sd": "half_student_t(3, 2.5)"}
        for name in dpars:
            out[f"Intercept_{self.aux_parameter(name).name}"] = INTERCEPT_PRIOR
        return out

    # -- probabilities --------------------------------------------------------------------------
    @staticmethod
    def predictors(aux: dict) -> list:
        """The linear predictors ``mu<c>`` of the non-reference categories, in order."""
        return [v for k, v in aux.items() if k.startswith("mu")]

    def log_probs(self, ops, eta, aux: dict) -> list:
        """``log P(y = k)``, ``k = 1..K``: the softmax of ``[0, mu<2>, ..., mu<K>]`` (``eta``,
        the reference's predictor, is ignored: brms fixes it at 0)."""
        mus = self.predictors(aux)
        total = ops.logaddexp(0.0, mus[0])
        for m in mus[1:]:
            total = ops.logaddexp(total, m)
        return [-total, *[m - total for m in mus]]

    def log_prob(self, ops, y, eta, aux, extras):
        """``categorical_logit_lpmf(y | [0, mu<2>, ..., mu<K>])``, weighted by ``weights()``."""
        logp = self.log_probs(ops, eta, aux)
        out = logp[0]
        for k, lp in enumerate(logp[1:], start=2):
            out = ops.where(ops.abs(y - k) < 0.5, lp, out)
        return self.weighted(ops, out, extras)

    def mean(self, eta, aux=None, extras=None):
        """Category probabilities (brms's ``posterior_epred``): draws × rows × categories."""
        from .ops import NUMPY

        aux = {k: np.asarray(v, dtype=float) for k, v in (aux or {}).items()}
        eta = np.broadcast_to(np.asarray(eta, dtype=float),
                              np.broadcast_shapes(*(v.shape for v in aux.values())))
        return np.exp(np.stack([np.broadcast_to(lp, eta.shape)
                                for lp in self.log_probs(NUMPY, eta, aux)], axis=-1))

    def draw(self, rng, eta, aux=None, extras=None):
        """Categories ``1..K`` drawn from :meth:`mean`'s probabilities."""
        p = self.mean(eta, aux, extras)
        u = rng.uniform(size=p.shape[:-1])[..., None]
        return 1.0 + np.sum(np.cumsum(p, axis=-1)[..., :-1] < u, axis=-1)


def categorical(link: str = "logit") -> Categorical:
    """The categorical family (brms ``categorical()``): multinomial logit, first category the
    reference.

    Parameters
    ----------
    link
        ``"logit"``, the only link brms offers.

    Returns
    -------
    Categorical
        The family, to pass as ``family=``; the response is an unordered pandas Categorical
        (its first category the reference), strings or integers, with one linear predictor
        ``mu<c>`` per other category.

    Raises
    ------
    ValueError
        For another link.

    Examples
    --------
    >>> categorical().name
    'categorical'
    """
    return Categorical(link)
