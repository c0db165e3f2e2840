"""Saving figures: headless backend, atomic writes, one style for every task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from physml.atomic import atomic_path

__all__ = ["new_figure", "save_figure"]


def new_figure(**kwargs: Any) -> tuple[Any, Any]:
    """A matplotlib ``(figure, axes)`` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    kwargs.setdefault("figsize", (6.0, 4.2))
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(**kwargs)


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130)
    plt.close(fig)
    return path
