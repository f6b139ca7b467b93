"""mgcv's families that only :func:`bayeszoo.reml` fits (``ziP``, ``multinom``, ``cox.ph``):
every sampler entry point refuses them with the family's advice, which names its twin among the
sampled families."""

from __future__ import annotations

from typing import ClassVar

from .base import Family

__all__ = ["RemlOnlyFamily"]


class RemlOnlyFamily(Family):
    """A family of mgcv's that the samplers refuse: ``sampler_advice`` says what to sample
    instead (``ziP``: ``zero_inflated_poisson``)."""

    sampler_advice: ClassVar[str]

    def default_priors(self, y, dpars=(), offset=None):
        raise ValueError(self.sampler_advice)

    def log_prob(self, ops, y, eta, aux, extras):
        raise ValueError(self.sampler_advice)

    def draw(self, rng, eta, aux=None, extras=None):
        raise ValueError(self.sampler_advice)
