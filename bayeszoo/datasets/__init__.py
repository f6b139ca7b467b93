"""Datasets: the bundled CSVs, the full radon survey, MNIST and the lecture's synthetic 2-D sets,
and :func:`read_table` for a user's CSV or Parquet file or a bundled dataset by name.

Provenance of every bundled file is in ``README.md`` next to this module.
"""

from bayeszoo.datasets.mnist import load_mnist
from bayeszoo.datasets.read import read_table
from bayeszoo.datasets.synthetic import make_circle, make_flower, make_sigmoid_boundary
from bayeszoo.datasets.tabular import (
    DATASETS,
    load_airquality,
    load_biochemists,
    load_btdata,
    load_cbpp,
    load_co2,
    load_eight_schools,
    load_epilepsy,
    load_housing,
    load_inhaler,
    load_kidney,
    load_lakehuron,
    load_loss,
    load_mcycle,
    load_nottem,
    load_penguins,
    load_pima,
    load_quine,
    load_radon,
    load_radon_full,
    load_sleepstudy,
)

__all__ = [
    "DATASETS",
    "load_airquality",
    "load_biochemists",
    "load_btdata",
    "load_cbpp",
    "load_co2",
    "load_eight_schools",
    "load_epilepsy",
    "load_housing",
    "load_inhaler",
    "load_kidney",
    "load_lakehuron",
    "load_loss",
    "load_mcycle",
    "load_mnist",
    "load_nottem",
    "load_penguins",
    "load_pima",
    "load_quine",
    "load_radon",
    "load_radon_full",
    "load_sleepstudy",
    "make_circle",
    "make_flower",
    "make_sigmoid_boundary",
    "read_table",
]
