"""Plain ``torch.nn.Module`` models: sizes in ``__init__``, tensors in ``forward``.

No training code lives in a model; :mod:`physml.train` fits them (also flows, GANs),
:mod:`physml.infer.vmc` optimises the wavefunctions, :mod:`physml.infer.van` the
variational autoregressive networks and :mod:`physml.infer.contrastive_divergence` the
Boltzmann machines.

Wavefunctions return log|psi| of a batch: continuous ones take (batch, n_particles, dim)
coordinates, spin ones (batch, n_sites) configurations of +1/-1.
"""

from physml.models.autoregressive import MADE, MaskedConvAR
from physml.models.boltzmann import BernoulliRBM, GaussianBernoulliRBM
from physml.models.deepset_wavefunction import DeepSetWavefunction
from physml.models.deepsets import EFN, PFN
from physml.models.diffusion import DDPM
from physml.models.flows import Standardized, make_flow
from physml.models.gan import MLPDiscriminator, MLPGenerator
from physml.models.gaussian_rbm import GaussianBinaryRBM
from physml.models.jastrow import PadeJastrow, SimpleJastrow
from physml.models.jet_image_cnn import JetImageCNN
from physml.models.lattice_cnn import LatticeCNN
from physml.models.lola import LoLa
from physml.models.mlp import MLP
from physml.models.particle_transformer import ParticleTransformer
from physml.models.product_wavefunction import ProductWavefunction
from physml.models.slater import SlaterDeterminant
from physml.models.spin_nqs import SpinFeedForward, SpinRBM, SymmetricSpinRBM
from physml.models.vae import VAE

__all__ = [
    "DDPM",
    "EFN",
    "MADE",
    "MLP",
    "PFN",
    "VAE",
    "BernoulliRBM",
    "DeepSetWavefunction",
    "GaussianBernoulliRBM",
    "GaussianBinaryRBM",
    "JetImageCNN",
    "LatticeCNN",
    "LoLa",
    "MLPDiscriminator",
    "MLPGenerator",
    "MaskedConvAR",
    "PadeJastrow",
    "ParticleTransformer",
    "ProductWavefunction",
    "SimpleJastrow",
    "SlaterDeterminant",
    "SpinFeedForward",
    "SpinRBM",
    "Standardized",
    "SymmetricSpinRBM",
    "make_flow",
]
