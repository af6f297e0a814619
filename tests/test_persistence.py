"""Model files (save_model / load_model): the same predictions after loading
in a fresh process, no code run on load, encoders by trusted import path,
format versions, models fitted on a GPU loaded on a CPU-only machine."""

import functools
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from _encoders_for_tests import TinyCNN, flat_encoder
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from torch import nn

import omib_sklearn
from omib_sklearn import (
    OMIBAnomalyDetector,
    OMIBClassifier,
    OMIBRegressor,
    load_model,
    save_model,
)
from omib_sklearn._persistence import FORMAT_VERSION, _cpu_state

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

TINY = dict(
    max_epochs=3, warmup_epochs=1, mine_steps=5, beta=1e-3, encoder_hidden=(16,),
    embedding_dim=16, latent_dim=8, n_heads=2, random_state=0,
)
METHODS = ("predict", "predict_proba", "decision_function", "score_samples", "transform")
ESTIMATORS = [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector]


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = [rng.normal(size=(n, 5)) + y[:, None], rng.normal(size=(n, 4))]
    return X, y


def _target(Estimator, y):
    if Estimator is OMIBRegressor:
        return y.astype(float)
    return None if Estimator is OMIBAnomalyDetector else y


def _outputs(est, X):
    return {m: getattr(est, m)(X) for m in METHODS if hasattr(est, m)}


def _assert_same(est, loaded, X):
    before, after = _outputs(est, X), _outputs(loaded, X)
    assert before.keys() == after.keys()
    for method in before:
        assert_array_equal(before[method], after[method], err_msg=method)


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return {E: E(**TINY).fit(X, _target(E, y)) for E in ESTIMATORS}, X


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    return env


def _run(code, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=_env(),
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


# -- the same predictions in a fresh process ---------------------------------------
def test_same_predictions_in_a_fresh_process(fitted, tmp_path):
    models, X = fitted
    for Estimator, est in models.items():
        save_model(est, tmp_path / f"{Estimator.__name__}.omib")
    np.savez(tmp_path / "X.npz", *X)
    _run(f"""
        import numpy as np
        import omib_sklearn
        from omib_sklearn import load_model
        assert omib_sklearn.__file__.startswith({str(ROOT)!r}), omib_sklearn.__file__
        data = np.load("X.npz")
        X = [data["arr_0"], data["arr_1"]]
        out = {{}}
        for name in ["OMIBClassifier", "OMIBRegressor", "OMIBAnomalyDetector"]:
            est = load_model(name + ".omib")
            assert type(est).__name__ == name
            for m in {METHODS!r}:
                if hasattr(est, m):
                    out[name + "." + m] = getattr(est, m)(X)
        np.savez("out.npz", **out)
    """, tmp_path)
    out = np.load(tmp_path / "out.npz")
    expected = {
        f"{E.__name__}.{m}": v for E, est in models.items() for m, v in _outputs(est, X).items()
    }
    assert set(out.files) == set(expected)
    for key, value in expected.items():
        assert_array_equal(out[key], value, err_msg=key)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_loaded_estimator_is_complete(fitted, tmp_path, Estimator):
    est = fitted[0][Estimator]
    X = fitted[1]
    path = tmp_path / "model.omib"
    save_model(est, path)
    loaded = load_model(path)
    assert type(loaded) is Estimator
    assert loaded.get_params() == est.get_params()
    # every fitted attribute comes back, of the same type and value
    assert set(vars(loaded)) == set(vars(est))
    for key, value in vars(est).items():
        if key in ("net_", "module_"):
            continue
        restored = getattr(loaded, key)
        assert type(restored) is type(value), key
        if isinstance(value, np.ndarray):
            assert restored.dtype == value.dtype, key
            assert_array_equal(restored, value, err_msg=key)
    assert repr(loaded.history_) == repr(est.history_)
    assert loaded.module_ is loaded.net_.module_
    assert loaded.module_.n_members == est.module_.n_members
    # an ordinary estimator: it pickles, clones and refits
    _assert_same(est, pickle.loads(pickle.dumps(loaded)), X)
    joblib.dump(loaded, tmp_path / "model.joblib")
    _assert_same(est, joblib.load(tmp_path / "model.joblib"), X)
    assert clone(loaded).get_params() == est.get_params()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        refit = loaded.fit(X, _target(Estimator, fitted_target()))
    _assert_same(est, refit, X)


def fitted_target():
    return _data()[1]


def test_loading_leaves_torch_random_state_alone(fitted, tmp_path):
    save_model(fitted[0][OMIBClassifier], tmp_path / "model.omib")
    before = torch.random.get_rng_state()
    load_model(tmp_path / "model.omib")
    assert torch.equal(torch.random.get_rng_state(), before)


def test_named_modalities_feature_names_and_2d_targets(tmp_path):
    rng = np.random.default_rng(1)
    X = {
        "genes": pd.DataFrame(rng.normal(size=(60, 3)), columns=["g1", "g2", "g3"]),
        "cells": rng.normal(size=(60, 2)),
    }
    y = rng.normal(size=(60, 2))
    est = OMIBRegressor(**{**TINY, "n_estimators": 2, "early_stopping": False,
                           "head_hidden": 4, "linear_path": True}).fit(X, y)
    save_model(est, tmp_path / "model.omib")
    loaded = load_model(tmp_path / "model.omib")
    assert loaded.modality_names_ == ["genes", "cells"]
    assert_array_equal(loaded.modality_feature_names_[0], est.modality_feature_names_[0])
    assert loaded.predict(X).shape == (60, 2)
    _assert_same(est, loaded, X)


def test_classifier_with_string_classes_and_class_weight(tmp_path):
    X, y = _data()
    labels = np.array(["cat", "dog"], dtype=object)[y]
    est = OMIBClassifier(**{**TINY, "class_weight": {"cat": 1.0, "dog": 2.0},
                            "n_estimators": 1}).fit(X, labels)
    save_model(est, tmp_path / "model.omib")
    loaded = load_model(tmp_path / "model.omib")
    assert loaded.class_weight == {"cat": 1.0, "dog": 2.0}
    assert loaded.classes_.dtype == est.classes_.dtype
    _assert_same(est, loaded, X)


def test_random_state_instance(tmp_path):
    X, y = _data()
    est = OMIBClassifier(**{**TINY, "n_estimators": 1, "random_state": np.random.RandomState(3)})
    est.fit(X, y)
    save_model(est, tmp_path / "model.omib")
    loaded = load_model(tmp_path / "model.omib")
    assert isinstance(loaded.random_state, np.random.RandomState)
    assert loaded.random_state is not est.random_state
    assert loaded.random_state.randint(1 << 30) == est.random_state.randint(1 << 30)
    _assert_same(est, loaded, X)


# -- nothing runs on load ----------------------------------------------------------
class _CreatesFile:
    """Unpickling calls ``open(path, "w")``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_file_raises_and_runs_nothing(tmp_path):
    marker = tmp_path / "created_by_unpickling"
    payload = pickle.dumps(_CreatesFile(marker))
    # the payload does run when unpickled
    pickle.loads(payload).close()
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "model.pkl"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="is not an omib_sklearn model file"):
        load_model(path)
    assert not marker.exists()
    # also with the payload inside a zip that is not ours
    with zipfile.ZipFile(tmp_path / "model.zip", "w") as archive:
        archive.writestr("meta.json", "{}")
        archive.writestr("model.safetensors", payload)
        archive.writestr("arrays.safetensors", payload)
    with pytest.raises(ValueError, match="is not an omib_sklearn model file"):
        load_model(tmp_path / "model.zip")
    assert not marker.exists()


def test_other_files_raise(fitted, tmp_path):
    est = fitted[0][OMIBClassifier]
    joblib.dump(est, tmp_path / "model.joblib")
    torch.save(est.module_.state_dict(), tmp_path / "model.pt")  # a zip file
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "text.json").write_text(json.dumps({"format": "omib_sklearn-model"}))
    for name in ["model.joblib", "model.pt", "empty", "text.json"]:
        with pytest.raises(ValueError, match="is not an omib_sklearn model file"):
            load_model(tmp_path / name)


def _rewrite(path, edit_meta=None, members=None):
    """Copy of the model file at ``path`` with meta.json edited and members
    replaced."""
    with zipfile.ZipFile(path) as archive:
        content = {name: archive.read(name) for name in archive.namelist()}
    if edit_meta is not None:
        meta = json.loads(content["meta.json"])
        edit_meta(meta)
        content["meta.json"] = json.dumps(meta).encode()
    content.update(members or {})
    out = path.with_name("edited.omib")
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return out


def test_format_version_and_package_version(fitted, tmp_path):
    path = tmp_path / "model.omib"
    save_model(fitted[0][OMIBRegressor], path)
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("meta.json"))
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["omib_sklearn_version"] == omib_sklearn.__version__
    assert meta["estimator"] == "OMIBRegressor"
    future = _rewrite(path, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ValueError, match=f"format version {FORMAT_VERSION + 1}"):
        load_model(future)
    older = _rewrite(path, lambda m: m.update(omib_sklearn_version="0.0.1"))
    with pytest.warns(UserWarning, match="written by omib_sklearn 0.0.1"):
        load_model(older)


def test_malformed_files_raise(fitted, tmp_path):
    path = tmp_path / "model.omib"
    save_model(fitted[0][OMIBClassifier], path)
    cases = {
        "estimator": lambda m: m.update(estimator="LogisticRegression"),
        "does not take": lambda m: m["params"].update(evil=1),
        "invalid name": lambda m: m["fitted"].update({"__class__": 1}),
        "name 'predict'": lambda m: m["fitted"].update(predict=1),
        "n_members": lambda m: m.update(n_members="5"),
        "malformed": lambda m: m["params"].update(lr={"__reduce__": "os.system"}),
    }
    for message, edit in cases.items():
        with pytest.raises(ValueError, match=message):
            load_model(_rewrite(path, edit))
    with pytest.raises(ValueError, match="tensors cannot be read"):
        load_model(_rewrite(path, members={"model.safetensors": b"garbage"}))
    with pytest.raises(ValueError, match="do not match the networks"):
        load_model(_rewrite(path, lambda m: m["params"].update(latent_dim=4)))


def test_save_checks_its_input(fitted, tmp_path):
    with pytest.raises(NotFittedError):
        save_model(OMIBClassifier(), tmp_path / "model.omib")
    X, y = _data()
    with pytest.raises(TypeError, match="saves an OMIBClassifier"):
        save_model(LogisticRegression().fit(X[0], y), tmp_path / "model.omib")


def test_callbacks_are_not_stored(tmp_path):
    from skorch.callbacks import EpochTimer

    X, y = _data()
    est = OMIBClassifier(**{**TINY, "n_estimators": 1, "callbacks": [("timer", EpochTimer())]})
    est.fit(X, y)
    with pytest.warns(UserWarning, match="callbacks parameter is not stored"):
        save_model(est, tmp_path / "model.omib")
    loaded = load_model(tmp_path / "model.omib")
    assert loaded.callbacks is None
    _assert_same(est, loaded, X)


# -- models fitted on a GPU --------------------------------------------------------
def test_weights_are_written_from_cpu_copies(fitted):
    module = fitted[0][OMIBClassifier].module_
    state = module.state_dict()
    copies = _cpu_state(module)
    assert copies.keys() == state.keys()
    for key, value in copies.items():
        assert value.device.type == "cpu" and value.is_contiguous()
        assert value.data_ptr() != state[key].data_ptr()
        assert torch.equal(value, state[key])


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a CPU-only machine")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cuda_fitted_model_loads_on_cpu(fitted, tmp_path, Estimator):
    # As in test_sklearn_tooling's simulation: the estimator and its net
    # say device="cuda", as after a fit on a GPU.
    est, X = fitted[0][Estimator], fitted[1]
    est.device = est.net_.device = "cuda"
    try:
        save_model(est, tmp_path / "model.omib")
    finally:
        est.device = est.net_.device = "cpu"
    with pytest.warns(UserWarning, match="not available here"):
        loaded = load_model(tmp_path / "model.omib")
    assert loaded.device == "cuda"  # the parameter is kept, as with pickle
    assert torch.device(loaded.net_.device).type == "cpu"
    assert all(p.device.type == "cpu" for p in loaded.module_.parameters())
    _assert_same(est, loaded, X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        on_cpu = load_model(tmp_path / "model.omib", device="cpu")
    assert on_cpu.device == "cpu"
    _assert_same(est, on_cpu, X)


# -- user encoders by import path ---------------------------------------------------
def _images(n=60, seed=2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    img = rng.normal(size=(n, 1, 4, 4)) + y[:, None, None, None]
    return {"img": img, "tab": rng.normal(size=(n, 3))}, y


CNN = "_encoders_for_tests.TinyCNN"
FLAT = "_encoders_for_tests.flat_encoder"


def test_encoders_by_trusted_import_path(tmp_path):
    X, y = _images()
    factory = functools.partial(TinyCNN, width=3, pool=(2, 2))
    est = OMIBClassifier(**{**TINY, "n_estimators": 2, "encoders": {"img": factory}})
    est.fit(X, y)
    path = tmp_path / "model.omib"
    save_model(est, path)
    with zipfile.ZipFile(path) as archive:
        record = json.loads(archive.read("meta.json"))["params"]["encoders"]
    assert record == {"__dict__": [["img", {"__factory__": {
        "path": CNN, "args": [], "kwargs": {"width": 3, "pool": {"__tuple__": [2, 2]}},
    }}]]}
    with pytest.raises(ValueError, match=r"\['_encoders_for_tests.TinyCNN'\].*trusted="):
        load_model(path)
    with pytest.raises(ValueError, match="TinyCNN"):
        load_model(path, trusted=["_encoders_for_tests.flat_encoder"])
    loaded = load_model(path, trusted=[CNN])
    rebuilt = loaded.encoders["img"]
    assert rebuilt.func is TinyCNN and rebuilt.keywords == {"width": 3, "pool": (2, 2)}
    _assert_same(est, loaded, X)


def test_encoder_functions_and_lists_in_a_fresh_process(tmp_path):
    X, y = _images()
    X = [X["img"], X["tab"]]
    est = OMIBRegressor(**{**TINY, "n_estimators": 1, "encoders": [flat_encoder, None]})
    est.fit(X, y.astype(float))
    save_model(est, tmp_path / "model.omib")
    np.savez(tmp_path / "X.npz", *X)
    _run(f"""
        import sys
        import numpy as np
        from omib_sklearn import load_model
        try:
            load_model("model.omib")
        except ValueError as e:
            assert "trusted=" in str(e) and {FLAT!r} in str(e), e
        else:
            raise AssertionError("an untrusted encoder was loaded")
        # nothing of the untrusted module was imported
        assert "_encoders_for_tests" not in sys.modules
        est = load_model("model.omib", trusted=[{FLAT!r}])
        data = np.load("X.npz")
        X = [data["arr_0"], data["arr_1"]]
        np.savez("out.npz", predict=est.predict(X), transform=est.transform(X))
    """, tmp_path)
    out = np.load(tmp_path / "out.npz")
    assert_array_equal(out["predict"], est.predict(X))
    assert_array_equal(out["transform"], est.transform(X))


def _lambda_encoder():
    return lambda shape, dim: nn.Sequential(nn.Flatten(), nn.Linear(16, dim))


def test_encoders_that_cannot_be_stored_by_path(tmp_path):
    X, y = _images(n=40)

    class LocalCNN(TinyCNN):
        pass

    cases = {
        "lambda": _lambda_encoder(),
        "inside a function": LocalCNN,
        "must be data": functools.partial(TinyCNN, activation=nn.ReLU),
    }
    for message, factory in cases.items():
        est = OMIBClassifier(**{**TINY, "n_estimators": 1, "max_epochs": 1,
                                "encoders": [factory, None]}).fit([X["img"], X["tab"]], y)
        with pytest.raises(TypeError, match=message):
            save_model(est, tmp_path / "model.omib")
        assert not (tmp_path / "model.omib").exists()
