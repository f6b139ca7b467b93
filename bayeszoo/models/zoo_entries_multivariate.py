"""The zoo's multivariate entries: two responses modelled jointly (brms's ``mvbind`` with
``set_rescor``).

:mod:`bayeszoo.models.zoo` lists them after the ordinal, censored and serial entries. REML fits
one response, so none has a REML twin.
"""

from __future__ import annotations

from bayeszoo.formula.multivariate import mvbind

from .zoo_entry import ZooEntry

#: The entries, in the zoo's order.
ENTRIES: list[ZooEntry] = [
    ZooEntry(
        name="btdata_mv",
        dataset="btdata",
        formula=mvbind("mvbind(tarsus, back) ~ sex + hatchdate + (1 | p | fosternest)",
                       rescor=True),
        description="Blue tit nestlings' tarsus length and back colour (both standardized) as "
        "two Gaussian responses with sex and hatch date, a random intercept per foster nest "
        "shared by both responses through one ID, and correlated residuals (brms: "
        "mvbind(tarsus, back) ~ sex + hatchdate + (1 | p | fosternest), set_rescor(TRUE)).",
        question="Do nests that raise chicks with long tarsi also raise chicks with a "
        "particular back colour (the foster-nest correlation), and are a chick's two traits "
        "correlated beyond what its nest and sex explain (the residual correlation)?",
        group="fosternest",
    ),
]
