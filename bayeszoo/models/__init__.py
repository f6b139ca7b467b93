"""Models: the zoo registry (``zoo``), brms default priors and the prior vocabulary (``priors``),
the backend builders ``build_numpyro`` (``numpyro``) and ``build_pymc`` (``pymc``) that turn a
:class:`bayeszoo.design.Design` into a sampler's model.
Submodules load on first use; nothing is imported here."""
