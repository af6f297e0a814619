"""sample_weight and class_weight: what they change and what they leave alone."""

import numpy as np
import pytest
from conftest import FAST
from sklearn.metrics import recall_score

from omib_sklearn import OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor

PARAMS = {**FAST, "max_epochs": 15, "lr": 1e-2, "input_weight_decay": 0.3, "beta": 1e-3,
          "batch_size": 32, "random_state": 0}


def problem(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = [rng.normal(size=(n, 4)) + y[:, None], rng.normal(size=(n, 3)) + y[:, None]]
    return X, y


@pytest.mark.slow
@pytest.mark.parametrize("Estimator", [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector])
def test_unit_weights_change_nothing(Estimator):
    X, y = problem()
    target = y if Estimator is OMIBClassifier else (y.astype(float) if Estimator is OMIBRegressor else None)
    plain = Estimator(**PARAMS).fit(X, target)
    ones = Estimator(**PARAMS).fit(X, target, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(ones.transform(X), plain.transform(X), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_zero_weights_act_as_dropped_rows_in_the_standardization_and_the_loss():
    X, y = problem()
    w = np.ones(len(y))
    w[:50] = 0.0
    clf = OMIBClassifier(**{**PARAMS, "early_stopping": False}).fit(X, y, sample_weight=w)
    # the standardization ignores the zero-weight rows
    for i, x in enumerate(X):
        np.testing.assert_allclose(clf.module_.state_dict()[f"shift{i}"][0, 0].numpy(),
                                   x[50:].mean(0), rtol=1e-5, atol=1e-5)
    # wildly wrong labels on the zero-weight rows leave the fit close to
    # one without them: same predictions on nearly every row
    y_bad = y.copy()
    y_bad[:50] = 1 - y_bad[:50]
    bad = OMIBClassifier(**{**PARAMS, "early_stopping": False}).fit(X, y_bad, sample_weight=w)
    flipped = OMIBClassifier(**{**PARAMS, "early_stopping": False}).fit(X, y_bad)
    agree_weighted = np.mean(bad.predict(X) == clf.predict(X))
    agree_unweighted = np.mean(flipped.predict(X) == clf.predict(X))
    assert agree_weighted == 1.0
    assert agree_unweighted < agree_weighted


@pytest.mark.slow
def test_balanced_class_weight_raises_minority_recall():
    rng = np.random.default_rng(1)
    n = 400
    y = (rng.random(n) < 0.1).astype(int)  # 10% positives
    X = [rng.normal(size=(n, 4)) + 0.7 * y[:, None], rng.normal(size=(n, 3)) + 0.7 * y[:, None]]
    plain = OMIBClassifier(**PARAMS).fit(X, y)
    balanced = OMIBClassifier(class_weight="balanced", **PARAMS).fit(X, y)
    as_dict = OMIBClassifier(class_weight={0: 1.0, 1: 9.0}, **PARAMS).fit(X, y)
    r_plain = recall_score(y, plain.predict(X))
    r_balanced = recall_score(y, balanced.predict(X))
    assert r_balanced > r_plain + 0.2
    assert recall_score(y, as_dict.predict(X)) > r_plain + 0.2


def test_class_weight_equals_the_matching_sample_weight():
    X, y = problem()
    by_class = OMIBClassifier(class_weight={0: 1.0, 1: 3.0}, **PARAMS).fit(X, y)
    by_row = OMIBClassifier(**PARAMS).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(by_class.predict_proba(X), by_row.predict_proba(X), rtol=1e-5)


def test_bad_weights_raise_before_training():
    X, y = problem()
    clf = OMIBClassifier(**PARAMS)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=np.ones(len(y) - 1))
    with pytest.raises(ValueError, match="[Nn]egative"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="non-zero|add up to 0"):
        clf.fit(X, y, sample_weight=np.zeros(len(y)))
    assert not hasattr(clf, "net_")


def test_user_weights_are_not_modified():
    X, y = problem()
    w = np.linspace(0.5, 2.0, len(y))
    saved = w.copy()
    OMIBClassifier(class_weight="balanced", **PARAMS).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(w, saved)
