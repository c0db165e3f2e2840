"""Bad input through the CLI: one line naming the field or file, exit status 2, no run
directory and nothing written; a bug inside physml still shows its traceback.

``BAD_INPUTS`` lists hand-picked bad values, configuration files, data files and run
directories, each of which crashed (or ran) before they were refused up front
(``PYTHONPATH=tests python tests/cli/test_bad_input.py`` prints how each fares on the
installed code).
The fuzz draws out-of-range, non-finite and wrong-type values for every settings field of
every task and method, enumerated from the registry, and runs each through the CLI in
process: ``FIELDS`` distinct fields, ``EXAMPLES_PER_FIELD`` drawn values each.
"""

from __future__ import annotations

import json
import math
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import annotated_types as at
import h5py
import numpy as np
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from physml.cli.main import app
from physml.config import ConfigError, build_config
from physml.tasks import TASKS

_RUNNER = CliRunner()


def physml(args: list[str]):
    """``physml ARGS`` in process; the Result (stdout, stderr, exit_code)."""
    return _RUNNER.invoke(app, args)


@dataclass(frozen=True)
class Bad:
    """One bad input: ``build(tmp)`` writes what it needs under ``tmp`` and returns the
    arguments of ``physml``; ``says`` must appear in the one-line message."""

    name: str
    build: Callable[[Path], list[str]]
    says: str = ""


def _sets(task: str, *assignments: str, method: str | None = None) -> Callable[[Path], list]:
    def build(tmp: Path) -> list[str]:
        args = ["run", task, *(["--method", method] if method else [])]
        for item in assignments:
            args += ["--set", item]
        return args

    return build


def _yaml(task: str, content: bytes | str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        path = tmp / "settings.yaml"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return ["run", task, "--config", str(path)]

    return build


# --------------------------------------------------------------------------- data files


def qg_file(path: Path, *, x: np.ndarray | None = None, y: np.ndarray | None = None) -> Path:
    """An energyflow quark/gluon NPZ of 40 jets (20 quarks with one constituent, 20 gluons
    with two), ``x`` / ``y`` replacing its arrays."""
    if x is None:
        x = np.zeros((40, 3, 4))
        x[:, 0, :3] = [500.0, 0.1, 0.2]
        x[20:, 1, :3] = [20.0, 0.2, 0.3]
    if y is None:
        y = np.repeat([1.0, 0.0], 20)
    np.savez(path, X=x, y=y)
    return path


def _qg(edit: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        path = tmp / "QG_jets.npz"
        qg_file(path)
        edit(path)
        return ["run", "qg-jets", "-m", "multiplicity", "--data", str(path), "--set", "n_jets=200"]

    return build


def _qg_nan(path: Path) -> None:
    x = np.load(path)["X"].copy()
    x[3, 0, 1] = np.nan
    qg_file(path, x=x)


def _qg_inf(path: Path) -> None:
    x = np.load(path)["X"].copy()
    x[5, 0, 0] = np.inf
    qg_file(path, x=x)


def top_file(path: Path, *, n_jets: int = 40, label: np.ndarray | None = None) -> Path:
    """A top-tagging reference HDF5 (pandas fixed format) of ``n_jets`` jets."""
    from formats import write_pandas_fixed

    rng = np.random.default_rng(1)
    floats = {}
    for i in range(3):
        p = rng.normal(0.0, 50.0, (n_jets, 3))
        floats.update({f"PX_{i}": p[:, 0], f"PY_{i}": p[:, 1], f"PZ_{i}": p[:, 2]})
        floats[f"E_{i}"] = np.linalg.norm(p, axis=1) + 0.1
    label = np.arange(n_jets) % 2 if label is None else label
    ints = {"ttv": np.full(n_jets, 2, dtype=np.int64), "is_signal_new": label.astype(np.int64)}
    write_pandas_fixed(path, [floats, ints])
    return path


def _top(edit: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        path = tmp / "train.h5"
        top_file(path)
        edit(path)
        args = ["run", "top-tagging", "-m", "lola", "--data", str(path)]
        return [*args, "--set", "n_jets=200", "--set", "train.max_epochs=1"]

    return build


def _top_table_is_dataset(path: Path) -> None:
    with h5py.File(path, "w") as f:
        f.create_dataset("table", data=np.zeros((3, 4)))


def _top_string_energies(path: Path) -> None:
    with h5py.File(path, "a") as f:
        values = f["table/block0_values"]
        shape = values.shape
        del f["table/block0_values"]
        f["table"].create_dataset("block0_values", data=np.full(shape, b"x", dtype="S1"))


def _top_nan(path: Path) -> None:
    with h5py.File(path, "a") as f:
        values = f["table/block0_values"]
        values[2, 0] = np.nan


# --------------------------------------------------------------------------- run dirs


def _resume_dir(
    config: str | bytes | None, metrics: bytes | None = None
) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        run_dir = tmp / "a-run"
        run_dir.mkdir()
        if config is not None:
            raw = config.encode() if isinstance(config, str) else config
            (run_dir / "config.yaml").write_bytes(raw)
        if metrics is not None:
            (run_dir / "metrics.json").write_bytes(metrics)
        return ["run", "--resume", str(run_dir)]

    return build


def _interrupted(task: str, *assignments: str, method: str | None = None):
    """A run finished for real, then its metrics.json removed and every checkpoint
    overwritten with bytes that are not a torch file."""

    def build(tmp: Path) -> list[str]:
        args = _sets(task, *assignments, method=method)(tmp)
        result = physml([*args, "--out", str(tmp / "first")])
        assert result.exit_code == 0, result.output
        (metrics,) = (tmp / "first").glob("*/*/*/metrics.json")
        metrics.unlink()
        checkpoints = [p for p in metrics.parent.rglob("*.pt")]
        assert checkpoints
        for path in checkpoints:
            path.write_bytes(b"PK\x03\x04 truncated")
        return ["run", "--resume", str(metrics.parent)]

    return build


def _out_is_a_file(tmp: Path) -> list[str]:
    (tmp / "not-a-dir").write_text("x")
    return ["run", "ising-phase", "--out", str(tmp / "not-a-dir")]


_SAVED = "task: tfim-chain\nmethod: rbm\npreset: quick\nseed: 0\ndevice: cpu\n"

BAD_INPUTS: list[Bad] = [
    # non-finite numbers
    Bad("t_max inf", _sets("ising-phase", "t_max=inf"), "t_max"),
    Bad("learning_rate inf", _sets("ising-phase", "train.learning_rate=Infinity"), "learning_rate"),
    Bad("pt_max inf", _sets("top-tagging", "simulator.pt_max=inf"), "pt_max"),
    Bad("higgs_mass inf", _sets("higgs-events", "physics.higgs_mass=inf"), "higgs_mass"),
    Bad("h nan", _sets("tfim-chain", "h=nan"), "h"),
    Bad("J -inf", _sets("heisenberg-chain", "J=-inf"), "J"),
    Bad("strength nan", _sets("ho-bosons", "interaction=gaussian", "strength=NaN"), "strength"),
    Bad("omega inf", _sets("quantum-dot", "omega=inf"), "omega"),
    Bad("temperatures inf", _sets("ising-generative", "temperatures=[2.0, inf]"), "temperatures"),
    Bad("index_range inf", _sets("field-emulator", "index_range=[1.0, inf]"), "index_range"),
    Bad("mutation_scale inf", _sets("cut-optimisation", "model.mutation_scale=inf"), "mutation"),
    Bad("vmc.step inf", _sets("quantum-dot", "vmc.step=inf"), "step"),
    # list items and lengths
    Bad("cnn channels 0", _sets("ising-phase", "model.channels=[0, 8]"), "channels"),
    Bad("mlp hidden -1", _sets("ising-phase", "model.hidden=[-1]", method="mlp"), "hidden"),
    Bad("pfn phi_hidden 0", _sets("qg-jets", "model.phi_hidden=[0]", method="pfn"), "phi_hidden"),
    Bad("higgs hidden 0", _sets("higgs-events", "model.hidden=[64, 0]"), "hidden"),
    Bad("flow hidden 0", _sets("plummer-flow", "model.hidden=[0]"), "hidden"),
    Bad("vae channels 0", _sets("field-emulator", "model.channels=[0]", method="vae"), "channels"),
    # valid one by one, not together; too big for memory
    Bad(
        "heads do not divide dim",
        _sets("qg-jets", "model.dim=30", "model.n_heads=4", method="transformer"),
        "n_heads",
    ),
    Bad("n_chains above n_samples", _sets("tfim-chain", "vmc.n_samples=16"), "n_chains"),
    Bad("ising terabytes", _sets("ising-phase", "n_samples=1000000000000"), "memory"),
    Bad("qg-jets terabytes", _sets("qg-jets", "n_jets=100000000000"), "memory"),
    Bad("plummer terabytes", _sets("plummer-flow", "n_velocities=1e12"), "memory"),
    Bad("int beyond int64", _sets("ising-phase", "train.max_epochs=1e30"), "max_epochs"),
    # values the message itself must survive
    Bad("markup in a value", _sets("ising-phase", 'algorithm="[/x]"'), "algorithm"),
    Bad("date in a list", _sets("ising-phase", "sizes=[2020-01-01]"), "sizes"),
    Bad("deep --set value", _sets("ising-phase", "sizes=" + "[" * 5000 + "]" * 5000), "nested"),
    # configuration files
    Bad(
        "yaml not utf-8", _yaml("ising-phase", "t_min: 1.0 # caf\xe9\n".encode("latin-1")), "utf-8"
    ),
    Bad("yaml a list", _yaml("ising-phase", "- 1\n- 2\n"), "mapping"),
    Bad("yaml deep nesting", _yaml("ising-phase", "sizes: " + "[" * 5000 + "]" * 5000), "nested"),
    Bad(
        "yaml billion laughs",
        _yaml(
            "ising-phase",
            "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
                for i in range(8)
            )
            + "sizes: *i\n",
        ),
        "100000 values",
    ),
    Bad("yaml set for a choice", _yaml("ising-phase", "algorithm: !!set {auto}\n"), "algorithm"),
    Bad("yaml null key", _yaml("ising-phase", "? null\n: 3\n"), "None"),
    # real-data files
    Bad("qg wrong arrays", _qg(lambda p: np.savez(p, jets=np.zeros((2, 3, 4)))), "QG_jets.npz"),
    Bad("qg empty file", _qg(lambda p: p.write_bytes(b"")), "QG_jets.npz"),
    Bad("qg wrong dtype", _qg(lambda p: qg_file(p, x=np.full((40, 3, 4), "a"))), "QG_jets.npz"),
    Bad("qg one class", _qg(lambda p: qg_file(p, y=np.ones(40))), "both classes"),
    Bad("qg nan feature", _qg(_qg_nan), "QG_jets.npz"),
    Bad("qg inf feature", _qg(_qg_inf), "QG_jets.npz"),
    Bad("top table a dataset", _top(_top_table_is_dataset), "train.h5"),
    Bad("top string energies", _top(_top_string_energies), "train.h5"),
    Bad("top nan energy", _top(_top_nan), "train.h5"),
    Bad("top one class", _top(lambda p: top_file(p, label=np.zeros(40))), "both classes"),
    Bad(
        "data missing in yaml",
        _yaml("qg-jets", "data: [/no/such/QG_jets.npz]\nn_jets: 200\n"),
        "no such file",
    ),
    # run directories
    Bad("resume not a run", _resume_dir(None), "not a run"),
    Bad("resume config not utf-8", _resume_dir(b"\xff\xfe\x00task"), "UTF-8"),
    Bad("resume task not a name", _resume_dir("task: 5\nmethod: rbm\npreset: quick\n"), "task"),
    Bad("resume bad seed", _resume_dir(_SAVED.replace("0", "x") + "config: {}\n"), "seed"),
    Bad("resume config a list", _resume_dir(_SAVED + "config: [1, 2]\n"), "config"),
    Bad(
        "resume corrupt vmc checkpoint",
        _interrupted(
            "tfim-chain",
            "n_sites=6",
            "vmc.n_iterations=2",
            "vmc.n_samples=32",
            "vmc.n_chains=32",
            "vmc.n_burn_in=2",
            "vmc.n_eval_samples=64",
        ),
        "vmc.pt",
    ),
    Bad(
        "resume corrupt fit checkpoint",
        _interrupted(
            "higgs-events", "n_events=500", "n_eval=1000", "train.max_epochs=1", "model.hidden=[4]"
        ),
        "last.pt",
    ),
    # found since the first list was measured
    Bad("int literal beyond int64", _sets("ising-phase", f"train.max_epochs={10**30}"), "2^63"),
    Bad("seed beyond int64", lambda tmp: ["run", "ising-phase", "--seed", str(2**70)], "seed"),
    Bad("theta_min above radius", _sets("qg-jets", "shower.theta_min=0.5"), "theta_min"),
    Bad(
        "tournament above population",
        _sets("cut-optimisation", "model.tournament_size=100"),
        "tournament",
    ),
    Bad("even kernel", _sets("ising-phase", "model.kernel_size=4"), "kernel_size"),
    Bad("u-net cannot halve L", _sets("ising-generative", "L=7", method="diffusion"), "divisible"),
    Bad("SR matrix terabytes", _sets("heisenberg-chain", "n_sites=256", "ly=16"), "memory"),
    Bad(
        "config is a directory", lambda tmp: ["run", "ising-phase", "--config", str(tmp)], "config"
    ),
    Bad("resume a file", lambda tmp: ["run", "--resume", str(qg_file(tmp / "x.npz"))], "not a run"),
    Bad("resume metrics corrupt", _resume_dir(_SAVED + "config: {}\n", metrics=b"{"), "metrics"),
    Bad("out is a file", _out_is_a_file, "--out"),
    Bad("config is endless", lambda tmp: ["run", "ising-phase", "--config", "/dev/zero"], "longer"),
]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def outcome(bad: Bad, tmp: Path) -> tuple[str, str]:
    """How ``bad`` fares: 'refused' (exit 2, one line on stderr, nothing written),
    'traceback', 'accepted' (it ran, or exited otherwise) or 'untidy' (refused, but not in
    one line, or after writing); and what was printed."""
    args = bad.build(tmp)
    out = tmp / "runs"
    before = _files(tmp)
    given = "--resume" in args or "--out" in args
    result = physml(args if given else [*args, "--out", str(out)])
    text = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        return "traceback", text + "".join(traceback.format_exception(result.exception))
    if result.exit_code != 2:
        return "accepted", text
    lines = result.stderr.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("error: ") or _files(tmp) != before:
        return "untidy", text
    return "refused", result.stderr


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.name for b in BAD_INPUTS])
def test_bad_input_is_refused_in_one_line(bad: Bad, tmp_path: Path) -> None:
    kind, text = outcome(bad, tmp_path)
    assert kind == "refused", text
    assert bad.says.lower() in text.lower(), text


def test_a_bug_keeps_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only user errors become one line: an exception from inside physml propagates."""
    task = TASKS["ising-phase"]

    def broken(config, ctx):
        raise KeyError("a bug")

    monkeypatch.setattr(task, "run", broken)
    result = physml(["run", "ising-phase", "-m", "logistic", "--out", str(tmp_path)])
    assert isinstance(result.exception, KeyError)


def test_user_error_while_running_leaves_no_run_directory(tmp_path: Path) -> None:
    """A data file whose layout is right but whose numbers are not (read only once the
    run has started) is refused and the half-made run directory removed."""
    path = tmp_path / "QG_jets.npz"
    x = np.load(qg_file(path))["X"].copy()
    x[7, 1, 2] = np.nan
    qg_file(path, x=x)
    args = ["run", "qg-jets", "-m", "multiplicity", "--data", str(path), "--set", "n_jets=200"]
    result = physml([*args, "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert "QG_jets.npz" in result.stderr and "row 7" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


# --------------------------------------------------------------------------- the fuzz


@dataclass(frozen=True)
class Leaf:
    """A settings field that holds a value (not a section): its dotted path in the
    configuration of ``task`` run with ``method``, its annotation and its constraints."""

    task: str
    method: str
    path: str
    annotation: object
    constraints: tuple


def _unwrap(annotation: object) -> tuple[object, tuple]:
    """The type inside ``Annotated`` and ``X | None``, and the constraints met on the way."""
    constraints: list = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                constraints += getattr(item, "metadata", [item])
        elif origin in (typing.Union, types.UnionType):
            (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        else:
            return annotation, tuple(constraints)


def leaves(model: type[pydantic.BaseModel], task: str, method: str, prefix: str = ""):
    """Every value-holding field of ``model``, its sections walked recursively."""
    for name, field in model.model_fields.items():
        kind, _ = _unwrap(field.annotation)
        if isinstance(kind, type) and issubclass(kind, pydantic.BaseModel):
            yield from leaves(kind, task, method, f"{prefix}{name}.")
        else:
            yield Leaf(task, method, prefix + name, field.annotation, tuple(field.metadata))


ALL_LEAVES = [
    leaf
    for task in TASKS.values()
    for method in task.methods
    for leaf in leaves(task.config_model(method), task.name, method)
]
FIELDS: dict[str, list[Leaf]] = {}  # one entry per distinct field, with every place it sits
for _leaf in ALL_LEAVES:
    _key = f"{_leaf.path}: {_leaf.annotation} {list(_leaf.constraints)}"
    FIELDS.setdefault(_key, []).append(_leaf)
EXAMPLES_PER_FIELD = 3

_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_NOT_A_NUMBER = st.sampled_from(["abc", [[1]], {"key": 1}])


def _outside(kind: type, constraints: tuple) -> st.SearchStrategy:
    """Numbers outside the range ``constraints`` allow; integers beyond int64 and
    fractions for an int."""
    step = st.integers(1, 10**6) if kind is int else st.floats(1e-6, 1e6)
    options = [st.nothing()]
    for c in constraints:
        if isinstance(c, at.Ge):
            options.append(step.map(lambda d, b=c.ge: b - d))
        elif isinstance(c, at.Gt):
            options.append(step.map(lambda d, b=c.gt: b - d) | st.just(c.gt))
        elif isinstance(c, at.Le):
            options.append(step.map(lambda d, b=c.le: b + d))
        elif isinstance(c, at.Lt):
            options.append(step.map(lambda d, b=c.lt: b + d) | st.just(c.lt))
    if kind is int:
        options += [st.just(2**70), st.just(2.5)]
    return st.one_of(options)


def bad_values(annotation: object, constraints: tuple = ()) -> st.SearchStrategy:
    """Values a field of this annotation and these constraints must refuse: out of
    range, non-finite, of the wrong type, of the wrong length."""
    kind, inner = _unwrap(annotation)
    constraints = (*inner, *constraints)
    origin = typing.get_origin(kind)
    if kind is bool:
        return st.sampled_from(["maybe", 2, [True], 0.5])
    if kind in (int, float):
        return st.one_of(_outside(kind, constraints), _NON_FINITE, _NOT_A_NUMBER)
    if kind is str:
        return st.sampled_from([5, 2.5, [1], {"key": 1}])
    if origin is typing.Literal:
        choices = typing.get_args(kind)
        return st.sampled_from(["no-such-choice", 12345, [choices[0]]])
    if isinstance(kind, type) and issubclass(kind, pydantic.BaseModel):  # an item of a list
        return st.sampled_from(["abc", 5, [1], {"no_such_key": 1}])
    if origin in (list, tuple):
        args = typing.get_args(kind)
        options = [st.sampled_from(["abc", 5, {"key": 1}])]
        if origin is tuple and args[-1] is not Ellipsis:  # fixed length: each slot, and length
            for i, arg in enumerate(args):
                others = [0.5] * len(args)
                options.append(
                    bad_values(arg).map(lambda v, i=i, o=others: [*o[:i], v, *o[i + 1 :]])
                )
            options.append(st.just([0.5] * (len(args) + 1)))
        else:
            options.append(bad_values(args[0]).map(lambda v: [v]))
        for c in constraints:
            if isinstance(c, at.MinLen) and c.min_length > 0:
                options.append(st.just([]))
            if isinstance(c, at.MaxLen):
                options.append(st.just([1] * (c.max_length + 1)))
        return st.one_of(options)
    raise TypeError(f"no bad values known for {annotation!r}: teach bad_values this type")


def test_every_field_of_every_task_is_fuzzed() -> None:
    assert {leaf.task for leaf in ALL_LEAVES} == set(TASKS)
    for key, places in FIELDS.items():
        assert not bad_values(places[0].annotation, places[0].constraints).is_empty, key


@pytest.mark.parametrize("key", sorted(FIELDS))
def test_fuzzed_setting_is_refused_in_one_line(key: str, tmp_path: Path) -> None:
    places = FIELDS[key]
    out = tmp_path / "runs"

    @settings(max_examples=EXAMPLES_PER_FIELD, deadline=None, database=None, derandomize=True)
    @given(
        leaf=st.sampled_from(places), value=bad_values(places[0].annotation, places[0].constraints)
    )
    def refused(leaf: Leaf, value: object) -> None:
        assignment = f"{leaf.path}={json.dumps(value)}"
        result = physml(
            ["run", leaf.task, "-m", leaf.method, "--set", assignment, "--out", str(out)]
        )
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2, (assignment, result.output, result.exception)
        assert len(lines) == 1 and lines[0].startswith("error: "), (assignment, lines)
        assert not out.exists(), assignment

    refused()


def _non_finite_layers(model: type[pydantic.BaseModel], prefix: str = ""):
    """(dotted path, layer) putting NaN into every float the model holds: plain fields,
    list items and tuple slots (defaults elsewhere)."""
    for name, field in model.model_fields.items():
        kind, _ = _unwrap(field.annotation)
        path = prefix + name
        if isinstance(kind, type) and issubclass(kind, pydantic.BaseModel):
            yield from _non_finite_layers(kind, path + ".")
            continue
        default = field.get_default(call_default_factory=True)
        value = default.model_dump() if isinstance(default, pydantic.BaseModel) else default
        if kind is float:
            yield path, math.nan
        elif typing.get_origin(kind) in (list, tuple) and value:
            item = value[0]
            if isinstance(item, float) or typing.get_args(kind)[0] is float:
                yield path, [math.nan, *value[1:]]
            elif isinstance(item, (list, tuple)):  # e.g. (A, n) points
                for slot in range(len(item)):
                    yield path, [[math.nan if i == slot else v for i, v in enumerate(item)]]


def _nested(path: str, value: object) -> dict:
    *parents, leaf = path.split(".")
    layer: dict = {leaf: value}
    for part in reversed(parents):
        layer = {part: layer}
    return layer


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_float_setting_refuses_nan(name: str) -> None:
    """The NaN rule is the configuration's, not each model's: every float of every
    registered task and method (lists and tuples included) refuses NaN."""
    task = TASKS[name]
    for method in task.methods:
        model = task.config_model(method)
        for path, value in _non_finite_layers(model):
            with pytest.raises(ConfigError) as err:
                build_config(model, [*task.preset_layers(method, "quick"), _nested(path, value)])
            assert "\n" not in str(err.value)


if __name__ == "__main__":  # how each bad input fares on the installed code
    import tempfile

    counts: dict[str, int] = {}
    for bad in BAD_INPUTS:
        with tempfile.TemporaryDirectory() as tmp:
            kind, text = outcome(bad, Path(tmp))
        counts[kind] = counts.get(kind, 0) + 1
        last = text.strip().splitlines()[-1] if text.strip() else ""
        print(f"{kind:9s} {bad.name:32s} {last[:110]}", flush=True)
    print(json.dumps(counts), f"of {len(BAD_INPUTS)}")
    sys.exit(0)
