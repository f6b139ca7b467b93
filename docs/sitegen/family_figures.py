"""A figure per response family: its density (or probability mass) at a few parameter values,
in brms's parameterization, drawn at build time into ``.docs-cache/families/``.

The densities are SciPy's, written in brms's parameters (``negbinomial``: mean ``mu`` and
``shape``, variance ``mu + mu²/shape``; ``gamma``: mean ``mu`` and ``shape``; ``beta``: mean
``mu`` and precision ``phi``; ``weibull``, ``exponential``: mean ``mu``; ``skew_normal``: mean
``mu`` and sd ``sigma``), so each figure shows what the family's parameters mean. The
zero-inflated and hurdle families mix the base distribution with extra zeros (``zi``) or
replace its zeros (``hu``); for a continuous base the figure shows the density of the positive
part. The ordinal families show their category probabilities at thresholds (-1, 0.5, 2) for a
few values of the linear predictor, computed by the family itself. A family of the registry
without an entry in :data:`EXAMPLES` gets no figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from public import ROOT
from scipy import stats

OUT = ROOT / ".docs-cache" / "families"


class ZeroInflated:
    """``zi`` extra zeros mixed with ``base`` (brms's ``zero_inflated_*``)."""

    def __init__(self, base, zi: float):
        self.base, self.zi = base, zi

    def pmf(self, x):
        return self.zi * (x == 0) + (1 - self.zi) * self.base.pmf(x)

    def pdf(self, x):
        return (1 - self.zi) * self.base.pdf(x)


class Hurdle:
    """Zero with probability ``hu``, else ``base`` conditioned on a positive value (brms's
    ``hurdle_*``)."""

    def __init__(self, base, hu: float):
        self.base, self.hu = base, hu

    def pmf(self, x):
        positive = (1 - self.hu) * self.base.pmf(x) / self.base.sf(0)
        return np.where(x == 0, self.hu, positive)

    def pdf(self, x):
        return (1 - self.hu) * self.base.pdf(x)


def skew_normal(mu: float, sigma: float, alpha: float):
    """SciPy's skew normal with brms's mean ``mu`` and standard deviation ``sigma``."""
    delta = alpha / np.sqrt(1 + alpha**2)
    omega = sigma / np.sqrt(1 - 2 * delta**2 / np.pi)
    return stats.skewnorm(alpha, loc=mu - omega * delta * np.sqrt(2 / np.pi), scale=omega)


def weibull(mu: float, shape: float):
    """SciPy's Weibull with brms's mean ``mu``: scale ``mu / Γ(1 + 1/shape)``."""
    from scipy.special import gamma

    return stats.weibull_min(shape, scale=mu / gamma(1 + 1 / shape))


class OrdinalExample:
    """Category probabilities of an ordinal family at ``eta`` (``THRESHOLDS``, ``disc = 1``)."""

    def __init__(self, family: str, eta: float):
        from bayeszoo import families
        from bayeszoo.families.ops import NUMPY

        logs = families.get(family).log_probs(NUMPY, np.array([eta]),
                                              {"thresholds": np.asarray(THRESHOLDS)})
        self.probs = np.exp(np.concatenate([np.ravel(lp) for lp in logs]))

    def pmf(self, x):
        return self.probs[np.asarray(x, dtype=int) - 1]


THRESHOLDS = (-1.0, 0.5, 2.0)


class CategoricalExample:
    """Category probabilities of the categorical family at the linear predictors ``mus`` of
    categories 2..K (category 1 the reference, at 0)."""

    def __init__(self, mus: tuple[float, ...]):
        from bayeszoo import families

        aux = {f"mu{k}": np.array([m]) for k, m in enumerate(mus, start=2)}
        self.probs = families.get("categorical").mean(np.zeros(1), aux)[0]

    def pmf(self, x):
        return self.probs[np.asarray(x, dtype=int) - 1]


def negbinomial(mu: float, shape: float):
    return stats.nbinom(shape, shape / (shape + mu))

#: family -> (support kind, x values, [(label, frozen scipy distribution), ...])
EXAMPLES = {
    "gaussian": ("continuous", np.linspace(-6, 6, 400),
                 [("mu=0, sigma=1", stats.norm(0, 1)), ("mu=1, sigma=2", stats.norm(1, 2))]),
    "student": ("continuous", np.linspace(-6, 6, 400),
                [("nu=1, mu=0, sigma=1", stats.t(1, 0, 1)),
                 ("nu=4, mu=0, sigma=1", stats.t(4, 0, 1)),
                 ("nu=30, mu=0, sigma=1", stats.t(30, 0, 1))]),
    "bernoulli": ("discrete", np.arange(0, 2),
                  [("mu=0.3", stats.bernoulli(0.3)), ("mu=0.8", stats.bernoulli(0.8))]),
    "binomial": ("discrete", np.arange(0, 21),
                 [("trials=20, mu=0.2", stats.binom(20, 0.2)),
                  ("trials=20, mu=0.6", stats.binom(20, 0.6))]),
    "poisson": ("discrete", np.arange(0, 21),
                [("mu=2", stats.poisson(2)), ("mu=8", stats.poisson(8))]),
    "negbinomial": ("discrete", np.arange(0, 31),
                    [(f"mu=8, shape={k:g}", negbinomial(8.0, k)) for k in (1.0, 5.0, 100.0)]),
    "gamma": ("continuous", np.linspace(0.01, 10, 400),
              [(f"mu=3, shape={a:g}", stats.gamma(a, scale=3.0 / a)) for a in (1.0, 3.0, 10.0)]),
    "beta": ("continuous", np.linspace(0.005, 0.995, 400),
             [(f"mu={m:g}, phi={p:g}", stats.beta(m * p, (1 - m) * p))
              for m, p in ((0.3, 5.0), (0.3, 30.0), (0.7, 10.0))]),
    "zero_inflated_poisson": ("discrete", np.arange(0, 16),
                              [(f"mu=5, zi={z:g}", ZeroInflated(stats.poisson(5), z))
                               for z in (0.0, 0.3)]),
    "zero_inflated_negbinomial": ("discrete", np.arange(0, 21),
                                  [(f"mu=6, shape=3, zi={z:g}",
                                    ZeroInflated(negbinomial(6.0, 3.0), z)) for z in (0.0, 0.3)]),
    "zero_inflated_binomial": ("discrete", np.arange(0, 21),
                               [(f"trials=20, mu=0.4, zi={z:g}",
                                 ZeroInflated(stats.binom(20, 0.4), z)) for z in (0.0, 0.3)]),
    "zero_inflated_beta": ("continuous", np.linspace(0.005, 0.995, 400),
                           [(f"mu=0.4, phi=8, zi={z:g} (positive part)",
                             ZeroInflated(stats.beta(3.2, 4.8), z)) for z in (0.0, 0.3)]),
    "hurdle_poisson": ("discrete", np.arange(0, 16),
                       [(f"mu=5, hu={h:g}", Hurdle(stats.poisson(5), h)) for h in (0.1, 0.5)]),
    "hurdle_negbinomial": ("discrete", np.arange(0, 21),
                           [(f"mu=6, shape=3, hu={h:g}", Hurdle(negbinomial(6.0, 3.0), h))
                            for h in (0.1, 0.5)]),
    "hurdle_gamma": ("continuous", np.linspace(0.01, 10, 400),
                     [(f"mu=3, shape=3, hu={h:g} (positive part)",
                       Hurdle(stats.gamma(3.0, scale=1.0), h)) for h in (0.1, 0.5)]),
    "hurdle_lognormal": ("continuous", np.linspace(0.01, 10, 400),
                         [(f"mu=1, sigma=0.5, hu={h:g} (positive part)",
                           Hurdle(stats.lognorm(0.5, scale=np.e), h)) for h in (0.1, 0.5)]),
    "lognormal": ("continuous", np.linspace(0.01, 10, 400),
                  [(f"mu={m:g}, sigma={sd:g}", stats.lognorm(sd, scale=np.exp(m)))
                   for m, sd in ((0.0, 1.0), (1.0, 0.5))]),
    "exponential": ("continuous", np.linspace(0.0, 10, 400),
                    [(f"mu={m:g}", stats.expon(scale=m)) for m in (1.0, 3.0)]),
    "weibull": ("continuous", np.linspace(0.01, 10, 400),
                [(f"mu=3, shape={k:g}", weibull(3.0, k)) for k in (1.0, 2.0, 5.0)]),
    "skew_normal": ("continuous", np.linspace(-5, 5, 400),
                    [(f"mu=0, sigma=1, alpha={a:g}", skew_normal(0.0, 1.0, a))
                     for a in (0.0, 4.0, -4.0)]),
    **{name: ("discrete", np.arange(1, len(THRESHOLDS) + 2),
              [(f"eta={e:g}", OrdinalExample(name, e)) for e in (-1.0, 0.5, 2.0)])
       for name in ("cumulative", "sratio", "cratio", "acat")},
    "categorical": ("discrete", np.arange(1, 4),
                    [(f"mu2={a:g}, mu3={b:g}", CategoricalExample((a, b)))
                     for a, b in ((0.0, 0.0), (1.0, -1.0), (-0.5, 1.5))]),
    "von_mises": ("continuous", np.linspace(-np.pi, np.pi, 400),
                  [(f"mu=0, kappa={k:g}", stats.vonmises(k, loc=0.0)) for k in (0.5, 2.0, 8.0)]),
}


def draw(name: str) -> Path | None:
    """Write the figure of family ``name``; ``None`` when :data:`EXAMPLES` has none."""
    if name not in EXAMPLES:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kind, x, curves = EXAMPLES[name]
    fig, ax = plt.subplots(figsize=(5.0, 2.8), dpi=90)
    for i, (label, dist) in enumerate(curves):
        if kind == "continuous":
            ax.plot(x, dist.pdf(x), label=label)
        else:
            width = 0.8 / len(curves)
            ax.bar(x + (i - (len(curves) - 1) / 2) * width, dist.pmf(x), width=width,
                   label=label)
    ax.set_title(name)
    ax.set_ylabel("density" if kind == "continuous" else "probability")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    return path
