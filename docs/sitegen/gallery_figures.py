"""The figures of a zoo model's gallery page, drawn from its fit (:func:`draw`).

* ``effects.png``: brms's ``conditional_effects`` (the expected response over each default
  effect, group-level effects left out, with its 95 % band); for a model whose only covariates
  enter through a network or GP (``nn(times)``) the curve over them; for an ordinal or
  categorical response brms's ``categorical = TRUE`` view, the probability of each category.
  A model with no covariate (``lakehuron_ar1``: an intercept and AR(1) errors) has none.
* ``pooling.png``: for a model without a population-level effect but with a grouping factor
  (``radon_intercept``), the report's partial-pooling figure.
* ``ppc.png``: brms's ``pp_check``.

A multivariate model gets ``effects-<response>.png`` and ``ppc-<response>.png`` per response.
"""

from __future__ import annotations

import base64
from pathlib import Path

DPI = 100


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path.name


def effects_of(design) -> list[str]:
    """brms's default effects; else the covariates of the model's curves (networks, GPs); else
    (a categorical model, whose main formula is empty) the variables of its per-category
    predictors."""
    from bayeszoo.inference.conditional_effects import columns_in, default_effects

    found = default_effects(design)
    if found:
        return found
    found = [":".join(st.curve_covariates) for d in design.predictors for st in d.term_states
             if st.predicted_curve and 1 <= len(st.curve_covariates) <= 2]
    if not found:
        columns = [c for c in design.data.columns if c != design.response]
        found = [c for d in design.predictors[1:] if str(d.dpar).startswith("mu")
                 for c in columns_in(d.formula, columns)]
    return list(dict.fromkeys(found))


def _category_figure(fit, effects: list[str]):
    """The probability of each response category over each one-variable effect (brms's
    ``conditional_effects(fit, categorical = TRUE)``), with 95 % bands."""
    import matplotlib.pyplot as plt
    import numpy as np

    from bayeszoo.formula.columns import is_numeric
    from bayeszoo.inference.conditional_effects import (
        effect_grid,
        reference_row,
        without_group_effects,
    )
    from bayeszoo.inference.predict import predict

    design = fit.design
    data = design.data.drop(columns=[design.response], errors="ignore")
    labels = design.family.response_labels(design.data[design.response])
    zeroed = without_group_effects(fit)
    ref = reference_row(design, data)
    single = [e for e in effects if ":" not in e]
    fig, axes = plt.subplots(1, len(single), figsize=(4.2 * len(single), 3.4), squeeze=False,
                             layout="constrained")
    for ax, effect in zip(axes[0], single, strict=True):
        grid = effect_grid(data, [effect], ref)
        draws = predict(zeroed, newdata=grid, kind="epred", design=design,
                        allow_new_levels=True)
        med = np.median(draws, axis=0)
        lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
        x = grid[effect].to_numpy()
        names = labels or [str(k + 1) for k in range(draws.shape[2])]
        for k, name in enumerate(names):
            if is_numeric(data[effect]):
                ax.plot(x, med[:, k], color=f"C{k}", label=str(name))
                ax.fill_between(x, lo[:, k], hi[:, k], color=f"C{k}", alpha=0.2)
            else:
                pos = np.arange(len(x)) + (k - (len(names) - 1) / 2) * 0.12
                ax.errorbar(pos, med[:, k], yerr=[med[:, k] - lo[:, k], hi[:, k] - med[:, k]],
                            fmt="o", color=f"C{k}", ms=4, label=str(name))
                ax.set_xticks(np.arange(len(x)), [str(v) for v in x])
        ax.set_xlabel(effect)
        ax.set_ylabel(f"P({design.response})")
    axes[0][-1].legend(title=design.response, fontsize=8)
    return fig


def _pooling(fit, out: Path) -> str:
    from bayeszoo.api import fit_context
    from bayeszoo.reports.figures import pooling_figures

    pooling = pooling_figures(fit, fit_context(fit), DPI)[0]
    (out / "pooling.png").write_bytes(base64.b64decode(pooling.png))
    return "pooling.png"


def _one_response(fit, entry, out: Path) -> list[str]:
    import numpy as np

    from bayeszoo.inference.conditional_effects import reference_row, without_group_effects
    from bayeszoo.inference.predict import predict

    design = fit.design
    effects = effects_of(design)
    made = []
    if effects:
        data = design.data.drop(columns=[design.response], errors="ignore")
        probe = predict(without_group_effects(fit), newdata=data.iloc[:1].assign(
            **reference_row(design, data)), kind="epred", design=design, allow_new_levels=True)
        fig = _category_figure(fit, effects) if np.ndim(probe) == 3 \
            else fit.conditional_effects(effects).plot()
        made.append(_save(fig, out / "effects.png"))
    elif entry.group is not None:
        made.append(_pooling(fit, out))
    made.append(_save(fit.pp_check(), out / "ppc.png"))
    return made


def draw(fit, entry, out: Path) -> list[str]:
    """Write the gallery figures of zoo ``entry``'s ``fit`` into ``out``; their file names."""
    import matplotlib

    matplotlib.use("Agg")
    responses = getattr(fit, "responses", None)
    if responses is None:
        return _one_response(fit, entry, out)
    made = []
    for resp in responses:
        made.append(_save(fit.conditional_effects(resp=resp).plot(), out / f"effects-{resp}.png"))
        made.append(_save(fit.pp_check(resp=resp), out / f"ppc-{resp}.png"))
    return made
