"""A figure per response family: its density (or probability mass) at a few parameter values,
in brms's parameterization, drawn at build time into ``.docs-cache/families/``.

The densities are SciPy's, written in brms's parameters (``negbinomial``: mean ``mu`` and
``shape``, variance ``mu + mu²/shape``; ``gamma``: mean ``mu`` and ``shape``; ``beta``: mean
``mu`` and precision ``phi``), so each figure shows what the family's parameters mean. A family
of the registry without an entry in :data:`EXAMPLES` gets no figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from public import ROOT
from scipy import stats

OUT = ROOT / ".docs-cache" / "families"

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
                    [(f"mu=8, shape={k:g}", stats.nbinom(k, k / (k + 8.0)))
                     for k in (1.0, 5.0, 100.0)]),
    "gamma": ("continuous", np.linspace(0.01, 10, 400),
              [(f"mu=3, shape={a:g}", stats.gamma(a, scale=3.0 / a)) for a in (1.0, 3.0, 10.0)]),
    "beta": ("continuous", np.linspace(0.005, 0.995, 400),
             [(f"mu={m:g}, phi={p:g}", stats.beta(m * p, (1 - m) * p))
              for m, p in ((0.3, 5.0), (0.3, 30.0), (0.7, 10.0))]),
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
