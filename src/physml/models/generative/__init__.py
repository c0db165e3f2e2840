"""Generative models: normalizing flows (zuko), VAEs, GANs, diffusion, Boltzmann machines
and autoregressive spin models. Density models expose ``log_prob`` and ``sample``."""
