r"""Seed 002's OR gate: a threshold network and one backpropagation step by hand.

Two inputs ``x = (x_1, x_2)``, two hidden neurons ``y_j = Theta(sum_i x_i w_{i,j})`` and one
output ``z = Theta(sum_j y_j v_j)``, no biases, with the threshold function
``Theta(s) = 1`` for ``s >= 0`` and 0 otherwise. The slide's initial weights are
``w_{1,1} = 2.5, w_{2,1} = 1.2, w_{1,2} = -1.4, w_{2,2} = 2.1`` (``w_{i,j}`` joins ``x_i`` to
``y_j``) and ``v_1 = -1.6, v_2 = 1.4``. One training step on the pair ``x = (0, 1), z = 1``
(learning rate 1): the output error ``e_z = 1 - z`` is sent back through the old weights,
``e_{y_j} = e_z v_j``, and each weight moves by the error at its downstream end times the
activity at its upstream end, ``Delta v_j = e_z y_j``, ``Delta w_{i,j} = e_{y_j} x_i``.
(Theta has no derivative; the slide's rule is the perceptron's, applied layer by layer.)

The example reproduces the slide's numbers:

    >>> net = ThresholdNetwork.slide()
    >>> x = np.array([0.0, 1.0])
    >>> net.hidden_input(x)                 # 2.5*0 + 1.2*1, -1.4*0 + 2.1*1
    array([1.2, 2.1])
    >>> net.hidden(x)
    array([1., 1.])
    >>> round(net.output_input(x), 12)      # -1.6*1 + 1.4*1
    -0.2
    >>> net.output(x)                       # z_1 = 0 when it should be 1: e_z = 1
    0.0
    >>> step = net.errors(x, target=1.0)
    >>> step.output, step.hidden            # e_z1 = 1; e_y = 1*(-1.6), 1*1.4
    (1.0, array([-1.6,  1.4]))
    >>> trained = net.update(x, target=1.0)
    >>> trained.v                           # -1.6 + 1, 1.4 + 1
    array([-0.6,  2.4])
    >>> trained.w                           # rows x_1, x_2; columns y_1, y_2
    array([[ 2.5, -1.4],
           [-0.4,  3.5]])
    >>> trained.output(x)                   # the trained net gives z_1 = 1, as needed
    1.0

Two slips on the slide's "trained net" page, where the arithmetic is ours: the input of
``y_1`` is ``2.5*0 - 0.4*1 = -0.4`` (the slide writes 2.1), so ``y_1 = 0``, and the output's
input is ``-0.6*0 + 2.4*1 = 2.4`` (the slide writes ``-0.6*1 + 3.5*1 = 2.9``); ``z_1 = 1``
either way. One step on one pair does not make an OR gate of the whole truth table:

    >>> round(trained.output_input(x), 12)
    2.4
    >>> pairs = ([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0])
    >>> [trained.output(np.array(pair)) for pair in pairs]
    [1.0, 0.0, 1.0, 1.0]

(``x = (0, 0)`` fires every neuron, ``Theta(0) = 1``, and without biases nothing can stop
it; ``x = (1, 0)`` is still wrong.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Errors", "ThresholdNetwork", "threshold"]


def threshold(s: np.ndarray | float) -> np.ndarray | float:
    """``Theta(s)``: 1.0 where ``s >= 0``, else 0.0."""
    return np.where(np.asarray(s) >= 0, 1.0, 0.0)[()]


@dataclass(frozen=True)
class Errors:
    """The output error ``e_z`` and the hidden errors ``e_y`` (2,) of one training pair."""

    output: float
    hidden: np.ndarray


@dataclass(frozen=True)
class ThresholdNetwork:
    """Input-to-hidden weights ``w`` (2, 2), ``w[i, j]`` from ``x_i`` to ``y_j``, and
    hidden-to-output weights ``v`` (2,)."""

    w: np.ndarray
    v: np.ndarray

    @classmethod
    def slide(cls) -> ThresholdNetwork:
        """The initial ("random") weights of seed 002's figure."""
        return cls(np.array([[2.5, -1.4], [1.2, 2.1]]), np.array([-1.6, 1.4]))

    def hidden_input(self, x: np.ndarray) -> np.ndarray:
        """``sum_i x_i w_{i,j}`` for j = 1, 2."""
        return x @ self.w

    def hidden(self, x: np.ndarray) -> np.ndarray:
        """``y_j = Theta(sum_i x_i w_{i,j})``."""
        return threshold(self.hidden_input(x))

    def output_input(self, x: np.ndarray) -> float:
        """``sum_j y_j v_j``."""
        return float(self.hidden(x) @ self.v)

    def output(self, x: np.ndarray) -> float:
        """``z = Theta(sum_j y_j v_j)``."""
        return float(threshold(self.output_input(x)))

    def errors(self, x: np.ndarray, target: float) -> Errors:
        """``e_z = target - z`` and ``e_{y_j} = e_z v_j`` (through the old weights)."""
        e_z = float(target - self.output(x))
        return Errors(e_z, e_z * self.v)

    def update(self, x: np.ndarray, target: float) -> ThresholdNetwork:
        """The network after one step on ``(x, target)``: ``v_j + e_z y_j`` and
        ``w_{i,j} + e_{y_j} x_i``."""
        e = self.errors(x, target)
        return ThresholdNetwork(self.w + np.outer(x, e.hidden), self.v + e.output * self.hidden(x))
