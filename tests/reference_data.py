"""The second-wave reference data sets and fixtures, read as R holds them.

Factor columns get R's levels: numeric-looking grouping codes (``cbpp$herd``, ``epilepsy$patient``,
``sleepstudy$Subject``) in numeric order, as the R packages store them; other factors sorted.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATA = SHARED / "data"
FIXTURES = SHARED / "fixtures"


def _numeric_factor(s: pd.Series) -> pd.Categorical:
    levels = sorted(s.astype(str).unique(), key=lambda v: (float(v), v))
    return pd.Categorical(s.astype(str), categories=levels)


def _factor(s: pd.Series) -> pd.Categorical:
    return pd.Categorical(s.astype(str), categories=sorted(s.astype(str).unique()))


@cache
def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def load(name: str) -> pd.DataFrame:
    """``cbpp``, ``epilepsy``, ``pima``, ``quine``, ``sleepstudy``, ``airquality``, ``mcycle``."""
    df = pd.read_csv(DATA / f"{name}.csv", dtype=str if name in ("cbpp",) else None)
    if name == "cbpp":
        df["herd"] = _numeric_factor(df["herd"])
        df["period"] = _numeric_factor(df["period"])
        df["incidence"] = df["incidence"].astype(int)
        df["size"] = df["size"].astype(int)
    elif name == "epilepsy":
        df["patient"] = _numeric_factor(df["patient"])
        df["visit"] = _numeric_factor(df["visit"])
        df["Trt"] = _numeric_factor(df["Trt"])
    elif name == "quine":
        for c in ("Eth", "Sex", "Age", "Lrn"):
            df[c] = _factor(df[c])
    elif name == "sleepstudy":
        df["Subject"] = _numeric_factor(df["Subject"])
    elif name == "pima":
        df["type"] = _factor(df["type"])
    return df
