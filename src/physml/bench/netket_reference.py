"""NetKet reference runs for ``physml bench vmc``.

Standalone script (it must not import physml): it is executed with the Python
of a separate NetKet venv, and its timings are the baseline against which
physml's own VMC engine is compared.  The setup is plain, idiomatic NetKet:
``MCState`` + ``MetropolisLocal``/``MetropolisGaussian`` + ``VMC`` driver with
``Sgd`` and the ``SR`` preconditioner (default QGT and CG solver), no chunking.

Problems:

* ``tfim``: periodic transverse-field Ising chain, L = 16,
  H = -sum Z_i Z_{i+1} - h sum X_i with h = 1, RBM ansatz.
* ``quantum-dot``: two electrons in a 2D harmonic trap (omega = 1) with
  Coulomb repulsion, exact E = 3 (Taut); Gaussian-binary RBM times a
  Pade-Jastrow factor with the exact cusp.

Usage::

    python netket_reference.py {tfim,quantum-dot} --n-iterations N \
        --n-samples S --lr LR --diag-shift D --seed K [--alpha A]

Prints one JSON line: problem, netket version, per-iteration energies and
errors of the mean, ``times`` (wall seconds since the start of the first
iteration, taken at the end of each iteration, after parameters are updated
and synchronised), ``setup_s`` (building Hilbert space, operator, model,
sampler, variational state and driver; imports excluded), ``exact`` and the
sampler's defaults as used: ``n_chains``, ``sweep_size`` (moves per sample)
and ``n_discard_per_chain`` (samples discarded per chain at every step).
The times INCLUDE the JIT compilation of the first step(s): compilation is a
real part of NetKet's cost, so it is deliberately not excluded.
"""

import argparse
import json
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk
import numpy as np

L_TFIM, H_TFIM = 16, 1.0
E_TFIM = -20.404594474756657  # exact ground energy, periodic L=16, h=1
E_DOT = 3.0  # Taut (1993), omega = 1 in 2D


class GaussianRBMJastrow(nn.Module):
    """log psi of a Gaussian-binary RBM times a Pade-Jastrow factor (2 e-, 2D)."""

    n_hidden: int = 2
    cusp: float = 1.0  # 2D antiparallel pair: 1 / (d - 1)

    @nn.compact
    def __call__(self, x):
        n = x.shape[-1]
        a = self.param("a", nn.initializers.zeros, (n,), float)
        b = self.param("b", nn.initializers.zeros, (self.n_hidden,), float)
        w = self.param("w", nn.initializers.normal(0.01), (n, self.n_hidden), float)
        log_sigma = self.param("log_sigma", nn.initializers.zeros, (), float)
        log_beta = self.param("log_beta", nn.initializers.constant(np.log(0.5)), (), float)
        s2 = jnp.exp(2.0 * log_sigma)
        gauss = -jnp.sum((x - a) ** 2, axis=-1) / (2.0 * s2)
        hidden = jnp.sum(nn.softplus(b + x @ w / s2), axis=-1)
        r12 = jnp.linalg.norm(x[..., :2] - x[..., 2:], axis=-1)
        jastrow = self.cusp * r12 / (1.0 + jnp.exp(log_beta) * r12)
        return gauss + hidden + jastrow


def dot_potential(x):
    """0.5 |x|^2 + 1/|r1 - r2| on the flat (4,) coordinate vector."""
    return 0.5 * jnp.sum(x**2) + 1.0 / jnp.linalg.norm(x[:2] - x[2:])


def build_tfim(args):
    graph = nk.graph.Chain(length=L_TFIM, pbc=True)
    hi = nk.hilbert.Spin(s=0.5, N=graph.n_nodes)
    # NetKet convention: H = -h sum X + J sum ZZ, so J = -1 is the ferromagnet.
    ising = getattr(nk.operator, "IsingJax", nk.operator.Ising)
    ham = ising(hi, graph, h=H_TFIM, J=-1.0)
    model = nk.models.RBM(alpha=args.alpha, param_dtype=float)
    sampler = nk.sampler.MetropolisLocal(hi)
    return ham, model, sampler, E_TFIM


def build_quantum_dot(args):
    geometry = nk.experimental.geometry.FreeSpace(d=2)
    hi = nk.experimental.hilbert.Particle(N=(1, 1), geometry=geometry)
    ham = nk.operator.KineticEnergy(hi, mass=1.0) + nk.operator.PotentialEnergy(hi, dot_potential)
    model = GaussianRBMJastrow()
    sampler = nk.sampler.MetropolisGaussian(hi, sigma=args.step_sigma)
    return ham, model, sampler, E_DOT


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("problem", choices=["tfim", "quantum-dot"])
    p.add_argument("--n-iterations", type=int, required=True)
    p.add_argument("--n-samples", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--diag-shift", type=float, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--alpha", type=int, default=1, help="RBM density (tfim only)")
    p.add_argument("--step-sigma", type=float, default=0.5, help="Gaussian proposal width")
    args = p.parse_args()

    t_setup = time.perf_counter()
    build = build_tfim if args.problem == "tfim" else build_quantum_dot
    ham, model, sampler, exact = build(args)
    vstate = nk.vqs.MCState(
        sampler,
        model,
        n_samples=args.n_samples,
        seed=args.seed,  # the sampler seed is derived from it
    )
    driver = nk.driver.VMC(
        ham,
        nk.optimizer.Sgd(learning_rate=args.lr),
        variational_state=vstate,
        preconditioner=nk.optimizer.SR(diag_shift=args.diag_shift),
    )
    jax.block_until_ready(vstate.parameters)
    setup_s = time.perf_counter() - t_setup

    energies, errors, times = [], [], []

    def callback(step, log, drv):
        jax.block_until_ready(drv.state.parameters)
        energies.append(float(np.real(drv.energy.mean)))
        errors.append(float(drv.energy.error_of_mean))
        times.append(time.perf_counter() - t0)
        return True

    t0 = time.perf_counter()
    driver.run(args.n_iterations, out=None, callback=callback, show_progress=False)

    print(
        json.dumps(
            {
                "problem": args.problem,
                "netket": nk.__version__,
                "energies": energies,
                "errors": errors,
                "times": times,
                "setup_s": setup_s,
                "exact": exact,
                "n_chains": vstate.sampler.n_chains,
                "sweep_size": vstate.sampler.sweep_size,
                "n_discard_per_chain": vstate.n_discard_per_chain,
            }
        )
    )


if __name__ == "__main__":
    main()
