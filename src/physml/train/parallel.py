"""Independent jobs in parallel through Ray: ensemble members and sweep points.

:func:`ray_workers` starts a local Ray cluster of ``workers`` CPUs (or joins the cluster
at ``address``) for the duration of a ``with`` block; inside it :func:`run_parallel`
runs a function over items as Ray tasks, each on one CPU (and one GPU where asked), and
:func:`physml.train.fit_ensemble` trains its members that way. Jobs share nothing but
their arguments: each has its own seed, so a parallel ensemble gives the members a
sequential one gives, bit for bit where the thread counts match (Ray workers run with
one thread; the tests set ``OMP_NUM_THREADS=1``).

Ray is the optional ``cluster`` extra (``pip install -e ".[cluster]"``), imported inside
the functions. Workers import physml themselves: on a cluster of several machines it must
be installed on each, and run directories must be on a file system they share.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from physml.config import ConfigError

__all__ = ["active_workers", "check_address", "ray_workers", "run_parallel"]

_ACTIVE: dict[str, Any] = {}


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "parallel members and sweeps need Ray: pip install -e '.[cluster]'"
        ) from None
    return ray


def check_address(address: str, timeout_s: float = 3.0) -> None:
    """Refuse (ConfigError) a Ray address ``host:port`` (or ``ray://host:port``) where
    nothing answers within ``timeout_s`` seconds; ``auto`` is left to Ray."""
    if address == "auto":
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"--address {address!r} is not allowed: expected HOST:PORT, ray://HOST:PORT or auto"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return
    except OSError as err:
        raise ConfigError(
            f"--address {address!r}: no Ray cluster answers there ({err.strerror or err}); "
            "start one with 'ray start --head' or leave --address out for a local cluster"
        ) from None


@contextlib.contextmanager
def ray_workers(workers: int, address: str | None = None) -> Iterator[int]:
    """Run the block with a Ray cluster: a local one of ``workers`` CPUs, or the one at
    ``address`` (at most ``workers`` of its jobs at once). Yields ``workers``.

    A cluster already initialised in this process (a test's) is used as it is.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers {workers!r} is not allowed: must be a positive integer")
    if address is not None:
        check_address(address)
    ray = _ray()
    started = not ray.is_initialized()
    if started:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None:
            # Ray nices its workers by 15 (RayConfig worker_niceness): on a shared machine
            # the members then starve behind any other job (measured: 29 s of CPU in 16
            # min at load 5). A local cluster's workers run at the driver's priority.
            options["num_cpus"] = workers
            options["_system_config"] = {"worker_niceness": 0}
        else:
            options["address"] = address
        try:
            ray.init(**options)
        except ConnectionError as err:
            raise ConfigError(f"--address {address!r}: {' '.join(str(err).split())}") from None
    outer = dict(_ACTIVE)
    _ACTIVE["workers"] = workers
    try:
        yield workers
    finally:
        _ACTIVE.clear()
        _ACTIVE.update(outer)
        if started:
            ray.shutdown()


def active_workers() -> int:
    """How many jobs may run at once inside :func:`ray_workers` (1 outside it)."""
    return _ACTIVE.get("workers", 1)


def run_parallel(
    function: Callable[..., Any],
    items: Sequence[Any],
    *,
    shared: Sequence[Any] = (),
    gpus: float = 0.0,
    on_result: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``[function(*shared, item) for item in items]``, as Ray tasks on the active cluster.

    ``shared`` arguments (datasets) are put in Ray's object store once. At most
    :func:`active_workers` tasks run at once; ``on_result(index, result)`` is called as
    each finishes (in finishing order), and the results come back in item order. The
    first task that raises stops the others and re-raises its exception here.
    """
    ray = _ray()
    remote = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(function)
    refs = [ray.put(value) for value in shared]
    results: dict[int, Any] = {}
    pending: dict[Any, int] = {}
    queue = list(enumerate(items))
    try:
        while queue or pending:
            while queue and len(pending) < active_workers():
                index, item = queue.pop(0)
                pending[remote.remote(*refs, item)] = index
            done, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(done[0])
            try:
                results[index] = ray.get(done[0])
            except ray.exceptions.RayTaskError as err:
                raise err.as_instanceof_cause() from None
            if on_result is not None:
                on_result(index, results[index])
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
    return [results[i] for i in range(len(items))]
