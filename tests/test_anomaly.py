"""Tests of OMIBAnomalyDetector: detection on a shifted-cluster problem, the
Deep SVDD centres, the outlier API checked against IsolationForest, the
PyOD-style attributes, errors, reproducibility and pickling."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from omib_sklearn import OMIBAnomalyDetector
from omib_sklearn._tasks import push_from_zero

# Five networks (the default): a single one this small ranks the test rows of
# make_data with an AUC between 0.85 and 0.97 depending on the seed.
FAST = dict(n_estimators=5, max_epochs=3, warmup_epochs=1, mine_steps=10, encoder_hidden=(16,),
            embedding_dim=16, latent_dim=8, n_heads=2, batch_size=64, svdd_dim=16)


def make_data(n_train=300, n_test=100, shift=2.0, seed=0):
    """Normal: N(0, I) in both modalities (4 and 3 features). Anomalies: the
    same with the mean shifted by ``shift`` in two features of each modality."""
    rng = np.random.default_rng(seed)

    def normal(n):
        return [rng.normal(size=(n, 4)), rng.normal(size=(n, 3))]

    X_train = normal(n_train)
    inl, out = normal(n_test), normal(n_test)
    out[0][:, :2] += shift
    out[1][:, :2] -= shift
    X_test = [np.vstack([a, b]) for a, b in zip(inl, out)]
    is_outlier = np.r_[np.zeros(n_test, int), np.ones(n_test, int)]
    return X_train, X_test, is_outlier


@pytest.fixture(scope="module")
def fitted():
    X_train, X_test, is_outlier = make_data()
    det = OMIBAnomalyDetector(random_state=0, **FAST).fit(X_train)
    return det, X_train, X_test, is_outlier


def test_detects_shifted_cluster(fitted):
    det, _, X_test, is_outlier = fitted
    # The Mahalanobis-optimal detector gets about 0.99 here.
    assert roc_auc_score(is_outlier, -det.score_samples(X_test)) > 0.9


def test_sign_conventions_match_isolation_forest(fitted):
    det, X_train, X_test, is_outlier = fitted
    iso = IsolationForest(random_state=0).fit(np.hstack(X_train))
    for model, Xt in ((iso, np.hstack(X_test)), (det, X_test)):
        s = model.score_samples(Xt)
        # Higher score_samples = more normal: inliers score above outliers.
        assert s[is_outlier == 0].mean() > s[is_outlier == 1].mean()
        assert roc_auc_score(is_outlier, -s) > 0.9
        # decision_function = score_samples - offset_, negative = outlier.
        np.testing.assert_allclose(model.decision_function(Xt), s - model.offset_)
        pred = model.predict(Xt)
        assert set(np.unique(pred)) <= {-1, 1}
        np.testing.assert_array_equal(pred, np.where(model.decision_function(Xt) < 0, -1, 1))
        # Most anomalies are flagged, most inliers are not.
        assert (pred[is_outlier == 1] == -1).mean() > 0.5
        assert (pred[is_outlier == 0] == 1).mean() > 0.8


def test_score_samples_is_minus_squared_distance_to_center(fitted):
    det, _, X_test, _ = fitted
    out, _ = det._forward(X_test)  # (n_estimators, n_samples, svdd_dim)
    center = det.center_[:, None, :]
    per_network = ((out - center) ** 2).sum(axis=2) / (center**2).sum(axis=2)
    np.testing.assert_allclose(det.score_samples(X_test), -per_network.mean(axis=0))


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_contamination_sets_the_share_flagged_in_training(contamination):
    X_train, X_test, _ = make_data()
    det = OMIBAnomalyDetector(contamination=contamination, random_state=0, **FAST)
    labels = det.fit_predict(X_train)
    iso = IsolationForest(contamination=contamination, random_state=0)
    iso_labels = iso.fit_predict(np.hstack(X_train))
    n = len(labels)
    assert abs((labels == -1).mean() - contamination) <= 1.0 / n
    assert abs((labels == -1).mean() - (iso_labels == -1).mean()) <= 1.0 / n
    np.testing.assert_allclose(
        det.offset_, np.percentile(det.score_samples(X_train), 100 * contamination))


def test_fit_predict_equals_fit_then_predict(fitted):
    det, X_train, _, _ = fitted
    again = OMIBAnomalyDetector(random_state=0, **FAST)
    np.testing.assert_array_equal(again.fit_predict(X_train), det.predict(X_train))


def test_auto_contamination_is_tukeys_fence(fitted):
    det, X_train, _, _ = fitted
    dist = -det.score_samples(X_train)
    q1, q3 = np.percentile(dist, [25, 75])
    assert det.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)))
    # Squared distances are right-skewed: the fence flags more than the 0.7%
    # it flags on normally distributed scores, but a minority.
    assert 0 < (det.predict(X_train) == -1).mean() < 0.15


def test_pyod_attributes(fitted):
    det, X_train, _, _ = fitted
    # Higher decision_scores_ = more abnormal, over the training data.
    np.testing.assert_allclose(det.decision_scores_, -det.score_samples(X_train))
    assert det.threshold_ == -det.offset_
    assert set(np.unique(det.labels_)) <= {0, 1}
    np.testing.assert_array_equal(det.labels_, (det.predict(X_train) == -1).astype(int))
    np.testing.assert_array_equal(det.labels_, det.decision_scores_ > det.threshold_)


def test_centers_are_mean_outputs_of_the_untrained_heads():
    X_train, _, _ = make_data()
    # lr tiny: the network does not move, so the centre of the fusion head
    # must be the (eps-pushed) mean of its outputs on the training data.
    det = OMIBAnomalyDetector(random_state=0, **{**FAST, "lr": 1e-12}).fit(X_train)
    out, _ = det._forward(X_train)  # (n_estimators, n_samples, svdd_dim)
    mean = out.mean(axis=1)
    eps = 0.1 * np.sqrt((out**2).sum(axis=2).mean(axis=1) / out.shape[2])[:, None]
    expected = np.where(np.abs(mean) < eps, np.where(mean < 0, -eps, eps), mean)
    np.testing.assert_allclose(det.center_, expected, rtol=1e-4, atol=1e-9)
    assert np.any(np.abs(mean) >= eps)  # not only pushed coordinates
    # Centres are buffers of the module: saved in its state and on its device.
    state = det.module_.state_dict()
    np.testing.assert_array_equal(state["center"][:, 0].numpy(),
                                  det.center_.astype(np.float32))
    assert state["trb_centers"].shape == (FAST["n_estimators"], 2, FAST["svdd_dim"])
    assert np.all(np.abs(det.trb_centers_) > 0)
    assert {name for name, _ in det.module_.named_buffers()} >= {"center", "trb_centers"}


def test_training_pulls_the_data_towards_the_center():
    X_train, _, _ = make_data()
    det = OMIBAnomalyDetector(beta=1e-3, random_state=0,
                              **{**FAST, "max_epochs": 5, "warmup_epochs": 0, "lr": 1e-3})
    det.fit(X_train)
    losses = [epoch["train_loss"] for epoch in det.history_["main"]]
    assert losses[-1] < 0.8 * losses[0]
    # Training noise is off for Deep SVDD heads (it would act as a bias).
    assert det.module_.stochastic is False


def test_push_from_zero():
    c = torch.tensor([0.0, -0.0, 0.05, -0.05, 0.5, -0.5])
    np.testing.assert_allclose(
        push_from_zero(c, 0.1).numpy(), [0.1, 0.1, 0.1, -0.1, 0.5, -0.5])
    # An eps of 0 still moves exact zeros (to the floor).
    assert push_from_zero(torch.zeros(3), 0.0).min() > 0


def test_svdd_network_has_no_bias_terms(fitted):
    det = fitted[0]
    names = [name for name, _ in det.module_.named_parameters()]
    assert names and not [n for n in names if "bias" in n]


def test_warns_on_collapse():
    # Identical rows: every output is the same, the scores have no spread.
    X = [np.ones((100, 3)), np.ones((100, 2))]
    det = OMIBAnomalyDetector(beta=1e-3, random_state=0, **FAST)
    with pytest.warns(UserWarning, match="near-zero spread"):
        det.fit(X)


def test_no_collapse_warning_on_normal_data():
    X_train, _, _ = make_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        # Three epochs do not converge; only a collapse warning would fail.
        warnings.simplefilter("ignore", ConvergenceWarning)
        OMIBAnomalyDetector(beta=1e-3, random_state=0, **FAST).fit(X_train)


def test_fitted_attributes_and_transform(fitted):
    det, X_train, X_test, _ = fitted
    lo, hi = det.beta_bounds_
    assert 0 < lo <= det.beta_ <= hi
    assert det.information_.shape == (2, 2)
    assert det.r_.shape == (2,) and det.r_[0] == 1.0
    assert det.n_epochs_ == {"warmup": 1, "main": 3}
    k = FAST["n_estimators"]
    assert det.transform(X_test).shape == (200, k * FAST["latent_dim"])
    assert det.center_.shape == (k, FAST["svdd_dim"])
    assert det.trb_centers_.shape == (k, 2, FAST["svdd_dim"])


def test_y_is_ignored():
    X_train, X_test, _ = make_data()
    a = OMIBAnomalyDetector(random_state=0, **FAST).fit(X_train)
    b = OMIBAnomalyDetector(random_state=0, **FAST).fit(X_train, np.arange(300))
    np.testing.assert_array_equal(a.score_samples(X_test), b.score_samples(X_test))


def test_reproducible_and_pickles(fitted):
    det, X_train, X_test, _ = fitted
    again = OMIBAnomalyDetector(random_state=0, **FAST).fit(X_train)
    np.testing.assert_array_equal(again.score_samples(X_test), det.score_samples(X_test))
    other = OMIBAnomalyDetector(random_state=1, **FAST).fit(X_train)
    assert not np.array_equal(other.score_samples(X_test), det.score_samples(X_test))
    clone = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(clone.score_samples(X_test), det.score_samples(X_test))
    np.testing.assert_array_equal(clone.predict(X_test), det.predict(X_test))
    np.testing.assert_array_equal(clone.module_.center.numpy(), det.module_.center.numpy())


@pytest.mark.parametrize("contamination", [0.0, -0.1, 0.6, 1.0, "most"])
def test_contamination_out_of_range(contamination):
    X_train, _, _ = make_data()
    det = OMIBAnomalyDetector(contamination=contamination, **FAST)
    with pytest.raises(InvalidParameterError, match="'contamination' parameter"):
        det.fit(X_train)


def test_bad_input_raises_and_input_is_not_modified():
    X_train, _, _ = make_data()
    copies = [x.copy() for x in X_train]
    OMIBAnomalyDetector(beta=1e-3, random_state=0, **FAST).fit(X_train)
    for a, b in zip(X_train, copies):
        np.testing.assert_array_equal(a, b)
    bad = [x.copy() for x in X_train]
    bad[0][0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        OMIBAnomalyDetector(beta=1e-3, **FAST).fit(bad)
    with pytest.raises(ValueError, match="same number of rows"):
        OMIBAnomalyDetector(beta=1e-3, **FAST).fit([X_train[0], X_train[1][:-1]])


def test_predict_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    X_train, _, _ = make_data()
    with pytest.raises(NotFittedError, match="not fitted"):
        OMIBAnomalyDetector(**FAST).predict(X_train)
