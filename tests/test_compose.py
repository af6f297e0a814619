"""Route 3: per-modality preprocessing with ModalityTransformer."""

import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from skorch.helper import SliceDict

from omib_sklearn import Modalities, OMIBClassifier
from omib_sklearn.compose import ModalityTransformer

# Without modality dropout, which slows a four-epoch training (docs/missing_modalities.md).
# Linear heads: these fits of four epochs test the routes, not the accuracy.
EASY = {**FAST, "beta": 1e-3, "lr": 1e-2, "input_weight_decay": 0.3, "max_epochs": 4, "head_hidden": 0,
        "modality_dropout": 0.0,
        "batch_size": 32, "random_state": 0}


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 240)
    # very different scales per modality
    X1 = (rng.normal(size=(240, 4)) + y[:, None]) * 1000.0 + 5000.0
    X2 = (rng.normal(size=(240, 3)) + y[:, None]) * 0.01 - 3.0
    return X1, X2, y


@pytest.mark.parametrize(
    "make_X",
    [
        lambda X1, X2: Modalities([X1, X2], names=["img", "txt"]),
        lambda X1, X2: [X1, X2],
        lambda X1, X2: (X1, X2),
        lambda X1, X2: {"img": X1, "txt": X2},
        lambda X1, X2: SliceDict(img=X1, txt=X2),
    ],
    ids=["Modalities", "list", "tuple", "dict", "SliceDict"],
)
def test_one_transformer_cloned_per_modality_keeps_container(problem, make_X):
    X1, X2, _ = problem
    X = make_X(X1, X2)
    mt = ModalityTransformer(StandardScaler())
    Xt = mt.fit_transform(X)
    assert type(Xt) is type(X)
    parts = Xt.data if isinstance(Xt, Modalities) else (
        list(Xt.values()) if isinstance(Xt, dict) else list(Xt)
    )
    for part, orig in zip(parts, (X1, X2)):
        assert_allclose(part, StandardScaler().fit_transform(orig))
    if isinstance(X, Modalities):
        assert Xt.names == ["img", "txt"]
    if isinstance(X, dict):
        assert list(Xt) == ["img", "txt"]
    # clones: one fitted scaler per modality, the parameter left untouched
    assert len(mt.transformers_) == 2
    assert mt.transformers_[0] is not mt.transformers_[1]
    assert not hasattr(mt.transformers, "mean_")
    assert_allclose(mt.transformers_[1].mean_, X2.mean(axis=0))
    # transform == fit_transform on the training data
    again = mt.transform(X)
    again = again.data if isinstance(again, Modalities) else (
        list(again.values()) if isinstance(again, dict) else list(again)
    )
    for a, b in zip(again, parts):
        assert_allclose(a, b)


def test_list_of_transformers_one_per_modality(problem):
    X1, X2, _ = problem
    mt = ModalityTransformer([PCA(2, random_state=0), "passthrough"])
    Xt = mt.fit_transform(Modalities([X1, X2]))
    assert Xt.data[0].shape == (240, 2)
    assert Xt.data[1] is X2
    assert mt.transformers_[1] == "passthrough"


def test_wrong_number_of_transformers(problem):
    X1, X2, _ = problem
    mt = ModalityTransformer([StandardScaler(), StandardScaler(), MinMaxScaler()])
    with pytest.raises(ValueError, match="got 3 transformers for 2 modalities"):
        mt.fit(Modalities([X1, X2]))


def test_transform_errors(problem):
    X1, X2, _ = problem
    with pytest.raises(NotFittedError):
        ModalityTransformer(StandardScaler()).transform([X1, X2])
    mt = ModalityTransformer(StandardScaler()).fit([X1, X2])
    with pytest.raises(ValueError, match="X has 3 modalities, but ModalityTransformer was fitted with 2"):
        mt.transform([X1, X2, X2])
    with pytest.raises(ValueError, match="same number of rows"):
        mt.fit([X1, X2[:-1]])
    with pytest.raises(TypeError, match="needs transformers"):
        ModalityTransformer([StandardScaler(), "drop"]).fit([X1, X2])
    with pytest.raises(ValueError, match="'transformers' parameter"):
        ModalityTransformer(42).fit([X1, X2])


def test_set_output_pandas_per_modality(problem):
    X1, X2, _ = problem
    X = [pd.DataFrame(X1, columns=list("abcd")), X2]
    Xt = ModalityTransformer(StandardScaler()).set_output(transform="pandas").fit_transform(X)
    assert isinstance(Xt, list)
    assert isinstance(Xt[0], pd.DataFrame) and list(Xt[0].columns) == list("abcd")
    assert isinstance(Xt[1], pd.DataFrame)


@pytest.mark.slow
def test_params_clone_and_nested_grid(problem):
    X1, X2, y = problem
    mt = ModalityTransformer(StandardScaler(with_mean=False))
    assert mt.get_params()["transformers__with_mean"] is False
    assert clone(mt).get_params()["transformers__with_mean"] is False
    pipe = make_pipeline(ModalityTransformer(StandardScaler()), OMIBClassifier(**EASY))
    gs = GridSearchCV(
        pipe,
        {"modalitytransformer__transformers": [StandardScaler(), MinMaxScaler()],
         "omibclassifier__latent_dim": [4, 8]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).fit(Modalities([X1, X2]), y)
    assert len(gs.cv_results_["params"]) == 4
    assert gs.best_score_ > 0.75


@pytest.mark.slow
def test_pipeline_with_per_modality_scaling_is_cross_validated(problem):
    X1, X2, y = problem
    X = Modalities([X1, X2])
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    pipe = make_pipeline(ModalityTransformer(StandardScaler()), OMIBClassifier(**EASY))
    scores = cross_val_score(pipe, X, y, cv=cv, n_jobs=2)
    assert_array_equal(scores, cross_val_score(pipe, X, y, cv=cv, n_jobs=1))
    assert scores.mean() > 0.75
    # the scaling matters: unscaled inputs with the internal standardization
    # switched off stay near chance
    raw = cross_val_score(OMIBClassifier(**EASY, standardize=False), X, y, cv=cv)
    assert raw.mean() < scores.mean()


def test_rows_and_empty_errors_as_the_estimators(problem):
    X1, X2, _ = problem
    mt = ModalityTransformer(StandardScaler())
    with pytest.raises(ValueError, match=r"'m1': 239\. .*omib_sklearn\.Modalities"):
        mt.fit([X1, X2[:-1]])
    with pytest.raises(ValueError, match="empty list of modalities"):
        mt.fit([])


def test_named_modalities_matched_by_name(problem):
    X1, X2, y = problem
    X3 = X2 * 7.0 + 1.0  # as wide as X2, on another scale
    mt = ModalityTransformer([MinMaxScaler(), StandardScaler(), "passthrough"])
    ref = mt.fit_transform({"a": X1, "b": X2, "c": X3})
    Xt = mt.transform({"c": X3, "a": X1, "b": X2})
    assert list(Xt) == ["a", "b", "c"]  # laid out as in fit
    for key in ref:
        assert_array_equal(Xt[key], ref[key])
    Xt = mt.transform(Modalities({"b": X2, "c": X3, "a": X1}))
    assert Xt.names == ["a", "b", "c"]
    assert_array_equal(Xt.data[1], ref["b"])
    with pytest.raises(ValueError, match=r"unseen at fit time: \['d'\].*lacks .*\['c'\]"):
        mt.transform({"a": X1, "b": X2, "d": X3})
    # in a Pipeline, with modalities of equal widths: the reordered dict gives
    # the same predictions, the swapped list others
    X4 = X1[:, :3]
    pipe = make_pipeline(ModalityTransformer(StandardScaler()), OMIBClassifier(**EASY))
    ref = pipe.fit({"b": X2, "c": X4}, y).predict_proba({"b": X2, "c": X4})
    assert_array_equal(pipe.predict_proba({"c": X4, "b": X2}), ref)
    assert not np.allclose(pipe.predict_proba([X4, X2]), ref)
