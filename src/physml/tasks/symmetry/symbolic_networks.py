"""The laws of ``symbolic-laws`` read from trained networks (Cranmer et al., arXiv:2006.11287).

- ``newton-messages``, ``coulomb-messages``: a :class:`ForceMessageNetwork` learns the net
  force m_i a_i on each of N bodies (measured accelerations times the known masses;
  :mod:`physml.sim.mechanics.nbody`, states along exact DOP853 trajectories; edge inputs
  the separation and distance, node inputs mass and charge), its messages a bottleneck
  of size d or penalised by L1. On held-out edges the d message components of largest
  spread are regressed on the true pair force F_ij (messages = F A + b; R^2 reported).
  physml's search (:func:`~physml.infer.symbolic.central_force_search`) reads, from the
  messages alone, the central law f r_hat of force units (messages = f r_hat B + b'); the
  law's constant is B A^-1 (c times the identity when the messages are linear in the
  force), snapped to p/q pi^k. The law is the x component c f dx / r, exact when
  sympy-equal to -G m1 m2 dx / r^3 (gravity) or k_e q1 q2 dx / r^3 (Coulomb; G = k_e = 1
  in simulation units). gplearn sees the messages turned into forces, (messages - b)
  A^-1, x component.
- ``pendulum-hnn``: a Hamiltonian network (:class:`~physml.models.dynamics.HamiltonianNN`)
  learns the ideal pendulum's vector field. The gauge: Hamilton's equations fix H up to an
  additive constant, set by H(0, 0) = 0 (the stable equilibrium); the scale is fixed by the
  time derivatives themselves. The learned H is separable (its cross term is reported), so
  the kinetic slice H(0, p) and the potential slice H(q, 0) are each searched with units
  (the dimensionless angle q and the offered feature u = 1 - cos q beside it), and the sum
  is compared with p^2 / (2 m L^2) + m g L (1 - cos q). gplearn fits H(q, p) with cos
  added to its default functions.

A network's error is smooth (correlated from point to point), so a constant read from it is
known to about the rms relative residual of the fit, not that over sqrt(n): constants are
snapped within three times it (at least the noise tolerance of the catalogue laws, at most
10 %: a constant known worse than that is left as a float, and its law is not exact).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from physml.tasks.base import RunContext, Widths
from physml.tasks.seeds import Stream, generator, seed_sequence
from physml.train.settings import FitSettings

__all__ = ["NETWORK_LAWS", "NetworkLawSettings", "network_law", "network_metrics"]

#: The network laws and the variables of their symbolic searches (the widest is checked
#: against the exponent lattice's size).
NETWORK_LAWS = {
    "newton-messages": ("m1", "m2", "r", "G"),
    "coulomb-messages": ("q1", "q2", "r", "k_e"),
    "pendulum-hnn": ("m", "g", "L", "q", "u"),
}


#: A constant known no better than this (relative) is not snapped: its law is not exact.
MAX_TOLERANCE = 0.1


class NetworkLawSettings(BaseModel):
    """The simulated systems and the networks of the network laws."""

    model_config = ConfigDict(extra="forbid")
    n_bodies: int = Field(4, ge=2, le=16, description="bodies of each N-body system")
    n_systems: int = Field(300, ge=10, le=100_000, description="N-body systems (trajectories)")
    message_dim: int = Field(2, ge=2, le=256, description="message size (2: a bottleneck)")
    l1: float = Field(0.0, ge=0, le=10, description="L1 penalty on the mean |message|")
    hidden: Widths = Field([64, 64], min_length=1, description="hidden widths of the networks")
    n_states: int = Field(2000, ge=20, le=1_000_000, description="pendulum training states")
    max_angle: float = Field(2.5, gt=0.1, le=3.1, description="largest pendulum angle (rad)")
    gnn_train: FitSettings = FitSettings(
        max_epochs=150, batch_size=64, learning_rate=3e-3, patience=30
    )
    hnn_train: FitSettings = FitSettings(
        max_epochs=150, batch_size=128, learning_rate=3e-3, patience=30
    )


def network_law(
    name: str, config: Any, noise_index: int, seed: int, ctx: RunContext, gplearn: bool
) -> dict:
    """Train the network of law ``name`` and search its learned law with physml's search
    and (with ``gplearn``) gplearn: ``rows``, per method a row (expression, exact, seconds,
    units_ok), and the law's diagnostics (R^2, transform, constant, cross term)."""
    key = (list(config.laws).index(name), noise_index, seed)
    noise = config.noise_levels[noise_index]
    if name == "pendulum-hnn":
        return _pendulum(config, noise, key, ctx, gplearn)
    return _messages(name, config, noise, key, ctx, gplearn)


def _network_seed(seed: int, key: tuple) -> int:
    return int(seed_sequence(seed, Stream.SYMBOLIC_NETWORKS, *key).generate_state(1)[0])


def _messages(
    name: str, config: Any, noise: float, key: tuple, ctx: RunContext, gplearn: bool
) -> dict:
    import torch
    from torch.utils.data import TensorDataset

    from physml.models.graphs.force_messages import ForceMessageNetwork, pair_inputs
    from physml.sim.mechanics.nbody import NBody
    from physml.train import fit

    settings = config.networks
    law = "gravity" if name == "newton-messages" else "coulomb"
    system = NBody(n_bodies=settings.n_bodies, law=law)
    rng = generator(ctx.seed, Stream.SYMBOLIC_NBODY, *key)
    states, nodes, accel = _nbody_states(system, settings.n_systems, rng)
    # the net force m_i a_i on each body, from the (noisy) measured accelerations
    target = nodes[..., :1] * accel * (1 + noise * rng.standard_normal(accel.shape))
    n, d = system.n_bodies, system.dim
    parts = _split(len(states))
    as_t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)  # noqa: E731
    data = {
        part: TensorDataset(as_t(states[rows, :n]), as_t(nodes[rows]), as_t(target[rows]))
        for part, rows in parts.items()
    }
    scale = float(target[parts["train"]].std())
    seed = _network_seed(ctx.seed, key)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ForceMessageNetwork(2, d + 1, d, settings.message_dim, settings.hidden)

    def loss(model, batch) -> torch.Tensor:
        positions, features, forces = batch
        x, edge_attr, edges = pair_inputs(positions, features)
        messages = model.messages(x, edge_attr, edges)
        predicted = model.update(x, messages, edges)
        error = ((predicted - forces.reshape(-1, d)) ** 2).mean() / scale**2
        return error + settings.l1 * messages.abs().mean()

    start = time.perf_counter()
    fit(net, loss, data["train"], data["val"], settings=settings.gnn_train, seed=seed)
    train_seconds = time.perf_counter() - start
    test = parts["test"]
    with torch.no_grad():
        x, edge_attr, edges = pair_inputs(as_t(states[test, :n]), as_t(nodes[test]))
        messages = net.messages(x, edge_attr, edges).double().numpy()
    edges = edges.numpy()
    graph, target, source = edges[1] // n, edges[1] % n, edges[0] % n
    pair = system.pair_forces(states[test, :n], nodes[test, :, 0], nodes[test, :, 1])
    force = pair[graph, target, source]  # (n_edges, d): force on the target from the source
    delta = edge_attr[:, :d].double().numpy()
    feature = 0 if law == "gravity" else 1
    x_law = np.stack(
        [
            nodes[test][graph, target, feature],
            nodes[test][graph, source, feature],
            np.linalg.norm(delta, axis=1),
            np.full(len(delta), system.constant),
        ],
        axis=1,
    )
    return _read_force_law(
        name, config, messages, force, delta, x_law, noise, key, ctx, gplearn
    ) | {"train_seconds": train_seconds}


def _nbody_states(system, n_systems: int, rng: np.random.Generator):
    """States along exact trajectories (t in [0, 1], 6 times; stopped at a separation
    below 0.5), their node features (mass, charge) and exact accelerations."""
    x0, masses, charges = system.initial_conditions(n_systems, rng)
    paths = system.trajectories(
        x0, masses, charges, np.linspace(0.0, 1.0, 6), tol=1e-10, stop_below=0.5
    )
    keep = ~np.isnan(paths[..., 0, 0])
    features = np.stack([masses, charges], axis=-1)[:, None].repeat(paths.shape[1], 1)
    states, nodes = paths[keep], features[keep]
    n = system.n_bodies
    accel = system.vector_field(states, nodes[..., 0], nodes[..., 1])[:, n:] / nodes[..., :1]
    return states, nodes, accel


def _split(n: int) -> dict[str, slice]:
    """Test (first 20 %), validation (next 10 %) and training states, in trajectory order
    (the states of one system stay mostly in one part)."""
    n_test, n_val = max(1, n // 5), max(1, n // 10)
    return {
        "test": slice(0, n_test),
        "val": slice(n_test, n_test + n_val),
        "train": slice(n_test + n_val, None),
    }


def _read_force_law(
    name: str, config: Any, messages, force, delta, x_law, noise: float, key: tuple, ctx, gplearn
) -> dict:
    """R^2 of the dominant messages against the true force, the transform A, physml's
    central-force search on the messages and gplearn on the messages turned into forces."""
    import sympy as sp

    from physml.infer.symbolic import central_force_search, monomial, snap_constant
    from physml.sim.laws.catalogue import LAWS

    d = force.shape[1]
    dominant = messages[:, np.argsort(messages.std(0))[::-1][:d]]
    transform, offset, r2 = _linear_fit(force, dominant)
    r2_error = _bootstrap_r2(force, dominant, ctx.seed, key)
    rng = generator(ctx.seed, Stream.SYMBOLIC_NBODY, *key, 1)
    pick = rng.choice(len(dominant), min(config.n_samples, len(dominant)), replace=False)
    catalogue = LAWS["newton" if name == "newton-messages" else "coulomb"]
    names = list(NETWORK_LAWS[name])
    units = {v: catalogue.variables[v][0] for v in names}
    start = time.perf_counter()
    found = central_force_search(
        dominant[pick],
        delta[pick],
        x_law[pick],
        names,
        units,
        catalogue.target_units,
        max_power=config.max_power,
        step=config.step,
    )
    seconds = time.perf_counter() - start
    ratio = found.B @ np.linalg.inv(transform)  # c times the identity for linear messages
    constant = float(np.trace(ratio) / d)
    mismatch = float(np.abs(ratio - constant * np.eye(d)).max() / abs(constant))
    tolerance = _learned_tolerance(noise, config.n_samples, mismatch)
    dx, r = sp.Symbol("dx", positive=True), sp.Symbol("r", positive=True)
    sign = -1 if name == "newton-messages" else 1
    truth = sign * catalogue.expression * dx / r
    expression = monomial(snap_constant(constant, tolerance), names, found.exponents) * dx / r
    rows = {"physml": _row(expression, truth, seconds, True)}
    if gplearn:
        forces = (dominant[pick] - offset) @ np.linalg.inv(transform)
        inputs = np.concatenate([delta[pick], x_law[pick]], axis=1)
        all_units = {"dx": catalogue.variables["r"][0], "dy": catalogue.variables["r"][0], **units}
        rows["gplearn"] = _gplearn_row(
            config,
            inputs,
            forces[:, 0],
            ["dx", "dy", *names],
            all_units,
            catalogue.target_units,
            truth,
            tolerance,
            key,
        )
    return {
        "rows": rows,
        "r2": float(np.mean(r2)),
        "r2_error": r2_error,
        "transform": transform.round(4).tolist(),
        "constant": constant,
        "mismatch": mismatch,
        "expected_constant": float(sign),
    }


def _linear_fit(force: np.ndarray, dominant: np.ndarray):
    """Least squares dominant = force A + b: A (d, d), b (d,), R^2 per component."""
    design = np.concatenate([force, np.ones((len(force), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, dominant, rcond=None)
    residual = dominant - design @ coef
    return coef[:-1], coef[-1], 1 - residual.var(0) / dominant.var(0)


def _bootstrap_r2(force, dominant, seed: int, key: tuple) -> float:
    from physml.tasks.seeds import N_RESAMPLES, bootstrap_seed

    rng = np.random.default_rng(bootstrap_seed(seed, Stream.SYMBOLIC_NBODY, *key))
    values = []
    for _ in range(N_RESAMPLES):
        rows = rng.integers(0, len(force), len(force))
        values.append(float(np.mean(_linear_fit(force[rows], dominant[rows])[2])))
    return float(np.std(values, ddof=1))


def _noise_tolerance(noise: float, n_samples: int) -> float:
    """The catalogue laws' snapping tolerance, max(1e-6, 5 noise / sqrt(n))."""
    return max(1e-6, 5 * noise / np.sqrt(n_samples))


def _learned_tolerance(noise: float, n_samples: int, residual: float) -> float:
    """Snapping tolerance of a constant read from a network: three times its relative
    residual (at least the noise tolerance), at most MAX_TOLERANCE."""
    return min(MAX_TOLERANCE, max(_noise_tolerance(noise, n_samples), 3 * residual))


def _row(expression, truth, seconds: float, units_ok: bool) -> dict:
    from physml.infer.symbolic import same_law

    return {
        "expression": str(expression),
        "exact": bool(same_law(expression, truth)),
        "seconds": seconds,
        "units_ok": units_ok,
    }


def _gplearn_row(
    config, inputs, target, names, units, target_units, truth, tolerance, key, functions=None
) -> dict:
    from gplearn.genetic import SymbolicRegressor

    from physml.infer.symbolic import UnitsError, expression_units, gplearn_expression

    extra = {} if functions is None else {"function_set": functions}
    start = time.perf_counter()
    model = SymbolicRegressor(**config.gplearn.model_dump(), **extra, random_state=key[2])
    model.fit(inputs, target)
    seconds = time.perf_counter() - start
    expression = gplearn_expression(model._program, names, tolerance)
    try:
        consistent = expression_units(expression, units) == tuple(target_units)
    except UnitsError:
        consistent = False
    return _row(expression, truth, seconds, consistent)


def _pendulum(config: Any, noise: float, key: tuple, ctx: RunContext, gplearn: bool) -> dict:
    import sympy as sp
    import torch
    from torch.utils.data import TensorDataset

    from physml.infer.symbolic import dimensional_search, monomial, snap_constant
    from physml.models.dynamics import HamiltonianNN
    from physml.sim.laws.catalogue import units
    from physml.sim.mechanics.ideal_pendulum import IdealPendulum
    from physml.train import fit

    settings = config.networks
    system = IdealPendulum()
    rng = generator(ctx.seed, Stream.SYMBOLIC_PENDULUM, *key[1:])
    states = system.sample_states(settings.n_states, rng, max_angle=settings.max_angle)
    rates = system.vector_field(states) * (1 + noise * rng.standard_normal(states.shape))
    n_val = max(1, len(states) // 5)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32)[..., None]  # noqa: E731
    data = {
        part: TensorDataset(as_t(states[rows]), as_t(rates[rows]))
        for part, rows in (("val", slice(0, n_val)), ("train", slice(n_val, None)))
    }
    scale = torch.as_tensor(rates.std(0), dtype=torch.float32)[:, None]
    seed = _network_seed(ctx.seed, key)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = HamiltonianNN(1, 1, settings.hidden)

    def loss(model, batch) -> torch.Tensor:
        x, dx = batch
        return (((model(x, x.new_zeros(len(x), 1)) - dx) / scale) ** 2).mean()

    start = time.perf_counter()
    fit(net, loss, data["train"], data["val"], settings=settings.hnn_train, seed=seed)
    train_seconds = time.perf_counter() - start
    net = net.double().eval()

    def energy(q: np.ndarray, p: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.stack([q, p], axis=-1))[..., None]
        with torch.no_grad():
            return net.energy(x, x.new_zeros(len(x), 1)).numpy()

    h0 = energy(np.zeros(1), np.zeros(1))[0]  # the gauge: H(0, 0) = 0
    m = config.n_samples
    p_max = system.max_momentum(settings.max_angle)
    p = np.linspace(p_max / 20, p_max, m)
    q = np.linspace(settings.max_angle / 50, settings.max_angle, m)
    kinetic, potential = energy(np.zeros(m), p) - h0, energy(q, np.zeros(m)) - h0
    box = system.sample_states(m, rng, max_angle=settings.max_angle)
    learned = energy(box[:, 0], box[:, 1]) - h0
    cross = learned - (energy(box[:, 0], np.zeros(m)) - h0) - (energy(np.zeros(m), box[:, 1]) - h0)
    truth = system.hamiltonian()
    names = {
        "q": units(),
        "p": units(kg=1, m=2, s=-1),
        "m": units(kg=1),
        "g": units(m=1, s=-2),
        "L": units(m=1),
        "u": units(),
    }
    energy_units = units(kg=1, m=2, s=-2)
    constants = {"m": system.mass, "g": system.gravity, "L": system.length}
    ones = np.ones(m)
    start = time.perf_counter()
    found = []
    for variables, columns, target in (
        (["p", "m", "L"], [p, constants["m"] * ones, constants["L"] * ones], kinetic),
        (
            list(NETWORK_LAWS["pendulum-hnn"]),
            [constants["m"] * ones, constants["g"] * ones, constants["L"] * ones, q, 1 - np.cos(q)],
            potential,
        ),
    ):
        x = np.stack(columns, axis=1)
        law = dimensional_search(
            x, target, variables, names, energy_units, max_power=config.max_power, step=config.step
        )
        tolerance = _learned_tolerance(noise, m, law.rms)
        found.append(
            (monomial(snap_constant(law.constant, tolerance), variables, law.exponents), law.rms)
        )
    q_symbol, u_symbol = sp.Symbol("q", positive=True), sp.Symbol("u", positive=True)
    expression = found[0][0] + found[1][0].subs(u_symbol, 1 - sp.cos(q_symbol))
    seconds = time.perf_counter() - start
    rows = {"physml": _row(expression, truth, seconds, True)}
    if gplearn:
        inputs = np.stack([box[:, 0], box[:, 1], *(constants[k] * ones for k in "mgL")], axis=1)
        rows["gplearn"] = _gplearn_row(
            config,
            inputs,
            learned,
            ["q", "p", "m", "g", "L"],
            names,
            energy_units,
            truth,
            _learned_tolerance(noise, m, max(rms for _, rms in found)),
            key,
            functions=("add", "sub", "mul", "div", "cos"),
        )
    exact_h = system.energy(box)
    ratios = {"cross_term": (cross, learned), "energy_error": (learned - exact_h, exact_h)}
    out = {"rows": rows, "train_seconds": train_seconds}
    for name, (num, den) in ratios.items():
        out[name], out[f"{name}_error"] = _rms_ratio(num, den, ctx.seed, key)
    return out


def _rms_ratio(num: np.ndarray, den: np.ndarray, seed: int, key: tuple) -> tuple[float, float]:
    """rms(num) / rms(den) over the points and its bootstrap error."""
    from physml.tasks.seeds import N_RESAMPLES, bootstrap_seed

    def ratio(rows) -> float:
        return float(np.sqrt(np.mean(num[rows] ** 2) / np.mean(den[rows] ** 2)))

    rng = np.random.default_rng(bootstrap_seed(seed, Stream.SYMBOLIC_PENDULUM, *key))
    resampled = [ratio(rng.integers(0, len(num), len(num))) for _ in range(N_RESAMPLES)]
    return ratio(slice(None)), float(np.std(resampled, ddof=1))


def network_metrics(diagnostics: list[dict]) -> dict:
    """Per network law and noise level: R^2 of the messages against the true force and the
    message-to-force constant, or the HNN's cross term and energy error; mean over seeds
    with its standard error (one seed: bootstrap errors over the test points, and the
    constant's departure from linear messages)."""
    metrics = {}
    groups: dict[tuple, list[dict]] = {}
    for row in diagnostics:
        groups.setdefault((row["law"], row["noise"]), []).append(row)
    for (law, noise), rows in groups.items():
        at = f"({law}, noise {noise:g})"
        if law == "pendulum-hnn":
            for name, label in (
                ("cross_term", "HNN cross term rms / H rms"),
                ("energy_error", "HNN rms energy error / H rms"),
            ):
                metrics[f"{label} {at}"] = _over_seeds(
                    rows, name, 0.0, "the true H is separable and exact", f"{name}_error"
                )
            continue
        transform = rows[0]["transform"]
        metrics[f"message R^2 against the true force {at}"] = _over_seeds(
            rows, "r2", 1.0, f"messages linear in the force; transform A = {transform}", "r2_error"
        )
        metrics[f"message-to-force constant {at}"] = _over_seeds(
            rows,
            "constant",
            rows[0]["expected_constant"],
            "B A^-1 = c I; G = k_e = 1 in simulation units (gravity attracts: -1)",
            "mismatch",
        )
    return metrics


def _over_seeds(rows: list[dict], name: str, reference, source: str, one_seed_error: str):
    from physml.metrics import Metric

    values = np.array([r[name] for r in rows])
    if len(values) > 1:
        error = float(values.std(ddof=1) / np.sqrt(len(values)))
        source += f"; error: standard error over {len(values)} seeds"
    elif one_seed_error == "mismatch":
        error = abs(rows[0]["mismatch"] * values[0])
        source += "; error: largest entry of B A^-1 - c I"
    else:
        error = rows[0][one_seed_error]
        source += "; error: bootstrap over the test points"
    return Metric(float(values.mean()), reference, "", source, error=error)
