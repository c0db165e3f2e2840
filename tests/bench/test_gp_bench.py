"""bench gp: its baseline is scikit-learn's example GP, and its rows are well formed."""

import numpy as np

from physml.bench import gp


def test_library_example_baseline_interpolates_the_simulator() -> None:
    u, y, u_test, y_test = gp._data(15, 30)
    model = gp.library_example_gp(u, y)
    assert np.allclose(model.predict(u), y, atol=1e-3 * np.abs(y).max())  # noise-free fit
    assert np.sqrt(np.mean((model.predict(u_test) - y_test) ** 2)) < 0.2 * y_test.std()


def test_rows(monkeypatch) -> None:
    monkeypatch.setattr(gp, "median_time", lambda fn, repeats: (fn(), 1e-3)[1])
    real = gp._data
    monkeypatch.setattr(gp, "_data", lambda n, n_test: real(min(n, 12), 20))
    rows = gp.run(quick=True)
    assert len(rows) == 4 and all(float(r["ratio"]) > 0 for r in rows)
    assert len({tuple(r) for r in rows}) == 1
