r"""``ising-couplings``: learn the couplings of an Ising model from states and energies.

Mehta et al., Phys. Rep. 810, 1 (2019), arXiv:1803.08823, their linear-regression
notebook: random states of a periodic chain of L = 40 spins (or of an L x L square
lattice), their energies ``E = sum_{jk} J_{jk} S_j S_k`` with ``J_{i,i+1} = -1``, and a linear
model on all N^2 products ``S_j S_k`` (:mod:`physml.sim.statmech.ising_couplings`). The
energies are an exact linear function of the features, so the exact model reaches
R^2 = 1 and its couplings are known: the reference of every number here is exact.

Gauge freedom: the columns ``S_j S_k`` and ``S_k S_j`` are the same, so only the sums
``K_{jk} = J_{jk} + J_{kj}`` (j < k) are determined; the comparison with the exact couplings
is made on those gauge-invariant sums (max and rms error over all N (N - 1) / 2 pairs).
How a method splits ``K`` over the two entries is its own choice: at fixed ``a + b``, the
L2 norm ``a^2 + b^2`` of OLS's minimum-norm solution and of Ridge is smallest at
``a = b = K / 2`` (a symmetric split), while the L1 norm ``|a| + |b|`` of Lasso is the same
for every same-sign split, and coordinate descent, which puts the whole sum on the first
of two identical columns it updates, picks one (the "bond asymmetry" metric: 0 for a
symmetric split, 1 for one-sided).

Methods: ``ols``, ``ridge``, ``lasso`` (scikit-learn), each over its λ grid with k-fold
cross-validation on the training set choosing λ (the best mean validation R^2), then
refit on the whole training set. Errors: a bootstrap of the training states, refitting
at each λ (``n_bootstrap`` resamples, the same ones at every λ), which also gives the
bias-variance decomposition of the test error against λ:
``mean_b MSE_b = bias^2 + variance`` with ``bias^2 = mean_test (mean_b f_b - E)^2`` and
``variance = mean_test var_b f_b`` (the energies are noiseless, so there is no noise term).
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from physml.config import ConfigError
from physml.metrics import Metric
from physml.tasks.base import Method, Reference, RunContext, Task
from physml.tasks.seeds import Stream, bootstrap_seed, generator

__all__ = ["IsingCouplings", "IsingCouplingsSettings"]

#: At most this many spins: the design matrix has N^2 columns.
MAX_SPINS = 64
#: |coefficient| above which an entry of the learned J counts as non-zero.
NONZERO = 1e-8
LITERATURE = (
    "literature: Mehta et al. arXiv:1803.08823, L = 40 chain, 400 training samples: OLS "
    "test R^2 0.597, Lasso 1.000 at λ = 1e-3..1e-2"
)

Lambda = Annotated[float, Field(gt=0, le=1e6)]


class IsingCouplingsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lattice: Literal["chain", "square"] = Field("chain", description="periodic chain or L x L")
    size: int = Field(40, ge=3, le=MAX_SPINS, description="chain sites L, or the square's side")
    J: float = Field(-1.0, ge=-100, le=100, description="nearest-neighbour coupling (not 0)")
    n_train: int = Field(400, ge=10, le=200_000, description="training states")
    n_test: int = Field(1000, ge=10, le=200_000, description="test states")
    n_folds: int = Field(5, ge=2, le=1000, description="k of the k-fold cross-validation")
    n_bootstrap: int = Field(20, ge=2, le=2000, description="bootstrap refits per λ")

    @field_validator("J")
    @classmethod
    def _nonzero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("no couplings to learn (every energy is 0); use J != 0")
        return value

    @property
    def n_spins(self) -> int:
        return self.size if self.lattice == "chain" else self.size**2

    def exact_couplings(self) -> np.ndarray:
        from physml.sim.statmech import ising_couplings as sim

        if self.lattice == "chain":
            return sim.chain_couplings(self.size, self.J)
        return sim.square_couplings(self.size, self.J)


class OLSSettings(BaseModel):
    """Ordinary least squares (scikit-learn's minimum-norm lstsq), no λ."""

    model_config = ConfigDict(extra="forbid")


def _grid(default: list[float]) -> Any:
    return Field(default, min_length=1, max_length=40, description="λ grid, each > 0")


class RidgeSettings(BaseModel):
    """Ridge: ||E - X J||^2 + λ ||J||^2 (scikit-learn ``Ridge(alpha=λ)``)."""

    model_config = ConfigDict(extra="forbid")
    lambdas: list[Lambda] = _grid([1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4, 1e5])


class LassoSettings(BaseModel):
    """Lasso: ||E - X J||^2 / (2 n) + λ ||J||_1 (scikit-learn ``Lasso(alpha=λ)``)."""

    model_config = ConfigDict(extra="forbid")
    # from 1e-3: below it, bootstrap resamples of 400 states (about 253 distinct, fewer than
    # the 780 pair couplings) lose the couplings and the bootstrap errors mean nothing
    lambdas: list[Lambda] = _grid([1e-3, 1e-2, 1e-1, 1.0, 1e1])
    max_iter: int = Field(20_000, ge=1, le=10_000_000, description="coordinate-descent sweeps")
    tol: float = Field(1e-4, gt=0, le=1, description="scikit-learn's duality-gap tolerance")


class IsingCouplings(Task):
    name = "ising-couplings"
    summary = "learn Ising couplings from random states and energies (OLS, Ridge, Lasso)"
    reference = Reference(
        "max|K - K_exact|", 0.0, "", "the exact couplings, compared as gauge-invariant sums"
    )
    settings = IsingCouplingsSettings
    methods = {
        "lasso": Method("lasso", "L1-penalised least squares over a λ grid", LassoSettings, False),
        "ridge": Method("ridge", "L2-penalised least squares over a λ grid", RidgeSettings, False),
        "ols": Method("ols", "ordinary least squares (minimum norm)", OLSSettings, False),
    }
    default_method = "lasso"
    presets = {"quick": {}, "full": {"n_bootstrap": 100, "n_folds": 10}}

    def check(self, config: Any) -> None:
        if config.n_folds > config.n_train:
            raise ConfigError(
                f"n_folds={config.n_folds} is not allowed with n_train={config.n_train}: "
                "k-fold cross-validation needs n_folds <= n_train"
            )
        if config.n_spins > MAX_SPINS:
            raise ConfigError(
                f"size={config.size} is not allowed for lattice={config.lattice}: at most "
                f"{MAX_SPINS} spins (the design matrix has N^2 columns), so size <= "
                f"{int(np.sqrt(MAX_SPINS))} on the square lattice"
            )

    def memory_estimate(self, config: Any) -> dict[str, float]:
        n = config.n_train + config.n_test
        return {"features: (n_train + n_test) x N^2": 8.0 * n * config.n_spins**2 * 2}

    def run(self, config: Any, ctx: RunContext) -> dict[str, Metric]:
        from physml.sim.statmech import ising_couplings as sim

        method = self.method_of(config)
        exact = config.exact_couplings()
        states = sim.random_states(
            config.n_train + config.n_test,
            config.n_spins,
            seed=generator(ctx.seed, Stream.ISING_COUPLINGS),
        )
        X, y = sim.pair_features(states), sim.energies(states, exact)
        train = np.arange(config.n_train)
        test = np.arange(config.n_train, len(y))
        lambdas = getattr(config.model, "lambdas", [None])
        folds = np.array_split(
            generator(ctx.seed, Stream.ISING_COUPLINGS_FOLDS).permutation(train), config.n_folds
        )
        boots = np.random.default_rng(bootstrap_seed(ctx.seed, Stream.ISING_COUPLINGS))
        resamples = boots.integers(0, config.n_train, size=(config.n_bootstrap, config.n_train))
        exact_pairs = sim.pair_couplings(exact.ravel())
        bonds = sim.bond_mask(exact)

        rows, fits, unconverged = [], [], []
        with ctx.progress(f"fitting {method}", len(lambdas)) as bar:
            for lam in lambdas:
                fit = _scan_point(config, method, lam, X, y, train, test, folds, resamples)
                fit["pair_error"] = fit["pairs"] - exact_pairs
                unconverged += [lam] * fit.pop("unconverged")
                fits.append(fit)
                rows.append(_row(lam, fit, bonds))
                ctx.log(_describe(rows[-1]))
                bar.advance()
        if unconverged:
            warnings.warn(
                f"{method} did not converge in model.max_iter={config.model.max_iter} sweeps "
                f"(tol={config.model.tol}) in {len(unconverged)} fits, at λ = "
                f"{', '.join(f'{v:g}' for v in sorted(set(unconverged)))}: scikit-learn's "
                "ConvergenceWarning; raise model.max_iter or model.tol",
                stacklevel=1,
            )
        best = int(np.argmax([row["r2_cv"] for row in rows]))
        ctx.write_log(rows)
        _plot(ctx, config, method, rows, fits[best], exact)
        return _metrics(config, method, lambdas[best], rows[best], fits[best], bonds)


def _model(method: str, lam: float | None, settings: Any) -> Any:
    from sklearn.linear_model import Lasso, LinearRegression, Ridge

    if method == "ols":
        return LinearRegression()
    if method == "ridge":
        return Ridge(alpha=lam)
    return Lasso(alpha=lam, max_iter=settings.max_iter, tol=settings.tol)


def _fit(method, lam, settings, X, y) -> tuple[Any, int]:
    """The fitted model and whether scikit-learn warned that it did not converge (0/1)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = _model(method, lam, settings).fit(X, y)
    return model, int(any(issubclass(w.category, ConvergenceWarning) for w in caught))


def _r2(y: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Coefficient of determination of predictions (..., n) of y (n,)."""
    residual = np.sum((prediction - y) ** 2, axis=-1)
    return 1.0 - residual / np.sum((y - y.mean()) ** 2)


def _scan_point(config, method, lam, X, y, train, test, folds, resamples) -> dict[str, Any]:
    """Everything measured at one λ: k-fold validation R^2, the fit on the whole training
    set, and ``n_bootstrap`` refits on resampled training states."""
    from physml.sim.statmech.ising_couplings import pair_couplings

    settings, unconverged = config.model, 0
    cv = []
    for k, fold in enumerate(folds):
        rest = np.concatenate([f for j, f in enumerate(folds) if j != k])
        model, bad = _fit(method, lam, settings, X[rest], y[rest])
        cv.append(float(_r2(y[fold], model.predict(X[fold]))))
        unconverged += bad
    model, bad = _fit(method, lam, settings, X[train], y[train])
    unconverged += bad
    coef, predictions, r2_train = [], [], []
    for rows in resamples:
        boot, bad = _fit(method, lam, settings, X[train[rows]], y[train[rows]])
        coef.append(boot.coef_)
        r2_train.append(float(_r2(y[train[rows]], boot.predict(X[train[rows]]))))
        predictions.append(boot.predict(X[test]))
        unconverged += bad
    predictions = np.array(predictions)
    return {
        "coef": model.coef_,
        "pairs": pair_couplings(model.coef_),
        "boot_pairs": pair_couplings(np.array(coef)),
        "boot_coef": np.array(coef),
        "r2_train": float(_r2(y[train], model.predict(X[train]))),
        "r2_test": float(_r2(y[test], model.predict(X[test]))),
        "boot_r2_test": _r2(y[test], predictions),
        "boot_r2_train": np.array(r2_train),
        "cv": np.array(cv),
        "bias2": float(np.mean((predictions.mean(axis=0) - y[test]) ** 2)),
        "variance": float(np.mean(predictions.var(axis=0))),
        "mse": float(np.mean((predictions - y[test]) ** 2)),
        "unconverged": unconverged,
    }


def _asymmetry(coef: np.ndarray, bonds: np.ndarray) -> np.ndarray:
    """Mean over bonds of |J_jk - J_kj| / |J_jk + J_kj|: 0 symmetric, 1 one-sided;
    ``coef`` (..., N^2)."""
    N = round(np.sqrt(coef.shape[-1]))
    matrix = coef.reshape(*coef.shape[:-1], N, N)
    j, k = np.triu_indices(N, 1)
    j, k = j[bonds], k[bonds]
    a, b = matrix[..., j, k], matrix[..., k, j]
    return np.mean(np.abs(a - b) / np.maximum(np.abs(a + b), 1e-300), axis=-1)


def _row(lam: float | None, fit: dict, bonds: np.ndarray) -> dict[str, float]:
    error = fit["pair_error"]
    return {
        "lambda": 0.0 if lam is None else lam,
        "r2_train": fit["r2_train"],
        "r2_test": fit["r2_test"],
        "r2_cv": float(fit["cv"].mean()),
        "r2_cv_error": float(fit["cv"].std(ddof=1) / np.sqrt(fit["cv"].size)),
        "max_error": float(np.max(np.abs(error))),
        "rms_error": float(np.sqrt(np.mean(error**2))),
        "nonzero": int(np.sum(np.abs(fit["coef"]) > NONZERO)),
        "asymmetry": float(_asymmetry(fit["coef"], bonds)),
        "bias2": fit["bias2"],
        "variance": fit["variance"],
        "mse": fit["mse"],
    }


def _describe(row: dict) -> str:
    return (
        f"λ = {row['lambda']:g}: R^2 train {row['r2_train']:.4f}, test {row['r2_test']:.4f}, "
        f"cv {row['r2_cv']:.4f} ± {row['r2_cv_error']:.4f}; max|ΔK| {row['max_error']:.4f}; "
        f"{row['nonzero']} non-zero; bias^2 {row['bias2']:.3g}, variance {row['variance']:.3g}"
    )


def _metrics(config, method, lam, row, fit, bonds) -> dict[str, Metric]:
    """The headline numbers at the CV-chosen λ, errors from the bootstrap refits."""
    boot_error = fit["boot_pairs"] - (fit["pairs"] - fit["pair_error"])
    boot_max = np.max(np.abs(boot_error), axis=1)
    boot_rms = np.sqrt(np.mean(boot_error**2, axis=1))
    boot_nonzero = np.sum(np.abs(fit["boot_coef"]) > NONZERO, axis=1)
    boot_asym = _asymmetry(fit["boot_coef"], bonds)
    n_pairs = bonds.size
    exact = f"the exact couplings as gauge-invariant sums K_jk = J_jk + J_kj over {n_pairs} pairs"
    errors = (
        f"errors: bootstrap of the {config.n_train} training states ({config.n_bootstrap} refits)"
    )
    lattice = f"{config.lattice} of {config.n_spins} spins"

    def std(x: np.ndarray) -> float:
        return float(np.std(x, ddof=1))

    metrics = {
        "max|K - K_exact|": Metric(
            row["max_error"], 0.0, "", f"{exact}, {lattice}; {errors}", error=std(boot_max)
        ),
        "rms|K - K_exact|": Metric(row["rms_error"], 0.0, "", exact, error=std(boot_rms)),
        "R2_test": Metric(
            row["r2_test"],
            1.0,
            "",
            f"exact: the energies are linear in the features ({config.n_test} test states); "
            f"{LITERATURE}",
            error=std(fit["boot_r2_test"]),
        ),
        "R2_train": Metric(
            row["r2_train"], 1.0, "", "exact linear model", error=std(fit["boot_r2_train"])
        ),
        "R2_cv": Metric(
            row["r2_cv"],
            1.0,
            "",
            f"{config.n_folds}-fold cross-validation on the training states (error: over folds)",
            error=row["r2_cv_error"],
        ),
        "non-zero J entries": Metric(
            row["nonzero"],
            int(bonds.sum()),
            "",
            f"the sparsest exact gauge: one entry per bond, of {config.n_spins**2}",
            error=std(boot_nonzero),
        ),
        "bond asymmetry": Metric(
            row["asymmetry"],
            None,
            "",
            "mean |J_jk - J_kj| / |K_jk| on bonds: 0 symmetric split (OLS, Ridge), 1 one-sided",
            error=std(boot_asym),
        ),
    }
    if lam is not None:
        metrics["lambda_cv"] = Metric(
            lam, None, "", "the grid's λ with the best mean validation R^2 (a choice)", exact=True
        )
    return metrics


def _plot(ctx: RunContext, config, method: str, rows: list, fit: dict, exact) -> None:
    """``r2_vs_lambda.png``, ``bias_variance.png`` (ridge, lasso) and ``couplings.png``."""
    from physml.tasks.figures import new_figure, save_figure

    lam = np.array([row["lambda"] for row in rows])
    if method != "ols":
        fig, ax = new_figure()
        for key, label in (("r2_train", "train"), ("r2_test", "test"), ("r2_cv", "k-fold")):
            ax.semilogx(lam, [row[key] for row in rows], marker="o", label=label)
        ax.set(xlabel="λ", ylabel="R^2", title=f"ising-couplings: {method}", ylim=(-0.05, 1.05))
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "r2_vs_lambda.png")
        fig, ax = new_figure()
        for key in ("mse", "bias2", "variance"):
            ax.loglog(lam, [max(row[key], 1e-16) for row in rows], marker="o", label=key)
        ax.set(xlabel="λ", ylabel="test error", title="bias-variance (bootstrap)")
        ax.legend(fontsize=8)
        save_figure(fig, ctx.plot_dir / "bias_variance.png")
    fig, axes = new_figure(ncols=2, figsize=(9, 4))
    N = config.n_spins
    for ax, matrix, title in (
        (axes[0], fit["coef"].reshape(N, N), f"learned J ({method})"),
        (axes[1], exact, "exact J"),
    ):
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-abs(config.J), vmax=abs(config.J))
        ax.set(title=title, xlabel="k", ylabel="j")
    fig.colorbar(image, ax=axes)
    save_figure(fig, ctx.plot_dir / "couplings.png")
