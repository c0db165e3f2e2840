r"""Fitting restricted Boltzmann machines by contrastive divergence (CD-k) and persistent CD.

The gradient of the mean log-likelihood of data :math:`\{v_n\}` under an RBM with free
energy F (:mod:`physml.models.generative.boltzmann`) is a positive (data) phase minus a negative
(model) phase,

.. math::
    \frac{\partial}{\partial\theta} \frac1N \sum_n \log p(v_n)
    = -\Big\langle \frac{\partial F}{\partial\theta} \Big\rangle_{\rm data}
      + \Big\langle \frac{\partial F}{\partial\theta} \Big\rangle_{\rm model}.

The model average is estimated from Markov chains of block-Gibbs sweeps: **CD-k** starts
one chain at every data vector of the minibatch and runs k sweeps (Hinton 2002);
**persistent CD** (PCD, Tieleman 2008) keeps ``n_chains`` chains alive across minibatches
and epochs and advances them k sweeps per update (they start at randomly chosen data
vectors). Both are implemented as autograd of the surrogate :func:`cd_loss`
:math:`\langle F\rangle_{\rm batch} - \langle F\rangle_{\rm chains}` (the chain states are
constants), so the same code trains binary and Gaussian visibles and a learnable sigma.
Updates are SGD with momentum; ``weight_decay`` is an L2 penalty on the couplings W only
(biases and sigma are not decayed, as in Hinton's guide).

Monitoring (one :class:`CDEpoch` per epoch, plus epoch 0 for the initial model): the
mean-field reconstruction error, the mean free energy of the data and, when the model is
small enough to enumerate one layer (``rbm.log_partition_exact()``), the exact mean
log-likelihood in nats per sample (a log-density for Gaussian visibles).

Safeguard: after every update the parameters are checked; if any is not finite the
model's state (parameters and buffers) from the end of the last completed epoch (the
initial state during epoch 1) is restored and a :class:`FloatingPointError` names the
epoch and minibatch. Everything random comes from one ``torch.Generator`` seeded with
``seed``: the same seed gives the same history and parameters on the same device.

References:
    G. E. Hinton, Neural Comput. 14, 1771 (2002); T. Tieleman, "Training restricted
    Boltzmann machines using approximations to the likelihood gradient", ICML 2008;
    G. E. Hinton, "A practical guide to training restricted Boltzmann machines",
    UTML TR 2010-003.

Example:
    >>> import torch
    >>> from physml.models.generative.boltzmann import BernoulliRBM
    >>> data = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]).repeat(50, 1)
    >>> rbm = BernoulliRBM(3, 2).double()
    >>> history = train_rbm(rbm, data, CDSettings(epochs=5, batch_size=20, lr=0.1), seed=0)
    >>> history[-1].log_likelihood > history[0].log_likelihood
    True
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch

from physml.checks import check_int, check_real
from physml.models.generative.boltzmann import BernoulliRBM, GaussianBernoulliRBM

__all__ = [
    "CDEpoch",
    "CDSettings",
    "cd_loss",
    "negative_phase",
    "reconstruction_error",
    "train_rbm",
]

RBM = BernoulliRBM | GaussianBernoulliRBM
_EVAL_CHUNK = 4096


@dataclass(frozen=True)
class CDSettings:
    """Settings of :func:`train_rbm` (validated).

    Args:
        k: Gibbs sweeps per negative phase, >= 1 (CD-k; PCD-k when ``persistent``).
        persistent: False for CD-k (chains restart at the minibatch), True for PCD.
        lr: SGD learning rate, > 0.
        momentum: SGD momentum, in [0, 1).
        weight_decay: L2 penalty on the couplings W, >= 0.
        batch_size: data vectors per update, >= 1.
        epochs: passes over the data, >= 1.
        n_chains: persistent chains for PCD, >= 1; None uses ``batch_size``. Ignored by
            CD-k, whose chains are the minibatch.
        max_exact_units: the history holds the exact log-likelihood when the layer that
            :meth:`log_partition_exact` enumerates has at most this many units (0..20;
            0 never computes it; each evaluation costs 2^units free energies).

    Example:
        >>> CDSettings(momentum=1.0)
        Traceback (most recent call last):
        ...
        ValueError: momentum=1.0 is not allowed: expected a real number in [0, 1)
    """

    k: int = 1
    persistent: bool = False
    lr: float = 0.05
    momentum: float = 0.5
    weight_decay: float = 1e-4
    batch_size: int = 64
    epochs: int = 10
    n_chains: int | None = None
    max_exact_units: int = 16

    def __post_init__(self) -> None:
        if not isinstance(self.persistent, bool):
            raise ValueError(f"persistent={self.persistent!r} is not allowed: expected a bool")
        momentum = check_real("momentum", self.momentum, nonnegative=True)
        if momentum >= 1.0:
            raise ValueError(
                f"momentum={self.momentum!r} is not allowed: expected a real number in [0, 1)"
            )
        values = {
            "k": check_int("k", self.k, minimum=1),
            "lr": check_real("lr", self.lr, positive=True),
            "momentum": momentum,
            "weight_decay": check_real("weight_decay", self.weight_decay, nonnegative=True),
            "batch_size": check_int("batch_size", self.batch_size, minimum=1),
            "epochs": check_int("epochs", self.epochs, minimum=1),
            "max_exact_units": check_int(
                "max_exact_units", self.max_exact_units, minimum=0, maximum=20
            ),
        }
        if self.n_chains is not None:
            values["n_chains"] = check_int("n_chains", self.n_chains, minimum=1)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def chains(self) -> int:
        """Number of persistent chains PCD runs."""
        return self.batch_size if self.n_chains is None else self.n_chains


@dataclass(frozen=True)
class CDEpoch:
    """Monitoring after one epoch (epoch 0: the model before training).

    Attributes:
        epoch: epochs completed.
        reconstruction_error: mean over data and visible units of
            (v - E[v | h = p(h | v)])^2, the mean-field one-step reconstruction.
        free_energy: mean free energy F(v) of the data.
        log_likelihood: exact mean log p(v) of the data in nats per sample (a log-density
            for Gaussian visibles), or None when the model is too large to enumerate
            (:attr:`CDSettings.max_exact_units`).
    """

    epoch: int
    reconstruction_error: float
    free_energy: float
    log_likelihood: float | None


def negative_phase(
    rbm: RBM, start: torch.Tensor, k: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The chain states after ``k`` block-Gibbs sweeps from ``start`` (no gradient).

    Shapes:
        start (n_chains, n_visible) -> (n_chains, n_visible).
    """
    k = check_int("k", k, minimum=1)
    return rbm.sample(start.shape[0], k, generator, init=start)


def cd_loss(rbm: RBM, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    r"""Surrogate :math:`\langle F\rangle_{\rm positive} - \langle F\rangle_{\rm negative}`.

    Its gradient is minus the (CD or PCD) estimate of the gradient of the mean
    log-likelihood; ``negative`` is treated as constant. The value itself is a free-energy
    gap, not a loss to report.

    Shapes:
        positive (batch, n_visible), negative (n_chains, n_visible) -> 0-dim.
    """
    return rbm.free_energy(positive).mean() - rbm.free_energy(negative.detach()).mean()


@torch.no_grad()
def reconstruction_error(rbm: RBM, data: torch.Tensor) -> float:
    """Mean squared mean-field reconstruction error per visible unit (see :class:`CDEpoch`)."""
    data = torch.as_tensor(data)
    total = 0.0
    for chunk in data.split(_EVAL_CHUNK):
        recon = rbm.p_v_given_h(rbm.p_h_given_v(chunk))
        total += float(((chunk.to(recon) - recon) ** 2).sum())
    return total / (data.shape[0] * rbm.n_visible)


@torch.no_grad()
def _record(rbm: RBM, data: torch.Tensor, epoch: int, settings: CDSettings) -> CDEpoch:
    free = torch.cat([rbm.free_energy(chunk) for chunk in data.split(_EVAL_CHUNK)])
    mean_free = float(free.mean())
    layer = rbm.exact_layer()
    units = rbm.n_visible if layer == "visible" else rbm.n_hidden
    log_likelihood = None
    if units <= settings.max_exact_units:
        log_likelihood = -mean_free - float(rbm.log_partition_exact())
    return CDEpoch(epoch, reconstruction_error(rbm, data), mean_free, log_likelihood)


def _check_data(rbm: RBM, data) -> torch.Tensor:
    if not isinstance(rbm, BernoulliRBM | GaussianBernoulliRBM):
        raise ValueError(
            f"rbm={type(rbm).__name__} is not allowed: expected a BernoulliRBM or "
            "GaussianBernoulliRBM"
        )
    data = torch.as_tensor(data)
    if data.ndim != 2 or data.shape[1] != rbm.n_visible or data.shape[0] < 1:
        raise ValueError(
            f"data.shape={tuple(data.shape)} is not allowed: expected (n_samples >= 1, "
            f"{rbm.n_visible})"
        )
    data = data.to(device=rbm.weight.device, dtype=rbm.weight.dtype)
    if not torch.isfinite(data).all():
        raise ValueError("data is not allowed: expected finite values")
    if rbm.binary_visible and not ((data == 0) | (data == 1)).all():
        raise ValueError(
            "data is not allowed: expected binary visibles 0/1 for a BernoulliRBM "
            "(map Ising spins with physml.models.generative.boltzmann.spins_to_binary, "
            "v = (s + 1) / 2)"
        )
    return data


class _Momentum:
    """SGD with momentum (torch.optim.SGD's rule), written out: v <- mu v + g + lambda W,
    p <- p - lr v, with the decay lambda on the couplings only. (torch.optim's first step
    costs seconds of one-off imports, longer than a quick RBM fit.)"""

    def __init__(self, rbm: RBM, settings: CDSettings) -> None:
        self.params = [p for p in rbm.parameters() if p.requires_grad]
        self.decay = [settings.weight_decay if p is rbm.weight else 0.0 for p in self.params]
        self.velocity = [torch.zeros_like(p) for p in self.params]
        self.lr, self.momentum = settings.lr, settings.momentum

    @torch.no_grad()
    def step(self, loss: torch.Tensor) -> None:
        grads = torch.autograd.grad(loss, self.params)
        for p, g, v, decay in zip(self.params, grads, self.velocity, self.decay, strict=True):
            v.mul_(self.momentum).add_(g)
            if decay:
                v.add_(p, alpha=decay)
            p.sub_(v, alpha=self.lr)


def _check_finite(rbm: RBM, good: dict, epoch: int, where: str, hint: str) -> None:
    """Restore ``good`` and raise if a parameter of ``rbm`` is not finite."""
    if all(bool(torch.isfinite(p).all()) for p in rbm.parameters()):
        return
    rbm.load_state_dict(good)
    restored = "the initial state" if epoch == 1 else f"the state after epoch {epoch - 1}"
    raise FloatingPointError(
        f"RBM training diverged in epoch {epoch} {where}: a parameter is not finite "
        f"({hint}); {restored} was restored"
    )


def train_rbm(
    rbm: RBM,
    data,
    settings: CDSettings | None = None,
    *,
    seed: int,
    on_epoch: Callable[[CDEpoch], None] | None = None,
) -> list[CDEpoch]:
    """Fit ``rbm`` in place to ``data`` by CD-k or persistent CD (module docstring).

    Args:
        rbm: a :class:`~physml.models.generative.boltzmann.BernoulliRBM` (data 0/1) or
            :class:`~physml.models.generative.boltzmann.GaussianBernoulliRBM` (real data).
        data: (n_samples, n_visible) tensor or array; cast to the model's dtype and device.
        settings: :class:`CDSettings` (None: the defaults).
        seed: seeds the generator for shuffling, chain initialisation and Gibbs sampling.
        on_epoch: called with each epoch's :class:`CDEpoch` after it is recorded (not for
            epoch 0).

    Returns:
        ``settings.epochs + 1`` records, the first for the untrained model.

    Raises:
        FloatingPointError: when an update makes a parameter non-finite; the state of
            the last completed epoch is restored first.
    """
    settings = CDSettings() if settings is None else settings
    if not isinstance(settings, CDSettings):
        raise ValueError(f"settings={settings!r} is not allowed: expected a CDSettings")
    seed = check_int("seed", seed, minimum=0)
    data = _check_data(rbm, data)
    device = rbm.weight.device
    generator = torch.Generator(device=device).manual_seed(seed)
    optimizer = _Momentum(rbm, settings)
    n = data.shape[0]
    chains = None
    if settings.persistent:
        start = torch.randint(n, (settings.chains,), generator=generator, device=device)
        chains = data[start]

    history = [_record(rbm, data, 0, settings)]
    good = copy.deepcopy(rbm.state_dict())
    for epoch in range(1, settings.epochs + 1):
        _check_finite(rbm, good, epoch, "at its start", "changed outside training?")
        order = torch.randperm(n, generator=generator, device=device)
        for batch_index, rows in enumerate(order.split(settings.batch_size)):
            batch = data[rows]
            if chains is not None:
                chains = negative_phase(rbm, chains, settings.k, generator)
                negative = chains
            else:
                negative = negative_phase(rbm, batch, settings.k, generator)
            optimizer.step(cd_loss(rbm, batch, negative))
            _check_finite(rbm, good, epoch, f"(minibatch {batch_index})", "lower lr")
        good = copy.deepcopy(rbm.state_dict())
        record = _record(rbm, data, epoch, settings)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history
