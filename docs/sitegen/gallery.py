"""The zoo gallery: a page per model of ``bayeszoo.zoo``, and its figures.

At build time (:func:`pages`) every page is written from the zoo's registry: question,
formula, family, brms's default priors (``bz.get_prior`` on the model's data), its REML twin and
the models it is compared with by LOO. Its figures come from a fit: ``make docs`` first makes
the missing ones (:mod:`gallery_fit`) into the gallery cache (:mod:`gallery_cache`), and the
build shows what the cache holds under each model's current key.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import gallery_cache as gc
from public import ROOT

CAPTIONS = {"effects.png": "Conditional effects (brms's `conditional_effects`, group-level "
            "effects left out): the posterior median of the expected response with its 95 % "
            "band; for an ordinal or categorical response the probability of each category "
            "(brms's `categorical = TRUE`).",
            "pooling.png": "Partial pooling (the report's figure): observed and estimated "
            "group means with 95 % intervals, groups ordered by size; the model has no "
            "population-level effect to draw.",
            "ppc.png": "Posterior predictive check (brms's `pp_check`): the data against "
            "replicated data sets drawn from the posterior."}


@cache
def cached(name: str) -> tuple[Path, dict[str, Any]] | None:
    """The cache directory and manifest of zoo model ``name``'s figures for its current key,
    or ``None`` when they are not made."""
    zoo = _zoo()
    key = gc.cache_key(gc.key_inputs(zoo.get(name)))
    manifest = gc.cached(name, key)
    return None if manifest is None else (gc.model_dir(name, key), manifest)


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
    found = cached(name)
    if found is None:
        return ("!!! note \"No figures in this build\"\n"
                "    The figures come from a fit, which `make docs` makes (and caches) before "
                f"building the site; `make docs-gallery MODELS={name}` makes this model's "
                "alone.\n")
    manifest, s = found[1], gc.SETTINGS
    how = (f"Fitted with {s['backend']}, {s['chains']} chains of {s['tune']} warm-up and "
           f"{s['draws']} kept draws, seed {s['seed']}.")
    warns = manifest.get("sampler_warnings", [])
    warned = ("\n\n??? warning \"Sampler diagnostics of this short fit\"\n"
              "    The figures' fit is shorter than the model's defaults, so its diagnostics "
              "may fall short of the thresholds meant for them; `bz.fit` with the defaults "
              "above is the fit to trust.\n\n" + "".join(f"    * {w}\n" for w in warns)
              ) if warns else ""
    return how + warned + "\n\n" + "\n".join(_figure(name, f) for f in manifest["figures"])


def _figure(name: str, file: str) -> str:
    """A figure and its caption; ``effects-tarsus.png`` is the effects figure of the
    multivariate response ``tarsus``."""
    stem = file.removesuffix(".png")
    kind, _, resp = stem.partition("-")
    caption = CAPTIONS[kind + ".png"] + (f" Response `{resp}`." if resp else "")
    return f"![{stem} of {name}]({name}/{file})\n\n{caption}\n"


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
    cached.cache_clear()
    compared = comparisons(zoo)
    out = {f"zoo/{e.name}.md": _page(e, zoo, compared[e.name]) for e in zoo.entries()}
    rows = "\n".join(f"| [{e.name}]({e.name}.md) | `{e.dataset}` | {_cell(e.question)} |"
                     for e in zoo.entries())
    out["zoo/index.md"] = ("# Zoo gallery\n\nEvery named model of `bayeszoo.zoo`, a page each, "
                           "generated from the registry (`bayeszoo list`, `bayeszoo describe "
                           "NAME`), with figures from a fit of each (`make docs` makes the "
                           "missing ones; see [building the docs](../about.md#the-zoo-galle"
                           "rys-figures)).\n\n| model | data | question |\n|---|---|---|\n"
                           + rows + "\n")
    return out


def figures() -> dict[str, Path]:
    """``{path under docs/: cached file}`` of every gallery figure cached for its model's
    current key."""
    zoo = _zoo()
    return {f"zoo/{name}/{f}": found[0] / f for name in zoo.names()
            if (found := cached(name)) is not None for f in found[1]["figures"]}


def nav() -> list:
    """The gallery section of the navigation."""
    zoo = _zoo()
    return ["zoo/index.md", *({n: f"zoo/{n}.md"} for n in zoo.names())]
