"""PDE tasks: physics-informed fits (``burgers-pinn``, ``burgers-inverse``,
``navier-stokes-inverse``, ``poisson-pinn``), neural operators and differentiable simulation."""
