"""The zoo gallery: a page per model of ``bayeszoo.zoo``, and its figures.

At build time (:func:`pages`) every page is written from the zoo's registry: question,
formula, family, brms's default priors (``bz.get_prior`` on the model's data), its REML twin and
the models it is compared with by LOO. Figures come from a fresh fit and are expensive, so they
are made only on request (``make docs-gallery`` runs this file as a script) and cached under
``.docs-cache/gallery/<version>/<model>/``; a build shows them when that cache holds them and says
how to make them otherwise.

Run as a script: ``python docs/sitegen/gallery.py [MODEL ...] [--draws N]`` fits each model
(all of them when none is named) with NumPyro and stores ``effects.png`` (the fitted function
or the partial pooling, with its 95 % band) and ``ppc.png`` (the posterior predictive check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from public import ROOT, version

CACHE = ROOT / ".docs-cache" / "gallery"
FIGURES = ("effects.png", "ppc.png")
CAPTIONS = {"effects.png": "Conditional effects (brms's `conditional_effects`): the posterior "
            "median of the expected response with its 95 % band.",
            "ppc.png": "Posterior predictive check (brms's `pp_check`): the data against "
            "replicated data sets drawn from the posterior."}


def cache_dir(name: str) -> Path:
    """Where the figures of zoo model ``name`` for this package version are kept."""
    return CACHE / version() / name


def _zoo():
    sys.path.insert(0, str(ROOT))
    from bayeszoo import zoo

    return zoo


def _response(formula) -> str:
    text = formula if isinstance(formula, str) else formula.formula
    return text.split("~", 1)[0].split("|", 1)[0].strip()


def comparisons(zoo) -> dict[str, list[str]]:
    """Zoo model -> the other models of the same data and response (what LOO compares)."""
    groups: dict[tuple, list[str]] = {}
    for e in zoo.entries():
        key = (e.dataset, tuple(sorted(e.data_options.items())), _response(e.formula))
        groups.setdefault(key, []).append(e.name)
    return {name: [m for m in members if m != name]
            for members in groups.values() for name in members}


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|") or " "


def _priors(entry) -> str:
    from bayeszoo import get_prior

    table = get_prior(entry.formula, entry.load_data(), family=entry.family_object(),
                      knots=entry.knots)
    columns = [c for c in table.columns if table[c].astype(str).str.len().any()]
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    rows = "\n".join("| " + " | ".join(_cell(v) for v in row) + " |"
                     for row in table[columns].itertuples(index=False))
    return head + rows


def _figures(name: str) -> str:
    have = [f for f in FIGURES if (cache_dir(name) / f).is_file()]
    if not have:
        return ("!!! note \"No figures in this build\"\n"
                "    Figures come from a fresh fit and are made on request: "
                f"`make docs-gallery MODELS={name}` fits the model and caches them for this "
                "version, and the next `make docs` shows them here.\n")
    return "\n".join(f"![{f.removesuffix('.png')} of {name}]({name}/{f})\n\n{CAPTIONS[f]}\n"
                     for f in have)


def _page(entry, zoo, others: list[str]) -> str:
    family = entry.family_object()
    run = "yes" if entry.name in zoo.RUN_MODELS else "no"
    opts = ", ".join(f"`{k}={v}`" for k, v in entry.sampler_options.items())
    compared = ", ".join(f"[{m}]({m}.md)" for m in others) or "no other zoo model"
    twin = f"`{entry.reml_formula}`" if entry.reml_formula else \
        "none (REML does not fit this model)"
    return f"""# {entry.name}

> {entry.question}

{entry.description}

| | |
|---|---|
| dataset | `{entry.dataset}`{' ' + str(entry.data_options) if entry.data_options else ''} |
| formula | `{_cell(entry.formula)}` |
| family | [{family.name}](../guide/families.md#{family.name}) ({family.link_name} link) |
| parameterization | {entry.parameterization} |
| REML twin | {_cell(twin)} |
| samplers | {', '.join(entry.backends)} |
| sampler defaults | {opts} |
| fitted by `bayeszoo run` | {run} |
| compared by LOO with | {compared} |

## Priors

brms 2.18's default priors for this model and data (`bz.get_prior`; an empty prior is flat):

{_priors(entry)}

## Fit it

```python
import bayeszoo as bz

fit = bz.fit("{entry.name}")         # NumPyro, the defaults above
print(fit)                           # brms's summary
```

or `bayeszoo fit {entry.name}` on the command line.

## Figures

{_figures(entry.name)}
"""


def pages() -> dict[str, str]:
    """``{path under docs/: Markdown}`` of the gallery's index and model pages."""
    zoo = _zoo()
    compared = comparisons(zoo)
    out = {f"zoo/{e.name}.md": _page(e, zoo, compared[e.name]) for e in zoo.entries()}
    rows = "\n".join(f"| [{e.name}]({e.name}.md) | `{e.dataset}` | {_cell(e.question)} |"
                     for e in zoo.entries())
    out["zoo/index.md"] = ("# Zoo gallery\n\nEvery named model of `bayeszoo.zoo`, a page each, "
                           "generated from the registry (`bayeszoo list`, `bayeszoo describe "
                           "NAME`). Figures are shown where `make docs-gallery` has cached "
                           "them for this version.\n\n| model | data | question |\n|---|---|---|\n"
                           + rows + "\n")
    return out


def figures() -> dict[str, Path]:
    """``{path under docs/: cached file}`` of every gallery figure made for this version."""
    zoo = _zoo()
    return {f"zoo/{name}/{f}": cache_dir(name) / f for name in zoo.names()
            for f in FIGURES if (cache_dir(name) / f).is_file()}


def nav() -> list:
    """The gallery section of the navigation."""
    zoo = _zoo()
    return ["zoo/index.md", *({n: f"zoo/{n}.md"} for n in zoo.names())]


def make(name: str, draws: int | None) -> list[Path]:
    """Fit zoo model ``name`` and write its figures into its cache directory."""
    import matplotlib

    matplotlib.use("Agg")
    import bayeszoo as bz

    options = {"progress": False}
    if draws is not None:
        options.update(draws=draws, tune=draws)
    fit = bz.fit(name, **options)
    out = cache_dir(name)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    effects = fit.conditional_effects()
    figures = [("effects.png", effects.plot())] if effects else []
    for target, fig in [*figures, ("ppc.png", fit.pp_check())]:
        fig.savefig(out / target, dpi=100, bbox_inches="tight")
        written.append(out / target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fit zoo models and cache their figures for "
                                     "the documentation's gallery.")
    parser.add_argument("models", nargs="*", help="zoo model names (default: every model)")
    parser.add_argument("--draws", type=int, default=None,
                        help="draws and tuning steps per chain (default: the model's own)")
    args = parser.parse_args(argv)
    zoo = _zoo()
    for name in args.models or zoo.names():
        for path in make(name, args.draws):
            print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
