"""The exact reference of the mechanics simulators: DOP853 (scipy's adaptive 8th-order
Runge-Kutta) at a tight tolerance, recorded at given times."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["dop853"]


def dop853(
    rhs: Callable[[float, np.ndarray], np.ndarray],
    y0: np.ndarray,
    times: np.ndarray,
    tol: float,
    event: Callable[[float, np.ndarray], float] | None = None,
) -> np.ndarray:
    """States of dy/dt = rhs(t, y) from the flat y0 at ``times`` (starting at times[0]),
    rtol = atol = ``tol``, shape (n_state, n_times); with a terminal ``event`` only the
    times before it crosses zero.

    Raises:
        RuntimeError: when the integration fails.
    """
    from scipy.integrate import solve_ivp

    if event is not None:
        event.terminal = True
    solution = solve_ivp(
        rhs,
        (times[0], times[-1]),
        y0,
        method="DOP853",
        t_eval=times,
        rtol=tol,
        atol=tol,
        events=event,
    )
    if solution.status < 0:
        raise RuntimeError(f"DOP853 failed: {solution.message}")
    return solution.y
