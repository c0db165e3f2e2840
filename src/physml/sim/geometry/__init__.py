"""Point clouds on manifolds of known dimension and topology.

* :mod:`~physml.sim.geometry.manifolds`: uniform samples of spheres S^d, flat (Clifford)
  tori T^k in R^(2k) and massless N-body phase space (RAMBO, dimension 3N - 4), with the
  geodesic regions a task may excise as an "anomaly".
"""
