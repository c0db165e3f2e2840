"""DeepXDE's official Burgers example (examples/pinn_forward/Burgers.py), run by ``physml
bench pinn`` in a subprocess with ``DDE_BACKEND=pytorch``.

As published: FNN [2] + [20] * 3 + [1], tanh, Glorot normal; 2540 domain, 80 boundary and
160 initial points; Adam (lr 1e-3) for ``adam`` iterations (15 000 in the example), then
DeepXDE's L-BFGS (``lbfgs`` iterations at most, 15 000 by default); float32 (DeepXDE's
default). The only changes: the test data are physml's exact Cole-Hopf solution on the
example's grid (100 times in [0, 0.99] x 256 positions) instead of ``Burgers.npz``, and a
callback records (training seconds, relative L2) and stops the run at ``cap`` seconds.
Prints one JSON object: {"history": [[seconds, rel_l2, iteration], ...], "phase_ends": ...}.

Usage: ``DDE_BACKEND=pytorch python -m physml.bench.pinn_deepxde ADAM LBFGS CAP EVERY``.
"""

from __future__ import annotations

import json
import sys
import time


def main(adam: int, lbfgs: int, cap: float, every: int) -> dict:
    import deepxde as dde
    import numpy as np

    from physml.sim.pde.burgers_exact import burgers_exact

    t = np.linspace(0, 0.99, 100)
    x = np.linspace(-1, 1, 256)
    tt, xx = np.meshgrid(t, x, indexing="ij")
    test_x = np.column_stack([xx.ravel(), tt.ravel()])  # DeepXDE's order: (x, t)
    test_y = burgers_exact(tt.ravel(), xx.ravel()).numpy()[:, None]

    geom = dde.geometry.Interval(-1, 1)
    timedomain = dde.geometry.TimeDomain(0, 0.99)
    geomtime = dde.geometry.GeometryXTime(geom, timedomain)

    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - 0.01 / np.pi * dy_xx

    bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(
        geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial
    )
    data = dde.data.TimePDE(
        geomtime, pde, [bc, ic], num_domain=2540, num_boundary=80, num_initial=160
    )
    net = dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal")
    model = dde.Model(data, net)

    history: list[list[float]] = []
    clock = {"train": 0.0, "since": time.perf_counter()}

    class Record(dde.callbacks.Callback):
        def on_epoch_end(self) -> None:
            clock["train"] += time.perf_counter() - clock["since"]
            step = self.model.train_state.step
            if step % every == 0 or self.model.opt_name == "L-BFGS":
                y = self.model.predict(test_x)
                rel = float(np.linalg.norm(y - test_y) / np.linalg.norm(test_y))
                history.append([clock["train"], rel, int(self.model.train_state.iteration)])
            if clock["train"] > cap:
                self.model.stop_training = True
            clock["since"] = time.perf_counter()

    phase_ends = {}
    model.compile("adam", lr=1e-3)
    model.train(iterations=adam, callbacks=[Record()], display_every=10**9)
    phase_ends["adam"] = clock["train"]
    if clock["train"] < cap and lbfgs:
        dde.optimizers.set_LBFGS_options(maxiter=lbfgs)
        model.compile("L-BFGS")
        clock["since"] = time.perf_counter()
        model.train(callbacks=[Record()], display_every=10**9)
    phase_ends["lbfgs"] = clock["train"]
    return {"history": history, "phase_ends": phase_ends, "version": dde.__version__}


if __name__ == "__main__":
    adam, lbfgs, cap, every = sys.argv[1:5]
    result = main(int(adam), int(lbfgs), float(cap), int(every))
    print("PHYSML_DEEPXDE " + json.dumps(result))
