"""The base every block structure subclasses: what the model spec, the likelihood, the
samplers and ``predict`` ask of a structure, with the answers most structures share.

Every structure turns the block's scale parameters and standard-normal draws ``z`` into the
block's coefficients ``r = f(scales, z)``. A subclass must give

* ``kind``: its name (``"iid"``, ``"multipenalty"``, ...), the key of
  :data:`bayeszoo.structures.STRUCTURES` and of the REML engine's penalties;
* :meth:`Structure.z_shape`: the shape of ``z`` for a block;
* :meth:`Structure.coefficients`: ``(scales, z, ops) -> r`` on every array backend.

and may override the defaults below: a structure that can be sampled centered sets
``can_center`` and gives :meth:`~Structure.centered_scale` and :meth:`~Structure.from_centered`;
one whose coefficients on a prediction design are not the fitted ones sets
``draws_predictive_coefficients`` and gives :meth:`~Structure.predictive_coefficients`; one
whose levels carry several named coefficients answers :meth:`~Structure.level_coefficients`;
one whose contribution to the linear predictor is not ``Z·r`` (a network) sets
``computes_contribution`` and gives :meth:`~Structure.contribution`; one that correlates each
level's coefficients sets ``correlates_coefficients``; one whose centered draws may be centered
on the linear predictor's intercept sets ``centers_on_intercept``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from bayeszoo.design import Block

__all__ = ["Structure"]


class Structure(ABC):
    """A block's prior structure (see the module docstring).

    ``can_center``: the block can be sampled centered (``parameterization="centered"``);
    ``draws_predictive_coefficients``: on a prediction design its coefficients are drawn anew
    (:meth:`predictive_coefficients`); ``computes_contribution``: the block contributes
    :meth:`contribution` of its matrix rather than ``Z·r``; ``correlates_coefficients``: each
    level's coefficients are correlated (lme4's unstructured relative covariance, brms's
    ``cor_g``); ``centers_on_intercept``: a centered indicator block of unit weights (a random
    intercept) may be sampled as draws around the intercept (brms's ``centered`` hierarchical
    centering); ``per_threshold``: the block's coefficients shift an ordinal family's
    thresholds, one per threshold, instead of adding to the linear predictor (brms's ``cs()``,
    its ``mucs``); ``monotonic``: the block is a population-level ``mo()`` effect, whose simplex
    also weighs group-level columns of the same label (brms's ``(mo(x) | g)``); ``iid_normal``:
    the coefficients are independent ``Normal(0, sd)`` with the block's one sd, a Gaussian prior
    that ``sample_big``'s collapsed sampler integrates out.
    """

    kind: str
    can_center: ClassVar[bool] = False
    draws_predictive_coefficients: ClassVar[bool] = False
    computes_contribution: ClassVar[bool] = False
    correlates_coefficients: ClassVar[bool] = False
    centers_on_intercept: ClassVar[bool] = False
    per_threshold: ClassVar[bool] = False
    monotonic: ClassVar[bool] = False
    iid_normal: ClassVar[bool] = False

    @abstractmethod
    def z_shape(self, block: Block) -> tuple[int, ...]:
        """The shape of the block's standard-normal draws ``z``."""

    @abstractmethod
    def coefficients(self, scales, z, ops):
        """The block's coefficients from its scale parameters (in the order of
        ``Block.names.scales``) and ``z``, leading batch dimensions broadcasting; ``ops`` the
        array backend's :mod:`bayeszoo.families.ops`."""

    def centered_scale(self, scales, ops):
        """The standard deviations of the centered draws ``u`` (structures with
        ``can_center``)."""
        raise ValueError(f"a {self.kind} block cannot be sampled centered")

    def from_centered(self, u):
        """The block's coefficients from its centered draws ``u`` (structures with
        ``can_center``)."""
        raise ValueError(f"a {self.kind} block cannot be sampled centered")

    def predictive_coefficients(self, scales, coef: np.ndarray,
                                rng: np.random.Generator) -> np.ndarray:
        """The block's coefficients on a prediction design from posterior draws ``coef``
        (``S × q``) and ``scales`` (``S`` draws each): ``coef`` itself unless the structure
        ``draws_predictive_coefficients``."""
        return coef

    def level_coefficients(self, block: Block) -> tuple[str | None, ...]:
        """The names of the coefficients each level of ``block`` carries (brms's
        ``Intercept``, ``Days``): the block's one ``coef`` unless the structure ties several."""
        return (block.coef,)

    def contribution(self, coefficients, inputs, ops) -> Any:
        """The block's contribution to the linear predictor from its ``coefficients`` and its
        matrix ``inputs`` (structures with ``computes_contribution``)."""
        raise ValueError(f"a {self.kind} block contributes Z·r, not a function of its matrix")
