"""Loaders for the CSV data shipped inside the package."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

_DATA = resources.files("bayeszoo.datasets") / "data"


def _read(name: str, **kwargs) -> pd.DataFrame:
    with resources.as_file(_DATA / name) as path:
        return pd.read_csv(path, **kwargs)


def load_radon() -> pd.DataFrame:
    """Minnesota radon, 919 homes in 85 counties (Gelman & Hill 2007).

    Columns: ``floor`` (int, 0 = basement), ``county`` (Categorical, 85 levels in alphabetical
    order), ``log_radon`` = log(activity + 0.1), ``log_uranium`` (county-level soil uranium).
    """
    df = _read("radon.csv")
    df["county"] = pd.Categorical(df["county"], categories=sorted(df["county"].unique()))
    df["floor"] = df["floor"].astype(int)
    return df


def load_radon_full() -> pd.DataFrame:
    """The full EPA radon survey behind :func:`load_radon`: 12,777 homes in 8 states.

    Columns: ``idnum``, ``state`` and ``county`` (Categorical), ``stfips``, ``cntyfips``, ``floor``
    (0 basement, 1 first floor, 2/3 higher, 9 unknown), ``basement``, ``typebldg``, ``activity``
    (pCi/L), ``log_radon`` = log(activity + 0.1), county-level ``uppm`` and
    ``log_uranium`` = log(uppm) (NaN for the 204 homes whose county has no uranium record).
    The Minnesota rows are the 919 homes of :func:`load_radon`, in the same order.
    """
    df = _read("radon_full.csv.gz", dtype={"basement": "string"})
    df["state"] = pd.Categorical(df["state"], categories=sorted(df["state"].unique()))
    df["county"] = pd.Categorical(df["county"], categories=sorted(df["county"].unique()))
    df["log_radon"] = np.log(df["activity"] + 0.1)
    with np.errstate(divide="ignore"):
        df["log_uranium"] = np.log(df["uppm"])
    return df


def load_mcycle() -> pd.DataFrame:
    """Simulated motorcycle crash (MASS::mcycle): ``times`` (ms) and ``accel`` (g), 133 rows."""
    return _read("mcycle.csv").astype(float)


def load_penguins(dropna: bool = False) -> pd.DataFrame:
    """Palmer penguins, 344 rows with NAs kept; ``dropna=True`` returns the 333 complete rows.

    ``species``, ``island`` and ``sex`` are Categoricals; ``year`` is an integer.
    """
    df = _read("penguins.csv")
    for col in ("species", "island", "sex"):
        df[col] = pd.Categorical(df[col], categories=sorted(df[col].dropna().unique()))
    if dropna:
        df = df.dropna().reset_index(drop=True)
    return df


DATASETS: dict[str, dict[str, object]] = {
    "radon": {"loader": load_radon, "source": "rstanarm 2.21.3 `radon` (Gelman & Hill 2007)"},
    "radon_full": {"loader": load_radon_full, "source": "EPA radon survey srrs2.dat + cty.dat"},
    "mcycle": {"loader": load_mcycle, "source": "MASS 7.3 `mcycle`"},
    "penguins": {"loader": load_penguins, "source": "palmerpenguins `penguins`"},
}
