"""Networks on lattices: :class:`~physml.models.lattice.lattice_cnn.LatticeCNN`, periodic
convolutions over spin configurations."""
