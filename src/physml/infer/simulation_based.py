r"""Neural posterior, likelihood and ratio estimation through the ``sbi`` package.

:func:`fit_posterior` trains one of sbi's amortised estimators on simulations (theta, x)
and returns a :class:`FittedPosterior` that samples p(theta | x_o) for any observation:

* ``npe``: neural posterior estimation (NPE-C, Greenberg et al. 2019): a conditional flow
  q(theta | x), sampled directly; draws outside the prior's support are rejected by sbi,
  and the fraction it rejects (the leakage) is measured by :meth:`FittedPosterior.leakage`;
* ``nle``: neural likelihood estimation (Papamakarios et al. 2019): a flow q(x | theta),
  sampled with sbi's vectorised slice-sampling MCMC on q(x_o | theta) p(theta);
* ``nre``: neural ratio estimation (NRE-C, Miller et al. 2022): a classifier's log ratio,
  sampled with the same MCMC.

An optional embedding network (e.g. :class:`~physml.models.embeddings.FieldCNN`) maps
large data to a short summary learned together with the estimator. sbi writes TensorBoard
logs into ``./sbi-logs/`` and prints progress bars unless told otherwise: here its
training statistics go to an in-memory :class:`EpochLog` (the task writes them into its
run directory) and every progress bar is off, so nothing lands in the working directory.

A training whose losses are not finite raises :class:`SBITrainingDiverged`. sbi is the
optional ``sbi`` extra (``pip install -e '.[sbi]'``); :func:`require_sbi` names it.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from physml.config import ConfigError
from physml.train.failures import TrainingDiverged

__all__ = [
    "METHODS",
    "EpochLog",
    "FittedPosterior",
    "SBITrainingDiverged",
    "fit_posterior",
    "fit_sequential",
    "require_sbi",
    "torch_prior",
]

METHODS = ("npe", "nle", "nre")
SBIMethod = Literal["npe", "nle", "nre"]


class SBITrainingDiverged(TrainingDiverged):
    """An sbi estimator's training or validation loss became NaN or infinite."""


def require_sbi(task: str) -> None:
    """Refuse (one line, :class:`~physml.config.ConfigError`) when sbi is not installed."""
    try:
        import sbi  # noqa: F401
    except ImportError as err:
        raise ConfigError(f"{task} needs the sbi package: pip install -e '.[sbi]'") from err


@dataclass
class EpochLog:
    """sbi's tracker, kept in memory: per-epoch losses and per-round summaries, as rows."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    label: str = ""
    _epochs: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def log_dir(self) -> None:
        return None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        if name in ("training_loss", "validation_loss", "epoch_durations_sec"):
            row = self._epochs.setdefault(int(step or 0), {"fit": self.label, "epoch": step})
            row[name] = float(value)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        for name, value in metrics.items():
            self.log_metric(name, value, step)

    def log_params(self, params: dict[str, Any]) -> None:
        return

    def add_figure(self, name: str, figure: Any, step: int | None = None) -> None:
        return

    def flush(self) -> None:
        for step in sorted(self._epochs):
            row = self._epochs[step]
            self.rows.append(
                {
                    key: row.get(key, math.nan)
                    for key in ("fit", "epoch", "training_loss", "validation_loss")
                }
            )
        self._epochs.clear()


def torch_prior(kind: str, low: float, high: float, dim: int, device: str = "cpu") -> Any:
    """sbi's prior: ``BoxUniform(low, high)`` for ``kind="uniform"``, independent
    N(low, high^2) for ``kind="normal"``; float32, ``dim`` parameters."""
    import torch
    from sbi.utils import BoxUniform
    from torch.distributions import Independent, Normal

    ones = torch.ones(dim, device=device)
    if kind == "uniform":
        return BoxUniform(low * ones, high * ones, device=device)
    return Independent(Normal(low * ones, high * ones), 1)


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch and numpy's global generator (sbi's slice sampler draws from
    ``np.random``) for the block, and give both their previous states back after it."""
    import torch

    state = np.random.get_state()  # noqa: NPY002 (sbi draws from the legacy global state)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)  # noqa: NPY002
        try:
            yield
        finally:
            np.random.set_state(state)  # noqa: NPY002


@dataclass
class FittedPosterior:
    """A trained sbi posterior (any method), sampled with numpy in and out."""

    method: SBIMethod
    posterior: Any
    seed: int
    #: the one x a sequential fit is valid for (None: amortised, any x)
    observation: np.ndarray | None = None

    def _valid_at(self, x_o: np.ndarray) -> None:
        if self.observation is None:
            return
        rows = np.asarray(x_o, dtype=np.float32).reshape(-1, *self.observation.shape)
        if not all(np.array_equal(row, self.observation) for row in rows):
            raise ValueError(
                f"this {self.method} posterior was trained sequentially for one observation "
                "and is valid only there; fit again (or amortised, rounds=1) for another x"
            )

    def sample(self, x_o: np.ndarray, n: int, *, seed: int) -> np.ndarray:
        """``n`` draws of theta given one observation ``x_o``: (n, D) float64."""
        import torch

        self._valid_at(x_o)

        x = torch.as_tensor(np.asarray(x_o, dtype=np.float32)[None])
        with _seeded(seed):
            if self.method == "npe":
                draws = self.posterior.sample((n,), x=x, show_progress_bars=False)
            else:
                self.posterior.set_default_x(x)
                draws = self.posterior.sample((n,), show_progress_bars=False)
        return draws.detach().double().cpu().numpy()

    def sample_batched(
        self, x_o: np.ndarray, n: int, *, seed: int, local: bool = False
    ) -> np.ndarray:
        """``n`` draws given each row of ``x_o`` (n_obs, ...): (n_obs, n, D); one batched
        call: NPE's flow for all observations at once, for NLE and NRE one vectorised
        slice sampler running the posterior's chains for every observation side by side.

        ``local=True`` lets a sequential fit draw at x other than its observation: the
        x's near it of a local calibration
        (:func:`~physml.tasks.inference.sbi_methods.local_calibration`), where the caller
        tests whether the fit is still the posterior; without it such x are refused."""
        import torch

        if not local:
            self._valid_at(x_o)

        x = torch.as_tensor(np.asarray(x_o, dtype=np.float32))
        options = {"max_sampling_batch_size": max(1, 100_000 // len(x))}
        if self.method != "npe":
            options = {"num_chains": min(self.posterior.num_chains, n)}
        with _seeded(seed), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*large number of chains")
            draws = self.posterior.sample_batched((n,), x=x, show_progress_bars=False, **options)
        return draws.detach().double().cpu().numpy().transpose(1, 0, 2)

    def log_prob(self, theta: np.ndarray, x_o: np.ndarray) -> np.ndarray:
        """log q(theta | x_o), normalised over the prior's support (NPE only): (n,)."""
        import torch

        self._valid_at(x_o)

        if self.method != "npe":
            raise ValueError(f"{self.method} has no normalised posterior density")
        x = torch.as_tensor(np.asarray(x_o, dtype=np.float32)[None])
        t = torch.as_tensor(np.asarray(theta, dtype=np.float32))
        with torch.no_grad():
            return self.posterior.log_prob(t, x=x).double().cpu().numpy()

    def log_density(self, theta: np.ndarray, x_o: np.ndarray) -> np.ndarray:
        """log q(theta | x_o) up to a theta-independent constant, any method (n,): NPE's
        normalised density; for NLE and NRE the MCMC target log q(x_o | theta) + log p(theta)
        (resp. the log ratio + log prior), -inf outside the prior."""
        import torch

        self._valid_at(x_o)

        if self.method == "npe":
            return self.log_prob(theta, x_o)
        x = torch.as_tensor(np.asarray(x_o, dtype=np.float32)[None])
        t = torch.as_tensor(np.asarray(theta, dtype=np.float32))
        with torch.no_grad():
            return self.posterior.potential(t, x=x).double().cpu().numpy()

    def leakage(self, x_o: np.ndarray, n: int = 10_000) -> float:
        """Fraction of q(theta | x_o)'s mass outside the prior's support (NPE; 0 for the
        MCMC methods, whose targets include the prior)."""
        import torch

        self._valid_at(x_o)

        if self.method != "npe":
            return 0.0
        x = torch.as_tensor(np.asarray(x_o, dtype=np.float32)[None])
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            inside = self.posterior.leakage_correction(x, num_rejection_samples=n)
        return float(1.0 - inside)


def _check_finite(inference: Any, label: str) -> None:
    summary = inference._summary  # sbi keeps its per-epoch losses here
    losses = summary.get("training_loss", []) + summary.get("validation_loss", [])
    if not losses or not all(math.isfinite(v) for v in losses):
        raise SBITrainingDiverged(
            f"{label}: the sbi training loss became NaN or infinite; try a smaller "
            "learning_rate or more simulations"
        )


def fit_posterior(
    method: SBIMethod,
    prior: Any,
    theta: np.ndarray,
    x: np.ndarray,
    *,
    seed: int,
    mcmc_chains: int = 20,
    log: EpochLog | None = None,
    device: str = "cpu",
    **options: Any,
) -> FittedPosterior:
    """Train sbi's ``method`` on simulations and build its posterior.

    Args:
        method: ``"npe"``, ``"nle"`` or ``"nre"``.
        prior: a torch distribution over theta (:func:`torch_prior`).
        theta: (n, D) parameters; x: (n, ...) the data simulated from them.
        seed: seeds the network's weights, the batches and the sampler.
        mcmc_chains: slice-sampling chains for nle and nre.
        log: receives the per-epoch losses (else discarded).
        device: torch device of the training.
        options: the network's and the training's settings, each with its default in
            :func:`_settings`: ``estimator`` (sbi's flow ``"maf"``, ``"nsf"``, ``"mdn"``
            for npe and nle; the classifier ``"resnet"``, ``"mlp"`` for nre),
            ``hidden_features`` and ``num_transforms`` (width, flow layers),
            ``embedding`` (an ``nn.Module`` summarising x, NPE and NRE; or None),
            ``z_score_x`` (sbi's standardisation of x before the embedding, NPE:
            ``"independent"`` per entry, ``"structured"`` one mean and scale for all
            entries, as for a field's pixels, or ``"none"``), and sbi's training options
            ``learning_rate``, ``batch_size``, ``max_epochs``, ``stop_after_epochs``
            (early stopping on a 10 % validation split, best weights kept).

    Returns:
        :class:`FittedPosterior`.

    Raises:
        SBITrainingDiverged: when the losses are not finite.
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed: expected one of {METHODS}")
    network, training = _settings(**options)
    with _seeded(seed):
        inference, label = _inference(method, prior, network, log, device)
        _train(inference, theta, x, training, label)
        posterior = _posterior(method, inference, mcmc_chains)
    return FittedPosterior(method, posterior, seed)


def fit_sequential(
    method: SBIMethod,
    prior: Any,
    simulate: Callable[[np.ndarray, int], np.ndarray],
    x_o: np.ndarray,
    *,
    simulations: int,
    rounds: int,
    seed: int,
    mcmc_chains: int = 20,
    log: EpochLog | None = None,
    device: str = "cpu",
    **options: Any,
) -> FittedPosterior:
    """Sequential (multi-round) estimation for the one observation ``x_o``: SNPE-C
    (Greenberg et al. 2019, sbi's atomic loss after the first round), SNLE (Papamakarios
    et al. 2019) or SNRE-C. Round 1 simulates from the prior, every later round from the
    current posterior given ``x_o``; each round's simulations are added to all earlier
    ones and the same network trains on, as sbi does.

    Args:
        simulate: ``simulate(theta, seed)`` -> x for parameters theta (n, D): (n, ...).
        x_o: the observation (...), the only x the result is valid for.
        simulations: the total budget, split as evenly as possible over ``rounds``.
        rounds: number of rounds (1 is :func:`fit_posterior` on prior simulations).
        seed, mcmc_chains, log, device, options: as :func:`fit_posterior`.

    Returns:
        :class:`FittedPosterior` whose ``observation`` is ``x_o``: it refuses any other x.
    """
    import torch

    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed: expected one of {METHODS}")
    if not 1 <= rounds <= simulations:
        raise ValueError(f"rounds={rounds} is not allowed: expected 1..simulations")
    network, training = _settings(**options)
    x_obs = torch.as_tensor(np.asarray(x_o, dtype=np.float32)[None])
    per_round = [simulations // rounds + (r < simulations % rounds) for r in range(rounds)]
    with _seeded(seed):
        inference, label = _inference(method, prior, network, log, device)
        proposal = prior
        base = log.label if log is not None else ""
        for r, n in enumerate(per_round):
            if log is not None:  # each round's epochs under their own label in log.csv
                log.label = f"{base} round {r + 1}"
            if r == 0:
                theta = prior.sample((n,))
            else:
                theta = proposal.sample((n,), show_progress_bars=False)
            theta = theta.detach().double().cpu().numpy()
            x = simulate(theta, seed + 1 + r)
            # SNPE-C corrects for the proposal in its loss; SNLE and SNRE need no correction
            drawn_from = proposal if method == "npe" else None
            _train(inference, theta, x, training, f"{label} round {r + 1}", drawn_from)
            posterior = _posterior(method, inference, mcmc_chains)
            proposal = posterior.set_default_x(x_obs)
        if log is not None:
            log.label = base
    return FittedPosterior(method, posterior, seed, observation=np.asarray(x_o, dtype=np.float32))


def _settings(
    estimator: str = "maf",
    hidden_features: int = 50,
    num_transforms: int = 5,
    embedding: Any = None,
    z_score_x: str = "independent",
    learning_rate: float = 5e-4,
    batch_size: int = 200,
    max_epochs: int = 2**31 - 1,
    stop_after_epochs: int = 20,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The network's settings and sbi's ``train`` keywords, from a fit's ``options``
    (:func:`fit_posterior`); an unknown option is a TypeError naming it."""
    network = {
        "estimator": estimator,
        "hidden_features": hidden_features,
        "num_transforms": num_transforms,
        "embedding": embedding,
        "z_score_x": z_score_x,
    }
    training = {
        "training_batch_size": batch_size,
        "learning_rate": learning_rate,
        "max_num_epochs": max_epochs,
        "stop_after_epochs": stop_after_epochs,
    }
    return network, training


def _inference(
    method: SBIMethod, prior: Any, network: dict[str, Any], log: EpochLog | None, device: str
) -> tuple[Any, str]:
    """sbi's untrained NPE, NLE or NRE-C object with its network, and the fit's label."""
    from sbi.inference import NLE, NPE, NRE_C
    from sbi.neural_nets import classifier_nn, likelihood_nn, posterior_nn
    from torch import nn

    from physml.models.embeddings import OncePerObservation

    tracker = log if log is not None else EpochLog()
    tracker.label = tracker.label or method
    embedding = network["embedding"]
    embed = OncePerObservation(embedding) if embedding is not None else nn.Identity()
    flow = {k: network[k] for k in ("hidden_features", "num_transforms")}
    common = {"prior": prior, "device": device, "show_progress_bars": False, "tracker": tracker}
    label = f"{method} ({tracker.label})"
    if method == "npe":
        net = posterior_nn(
            network["estimator"], embedding_net=embed, z_score_x=network["z_score_x"], **flow
        )
        return NPE(density_estimator=net, **common), label
    if method == "nle":
        net = likelihood_nn(network["estimator"], **flow)
        return NLE(density_estimator=net, **common), label
    net = classifier_nn(
        network["estimator"], hidden_features=network["hidden_features"], embedding_net_x=embed
    )
    return NRE_C(classifier=net, **common), label


def _train(
    inference: Any,
    theta: np.ndarray,
    x: np.ndarray,
    training: dict[str, Any],
    label: str,
    proposal: Any = None,
) -> None:
    """Add simulations (drawn from ``proposal``, which NPE's loss corrects for; None: the
    prior, or no correction) and train on all so far."""
    import torch

    t = torch.as_tensor(np.asarray(theta, dtype=np.float32))
    data = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if proposal is not None:
        inference.append_simulations(t, data, proposal=proposal)
    else:
        inference.append_simulations(t, data)
    with contextlib.redirect_stdout(io.StringIO()):  # sbi prints its convergence line
        inference.train(**training)
    _check_finite(inference, label)


def _posterior(method: SBIMethod, inference: Any, mcmc_chains: int) -> Any:
    """The trained estimator's sbi posterior: direct for NPE, slice-sampling MCMC otherwise."""
    if method == "npe":
        return inference.build_posterior()
    return inference.build_posterior(
        sample_with="mcmc",
        mcmc_method="slice_np_vectorized",
        mcmc_parameters={"num_chains": mcmc_chains, "warmup_steps": 50, "thin": 1},
    )
