"""Symmetry checks: a model commutes with a group action, or ignores it.

A model f is equivariant under group elements g acting on its inputs as x -> g.x and on
its outputs as y -> g.y when f(g.x) = g.f(x) for every sampled g; invariant when the
output action is the identity. The actions are plain callables, so any group fits:
permutations of particles, Lorentz boosts of four-momenta, lattice translations, spin
flips, the sign of a Slater determinant under an exchange. Pass one callable per sampled
group element (a sequence), or a single one.

The comparison is element-wise, ``|f(g.x) - g.f(x)| <= atol + rtol * |g.f(x)|``, in
float64 after the model ran in its own dtype. Default tolerances follow the dtype of the
outputs (as e3nn's ``assert_equivariant`` does): float64 1e-10 (both), float32 rtol 1e-4
and atol 1e-5, float16 1e-2, bfloat16 5e-2, integers exactly. They suit outputs of order
one from a few layers; boosts with large gamma factors or deep networks may need more,
which a test should pass explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from physml.checks import check_int
from physml.testing._arrays import default_tolerances, dtype_name, flatten, mismatch

__all__ = ["assert_equivariant", "assert_invariant", "sample_permutations"]


def _actions(name: str, action) -> list[Callable]:
    actions = list(action) if isinstance(action, Sequence) else [action]
    if not actions or not all(callable(a) for a in actions):
        raise ValueError(
            f"{name}={action!r} is not allowed: expected a callable or a non-empty sequence "
            "of callables (one per group element)"
        )
    return actions


def _check(model, actions_in, actions_out, inputs, rtol, atol, relation: str) -> float:
    reference = model(inputs)
    worst = 0.0
    for k, (g_in, g_out) in enumerate(zip(actions_in, actions_out, strict=True)):
        moved = flatten(model(g_in(inputs)))
        expected = flatten(g_out(reference))
        if [label for label, _ in moved] != [label for label, _ in expected]:
            raise AssertionError(
                f"{relation} fails under action {k} of {len(actions_in)}: the model returned "
                f"outputs {[label for label, _ in moved]} where the output action gives "
                f"{[label for label, _ in expected]}"
            )
        r, a = default_tolerances([dtype_name(e) for _, e in expected], rtol, atol)
        for (label, m), (_, e) in zip(moved, expected, strict=True):
            largest, detail = mismatch(m, e, r, a)
            worst = max(worst, largest)
            if detail is not None:
                which = f" (output {label})" if label else ""
                again = zip(flatten(model(inputs)), flatten(reference), strict=True)
                if any(mismatch(x, y, 0.0, 0.0)[1] for (_, x), (_, y) in again):
                    detail += "; f(x) itself is not reproducible (dropout or train mode?)"
                raise AssertionError(
                    f"{relation} fails under action {k} of {len(actions_in)}{which}: {detail}"
                )
    return worst


def assert_equivariant(
    model: Callable,
    action_in: Callable | Sequence[Callable],
    action_out: Callable | Sequence[Callable],
    inputs,
    *,
    atol: float | None = None,
    rtol: float | None = None,
) -> float:
    """Assert ``model(action_in(inputs)) == action_out(model(inputs))`` for each action.

    Args:
        model: a callable of one argument (a ``torch.nn.Module`` in eval mode, a numpy
            function); for several arguments, pass a tuple and ``lambda xs: model(*xs)``.
            It may return a tensor, an array or a (nested) tuple, list or dict of them.
        action_in: g acting on the inputs, returning new inputs (never in place); a
            sequence of callables checks several sampled group elements.
        action_out: the same elements acting on the outputs, in the same order.
        inputs: what ``model`` takes.
        atol, rtol: tolerances of the element-wise comparison; None takes the default
            of the outputs' dtype (module docstring).

    Returns:
        The largest |f(g.x) - g.f(x)| over all actions and output elements.

    Raises:
        AssertionError: naming the action and output, the largest offending difference,
            where it is, the allowed difference and how many elements fail.

    Example:
        >>> import numpy as np
        >>> x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
        >>> softmax = lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True)
        >>> swap = lambda v: v[:, [2, 0, 1]]  # permute the last axis: softmax follows
        >>> assert_equivariant(softmax, swap, swap, x) < 1e-15
        True
        >>> assert_equivariant(lambda v: np.cumsum(v, axis=1), swap, swap, x)
        Traceback (most recent call last):
        ...
        AssertionError: f(g.x) = g.f(x) fails under action 0 of 1: |difference| ...
    """
    actions_in, actions_out = _actions("action_in", action_in), _actions("action_out", action_out)
    if len(actions_in) != len(actions_out):
        raise ValueError(
            f"action_out has {len(actions_out)} elements where action_in has "
            f"{len(actions_in)}: expected one output action per input action"
        )
    return _check(model, actions_in, actions_out, inputs, rtol, atol, "f(g.x) = g.f(x)")


def assert_invariant(
    model: Callable,
    action: Callable | Sequence[Callable],
    inputs,
    *,
    atol: float | None = None,
    rtol: float | None = None,
) -> float:
    """Assert ``model(action(inputs)) == model(inputs)`` for each action.

    :func:`assert_equivariant` with the identity acting on the outputs; the same
    arguments, defaults, return value and messages.

    Example:
        >>> import numpy as np
        >>> x = np.arange(12.0).reshape(3, 4)
        >>> rolls = [lambda v, s=s: np.roll(v, s, axis=1) for s in (1, 2, 3)]
        >>> assert_invariant(lambda v: (v**2).sum(1), rolls, x)  # translation invariant
        0.0
    """
    actions = _actions("action", action)
    identity = [lambda y: y] * len(actions)
    return _check(model, actions, identity, inputs, rtol, atol, "f(g.x) = f(x)")


def sample_permutations(n: int, count: int, *, seed: int = 0, axis: int = 1) -> list[Callable]:
    """``count`` random permutations of ``n`` items along ``axis``, as actions.

    Each action reorders a tensor or an array along ``axis`` (1: the particles of a
    (batch, n_particles, ...) batch) and leaves the other axes alone; none is the
    identity (a check under the identity would test nothing).

    Args:
        n: number of items permuted (>= 2).
        count: number of sampled permutations (>= 1).
        seed: seeds numpy's generator.
        axis: the axis permuted (>= 0).

    Example:
        >>> import numpy as np
        >>> swap = sample_permutations(3, 1, seed=0)[0]
        >>> swap(np.arange(6).reshape(2, 3)).tolist()
        [[2, 0, 1], [5, 3, 4]]
    """
    n = check_int("n", n, minimum=2)
    count = check_int("count", count, minimum=1)
    axis = check_int("axis", axis, minimum=0)
    rng = np.random.default_rng(seed)
    perms = []
    while len(perms) < count:
        p = rng.permutation(n)
        if (p != np.arange(n)).any():
            perms.append(p)
    head = (slice(None),) * axis
    return [lambda x, p=p: x[(*head, p)] for p in perms]
