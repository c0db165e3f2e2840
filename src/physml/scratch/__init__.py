"""Methods written from scratch in plain numpy, to read beside the lectures.

Each module is one topic of seeds 001 and 002, short enough to read in one sitting, and
tested equal to the library that does the same job (scikit-learn or torch autograd) in
``tests/scratch/``. Nothing here imports the rest of physml; the tasks use the libraries.

* :mod:`~physml.scratch.linear`: ordinary least squares by the normal equations and by the
  SVD, Ridge regression in closed form.
* :mod:`~physml.scratch.descent`: gradient descent, mini-batch SGD, momentum and Adam on
  the OLS cost, each converging to the closed form.
* :mod:`~physml.scratch.logistic`: logistic regression by gradient descent and by Newton's
  method (iteratively reweighted least squares).
* :mod:`~physml.scratch.network`: a fully connected network with hand-written forward and
  backward passes.
* :mod:`~physml.scratch.or_gate`: seed 002's OR gate, a threshold network trained by one
  hand-computed backpropagation step.
"""

__all__ = ["descent", "linear", "logistic", "network", "or_gate"]
