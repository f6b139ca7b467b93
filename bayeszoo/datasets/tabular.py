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

    Returns
    -------
    pandas.DataFrame
        919 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_radon().shape
    (919, 4)
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

    Returns
    -------
    pandas.DataFrame
        12777 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_radon_full().shape
    (12777, 12)
    """
    df = _read("radon_full.csv.gz", dtype={"basement": "string"})
    df["state"] = pd.Categorical(df["state"], categories=sorted(df["state"].unique()))
    df["county"] = pd.Categorical(df["county"], categories=sorted(df["county"].unique()))
    df["log_radon"] = np.log(df["activity"] + 0.1)
    with np.errstate(divide="ignore"):
        df["log_uranium"] = np.log(df["uppm"])
    return df


def load_mcycle() -> pd.DataFrame:
    """Simulated motorcycle crash (MASS::mcycle): ``times`` (ms) and ``accel`` (g), 133 rows.

    Returns
    -------
    pandas.DataFrame
        133 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_mcycle().shape
    (133, 2)
    """
    return _read("mcycle.csv").astype(float)


def load_penguins(dropna: bool = False) -> pd.DataFrame:
    """Palmer penguins, 344 rows with NAs kept; ``dropna=True`` returns the 333 complete rows.

    ``species``, ``island`` and ``sex`` are Categoricals; ``year`` is an integer.

    Parameters
    ----------
    dropna : bool
        Keep only the 333 complete rows (default all 344, NAs kept).

    Returns
    -------
    pandas.DataFrame
        344 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_penguins().shape
    (344, 8)
    >>> bz.datasets.load_penguins(dropna=True).shape
    (333, 8)
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


def _factor(values: pd.Series, levels: list) -> pd.Categorical:
    return pd.Categorical(values.astype(str), categories=[str(v) for v in levels])


def _numeric_levels(values: pd.Series) -> list[str]:
    return [str(v) for v in sorted(pd.unique(values.astype(int)))]


def load_cbpp() -> pd.DataFrame:
    """Contagious bovine pleuropneumonia (lme4's ``cbpp``): new cases ``incidence`` among
    ``size`` cattle of ``herd`` (Categorical, 15 levels) in ``period`` (Categorical 1-4).

    Returns
    -------
    pandas.DataFrame
        56 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_cbpp().shape
    (56, 4)
    """
    df = _read("cbpp.csv")
    df["herd"] = _factor(df["herd"], _numeric_levels(df["herd"]))
    df["period"] = _factor(df["period"], _numeric_levels(df["period"]))
    return df


def load_epilepsy() -> pd.DataFrame:
    """Seizure counts (brms's ``epilepsy``; Leppik et al. 1987): ``count`` of 59 ``patient``s
    (Categorical) at 4 ``visit``s, treatment ``Trt`` (Categorical 0/1), ``Age``, ``Base`` and
    their standardized versions ``zAge``, ``zBase``.

    Returns
    -------
    pandas.DataFrame
        236 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_epilepsy().shape
    (236, 8)
    """
    df = _read("epilepsy.csv")
    for col in ("patient", "visit", "Trt"):
        df[col] = _factor(df[col], _numeric_levels(df[col]))
    return df


def load_pima() -> pd.DataFrame:
    """Pima women (MASS's ``Pima.tr``, 200 rows): diabetes ``type`` (Categorical No/Yes) with
    ``npreg``, ``glu``, ``bp``, ``skin``, ``bmi``, ``ped``, ``age``.

    Returns
    -------
    pandas.DataFrame
        200 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_pima().shape
    (200, 8)
    """
    df = _read("pima.csv")
    df["type"] = pd.Categorical(df["type"], categories=["No", "Yes"])
    return df


def load_quine() -> pd.DataFrame:
    """Days absent from school (MASS's ``quine``, 146 rows): ``Days`` by ``Eth`` (A/N), ``Sex``
    (F/M), ``Age`` (F0-F3) and learner status ``Lrn`` (AL/SL), all Categoricals in R's order.

    Returns
    -------
    pandas.DataFrame
        146 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_quine().shape
    (146, 5)
    """
    df = _read("quine.csv")
    for col in ("Eth", "Sex", "Age", "Lrn"):
        df[col] = pd.Categorical(df[col], categories=sorted(df[col].unique()))
    return df


def load_sleepstudy() -> pd.DataFrame:
    """Reaction times under sleep deprivation (lme4's ``sleepstudy``): ``Reaction`` (ms) of 18
    ``Subject``s (Categorical) over ``Days`` 0-9.

    Returns
    -------
    pandas.DataFrame
        180 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_sleepstudy().shape
    (180, 3)
    """
    df = _read("sleepstudy.csv")
    df["Subject"] = _factor(df["Subject"], _numeric_levels(df["Subject"]))
    return df


def load_airquality(dropna: bool = False) -> pd.DataFrame:
    """New York air quality, May-September 1973 (R's ``airquality``, 153 rows, NAs kept:
    ``Ozone`` in 37 rows, ``Solar.R`` in 7): ``Ozone``, ``Solar.R``, ``Wind``, ``Temp``,
    ``Month``, ``Day``. ``dropna=True`` keeps the 116 rows with ``Ozone``, as R's model frame
    does for ``Ozone ~ ...`` models without ``Solar.R``.

    Parameters
    ----------
    dropna : bool
        Keep only the 116 rows with ``Ozone`` (default all 153).

    Returns
    -------
    pandas.DataFrame
        153 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_airquality().shape
    (153, 6)
    >>> bz.datasets.load_airquality(dropna=True).shape
    (116, 6)
    """
    df = _read("airquality.csv")
    if dropna:
        df = df.dropna(subset=["Ozone"]).reset_index(drop=True)
    return df


#: R's level order of ``CO2$Plant`` (an ordered factor, by maximum uptake within type)
CO2_PLANTS = ["Qn1", "Qn2", "Qn3", "Qc1", "Qc3", "Qc2", "Mn3", "Mn2", "Mn1", "Mc2", "Mc3", "Mc1"]


def load_co2() -> pd.DataFrame:
    """CO2 uptake of grass plants (R's ``CO2``, 84 rows): ``Plant`` (12 levels in R's order),
    ``Type`` (Quebec, Mississippi), ``Treatment`` (nonchilled, chilled), ambient ``conc`` and
    ``uptake``.

    Returns
    -------
    pandas.DataFrame
        84 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_co2().shape
    (84, 5)
    """
    df = _read("co2.csv")
    df["Plant"] = pd.Categorical(df["Plant"], categories=CO2_PLANTS)
    df["Type"] = pd.Categorical(df["Type"], categories=["Quebec", "Mississippi"])
    df["Treatment"] = pd.Categorical(df["Treatment"], categories=["nonchilled", "chilled"])
    df["conc"] = df["conc"].astype(float)
    return df


def load_nottem() -> pd.DataFrame:
    """Monthly mean air temperature at Nottingham 1920-1939 (R's ``nottem``, °F): ``temp``,
    ``year``, ``month`` (1-12), ``time`` (1-240).

    Returns
    -------
    pandas.DataFrame
        240 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_nottem().shape
    (240, 4)
    """
    return _read("nottem.csv")


def load_eight_schools() -> pd.DataFrame:
    """Rubin's (1981) eight schools: the estimated effect ``y`` of coaching on SAT-V scores in
    each ``school`` (Categorical A-H) and its standard error ``sigma``, as printed in Gelman et
    al., *Bayesian Data Analysis* (3rd ed.), Table 5.2.

    Returns
    -------
    pandas.DataFrame
        8 rows, the columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_eight_schools().shape
    (8, 3)
    """
    df = _read("eight_schools.csv")
    df["school"] = pd.Categorical(df["school"], categories=sorted(df["school"]))
    return df.astype({"y": float, "sigma": float})


DATASETS.update({
    "eight_schools": {"loader": load_eight_schools,
                      "source": "Rubin (1981); Gelman et al. BDA3 Table 5.2"},
    "cbpp": {"loader": load_cbpp, "source": "lme4 1.1 `cbpp`"},
    "epilepsy": {"loader": load_epilepsy, "source": "brms 2.18 `epilepsy`"},
    "pima": {"loader": load_pima, "source": "MASS 7.3 `Pima.tr`"},
    "quine": {"loader": load_quine, "source": "MASS 7.3 `quine`"},
    "sleepstudy": {"loader": load_sleepstudy, "source": "lme4 1.1 `sleepstudy`"},
    "airquality": {"loader": load_airquality, "source": "R datasets `airquality`"},
    "co2": {"loader": load_co2, "source": "R datasets `CO2`"},
    "nottem": {"loader": load_nottem, "source": "R datasets `nottem`"},
})


def load_biochemists() -> pd.DataFrame:
    """Articles by 915 biochemistry PhD students (pscl's ``bioChemists``; Long 1990): ``art``
    (articles in the last 3 years of the PhD, 30 % zeros), ``fem`` (Categorical Men, Women),
    ``mar`` (Categorical Single, Married), ``kid5`` (children under 6), ``phd`` (prestige of the
    programme) and ``ment`` (the mentor's articles); the factor levels are R's.

    Returns
    -------
    pandas.DataFrame
        915 rows, the 6 columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_biochemists().shape
    (915, 6)
    """
    df = _read("biochemists.csv")
    df["fem"] = pd.Categorical(df["fem"], categories=["Men", "Women"])
    df["mar"] = pd.Categorical(df["mar"], categories=["Single", "Married"])
    return df


def load_kidney() -> pd.DataFrame:
    """Recurrence times of kidney infection (brms's ``kidney``; McGilchrist & Aisbett 1991):
    ``time``, ``censored`` (1 = right-censored, brms's ``cens()`` coding), ``patient``
    (Categorical, 38 levels in numeric order), ``recur`` (Categorical 1, 2), ``age``, ``sex``
    (Categorical male, female) and ``disease`` (Categorical other, GN, AN, PKD), R's levels.

    Returns
    -------
    pandas.DataFrame
        76 rows, the 7 columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_kidney().shape
    (76, 7)
    """
    df = _read("kidney.csv")
    df["patient"] = _factor(df["patient"], _numeric_levels(df["patient"]))
    df["recur"] = _factor(df["recur"], ["1", "2"])
    df["sex"] = pd.Categorical(df["sex"], categories=["male", "female"])
    df["disease"] = pd.Categorical(df["disease"], categories=["other", "GN", "AN", "PKD"])
    return df


def load_housing() -> pd.DataFrame:
    """Copenhagen housing survey as a frequency table (MASS's ``housing``; Madsen 1976), 72
    rows: satisfaction ``Sat`` (ordered Categorical Low < Medium < High), perceived influence
    ``Infl`` (Low, Medium, High), ``Type`` of rental (Tower, Apartment, Atrium, Terrace),
    contact with other residents ``Cont`` (Low, High) and ``Freq``, the number of residents
    (1681 in all) — each row a frequency weight, as in ``polr(Sat ~ ..., weights = Freq)``.

    Returns
    -------
    pandas.DataFrame
        72 rows, the 5 columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_housing().shape
    (72, 5)
    """
    df = _read("housing.csv")
    df["Sat"] = pd.Categorical(df["Sat"], categories=["Low", "Medium", "High"], ordered=True)
    df["Infl"] = pd.Categorical(df["Infl"], categories=["Low", "Medium", "High"])
    df["Type"] = pd.Categorical(df["Type"], categories=["Tower", "Apartment", "Atrium", "Terrace"])
    df["Cont"] = pd.Categorical(df["Cont"], categories=["Low", "High"])
    return df


def load_inhaler() -> pd.DataFrame:
    """Crossover trial of an inhalation device (brms's ``inhaler``; Ezzet & Whitehead 1991),
    572 rows: ``rating`` (ordered Categorical 1 < 2 < 3 < 4), ``subject`` (Categorical, 286
    levels in numeric order), ``treat`` and ``period`` (coded ±0.5), ``carry`` (-1, 0, 1).

    Returns
    -------
    pandas.DataFrame
        572 rows, the 5 columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_inhaler().shape
    (572, 5)
    """
    df = _read("inhaler.csv")
    df["subject"] = _factor(df["subject"], _numeric_levels(df["subject"]))
    df["rating"] = pd.Categorical(df["rating"], categories=[1, 2, 3, 4], ordered=True)
    return df


def load_lakehuron() -> pd.DataFrame:
    """Annual ``level`` of Lake Huron in feet (R's ``LakeHuron``; Brockwell & Davis 1991),
    ``year`` 1875-1972.

    Returns
    -------
    pandas.DataFrame
        98 rows, the 2 columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_lakehuron().shape
    (98, 2)
    """
    return _read("lakehuron.csv")


def load_loss() -> pd.DataFrame:
    """Cumulative insurance loss payments (brms's ``loss``; Gesmann & Morris 2020), 55 rows:
    ``cum`` by origin year ``AY`` (Categorical 1991-2000) and development month ``dev``, with
    the year's ``premium``.

    Returns
    -------
    pandas.DataFrame
        55 rows, the 4 columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_loss().shape
    (55, 4)
    """
    df = _read("loss.csv")
    df["AY"] = _factor(df["AY"], _numeric_levels(df["AY"]))
    return df


def load_btdata() -> pd.DataFrame:
    """Blue tit chicks (MCMCglmm's ``BTdata``; Hadfield et al. 2007), 828 rows: standardized
    ``tarsus`` length and ``back`` colour, ``hatchdate`` (standardized), ``animal`` (828),
    ``dam`` (106) and ``fosternest`` (104) as Categoricals in R's (alphabetical) order, ``sex``
    (Categorical Fem, Male, UNK).

    Returns
    -------
    pandas.DataFrame
        828 rows, the 7 columns above.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.load_btdata().shape
    (828, 7)
    """
    df = _read("btdata.csv")
    for col in ("animal", "dam", "fosternest", "sex"):
        df[col] = pd.Categorical(df[col], categories=sorted(df[col].unique()))
    return df


DATASETS.update({
    "biochemists": {"loader": load_biochemists, "source": "pscl 1.5 `bioChemists` (Long 1990)"},
    "kidney": {"loader": load_kidney, "source": "brms 2.18 `kidney`"},
    "housing": {"loader": load_housing, "source": "MASS 7.3 `housing` (Madsen 1976)"},
    "inhaler": {"loader": load_inhaler, "source": "brms 2.18 `inhaler`"},
    "lakehuron": {"loader": load_lakehuron, "source": "R datasets `LakeHuron`"},
    "loss": {"loader": load_loss, "source": "brms 2.18 `loss`"},
    "btdata": {"loader": load_btdata, "source": "MCMCglmm 2.36 `BTdata`"},
})
