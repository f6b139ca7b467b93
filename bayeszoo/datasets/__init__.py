"""Datasets: the bundled CSVs, the full radon survey, MNIST and the lecture's synthetic 2-D sets.

Provenance of every bundled file is in ``README.md`` next to this module.
"""

from bayeszoo.datasets.mnist import load_mnist
from bayeszoo.datasets.synthetic import make_circle, make_flower, make_sigmoid_boundary
from bayeszoo.datasets.tabular import (
    DATASETS,
    load_mcycle,
    load_penguins,
    load_radon,
    load_radon_full,
)

__all__ = [
    "DATASETS",
    "load_mcycle",
    "load_mnist",
    "load_penguins",
    "load_radon",
    "load_radon_full",
    "make_circle",
    "make_flower",
    "make_sigmoid_boundary",
]
