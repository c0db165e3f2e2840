"""Tests of the fitting engine against plain torch and exact linear-regression answers."""

from __future__ import annotations

import copy
import csv
import itertools
import logging
import subprocess
import sys

import numpy as np
import pydantic
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from physml.train import FitSettings, TrainingDiverged, fit
from physml.train.fitting import LOG_COLUMNS

N_FEATURES = 3


def linear_data(n: int, seed: int, noise: float = 0.1, sign: float = 1.0) -> TensorDataset:
    """y = x·w + b + noise, float64, with fixed w = (1.5, -2, 0.5), b = 0.3."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, N_FEATURES, generator=g, dtype=torch.float64)
    w = torch.tensor([1.5, -2.0, 0.5], dtype=torch.float64)
    y = sign * (x @ w + 0.3) + noise * torch.randn(n, generator=g, dtype=torch.float64)
    return TensorDataset(x, y)


def mse(model: nn.Module, batch) -> torch.Tensor:
    x, y = batch
    return ((model(x).squeeze(-1) - y) ** 2).mean()


def linear_model(seed: int = 0) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    model = nn.Linear(N_FEATURES, 1, dtype=torch.float64)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.1 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    return model


def dropout_mlp(seed: int = 0) -> nn.Module:
    """A small MLP with dropout, so bitwise resume also needs the model RNG restored."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.Linear(N_FEATURES, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 1)
        )


def mse32(model: nn.Module, batch) -> torch.Tensor:
    x, y = batch
    return ((model(x.float()).squeeze(-1) - y.float()) ** 2).mean()


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def test_parity_with_plain_torch_loop():
    """fit == the textbook loop (same data order, AdamW, same hyperparameters), bitwise."""
    train, val = linear_data(50, seed=1), linear_data(20, seed=2)
    settings = FitSettings(
        max_epochs=4,
        batch_size=16,
        learning_rate=0.05,
        weight_decay=0.01,
        patience=None,
        precision="64-true",
    )
    model = linear_model()
    reference = copy.deepcopy(model)

    result = fit(model, mse, train, val, settings=settings, seed=7)

    order = torch.Generator().manual_seed(7)
    loader = torch.utils.data.DataLoader(train, batch_size=16, shuffle=True, generator=order)
    optimizer = torch.optim.AdamW(reference.parameters(), lr=0.05, weight_decay=0.01)
    for _ in range(4):
        for batch in loader:
            optimizer.zero_grad()
            mse(reference, batch).backward()
            optimizer.step()

    # fit returns the best-val weights; on this convex problem the last epoch is the best.
    assert result.best_epoch == 4
    assert_same_weights(result.model, reference)
    assert result.model.weight.dtype == torch.float64


def test_recovers_least_squares_solution():
    """Full-batch AdamW on a linear model converges to numpy's lstsq solution."""
    train = linear_data(200, seed=3, noise=0.5)
    x, y = (t.numpy() for t in train.tensors)
    design = np.hstack([x, np.ones((len(x), 1))])
    exact, *_ = np.linalg.lstsq(design, y, rcond=None)

    settings = FitSettings(
        max_epochs=1500, batch_size=200, learning_rate=0.02, patience=None, precision="64-true"
    )
    result = fit(linear_model(), mse, train, settings=settings, seed=0)
    fitted = np.append(result.model.weight.detach().numpy().ravel(), result.model.bias.item())
    np.testing.assert_allclose(fitted, exact, atol=1e-6)
    residual = np.mean((design @ exact - y) ** 2)
    assert result.history[-1]["train_loss"] == pytest.approx(residual, rel=1e-9)
    assert result.best_val_loss is None and result.best_epoch == 1500


def test_early_stopping_restores_best_weights(tmp_path):
    """Validation target of opposite sign: val loss rises after epoch 1, so epoch 1 is best."""
    train, val = linear_data(64, seed=4), linear_data(32, seed=5, sign=-1.0)
    settings = FitSettings(
        max_epochs=50, batch_size=16, learning_rate=0.05, patience=3, precision="64-true"
    )
    result = fit(
        linear_model(), mse, train, val, settings=settings, seed=1, checkpoint_dir=tmp_path
    )

    losses = [r["val_loss"] for r in result.history]
    assert result.stopped_early and result.best_epoch == 1
    assert len(result.history) == 1 + settings.patience
    assert all(b > a for a, b in itertools.pairwise(losses))
    assert result.best_val_loss == losses[0]

    one_epoch = fit(
        linear_model(),
        mse,
        train,
        val,
        settings=settings.model_copy(update={"max_epochs": 1}),
        seed=1,
    )
    assert_same_weights(result.model, one_epoch.model)
    with torch.no_grad():
        assert mse(result.model, val.tensors).item() == pytest.approx(losses[0], rel=1e-12)
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    for k, v in result.model.state_dict().items():
        assert torch.equal(best[k], v)


def test_min_delta_counts_small_improvements_as_none():
    train, val = linear_data(64, seed=4), linear_data(32, seed=6)
    settings = FitSettings(
        max_epochs=20,
        batch_size=64,
        learning_rate=1e-3,
        patience=2,
        min_delta=1e6,
        precision="64-true",
    )
    result = fit(linear_model(), mse, train, val, settings=settings, seed=0)
    assert result.best_epoch == 1 and len(result.history) == 3 and result.stopped_early


class Interrupt(Exception):
    pass


def test_resume_is_bitwise_identical(tmp_path):
    train, val = linear_data(80, seed=8), linear_data(40, seed=9)
    settings = FitSettings(max_epochs=6, batch_size=16, learning_rate=0.01, patience=None)

    full = fit(
        dropout_mlp(),
        mse32,
        train,
        val,
        settings=settings,
        seed=3,
        checkpoint_dir=tmp_path / "full",
    )

    def stop_after_3(record):
        if record["epoch"] == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        fit(
            dropout_mlp(),
            mse32,
            train,
            val,
            settings=settings,
            seed=3,
            checkpoint_dir=tmp_path / "cut",
            on_epoch=stop_after_3,
        )
    resumed = fit(
        dropout_mlp(), mse32, train, val, settings=settings, seed=3, checkpoint_dir=tmp_path / "cut"
    )

    assert full.resumed_from is None and resumed.resumed_from == 3
    assert_same_weights(full.model, resumed.model)
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(full.history) == strip(resumed.history)
    last_full = torch.load(tmp_path / "full" / "last.pt", weights_only=True)
    last_cut = torch.load(tmp_path / "cut" / "last.pt", weights_only=True)
    for k in last_full["model"]:
        assert torch.equal(last_full["model"][k], last_cut["model"][k])


def test_finished_checkpoint_makes_second_call_a_no_op(tmp_path):
    train, val = linear_data(40, seed=10), linear_data(20, seed=11)
    settings = FitSettings(max_epochs=3, batch_size=8, patience=None)
    first = fit(
        dropout_mlp(), mse32, train, val, settings=settings, seed=0, checkpoint_dir=tmp_path
    )
    calls = []
    again = fit(
        dropout_mlp(seed=99),
        mse32,
        train,
        val,
        settings=settings,
        seed=0,
        checkpoint_dir=tmp_path,
        on_epoch=calls.append,
    )
    assert calls == []
    assert again.resumed_from == 3 and again.history == first.history
    assert again.best_epoch == first.best_epoch and again.best_val_loss == first.best_val_loss
    assert again.wall_time_s == first.wall_time_s
    assert_same_weights(first.model, again.model)


def test_resume_with_other_settings_is_refused(tmp_path):
    train = linear_data(20, seed=0)
    fit(
        linear_model(),
        mse,
        train,
        settings=FitSettings(max_epochs=1),
        seed=0,
        checkpoint_dir=tmp_path,
    )
    with pytest.raises(ValueError, match="learning_rate"):
        fit(
            linear_model(),
            mse,
            train,
            settings=FitSettings(max_epochs=1, learning_rate=0.1),
            seed=0,
            checkpoint_dir=tmp_path,
        )
    with pytest.raises(ValueError, match="seed"):
        fit(
            linear_model(),
            mse,
            train,
            settings=FitSettings(max_epochs=1),
            seed=1,
            checkpoint_dir=tmp_path,
        )


def test_csv_log_and_on_epoch_records(tmp_path):
    train, val = linear_data(40, seed=12), linear_data(20, seed=13)
    settings = FitSettings(max_epochs=4, batch_size=8, learning_rate=0.02, patience=None)
    records = []
    result = fit(
        linear_model(),
        mse,
        train,
        val,
        settings=settings,
        seed=0,
        log_path=tmp_path / "logs" / "log.csv",
        on_epoch=records.append,
    )
    with open(tmp_path / "logs" / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == LOG_COLUMNS
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    for row, rec in zip(rows, result.history, strict=True):
        assert float(row["train_loss"]) == rec["train_loss"]  # repr round-trips exactly
        assert float(row["val_loss"]) == rec["val_loss"]
        assert float(row["lr"]) == 0.02 and float(row["time_s"]) >= 0
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert all(r["max_epochs"] == 4 for r in records)
    assert records[-1]["train_loss"] == result.history[-1]["train_loss"]

    # Without validation the val_loss column is empty.
    fit(linear_model(), mse, train, settings=settings, seed=0, log_path=tmp_path / "noval.csv")
    with open(tmp_path / "noval.csv", newline="") as f:
        assert {r["val_loss"] for r in csv.DictReader(f)} == {""}


def test_epoch_loss_is_the_sample_mean():
    """Train loss = mean over samples even with a short last batch (n=10, batch 4)."""
    train = linear_data(10, seed=14)
    settings = FitSettings(
        max_epochs=1, batch_size=4, learning_rate=1e-12, patience=None, precision="64-true"
    )
    model = linear_model()
    with torch.no_grad():
        expected = mse(model, train.tensors).item()
    result = fit(model, mse, train, settings=settings, seed=0)
    assert result.history[0]["train_loss"] == pytest.approx(expected, rel=1e-9)


def test_non_finite_loss_raises_and_keeps_last_good_checkpoint(tmp_path):
    train = linear_data(32, seed=15)
    steps = {"n": 0}

    def exploding(model, batch):  # 4 batches per epoch; NaN from the 3rd epoch on
        steps["n"] += 1
        loss = mse(model, batch)
        return loss * float("nan") if steps["n"] > 8 else loss

    settings = FitSettings(max_epochs=5, batch_size=8, patience=None)
    with pytest.raises(TrainingDiverged, match="epoch 3") as info:
        fit(linear_model(), exploding, train, settings=settings, seed=0, checkpoint_dir=tmp_path)
    assert isinstance(info.value, FloatingPointError)
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    assert last["epoch"] == 2 and not last["finished"]
    assert all(torch.isfinite(v).all() for v in last["model"].values())


def test_checkpoints_load_with_weights_only(tmp_path):
    train, val = linear_data(32, seed=16), linear_data(16, seed=17)
    fit(
        dropout_mlp(),
        mse32,
        train,
        val,
        settings=FitSettings(max_epochs=2, batch_size=8),
        seed=0,
        checkpoint_dir=tmp_path,
    )
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    assert {
        "model",
        "optimizer",
        "generator",
        "rng",
        "history",
        "best_model",
        "epoch",
        "bad_epochs",
        "best_val_loss",
        "finished",
    } <= set(last)
    assert last["finished"] and last["epoch"] == 2
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    model = dropout_mlp()
    model.load_state_dict(best)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporaries left behind


def test_fabric_is_quiet_and_leaves_logging_alone(recwarn):
    """No Lightning info banners ("Using bfloat16 AMP") or warnings reach the user."""
    import lightning_utilities.core.rank_zero as lightning_rank_zero

    logger = lightning_rank_zero.log  # where Lightning's rank_zero_info goes right now
    before = logger.level
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        train = linear_data(16, seed=0)
        settings = FitSettings(max_epochs=1, precision="bf16-mixed")
        fit(dropout_mlp(), mse32, train, settings=settings, seed=0)
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == []
    assert [str(w.message) for w in recwarn] == []
    assert logger.level == before


def test_bad_inputs_are_rejected():
    train = linear_data(8, seed=0)
    settings = FitSettings(max_epochs=1)
    with pytest.raises(ValueError, match="seed"):
        fit(linear_model(), mse, train, settings=settings, seed=-1)
    with pytest.raises(ValueError, match="empty"):
        fit(linear_model(), mse, TensorDataset(torch.zeros(0, 3)), settings=settings, seed=0)
    with pytest.raises(ValueError, match="device='tpu'"):
        fit(linear_model(), mse, train, settings=settings, seed=0, device="tpu")


# --- FitSettings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_epochs", 0),
        ("batch_size", 0),
        ("learning_rate", 0.0),
        ("weight_decay", -1e-3),
        ("patience", 0),
        ("min_delta", -1.0),
        ("precision", "8-bit"),
        ("max_epoch", 5),  # typo: unknown key
    ],
)
def test_settings_reject_bad_values_naming_the_field(field, value):
    with pytest.raises(pydantic.ValidationError) as info:
        FitSettings(**{field: value})
    assert info.value.errors()[0]["loc"] == (field,)
    assert field in str(info.value)


def test_settings_nest_in_a_task_config():
    class TaskConfig(pydantic.BaseModel):
        train: FitSettings = FitSettings()

    config = TaskConfig.model_validate({"train": {"max_epochs": "5", "patience": None}})
    assert config.train.max_epochs == 5 and config.train.patience is None
    assert FitSettings.model_fields["patience"].description
    with pytest.raises(pydantic.ValidationError, match=r"train\.max_epochs"):
        TaskConfig.model_validate({"train": {"max_epochs": 0}})


def test_settings_import_without_torch_or_lightning():
    code = (
        "import sys; import physml.train.settings; from physml.train import FitSettings; "
        "bad = [m for m in ('torch', 'lightning') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_name_is_the_function_after_submodule_imports():
    import physml.train
    import physml.train.ensemble  # imports the submodule physml.train.fitting

    assert callable(physml.train.fit) and physml.train.fit.__name__ == "fit"


# --- in-memory batching --------------------------------------------------------------------


class Rows(torch.utils.data.Dataset):
    """The rows of some tensors, but not a TensorDataset: fit takes its DataLoader path."""

    def __init__(self, data: TensorDataset) -> None:
        self.tensors = data.tensors

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, i: int):
        return tuple(t[i] for t in self.tensors)


@pytest.mark.parametrize(("n", "batch_size"), [(10, 4), (8, 4), (8, 16), (1, 1)])
def test_epoch_permutation_is_the_dataloader_order(n, batch_size):
    """Same order epoch after epoch, and the generator left in the same state."""
    from physml.train import epoch_permutation

    theirs, ours = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    loader = torch.utils.data.DataLoader(
        TensorDataset(torch.arange(n)), batch_size=batch_size, shuffle=True, generator=theirs
    )
    for _ in range(3):
        expected = torch.cat([batch for (batch,) in loader])
        assert torch.equal(epoch_permutation(n, ours), expected)
        assert torch.equal(ours.get_state(), theirs.get_state())


def test_tensor_batches_train_exactly_like_the_dataloader(tmp_path):
    """A TensorDataset (batched by index) and the same rows through a DataLoader give the
    same weights, losses and checkpoint, bit for bit (dropout, float32, short last batch)."""
    train, val = linear_data(70, seed=18), linear_data(30, seed=19)
    settings = FitSettings(max_epochs=3, batch_size=16, learning_rate=0.01, patience=None)
    runs = {}
    for name, (t, v) in {"tensors": (train, val), "rows": (Rows(train), Rows(val))}.items():
        runs[name] = fit(
            dropout_mlp(), mse32, t, v, settings=settings, seed=2, checkpoint_dir=tmp_path / name
        )
    assert_same_weights(runs["tensors"].model, runs["rows"].model)
    strip = lambda h: [{k: v for k, v in r.items() if k != "time_s"} for r in h]  # noqa: E731
    assert strip(runs["tensors"].history) == strip(runs["rows"].history)
    last = [torch.load(tmp_path / name / "last.pt", weights_only=True) for name in runs]
    assert torch.equal(last[0]["generator"], last[1]["generator"])
    assert torch.equal(last[0]["rng"]["cpu"], last[1]["rng"]["cpu"])


def test_tensor_batches_are_cast_to_the_precision():
    """Under "64-true" the loss sees float64 inputs; integer tensors keep their dtype."""
    x = torch.randn(12, N_FEATURES)
    labels = torch.arange(12)
    seen = []

    def loss(model, batch):
        seen.append((batch[0].dtype, batch[1].dtype, batch[0].shape[0]))
        return mse(model, (batch[0], batch[1].double()))

    settings = FitSettings(max_epochs=1, batch_size=5, patience=None, precision="64-true")
    fit(linear_model(), loss, TensorDataset(x, labels), settings=settings, seed=0)
    assert seen == [(torch.float64, torch.int64, 5)] * 2 + [(torch.float64, torch.int64, 2)]
