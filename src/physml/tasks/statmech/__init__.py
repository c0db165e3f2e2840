"""Statistical-mechanics tasks: ``ising-phase`` and ``ising-generative``."""
