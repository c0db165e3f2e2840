r"""The range of a projectile with quadratic air drag: a deterministic, costly simulator.

Launched from the origin at speed v0 (m/s) and angle theta above the horizontal, the
projectile obeys dv/dt = -k |v| v - g e_y (k in 1/m, g = 9.81 m/s^2) until it returns to
y = 0; the range is x at that moment. There is no closed form for k > 0, so
:func:`projectile_range` integrates with scipy's DOP853 to rtol 1e-10 and locates the
landing by an event (a few ms per run: the "expensive simulator" ``gp-emulator``
emulates). Without drag the range is v0^2 sin(2 theta) / g (:func:`vacuum_range`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["GRAVITY", "VERSION", "projectile_range", "vacuum_range"]

VERSION = "1"
GRAVITY = 9.81  # m/s^2


def vacuum_range(angle_deg, *, speed: float, gravity: float = GRAVITY) -> np.ndarray:
    """Range in metres without drag, v0^2 sin(2 theta) / g."""
    return speed**2 * np.sin(2 * np.deg2rad(angle_deg)) / gravity


def projectile_range(drag, angle_deg, *, speed: float, gravity: float = GRAVITY) -> np.ndarray:
    """Range in metres for each (drag [1/m], angle [deg]) pair; arrays of one shape.

    Raises:
        ValueError: for a negative drag, an angle outside (0, 90) degrees or a
            non-positive speed or gravity.
    """
    from scipy.integrate import solve_ivp

    drag, angle = np.broadcast_arrays(np.asarray(drag, float), np.asarray(angle_deg, float))
    if (drag < 0).any() or not np.isfinite(drag).all():
        raise ValueError("drag must be finite and >= 0 [1/m]")
    if ((angle <= 0) | (angle >= 90)).any():
        raise ValueError("angle_deg must lie in (0, 90) degrees")
    if not speed > 0 or not gravity > 0:
        raise ValueError(f"speed={speed!r} and gravity={gravity!r} must be > 0")

    def rhs(t, state, k):
        vx, vy = state[2], state[3]
        v = np.hypot(vx, vy)
        return [vx, vy, -k * v * vx, -k * v * vy - gravity]

    def landed(t, state, k):
        return state[1]

    landed.terminal, landed.direction = True, -1
    out = np.empty(drag.shape)
    for index in np.ndindex(drag.shape):
        theta = np.deg2rad(angle[index])
        state = [0.0, 0.0, speed * np.cos(theta), speed * np.sin(theta)]
        t_max = 2.5 * speed * np.sin(theta) / gravity + 1.0
        sol = solve_ivp(
            rhs,
            (0, t_max),
            state,
            method="DOP853",
            rtol=1e-10,
            atol=1e-10,
            events=landed,
            args=(float(drag[index]),),
        )
        out[index] = sol.y_events[0][0][0]
    return out
