r"""Denoising diffusion (DDPM) with linear and cosine schedules, and a DDIM sampler.

Forward (noising) process over T training steps t = 0, ..., T - 1 with variances
:math:`\beta_t` and :math:`\bar\alpha_t = \prod_{s \le t}(1 - \beta_s)`:

.. math::
    x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon, \qquad
    \epsilon \sim \mathcal N(0, I).

A network :math:`\epsilon_\theta(x_t, t)` is trained to predict :math:`\epsilon`
(the "simple" loss of Ho et al.), equivalently the score
:math:`\nabla\log p_t(x_t) = -\epsilon_\theta / \sqrt{1 - \bar\alpha_t}`. Sampling runs
the generalised (DDIM) reverse update on a subsequence :math:`\tau` of the training steps,

.. math::
    \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta}{\sqrt{\bar\alpha_t}},
    \qquad
    x_{t'} = \sqrt{\bar\alpha_{t'}}\,\hat x_0
           + \sqrt{1 - \bar\alpha_{t'} - \sigma^2}\,\epsilon_\theta + \sigma z,
    \qquad
    \sigma = \eta \sqrt{\frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}}
             \sqrt{1 - \frac{\bar\alpha_t}{\bar\alpha_{t'}}},

with :math:`\bar\alpha_{t'} = 1` after the last step. ``eta = 1`` on all T steps is
exactly Ho et al.'s ancestral sampler with :math:`\sigma_t^2 = \tilde\beta_t`; ``eta = 1``
on fewer steps is the respaced DDPM of Nichol & Dhariwal; ``eta = 0`` is the deterministic
DDIM sampler, a first-order solver of the probability-flow ODE; ``order=2`` (with
``eta = 0``) is the multistep DPM-Solver++(2M), second order at no extra network calls.

Sampler bias, measured with the *exact* predictor of Gaussian data (variance v along a
direction; ratios of sampled to true variance, T = 1000):

* DDIM (eta = 0) shrinks the variance by :func:`ddim_gaussian_std_ratio` squared, about
  :math:`1 - \pi^2/(4n)` at best: 0.95 (v = 1) and 0.89 (v = 0.05) for n = 50 cosine
  steps, 0.88 / 0.74 for n = 20, still 0.997 / 0.993 for n = 1000.
* Ancestral sampling (eta = 1) shrinks it more: 0.99 / 0.97 on all 1000 linear steps,
  0.91 / 0.78 on 50 cosine steps (:math:`\tilde\beta_t` is the lower bound of the true
  reverse variance).
* DPM-Solver++(2M) on ``spacing="logsnr"`` steps of the linear schedule is within 3 % for
  n = 20 and 0.5 % for n = 50, nearly the same for every v.

So a power spectrum estimated from samples is biased low, most at small-variance modes,
unless n is large or the second-order sampler is used; compare against the exact
:class:`GaussianNoisePredictor` (:class:`PeriodicGaussianNoisePredictor` for stationary
fields on a periodic lattice) run through the same sampler to separate sampler bias from
training error.

Sharp bit: the cosine schedule ends with :math:`\bar\alpha_{T-1} \approx 10^{-7}` to
:math:`10^{-9}`, so the first deterministic step of a *few-step* sampler divides the
network's error by :math:`\sqrt{\bar\alpha_{T-1}}` (20 DDIM steps of a network trained
on a 2D mixture with T = 100 gave a variance 25 times too large; the exact predictor is
unaffected). Use the linear schedule for few-step sampling with trained networks, sample
with all steps, clip :math:`\hat x_0` (``clip_x0``), or let the network predict
:math:`v` (:class:`VPrediction`), whose error reaches :math:`\hat x_0` undivided. The
linear schedule is not immune: :math:`\sqrt{\bar\alpha_{T-1}} = 0.0064` for T = 1000, and
an :math:`\epsilon`-network with a per-site error of 0.08 at high noise (a small U-Net
after a short fit on Gaussian random fields, its loss within 3 % of the optimum) sampled
fields with 100 times the true variance in 50 deterministic steps; the same U-Net
trained the same way to predict v gave the variance within 10 %.

Conventions: timesteps are integer indices in 0..T-1 (a ``torch.long`` tensor of shape
(batch,)), a noise-prediction model is called as ``model(x_t, t)`` and returns a tensor of
the shape of ``x_t``; a conditional model (``context=`` given to :meth:`DDPM.loss` and
:meth:`DDPM.sample`) as ``model(x_t, t, context)`` with context (batch, context_dim); data
are (batch, dim) vectors or (batch, L, L) fields. Schedules are stored in float64 and
cast to the data's dtype when used. Losses are mean squared errors per dimension
(dimensionless for data of unit scale).

References:
    J. Ho, A. Jain, P. Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020,
    arXiv:2006.11239; J. Song, C. Meng, S. Ermon, "Denoising Diffusion Implicit Models",
    ICLR 2021, arXiv:2010.02502; A. Nichol, P. Dhariwal, "Improved Denoising Diffusion
    Probabilistic Models", ICML 2021, arXiv:2102.09672 (cosine schedule, respacing);
    Y. Song et al., "Score-Based Generative Modeling through SDEs", ICLR 2021;
    T. Salimans, J. Ho, "Progressive Distillation for Fast Sampling of Diffusion Models",
    ICLR 2022, arXiv:2202.00512 (v-prediction).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from physml.checks import check_choice, check_int, check_real
from physml.models.generative.noise_networks import (
    LatticeNoisePredictor,
    MLPNoisePredictor,
    timestep_embedding,
)

__all__ = [
    "DDPM",
    "SPACINGS",
    "GaussianNoisePredictor",
    "LatticeNoisePredictor",
    "MLPNoisePredictor",
    "PeriodicGaussianNoisePredictor",
    "VPrediction",
    "ddim_gaussian_std_ratio",
    "timestep_embedding",
]

SPACINGS: tuple[str, ...] = ("uniform", "logsnr")
"""How :meth:`DDPM.timesteps` places the sampler's steps."""

NoisePredictor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _expand(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-example values (batch,) shaped to broadcast against x (batch, ...)."""
    return values.to(dtype=x.dtype, device=x.device).reshape(-1, *([1] * (x.ndim - 1)))


def _predict(model, x: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None):
    """``model(x, t)``, or ``model(x, t, context)`` for a conditional model."""
    return model(x, t) if context is None else model(x, t, context)


class DDPM(nn.Module):
    r"""A variance schedule with the forward process, the training loss and the sampler.

    Holds no trainable parameters: the schedule lives in float64 buffers, so ``.to(device)``
    moves it (inputs on another device are handled too). Use :meth:`linear` or
    :meth:`cosine` to build one.

    Args:
        betas: (T,) variances :math:`\beta_t` in (0, 1).

    Example:
        >>> ddpm = DDPM.linear(100)
        >>> exact = GaussianNoisePredictor(ddpm, torch.zeros(2), torch.zeros(2, 2))  # x_0 = 0
        >>> x = ddpm.sample(exact, (3, 2), n_steps=10, eta=0.0, dtype=torch.float64)
        >>> x.shape, bool(x.abs().max() < 1e-12)
        (torch.Size([3, 2]), True)
    """

    def __init__(self, betas: torch.Tensor) -> None:
        super().__init__()
        betas = torch.as_tensor(betas, dtype=torch.float64).flatten()
        if betas.numel() < 1 or not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError(
                "betas is not allowed: expected a non-empty tensor of values in (0, 1)"
            )
        self.register_buffer("betas", betas)
        self.register_buffer("alphas_cumprod", torch.cumprod(1.0 - betas, 0))

    @classmethod
    def linear(cls, n_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> DDPM:
        """Ho et al.'s linear schedule; the end points are scaled by 1000 / n_steps so that
        shorter schedules reach the same final noise (Nichol & Dhariwal's convention)."""
        n = check_int("n_steps", n_steps, minimum=1)
        scale = 1000.0 / n
        lo = check_real("beta_start", beta_start, positive=True) * scale
        hi = check_real("beta_end", beta_end, positive=True) * scale
        if not lo <= hi < 1.0:
            raise ValueError(
                f"beta_end={beta_end!r} is not allowed: expected beta_start <= beta_end and "
                f"beta_end * 1000 / n_steps < 1"
            )
        return cls(torch.linspace(lo, hi, n, dtype=torch.float64))

    @classmethod
    def cosine(cls, n_steps: int = 1000, offset: float = 0.008, max_beta: float = 0.999) -> DDPM:
        r"""Nichol & Dhariwal's cosine schedule,
        :math:`\bar\alpha(t) \propto \cos^2\big(\tfrac{\pi}{2}\tfrac{t/T + s}{1 + s}\big)`,
        with betas clipped at ``max_beta``. Its last :math:`\bar\alpha` is tiny (about
        1e-9 for T = 1000): see the module's sharp bit on few-step sampling."""
        n = check_int("n_steps", n_steps, minimum=1)
        s = check_real("offset", offset, positive=True)
        max_beta = check_real("max_beta", max_beta, positive=True)
        grid = torch.arange(n + 1, dtype=torch.float64) / n
        f = torch.cos((grid + s) / (1 + s) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(max=max_beta)
        return cls(betas)

    @property
    def n_steps(self) -> int:
        """T, the number of training (noising) steps."""
        return self.betas.numel()

    def signal_and_noise(self, t: torch.Tensor, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
        r""":math:`\sqrt{\bar\alpha_t}` and :math:`\sqrt{1-\bar\alpha_t}` shaped to broadcast
        against ``like`` (batch, ...), in its dtype."""
        ab = self.alphas_cumprod.to(t.device)[t]
        return _expand(ab.sqrt(), like), _expand((1 - ab).sqrt(), like)

    def _check_t(self, t: torch.Tensor, batch: int) -> torch.Tensor:
        t = torch.as_tensor(t)
        if t.ndim == 0:
            t = t.expand(batch)
        if t.shape != (batch,) or t.is_floating_point() or bool((t < 0).any()):
            raise ValueError(
                f"t is not allowed: expected integer timesteps of shape ({batch},) in "
                f"0..{self.n_steps - 1}"
            )
        if bool((t >= self.n_steps).any()):
            raise ValueError(f"t is not allowed: timesteps must be < n_steps={self.n_steps}")
        return t.long()

    def q_sample(
        self,
        x0: torch.Tensor,
        t: torch.Tensor | int,
        noise: torch.Tensor | None = None,
        *,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        r"""Draw :math:`x_t \sim \mathcal N(\sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)`.

        Args:
            x0: clean data (batch, ...).
            t: timesteps (batch,) or one int for the whole batch.
            noise: the :math:`\epsilon` to use (drawn with ``generator`` if None).

        Returns:
            x_t, the shape of x0.
        """
        t = self._check_t(torch.as_tensor(t, device=x0.device), x0.shape[0])
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
        a, s = self.signal_and_noise(t, x0)
        return a * x0 + s * noise

    def loss(
        self,
        model: NoisePredictor,
        x0: torch.Tensor,
        *,
        t: torch.Tensor | int | None = None,
        generator: torch.Generator | None = None,
        reduction: str = "mean",
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        r"""The :math:`\epsilon`-prediction loss :math:`\|\epsilon-\epsilon_\theta(x_t,t)\|^2/D`.

        Args:
            model: noise predictor ``model(x_t, t)``.
            x0: clean data (batch, ...), D values per example.
            t: timesteps; None draws them uniformly from 0..T-1 (Ho et al.'s L_simple).
            generator: for t and the noise; None uses torch's global generator (seeded by
                :func:`physml.train.fit`, so ``fit(model, lambda m, b: ddpm.loss(m, b[0]),
                ...)`` is reproducible).
            reduction: ``"mean"`` (a scalar) or ``"none"`` (one value per example).
            context: (batch, context_dim) conditions of a conditional model, called as
                ``model(x_t, t, context)``; None calls ``model(x_t, t)``.

        Returns:
            The mean over the batch, or (batch,).
        """
        batch = x0.shape[0]
        if t is None:
            t = torch.randint(self.n_steps, (batch,), generator=generator, device=x0.device)
        t = self._check_t(torch.as_tensor(t, device=x0.device), batch)
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
        pred = _predict(model, self.q_sample(x0, t, noise), t, context)
        per_example = (noise - pred.to(noise.dtype)).pow(2).reshape(batch, -1).mean(-1)
        if reduction == "none":
            return per_example
        if reduction != "mean":
            raise ValueError(f"reduction={reduction!r} is not allowed: expected 'mean' or 'none'")
        return per_example.mean()

    def log_snr(self) -> torch.Tensor:
        r"""Half log signal-to-noise ratio, (T,), decreasing in t:
        :math:`\lambda_t = \tfrac12\log(\bar\alpha_t/(1-\bar\alpha_t))`."""
        ab = self.alphas_cumprod
        return 0.5 * torch.log(ab / (1 - ab))

    def timesteps(self, n_steps: int | None = None, spacing: str = "uniform") -> torch.Tensor:
        """The sampler's subsequence of training steps, ascending, from 0 to T - 1.

        Args:
            n_steps: number of steps (default T).
            spacing: ``"uniform"``: evenly spaced, rounded indices (exactly n_steps of
                them); ``"logsnr"``: the indices nearest to evenly spaced half log-SNR
                :meth:`log_snr`, DPM-Solver's choice (duplicates are dropped, so a
                schedule that saturates, such as the clipped end of the cosine one, can
                give fewer than n_steps). One step always jumps from T - 1.
        """
        n = self.n_steps if n_steps is None else check_int("n_steps", n_steps, minimum=1)
        check_choice("spacing", spacing, SPACINGS)
        if n > self.n_steps:
            raise ValueError(
                f"n_steps={n_steps!r} is not allowed: expected at most the {self.n_steps} "
                f"training steps"
            )
        if n == 1:
            return torch.tensor([self.n_steps - 1])
        if spacing == "uniform":
            return torch.linspace(0, self.n_steps - 1, n, dtype=torch.float64).round().long()
        lam = self.log_snr()
        targets = torch.linspace(float(lam[-1]), float(lam[0]), n, dtype=torch.float64)
        nearest = (lam[None, :] - targets[:, None]).abs().argmin(dim=1)
        return torch.unique(nearest)  # sorted ascending

    @torch.no_grad()
    def sample(
        self,
        model: NoisePredictor,
        shape: Sequence[int],
        *,
        n_steps: int | None = None,
        eta: float = 1.0,
        order: int = 1,
        spacing: str = "uniform",
        generator: torch.Generator | None = None,
        x_T: torch.Tensor | None = None,
        clip_x0: float | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        r"""Generate samples with the DDIM update (see the module docstring).

        Args:
            model: noise predictor ``model(x_t, t)``, put in eval mode by the caller.
            shape: (n_samples, ...) of the result.
            n_steps: number of denoising steps (default: all T training steps), any
                number from 1 to T.
            eta: 1 for ancestral (DDPM) sampling, 0 for deterministic DDIM, in between
                interpolates.
            order: 1 (the DDIM/DDPM update) or 2 (deterministic only, ``eta=0``: the
                multistep DPM-Solver++(2M) of Lu et al. 2022, which reuses the previous
                step's :math:`\hat x_0` at no extra model calls; its error falls as
                :math:`1/n^2` instead of :math:`1/n`; use it with ``spacing="logsnr"``
                for few steps).
            spacing: how the n_steps are placed, see :meth:`timesteps`.
            generator: for the initial noise and the ancestral noise.
            x_T: the initial state (default: drawn from N(0, I)); the sampler is then a
                deterministic function of it when eta = 0.
            clip_x0: clip the predicted :math:`\hat x_0` to [-clip_x0, clip_x0] (for data
                known to be bounded, e.g. spins); None: no clipping.
            dtype, device: of the samples; default the model's parameters' (float32 and
                CPU for a parameter-free callable), or those of ``x_T``.
            context: (n_samples, context_dim) conditions of a conditional model, called
                as ``model(x_t, t, context)``; None calls ``model(x_t, t)``.

        Returns:
            Samples of shape ``shape``.
        """
        eta = check_real("eta", eta, nonnegative=True)
        order = check_int("order", order, minimum=1, maximum=2)
        if order == 2 and eta != 0:
            raise ValueError(f"order=2 is not allowed with eta={eta!r}: expected eta=0")
        ts = self.timesteps(n_steps, spacing)
        if x_T is not None:
            x = x_T.clone()
        else:
            p = next(iter(model.parameters()), None) if isinstance(model, nn.Module) else None
            dtype = dtype or (p.dtype if p is not None else torch.get_default_dtype())
            device = device or (p.device if p is not None else None)
            x = torch.randn(tuple(shape), generator=generator, dtype=dtype, device=device)
        ab_all = self.alphas_cumprod.to(x.device)
        batch = x.shape[0]
        previous = None  # (x0 prediction, log-SNR step) of the last step, for order 2
        for i in range(len(ts) - 1, -1, -1):
            t = int(ts[i])
            ab = ab_all[t]
            ab_prev = ab_all[int(ts[i - 1])] if i > 0 else torch.ones_like(ab)
            a, s = ab.sqrt().to(x.dtype), (1 - ab).sqrt().to(x.dtype)
            steps = torch.full((batch,), t, dtype=torch.long, device=x.device)
            eps = _predict(model, x, steps, context).to(x.dtype)
            x0 = (x - s * eps) / a
            if clip_x0 is not None:
                x0 = x0.clamp(-clip_x0, clip_x0)
                eps = (x - a * x0) / s
            if order == 2:
                # DPM-Solver++(2M): extrapolate x0 in the half log-SNR lambda = log(a / s)
                h = 0.5 * float(torch.log(ab_prev / (1 - ab_prev)) - torch.log(ab / (1 - ab)))
                x0_now = x0
                if previous is not None and i > 0:
                    r = previous[1] / h
                    x0 = (1 + 0.5 / r) * x0 - (0.5 / r) * previous[0]
                    eps = (x - a * x0) / s
                previous = (x0_now, h)
            sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).clamp(min=0).sqrt()
            direction = (1 - ab_prev - sigma**2).clamp(min=0).sqrt()
            x = ab_prev.sqrt().to(x.dtype) * x0 + direction.to(x.dtype) * eps
            if i > 0 and float(sigma) > 0:
                z = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
                x = x + sigma.to(x.dtype) * z
        return x

    def extra_repr(self) -> str:
        return f"n_steps={self.n_steps}, final_alpha_bar={float(self.alphas_cumprod[-1]):.3g}"


def ddim_gaussian_std_ratio(
    ddpm: DDPM, variance: torch.Tensor, n_steps: int, spacing: str = "uniform"
) -> torch.Tensor:
    r"""Sampled / true standard deviation of deterministic DDIM on Gaussian data.

    For data of variance v along a direction and the exact :math:`\epsilon`-predictor, each
    DDIM step is an Euler step of the probability-flow ODE in
    :math:`(\bar x, \bar\sigma) = (x, \sqrt{1-\bar\alpha}) / \sqrt{\bar\alpha}` and
    multiplies the deviation from the mean by :math:`(v + \bar\sigma'\bar\sigma) /
    (v + \bar\sigma^2)` instead of the exact :math:`\sqrt{(v + \bar\sigma'^2) /
    (v + \bar\sigma^2)}`. Starting from :math:`x_T \sim \mathcal N(0, I)` the samples
    have standard deviation :math:`\sqrt{\bar\alpha_T^{-1}}\prod_i(\ldots)`; this function
    returns it divided by :math:`\sqrt v` (1 would be exact).

    Args:
        ddpm: the schedule.
        variance: variances v (any shape), > 0.
        n_steps: DDIM steps.
        spacing: see :meth:`DDPM.timesteps`.

    Returns:
        Ratios, the shape of ``variance``.
    """
    v = torch.as_tensor(variance, dtype=torch.float64)
    ab = ddpm.alphas_cumprod[ddpm.timesteps(n_steps, spacing)].flip(0)  # descending in noise
    sbar = ((1 - ab) / ab).sqrt()
    sbar_next = torch.cat([sbar[1:], sbar.new_zeros(1)])
    factors = (v[..., None] + sbar_next * sbar) / (v[..., None] + sbar**2)
    return factors.prod(-1) / (ab[0].sqrt() * v.sqrt())


class GaussianNoisePredictor(nn.Module):
    r"""The exact :math:`\epsilon`-predictor :math:`E[\epsilon | x_t]` for data N(mean, cov).

    With :math:`a = \sqrt{\bar\alpha_t}`, :math:`s = \sqrt{1-\bar\alpha_t}` and
    :math:`C_t = a^2\Sigma + s^2 I`, the marginal is :math:`x_t \sim \mathcal N(a\mu, C_t)`
    and :math:`\epsilon^*(x_t, t) = s\,C_t^{-1}(x_t - a\mu)`: the minimiser of
    :meth:`DDPM.loss`, the reference a trained network is held against (e.g. for Gaussian
    random fields, where the covariance is known from the power spectrum).

    Args:
        ddpm: the schedule.
        mean: (\*event_shape) data mean.
        cov: (D, D) data covariance, D = prod(event_shape), positive semi-definite.

    Shapes:
        x_t (batch, \*event_shape), t (batch,) -> (batch, \*event_shape).
    """

    def __init__(self, ddpm: DDPM, mean: torch.Tensor, cov: torch.Tensor) -> None:
        super().__init__()
        mean = torch.as_tensor(mean, dtype=torch.float64)
        cov = torch.as_tensor(cov, dtype=torch.float64)
        d = mean.numel()
        if cov.shape != (d, d):
            raise ValueError(f"cov.shape={tuple(cov.shape)} is not allowed: expected ({d}, {d})")
        eigvals, eigvecs = torch.linalg.eigh(0.5 * (cov + cov.T))
        self.ddpm = ddpm
        self.register_buffer("mean", mean)
        self.register_buffer("eigvals", eigvals.clamp(min=0))
        self.register_buffer("eigvecs", eigvecs)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        y = x.reshape(batch, -1)
        a, s = self.ddpm.signal_and_noise(t, y)
        u, lam = self.eigvecs.to(y.dtype), self.eigvals.to(y.dtype)
        coeff = (y - a * self.mean.reshape(1, -1).to(y.dtype)) @ u
        return ((coeff * s / (a**2 * lam + s**2)) @ u.T).reshape(x.shape)

    def expected_loss(self, t: torch.Tensor | None = None) -> torch.Tensor:
        r"""Minimum of :meth:`DDPM.loss`: :math:`\frac1D\sum_k a^2\lambda_k/(a^2\lambda_k + s^2)`.

        The residual :math:`\epsilon - E[\epsilon|x_t]` has covariance
        :math:`I - s^2 C_t^{-1}`. For timesteps t (any shape) returns that shape; for None,
        the average over uniform t (the expectation of L_simple).
        """
        ab = self.ddpm.alphas_cumprod
        per_t = (ab[:, None] * self.eigvals) / (ab[:, None] * self.eigvals + 1 - ab[:, None])
        per_t = per_t.mean(-1)
        return per_t.mean() if t is None else per_t[torch.as_tensor(t)]


class PeriodicGaussianNoisePredictor(nn.Module):
    r"""The exact :math:`\epsilon`-predictor for a stationary, zero-mean Gaussian field on a
    periodic lattice, computed in Fourier space.

    Translation invariance makes the covariance circulant,
    :math:`\Sigma_{xy} = \xi(y - x)` (separations modulo the lattice), so the discrete
    Fourier modes are its eigenvectors with eigenvalues
    :math:`\lambda_k = \sum_x \xi(x)\, e^{-i k\cdot x}` (real and >= 0 for a covariance),
    and the predictor of :class:`GaussianNoisePredictor` with mean 0 becomes
    :math:`\epsilon^* = \mathcal F^{-1}\big[s\,\mathcal F(x_t)_k / (a^2\lambda_k + s^2)\big]`:
    O(D log D) per field and no D x D eigendecomposition (D lattice sites), the same
    numbers as the dense predictor to rounding. For the fields of
    :mod:`physml.sim.cosmology.fields`, :math:`\lambda_k = P(|k|) N^2 / L^2`.

    Args:
        ddpm: the schedule.
        covariance: :math:`\xi(x) = \operatorname{Cov}(\phi(y), \phi(y + x))` at every
            lattice separation, shape ``event_shape`` (e.g. (L, L), entry [0, 0] the
            one-point variance; :func:`physml.sim.cosmology.fields.correlation_function`).

    Shapes:
        x_t (batch, \*event_shape), t (batch,) -> (batch, \*event_shape).
    """

    def __init__(self, ddpm: DDPM, covariance: torch.Tensor) -> None:
        super().__init__()
        covariance = torch.as_tensor(covariance, dtype=torch.float64)
        if covariance.ndim < 1:
            raise ValueError("covariance is not allowed: expected at least one lattice axis")
        self.ddpm = ddpm
        self.event_shape = tuple(covariance.shape)
        self.register_buffer("eigvals", torch.fft.rfftn(covariance).real.clamp(min=0))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.event_shape:
            raise ValueError(
                f"x.shape={tuple(x.shape)} is not allowed: expected (batch, "
                f"{', '.join(map(str, self.event_shape))})"
            )
        dims = tuple(range(1, x.ndim))
        a, s = self.ddpm.signal_and_noise(t, x)
        lam = self.eigvals.to(x.dtype)
        coeff = torch.fft.rfftn(x, dim=dims) * (s / (a**2 * lam + s**2))
        return torch.fft.irfftn(coeff, s=self.event_shape, dim=dims)


class VPrediction(nn.Module):
    r"""An :math:`\epsilon`-predictor built on a network that predicts the velocity
    :math:`v = a\epsilon - s x_0` (Salimans & Ho 2022): :math:`\epsilon_\theta = s\,x_t +
    a\,v_\theta(x_t, t)`, with :math:`a = \sqrt{\bar\alpha_t}`, :math:`s = \sqrt{1-\bar\alpha_t}`.

    The sampler's :math:`\hat x_0 = (x_t - s\epsilon_\theta)/a = a x_t - s v_\theta`, so a
    network error :math:`\delta` moves :math:`\hat x_0` by :math:`s\delta` at most, where an
    :math:`\epsilon`-network's error moves it by :math:`s\delta / a`, up to
    :math:`1/\sqrt{\bar\alpha_{T-1}}` times (see the module's sharp bit). Train it with
    :meth:`DDPM.loss` unchanged: the :math:`\epsilon`-loss of this module is
    :math:`a^2\|v - v_\theta\|^2` per dimension.

    Args:
        ddpm: the schedule.
        network: the v-network, called as ``network(x_t, t)``, or ``network(x_t, t,
            context)`` when a context is given.

    Shapes:
        x_t (batch, \*event_shape), t (batch,), context (batch, context_dim) ->
        (batch, \*event_shape).

    References:
        T. Salimans, J. Ho, "Progressive Distillation for Fast Sampling of Diffusion
        Models", ICLR 2022, arXiv:2202.00512.
    """

    def __init__(self, ddpm: DDPM, network: nn.Module) -> None:
        super().__init__()
        self.ddpm = ddpm
        self.network = network

    def reset_parameters(self) -> None:
        self.network.reset_parameters()

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None = None
    ) -> torch.Tensor:
        v = _predict(self.network, x, t, context)
        a, s = self.ddpm.signal_and_noise(t, v)
        return s * x.to(v.dtype) + a * v
