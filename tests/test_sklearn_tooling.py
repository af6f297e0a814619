"""The routes of multimodal data through scikit-learn's tooling, with real outcomes.

Route 1: a Modalities container (and skorch's SliceDict) through splitters,
cross-validation and searches. Route 2: one 2-D array plus the ``modalities``
parameter in ordinary Pipelines. Route 4: an OMIB estimator as a transformer.
Route 3 (ModalityTransformer) is in test_compose.py.
"""

import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import FAST
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
    cross_validate,
    learning_curve,
    permutation_test_score,
    validation_curve,
)
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_outliers_fit_predict, check_outliers_train
from skorch.helper import SliceDict

from omib_sklearn import Modalities, OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor

# FAST with a small fixed beta and a larger step: enough to learn the easy
# problem below in a few epochs.
# Without modality dropout, which slows a four-epoch training (docs/missing_modalities.md).
# Linear heads: these fits of four epochs test the routes, not the accuracy.
EASY = {**FAST, "beta": 1e-3, "lr": 1e-2, "input_weight_decay": 0.3, "max_epochs": 4, "head_hidden": 0,
        "modality_dropout": 0.0,
        "batch_size": 32, "random_state": 0}
CV = StratifiedKFold(3, shuffle=True, random_state=0)


def easy_problem(n=240, seed=0):
    """Two modalities whose means shift with the binary label."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X1 = rng.normal(size=(n, 4)) + y[:, None]
    X2 = rng.normal(size=(n, 3)) + y[:, None]
    return X1, X2, y


@pytest.fixture(scope="module")
def problem():
    return easy_problem()


# -- route 1: a sliceable container through the tooling --------------------------
@pytest.mark.slow
@pytest.mark.parametrize("container", ["Modalities", "SliceDict"])
def test_cross_val_score_n_jobs_1_and_2(problem, container):
    X1, X2, y = problem
    X = Modalities([X1, X2]) if container == "Modalities" else SliceDict(a=X1, b=X2)
    scores = [
        cross_val_score(OMIBClassifier(**EASY), X, y, cv=CV, n_jobs=n_jobs)
        for n_jobs in (1, 2)
    ]
    assert_allclose(scores[0], scores[1])
    assert scores[0].shape == (3,)
    assert scores[0].mean() > 0.75  # chance is about 0.5


@pytest.mark.slow
def test_cross_validate_several_scorers(problem):
    X1, X2, y = problem
    X = Modalities({"a": X1, "b": X2})
    res = [
        cross_validate(
            OMIBClassifier(**EASY), X, y, cv=CV, n_jobs=n_jobs,
            scoring=["accuracy", "roc_auc", "neg_log_loss"], return_train_score=True,
        )
        for n_jobs in (1, 2)
    ]
    for key in ("test_accuracy", "test_roc_auc", "test_neg_log_loss", "train_accuracy"):
        assert_allclose(res[0][key], res[1][key])
    assert res[0]["test_roc_auc"].mean() > 0.8
    assert np.all(res[0]["test_neg_log_loss"] < 0)
    assert res[0]["train_accuracy"].mean() > 0.75


def test_cross_validate_regressor(problem):
    X1, X2, _ = problem
    rng = np.random.default_rng(1)
    target = X1[:, 0] + X2[:, 1] + 0.1 * rng.normal(size=len(X1))
    res = cross_validate(
        OMIBRegressor(**{**EASY, "max_epochs": 3}), Modalities([X1, X2]), target, cv=3,
        scoring="r2",
    )
    assert res["test_score"].mean() > 0.3


@pytest.mark.slow
def test_grid_search_n_jobs_1_and_2(problem):
    X1, X2, y = problem
    X = Modalities([X1, X2])
    grid = {"beta": [1e-3, 1e-1], "latent_dim": [4, 8]}
    searches = [
        GridSearchCV(OMIBClassifier(**EASY), grid, cv=CV, n_jobs=n_jobs).fit(X, y)
        for n_jobs in (1, 2)
    ]
    assert_allclose(
        searches[0].cv_results_["mean_test_score"], searches[1].cv_results_["mean_test_score"]
    )
    gs = searches[0]
    assert len(gs.cv_results_["params"]) == 4
    assert gs.best_score_ > 0.75
    assert gs.best_estimator_.transform(X).shape == (240, gs.best_params_["latent_dim"])
    assert gs.score(X, y) > 0.75


@pytest.mark.slow
def test_randomized_search_n_jobs_1_and_2(problem):
    X1, X2, y = problem
    searches = [
        RandomizedSearchCV(
            OMIBClassifier(**EASY),
            {"lr": loguniform(3e-3, 3e-2), "beta": loguniform(1e-4, 1e-2)},
            n_iter=3, cv=CV, random_state=0, n_jobs=n_jobs,
        ).fit(Modalities([X1, X2]), y)
        for n_jobs in (1, 2)
    ]
    assert_allclose(
        searches[0].cv_results_["mean_test_score"], searches[1].cv_results_["mean_test_score"]
    )
    search = searches[0]
    assert len(search.cv_results_["params"]) == 3
    assert 3e-3 <= search.best_params_["lr"] <= 3e-2
    assert search.best_score_ > 0.75


@pytest.mark.slow
def test_learning_curve_n_jobs_1_and_2(problem):
    X1, X2, y = problem
    runs = [
        learning_curve(
            OMIBClassifier(**EASY), Modalities([X1, X2]), y, cv=CV,
            train_sizes=[0.5, 1.0], n_jobs=n_jobs,
        )
        for n_jobs in (1, 2)
    ]
    for a, b in zip(*runs):
        assert_allclose(a, b)
    sizes, train_scores, test_scores = runs[0]
    assert_array_equal(sizes, [80, 160])
    assert train_scores.shape == test_scores.shape == (2, 3)
    assert test_scores[-1].mean() > 0.75


@pytest.mark.slow
def test_permutation_test_score_n_jobs_1_and_2(problem):
    X1, X2, y = problem
    runs = [
        permutation_test_score(
            OMIBClassifier(**EASY), Modalities([X1, X2]), y, cv=CV,
            n_permutations=3, random_state=0, n_jobs=n_jobs,
        )
        for n_jobs in (1, 2)
    ]
    for a, b in zip(*runs):
        assert_allclose(a, b)
    score, perm_scores, pvalue = runs[0]
    assert score > 0.75
    assert perm_scores.shape == (3,)
    assert perm_scores.max() < score
    assert pvalue == pytest.approx(1 / 4)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_cross_val_predict_n_jobs_1_and_2(problem, method):
    X1, X2, y = problem
    X = Modalities([X1, X2])
    preds = [
        cross_val_predict(OMIBClassifier(**EASY), X, y, cv=CV, method=method, n_jobs=n_jobs)
        for n_jobs in (1, 2)
    ]
    assert_allclose(preds[0], preds[1])
    labels = preds[0] if method == "predict" else preds[0].argmax(axis=1)
    assert preds[0].shape == ((240,) if method == "predict" else (240, 2))
    assert np.mean(labels == y) > 0.75


def test_validation_curve(problem):
    X1, X2, y = problem
    train_scores, test_scores = validation_curve(
        OMIBClassifier(**EASY), Modalities([X1, X2]), y, param_name="latent_dim",
        param_range=[4, 8], cv=CV,
    )
    assert train_scores.shape == test_scores.shape == (2, 3)
    assert test_scores.mean() > 0.75


def test_calibrated_classifier_cv(problem):
    X1, X2, y = problem
    X = Modalities([X1, X2])
    cal = CalibratedClassifierCV(OMIBClassifier(**EASY), cv=CV).fit(X, y)
    assert len(cal.calibrated_classifiers_) == 3
    assert cal.predict_proba(X).shape == (240, 2)
    assert cal.score(X, y) > 0.75


def test_feature_union_of_embeddings(problem):
    X1, X2, y = problem
    union = FeatureUnion(
        [("a", OMIBClassifier(**EASY)), ("b", OMIBClassifier(**{**EASY, "latent_dim": 4}))]
    )
    assert union.fit_transform(Modalities([X1, X2]), y).shape == (240, 12)


@pytest.mark.parametrize("tool", [permutation_importance, partial_dependence])
def test_tools_needing_one_array_point_to_route_2(problem, tool):
    X1, X2, y = problem
    X = Modalities([X1, X2])
    clf = OMIBClassifier(**EASY).fit(X, y)
    args = (y,) if tool is permutation_importance else ([0],)
    # permutation_importance turns X into an array, partial_dependence selects
    # its columns
    with pytest.raises(
        (TypeError, IndexError), match=r"permutation_importance.*modalities=.*per-modality"
    ):
        tool(clf, X, *args)


# -- route 2: one array + the modalities parameter in ordinary Pipelines ---------
def test_permutation_importance_and_partial_dependence_on_one_array(problem):
    X1, X2, y = problem
    X = np.hstack([X1, X2])
    clf = OMIBClassifier(modalities=[4, 3], **EASY).fit(X, y)
    result = permutation_importance(clf, X, y, n_repeats=3, random_state=0)
    assert result.importances.shape == (7, 3)
    assert result.importances_mean.sum() > 0.05  # every column shifts with y
    pd_result = partial_dependence(clf, X, [0], grid_resolution=5)
    assert pd_result["average"].shape == (1, 5)
    assert pd_result["average"][0, -1] > pd_result["average"][0, 0]  # P(y=1) grows with x0


def test_pipeline_scaler_then_omib_with_widths(problem):
    X1, X2, y = problem
    X = np.hstack([X1 * 100.0, X2 - 50.0])
    pipe = make_pipeline(StandardScaler(), OMIBClassifier(modalities=[4, 3], **EASY))
    scores = cross_val_score(pipe, X, y, cv=CV, scoring="roc_auc")
    assert scores.mean() > 0.8
    pipe.fit(X, y)
    assert pipe[-1].n_features_per_modality_ == [4, 3]


def test_pipeline_column_transformer_upstream(problem):
    X1, X2, y = problem
    cols = [f"a{i}" for i in range(4)] + [f"b{i}" for i in range(3)]
    X = pd.DataFrame(np.hstack([X1, X2]), columns=cols)
    pre = ColumnTransformer(
        [("a", StandardScaler(), cols[:4]), ("b", PCA(2, random_state=0), cols[4:])]
    )
    # Two epochs are too short for weight averaging (it would average the
    # last half of ten fast-moving steps), so it is off here.
    easy = {**EASY, "averaging_epochs": 0}
    pipe = make_pipeline(pre, OMIBClassifier(modalities=[4, 2], **easy))
    assert cross_val_score(pipe, X, y, cv=CV, scoring="balanced_accuracy").mean() > 0.75
    # column names survive with set_output(pandas), and can name the modalities
    names = [["a__" + c for c in cols[:4]], ["b__pca0", "b__pca1"]]
    pipe = make_pipeline(pre, OMIBClassifier(modalities=names, **easy))
    pipe.set_output(transform="pandas").fit(X, y)
    assert pipe[-1].n_features_per_modality_ == [4, 2]
    assert pipe.score(X, y) > 0.75


@pytest.mark.slow
def test_grid_search_over_nested_pipeline_params(problem):
    X1, X2, y = problem
    pipe = make_pipeline(StandardScaler(), OMIBClassifier(modalities=[4, 3], **EASY))
    grid = {
        "omibclassifier__latent_dim": [4, 8],
        "omibclassifier__modalities": [[4, 3], None],
    }
    gs = GridSearchCV(pipe, grid, cv=CV).fit(np.hstack([X1, X2]), y)
    assert len(gs.cv_results_["params"]) == 4
    assert gs.best_score_ > 0.75
    best = gs.best_estimator_[-1]
    assert best.latent_dim == gs.best_params_["omibclassifier__latent_dim"]
    assert best.n_modalities_ == (1 if gs.best_params_["omibclassifier__modalities"] is None else 2)


# -- route 4: an OMIB estimator as a transformer ---------------------------------
def test_embedding_feeds_a_second_model(problem):
    X1, X2, y = problem
    X = Modalities([X1, X2])
    pipe = make_pipeline(OMIBClassifier(**EASY), LogisticRegression())
    assert cross_val_score(pipe, X, y, cv=CV).mean() > 0.75
    pipe.fit(X, y)
    assert pipe[-1].coef_.shape == (1, EASY["latent_dim"])
    assert_array_equal(
        pipe[0].get_feature_names_out(), [f"omibclassifier{i}" for i in range(8)]
    )


@pytest.mark.parametrize("Estimator", [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector])
def test_feature_names_out_and_pandas_output(problem, Estimator):
    X1, X2, y = problem
    est = Estimator(**EASY).set_output(transform="pandas")
    Xt = est.fit_transform(Modalities([X1, X2]), y.astype(float) if Estimator is OMIBRegressor else y)
    prefix = Estimator.__name__.lower()
    assert isinstance(Xt, pd.DataFrame)
    assert list(Xt.columns) == [f"{prefix}{i}" for i in range(8)]
    assert_allclose(Xt.to_numpy(), est.set_output(transform="default").transform([X1, X2]))
    # DataFrame input: the row index is kept
    df = pd.DataFrame(np.hstack([X1, X2]), index=np.arange(1000, 1240))
    est = Estimator(**EASY, modalities=[4, 3]).set_output(transform="pandas")
    Xt = est.fit(df, y).transform(df)
    assert list(Xt.index) == list(df.index)


def test_feature_names_out_errors(problem):
    X1, X2, y = problem
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        OMIBClassifier().get_feature_names_out()
    clf = OMIBClassifier(**EASY).fit(np.hstack([X1, X2]), y)
    with pytest.raises(ValueError, match="input_features should have length"):
        clf.get_feature_names_out(["a", "b"])


# -- parameters ----------------------------------------------------------------
NON_DEFAULT = dict(
    modalities=[2, 3], beta=0.5, information="raw", info_noise=0.5, mine_steps=7,
    warmup_epochs=0, max_epochs=3, batch_size=17, lr=0.02, weight_decay=0.1,
    input_weight_decay=0.7, averaging_epochs=3, n_estimators=2,
    encoder_hidden=(8, 4), encoders=[None, None], head_hidden=(5,), linear_path=True, embedding_dim=12, latent_dim=6, n_heads=3, dropout=0.2, input_dropout=0.1,
    modality_dropout=0.25, dynamic_r=True, standardize=False, early_stopping=False, refit=False, validation_fraction=0.3,
    n_iter_no_change=2, tol=0.5, callbacks=[], device="cuda", random_state=3, verbose=1,
)


@pytest.mark.parametrize("Estimator", [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector])
def test_get_set_params_clone_round_trip(Estimator):
    extra = {"contamination": 0.2, "svdd_dim": 5} if Estimator is OMIBAnomalyDetector else {}
    if Estimator is OMIBClassifier:
        extra = {"class_weight": {0: 1.0, 1: 2.0}}
    params = {**NON_DEFAULT, **extra}
    defaults = Estimator().get_params()
    assert set(params) == set(defaults), "test must cover every constructor parameter"
    est = Estimator(**params)
    # stored untouched: no validation or work in __init__
    for name, value in params.items():
        assert getattr(est, name) is value
    assert est.get_params() == params
    cloned = clone(est)
    assert cloned.get_params() == params
    reset = clone(cloned).set_params(**defaults)
    assert reset.get_params() == defaults


# -- persistence -----------------------------------------------------------------
def _fitted(Estimator, X1, X2, y):
    y = y.astype(float) if Estimator is OMIBRegressor else y
    return Estimator(**{**EASY, "early_stopping": True}).fit(Modalities([X1, X2]), y)


def _outputs(est, X):
    out = [est.predict(X), est.transform(X)]
    if hasattr(est, "predict_proba"):
        out.append(est.predict_proba(X))
    if hasattr(est, "score_samples"):
        out.append(est.score_samples(X))
    return out


@pytest.mark.parametrize("Estimator", [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector])
@pytest.mark.parametrize("library", ["pickle", "joblib"])
def test_pickle_and_joblib_round_trip(problem, tmp_path, Estimator, library):
    X1, X2, y = problem
    est = _fitted(Estimator, X1, X2, y)
    X = [X1[:50], X2[:50]]
    before = _outputs(est, X)
    if library == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    for a, b in zip(before, _outputs(loaded, X)):
        assert_array_equal(a, b)
    # one module, shared by the estimator and its net, after loading too
    assert loaded.module_ is loaded.net_.module_
    assert loaded.net_.module is loaded.net_.module_


def _cuda_tagged_pickle(est):
    """Pickle ``est`` as if it had been trained with device="cuda".

    The storages of the tensors that would live on the GPU (the module's
    parameters and buffers, the optimizer state, the weights kept by early
    stopping) are recorded with the location "cuda:0", as torch records them
    on a GPU machine; every other tensor keeps its CPU location.
    """
    net = est.net_
    tensors = list(net.module_.state_dict().values())
    for state in net.optimizer_.state.values():
        tensors += [v for v in state.values() if torch.is_tensor(v)]
    for _, cb in net.callbacks_:
        tensors += list((getattr(cb, "best_state_", None) or {}).values())
    on_gpu = {t.untyped_storage().data_ptr() for t in tensors}
    assert len(on_gpu) > 10

    def tag(storage):
        if storage.device.type == "cpu" and storage.data_ptr() in on_gpu:
            return "cuda:0"
        return None

    def deserialize(storage, location):
        return None

    est.device = net.device = "cuda"
    registry = torch.serialization._package_registry
    torch.serialization.register_package(0, tag, deserialize)
    try:
        # skorch pickles the CUDA-dependent attributes into a blob of their own
        inner = net.__getstate__()["__cuda_dependent_attributes__"]
        return pickle.dumps(est), inner
    finally:
        registry[:] = [entry for entry in registry if entry[1] is not tag]
        est.device = net.device = "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a CPU-only machine")
@pytest.mark.parametrize("Estimator", [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector])
def test_cuda_trained_model_loads_on_cpu(problem, Estimator):
    X1, X2, y = problem
    est = _fitted(Estimator, X1, X2, y)
    X = [X1[:50], X2[:50]]
    before = _outputs(est, X)
    blob, inner = _cuda_tagged_pickle(est)
    assert b"cuda:0" in blob
    # the simulation is faithful: unpickled without skorch's map_location,
    # torch refuses these storages on a CPU-only machine
    with pytest.raises(RuntimeError, match="on a CUDA device but torch.cuda.is_available"):
        pickle.loads(inner)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = pickle.loads(blob)
    assert any("no CUDA devices are available" in str(w.message) for w in caught)
    assert torch.device(loaded.net_.device).type == "cpu"
    assert loaded.device == "cuda"  # the user's parameter is left as it was
    assert all(p.device.type == "cpu" for p in loaded.module_.parameters())
    for a, b in zip(before, _outputs(loaded, X)):
        assert_array_equal(a, b)


# -- outlier detector: the float-contamination branch of sklearn's checks ---------
@pytest.mark.parametrize("check", [check_outliers_train, check_outliers_fit_predict])
def test_outlier_checks_with_float_contamination(check):
    est = OMIBAnomalyDetector(**{**EASY, "contamination": 0.1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check("OMIBAnomalyDetector", est)


# -- scale-out: GridSearchCV under joblib's Dask backend ---------------------------
@pytest.mark.slow
def test_grid_search_on_dask_local_cluster(problem):
    distributed = pytest.importorskip("distributed")
    X1, X2, y = problem
    X = Modalities([X1, X2])
    grid = {"beta": [1e-3, 1e-1]}
    local = GridSearchCV(OMIBClassifier(**EASY), grid, cv=CV).fit(X, y)
    # Two single-threaded worker processes: joblib runs sequentially on a
    # one-thread cluster, and a fit seeds torch's global generator, which
    # threads of one process share (see docs/sklearn_compatibility.md).
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"), distributed.get_task_stream(client) as tasks:
            remote = GridSearchCV(OMIBClassifier(**EASY), grid, cv=CV, n_jobs=-1).fit(X, y)
    assert len(tasks.data) > 0  # the fits ran as dask tasks
    assert_allclose(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    assert remote.best_score_ > 0.75


def _planted_outliers(n=240, n_out=24):
    rng = np.random.default_rng(0)
    X1 = rng.normal(size=(n, 4))
    X2 = rng.normal(size=(n, 3))
    X1[:n_out] += 4.0
    X2[:n_out] -= 4.0
    labels = np.ones(n, dtype=int)
    labels[:n_out] = -1  # -1 outlier, 1 inlier, as predict returns
    return Modalities([X1, X2]), labels


@pytest.mark.slow
def test_anomaly_detector_through_grid_search_and_cross_val_predict():
    # Fit ignores y; the scorer compares decision_function with the labels.
    X, labels = _planted_outliers()
    det = OMIBAnomalyDetector(**{**EASY, "contamination": 0.1})
    searches = [
        GridSearchCV(det, {"svdd_dim": [4, 8]}, cv=CV, scoring="roc_auc", n_jobs=n_jobs).fit(
            X, labels
        )
        for n_jobs in (1, 2)
    ]
    assert_allclose(
        searches[0].cv_results_["mean_test_score"], searches[1].cv_results_["mean_test_score"]
    )
    assert searches[0].best_params_["svdd_dim"] in (4, 8)
    assert np.all((searches[0].cv_results_["mean_test_score"] >= 0)
                  & (searches[0].cv_results_["mean_test_score"] <= 1))
    pred = cross_val_predict(det, X, labels, cv=CV)
    assert pred.shape == (240,)
    assert set(np.unique(pred)) == {-1, 1}
    assert 0.02 < np.mean(pred == -1) < 0.3  # about contamination=0.1 per fold


def test_anomaly_detector_ranks_planted_outliers():
    X, labels = _planted_outliers()
    inliers = Modalities([a[labels == 1] for a in X.data])
    det = OMIBAnomalyDetector(**{**EASY, "contamination": 0.1}).fit(inliers)
    assert roc_auc_score(labels, det.score_samples(X)) > 0.8
