"""The one place that configures JAX for the package: platform, host devices, x64, compile cache.

NumPyro sampling and Flax training both call :func:`ensure_configured` before they import JAX,
so the settings below take effect whichever runs first. Configure explicitly with
:func:`configure` before anything imports JAX; afterwards the platform and device count are fixed
for the life of the process (XLA reads them once), while x64 and the cache can still change.

Defaults: the best platform JAX finds (GPU/TPU when present, else CPU); on CPU one host device
per core, and at least :data:`MIN_HOST_DEVICES`, so that chains and data-parallel batches use
every core and the default 4 chains run as one parallel program; x64 on, because REML/brms
reference agreement is checked in double precision (networks keep float32 parameters regardless);
a persistent compilation cache in ``~/.cache/bayeszoo/jax`` so that a second process skips
most compilation. Environment overrides: ``BAYESZOO_PLATFORM``, ``BAYESZOO_HOST_DEVICES``,
``BAYESZOO_X64`` (0/1), ``BAYESZOO_JAX_CACHE`` (a folder, or ``off``).
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class RuntimeConfig:
    """The JAX settings in force, as :func:`configure` applied them.

    Parameters
    ----------
    platform : str
        ``"auto"``, ``"cpu"``, ``"gpu"``, ``"cuda"`` or ``"tpu"``.
    host_devices : int
        The number of CPU host devices XLA is told to create.
    x64 : bool
        Whether JAX computes in double precision.
    cache_dir : str or None
        The persistent compilation cache's folder (``None``: no cache).
    """

    platform: str
    host_devices: int
    x64: bool
    cache_dir: str | None


_config: RuntimeConfig | None = None

#: Host devices on CPU when there are fewer cores: NumPyro's default 4 chains then run as one
#: ``parallel`` (pmap) program, which compiles in about half the time of the ``vectorized`` one
#: (radon random intercept on 2 cores, compilation and a first run: 5.3 s against 8.6 s;
#: ``benchmarks/RESULTS.md``) and samples no slower.
MIN_HOST_DEVICES = 4


def _default_config() -> RuntimeConfig:
    cache = os.environ.get("BAYESZOO_JAX_CACHE", str(Path.home() / ".cache" / "bayeszoo" / "jax"))
    return RuntimeConfig(
        platform=os.environ.get("BAYESZOO_PLATFORM", "auto"),
        host_devices=int(os.environ.get("BAYESZOO_HOST_DEVICES",
                                        max(os.cpu_count() or 1, MIN_HOST_DEVICES))),
        x64=os.environ.get("BAYESZOO_X64", "1") not in ("0", "false", "False"),
        cache_dir=None if cache.lower() == "off" else cache,
    )


def _jax_initialized() -> bool:
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge._backends)
    except (ImportError, AttributeError):
        return True


def _adopt_running_backend(wanted: RuntimeConfig) -> RuntimeConfig:
    """The configuration of a JAX that started before bayeszoo configured it, with a warning when
    its CPU host devices differ from those asked for (chains then run ``vectorized``, and a fit
    draws other samples than in a process that bayeszoo configured)."""
    import jax

    running = jax.local_device_count() if jax.default_backend() == "cpu" else wanted.host_devices
    if running != wanted.host_devices:
        warnings.warn(
            f"JAX started before bayeszoo configured it and has {running} CPU host device(s), "
            f"not {wanted.host_devices}: chains may run vectorized, and draws differ from a "
            "process where bayeszoo configures JAX; import bayeszoo.runtime and call "
            "configure() (or ensure_configured()) before anything uses JAX",
            stacklevel=3,
        )
    return RuntimeConfig(wanted.platform, running, wanted.x64, wanted.cache_dir)


def configure(
    platform: str | None = None,
    host_devices: int | None = None,
    x64: bool | None = None,
    cache_dir: str | None | bool = None,
) -> RuntimeConfig:
    """Set the JAX platform (``"auto"``, ``"cpu"``, ``"gpu"``, ``"tpu"``), the number of CPU host
    devices, double precision and the persistent compilation cache (a folder; ``False`` for none).

    Arguments left ``None`` keep their current (or default) value. Platform and host devices
    cannot change once JAX has initialized its backends; asking for that warns and keeps the
    running values.

    Parameters
    ----------
    platform : str, optional
        ``"auto"``, ``"cpu"``, ``"gpu"`` (``"cuda"``) or ``"tpu"``.
    host_devices : int, optional
        CPU host devices (XLA's ``--xla_force_host_platform_device_count``).
    x64 : bool, optional
        Double precision.
    cache_dir : str or bool, optional
        The compilation cache's folder; ``False`` for none.

    Returns
    -------
    RuntimeConfig
        The configuration in force.

    Raises
    ------
    ValueError
        For an unknown platform or fewer than one host device.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.runtime.configure(platform="quantum")
    Traceback (most recent call last):
    ...
    ValueError: unknown platform 'quantum'; use auto, cpu, gpu or tpu
    """
    global _config
    current = _config or _default_config()
    wanted = RuntimeConfig(
        platform=platform if platform is not None else current.platform,
        host_devices=int(host_devices) if host_devices is not None else current.host_devices,
        x64=bool(x64) if x64 is not None else current.x64,
        cache_dir=(None if cache_dir is False else cache_dir)
        if cache_dir is not None
        else current.cache_dir,
    )
    if wanted.platform not in ("auto", "cpu", "gpu", "cuda", "tpu"):
        raise ValueError(f"unknown platform {wanted.platform!r}; use auto, cpu, gpu or tpu")
    if wanted.host_devices < 1:
        raise ValueError(f"host_devices must be >= 1, got {wanted.host_devices}")
    if _jax_initialized():
        if _config is None:
            wanted = _adopt_running_backend(wanted)
        elif (
            wanted.platform != _config.platform or wanted.host_devices != _config.host_devices
        ):
            warnings.warn(
                "JAX is already initialized: platform and host device count stay as they are; "
                "call bayeszoo.runtime.configure() before any JAX computation",
                stacklevel=2,
            )
            wanted = RuntimeConfig(_config.platform, _config.host_devices, wanted.x64,
                                   wanted.cache_dir)
    else:
        flags = re.sub(r"--xla_force_host_platform_device_count=\d+", "",
                       os.environ.get("XLA_FLAGS", "")).strip()
        os.environ["XLA_FLAGS"] = (
            f"{flags} --xla_force_host_platform_device_count={wanted.host_devices}".strip()
        )
        if wanted.platform != "auto":
            os.environ["JAX_PLATFORMS"] = "cuda" if wanted.platform == "gpu" else wanted.platform
    _config = wanted

    import jax

    jax.config.update("jax_enable_x64", wanted.x64)
    if wanted.cache_dir:
        Path(wanted.cache_dir).mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", wanted.cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return wanted


def ensure_configured() -> RuntimeConfig:
    """Apply the defaults once, unless :func:`configure` ran already.

    Returns
    -------
    RuntimeConfig
        The configuration in force.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.runtime.ensure_configured() is bz.runtime.ensure_configured()
    True
    """
    return _config if _config is not None else configure()


def info() -> dict[str, object]:
    """What is in use: configuration, JAX backend, devices and versions.

    Returns
    -------
    dict
        The fields of :class:`RuntimeConfig` and ``backend``, ``device_count``, ``devices``,
        ``jax``, ``jaxlib``.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> sorted(bz.runtime.info())
    ['backend', 'cache_dir', 'device_count', 'devices', 'host_devices', 'jax', 'jaxlib',
     'platform', 'x64']
    """
    cfg = ensure_configured()
    import jax
    import jaxlib

    devices = jax.devices()
    return {
        **asdict(cfg),
        "backend": jax.default_backend(),
        "device_count": len(devices),
        "devices": [str(d) for d in devices],
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
    }


def data_mesh(devices: list | None = None, axis: str = "data"):
    """A 1-D ``jax.sharding.Mesh`` over ``devices`` for data parallelism: batches are split along
    ``axis``, parameters replicated.

    By default every device JAX sees when they are accelerators (GPU/TPU), and one device on a
    CPU-only machine: XLA's CPU backend already spreads one device's work over every core, and
    splitting batches across forced host devices only adds synchronization (MNIST MLP epoch on
    2 cores: 1.7 s on one device, 2.9 s across 4 host devices; ``benchmarks/RESULTS.md``).
    Pass ``devices=jax.devices()`` to shard across the host devices all the same.

    Parameters
    ----------
    devices : list of jax.Device, optional
        The devices of the mesh (default as above).
    axis : str
        The mesh axis's name.

    Returns
    -------
    jax.sharding.Mesh
        One axis, ``axis``, over ``devices``.

    Raises
    ------
    ValueError
        When ``devices`` is empty.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.runtime.data_mesh(axis="batch").axis_names
    ('batch',)
    """
    ensure_configured()
    import jax
    import numpy as np
    from jax.sharding import Mesh

    if devices is None:
        devices = jax.devices()
        if devices[0].platform == "cpu":
            devices = devices[:1]
    devices = list(devices)
    if not devices:
        raise ValueError("data_mesh needs at least one device")
    return Mesh(np.asarray(devices), (axis,))
