"""Plain ``torch.nn.Module`` models: sizes in ``__init__``, tensors in ``forward``.

No training code lives in a model; :mod:`physml.train` fits them (also flows, GANs),
:mod:`physml.infer.vmc` optimises the wavefunctions, :mod:`physml.infer.van` the
variational autoregressive networks and :mod:`physml.infer.contrastive_divergence` the
Boltzmann machines.

Wavefunctions return log|psi| of a batch: continuous ones take (batch, n_particles, dim)
coordinates, spin ones (batch, n_sites) configurations of +1/-1.
"""

from physml.models.autoencoders import EnsembleAutoencoder
from physml.models.bayesian import BayesLinear, BayesMLP, GaussianMLP
from physml.models.dynamics import HamiltonianNN, InvariantScalarHNN, LagrangianNN, StateMLP
from physml.models.equivariant import GroupCNN
from physml.models.generative.autoregressive import MADE, MaskedConvAR
from physml.models.generative.boltzmann import BernoulliRBM, GaussianBernoulliRBM
from physml.models.generative.diffusion import DDPM
from physml.models.generative.flows import Standardized, make_flow
from physml.models.generative.gan import MLPDiscriminator, MLPGenerator
from physml.models.generative.vae import VAE
from physml.models.lattice.lattice_cnn import LatticeCNN
from physml.models.mlp import MLP
from physml.models.operators import FNO, DeepONet
from physml.models.particles.deepsets import EFN, PFN
from physml.models.particles.jet_image_cnn import JetImageCNN
from physml.models.particles.lola import LoLa
from physml.models.particles.particle_transformer import ParticleTransformer
from physml.models.pinn import PINNNetwork
from physml.models.sequences import ConvNet1d, RecurrentNet, TimeTransformer
from physml.models.vision import LensFormer, ResNet, VisionTransformer
from physml.models.wavefunctions.deepset_wavefunction import DeepSetWavefunction
from physml.models.wavefunctions.gaussian_rbm import GaussianBinaryRBM
from physml.models.wavefunctions.jastrow import PadeJastrow, SimpleJastrow
from physml.models.wavefunctions.product_wavefunction import ProductWavefunction
from physml.models.wavefunctions.slater import SlaterDeterminant
from physml.models.wavefunctions.spin_nqs import SpinFeedForward, SpinRBM, SymmetricSpinRBM
from physml.models.wide import EnsembleMLP

__all__ = [
    "DDPM",
    "EFN",
    "FNO",
    "MADE",
    "MLP",
    "PFN",
    "VAE",
    "BayesLinear",
    "BayesMLP",
    "BernoulliRBM",
    "ConvNet1d",
    "DeepONet",
    "DeepSetWavefunction",
    "EnsembleAutoencoder",
    "EnsembleMLP",
    "GaussianBernoulliRBM",
    "GaussianBinaryRBM",
    "GaussianMLP",
    "GroupCNN",
    "HamiltonianNN",
    "InvariantScalarHNN",
    "JetImageCNN",
    "LagrangianNN",
    "LatticeCNN",
    "LensFormer",
    "LoLa",
    "MLPDiscriminator",
    "MLPGenerator",
    "MaskedConvAR",
    "PINNNetwork",
    "PadeJastrow",
    "ParticleTransformer",
    "ProductWavefunction",
    "RecurrentNet",
    "ResNet",
    "SimpleJastrow",
    "SlaterDeterminant",
    "SpinFeedForward",
    "SpinRBM",
    "Standardized",
    "StateMLP",
    "SymmetricSpinRBM",
    "TimeTransformer",
    "VisionTransformer",
    "make_flow",
]
