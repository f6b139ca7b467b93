"""Many fits through one interface: any :class:`concurrent.futures.Executor`, a Dask cluster, or
none (in this process, one after the other).

``executor=`` of :func:`bayeszoo.sbc`, :func:`bayeszoo.loo` (``reloo=True``) and
:func:`bayeszoo.kfold` accepts

* ``None``: run the tasks here, in order;
* any ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor`` must start its workers with
  ``mp_context=multiprocessing.get_context("spawn")``: JAX is not fork-safe);
* a ``dask.distributed.Client`` (through ``Client.get_executor()``);
* ``"dask"``: a ``dask.distributed.LocalCluster`` of ``workers`` spawned processes (one thread
  each), closed again when the tasks are done;
* a scheduler address (``"tcp://host:8786"``): a client of that running cluster, whose workers
  must have bayeszoo installed.

Dask does the distribution; results come back in task order whatever order they finish in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

#: Dask settings for the clusters made here: spawned (not forked) worker processes that may
#: start processes of their own (PyMC samples chains in subprocesses).
DASK_CONFIG = {"distributed.worker.multiprocessing-method": "spawn",
               "distributed.worker.daemon": False}


def check_executor(executor: Any) -> None:
    """``TypeError``/``ValueError`` naming an ``executor=`` value that cannot run the fits."""
    if executor is None or executor == "dask":
        return
    if isinstance(executor, str):
        if "://" not in executor and ":" not in executor:
            raise ValueError(f"executor {executor!r} is neither 'dask' nor a scheduler address "
                             "such as 'tcp://host:8786'")
        return
    if _is_dask_client(executor):
        return
    if not isinstance(executor, Executor):
        raise TypeError(f"executor must be None, a concurrent.futures.Executor, a "
                        f"dask.distributed.Client, 'dask' or a scheduler address, got "
                        f"{type(executor).__name__}")
    context = getattr(executor, "_mp_context", None)
    if context is not None and context.get_start_method() == "fork":
        raise ValueError("this ProcessPoolExecutor forks its workers, and JAX is not fork-safe; "
                         "create it with mp_context=multiprocessing.get_context('spawn')")


def _is_dask_client(executor: Any) -> bool:
    cls = type(executor)
    return cls.__name__ == "Client" and cls.__module__.startswith("distributed")


@contextmanager
def opened(executor: Any, workers: int | None = None) -> Iterator[Executor | None]:
    """The :class:`concurrent.futures.Executor` behind ``executor=`` (``None`` for in-process),
    with a LocalCluster or a client made here closed on exit."""
    check_executor(executor)
    if executor is None or isinstance(executor, Executor):
        yield executor
        return
    if _is_dask_client(executor):
        yield executor.get_executor()
        return
    import dask
    from dask.distributed import Client, LocalCluster

    with dask.config.set(DASK_CONFIG):
        if executor == "dask":
            n = workers or os.cpu_count() or 1
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                yield client.get_executor()
            return
        try:
            client = Client(executor, timeout="20s")
        except OSError as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {executor!r}: {exc}") from None
        with client:
            yield client.get_executor()


def map_ordered(fn: Callable[[Any], Any], items: Sequence[Any], executor: Executor | None,
                on_done: Callable[[int, Any], None] | None = None) -> list[Any]:
    """``[fn(item) for item in items]`` on ``executor`` (here when ``None``), in item order;
    ``on_done(i, result)`` as each finishes. The first task to fail raises its error (the
    others are cancelled)."""
    if executor is None:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if on_done is not None:
                on_done(i, out[-1])
        return out
    from concurrent.futures import as_completed

    futures = {executor.submit(fn, item): i for i, item in enumerate(items)}
    results: list[Any] = [None] * len(items)
    try:
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if on_done is not None:
                on_done(i, results[i])
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return results
