"""Tests of OMIBRegressor: recovery of a known target, y handling, the
sklearn regressor API, errors, reproducibility and pickling."""

import pickle

import numpy as np
import pytest
from sklearn.metrics import r2_score

from omib_sklearn import OMIBRegressor

FAST = dict(n_estimators=1, max_epochs=3, warmup_epochs=1, mine_steps=10, encoder_hidden=(16,),
            embedding_dim=16, latent_dim=8, n_heads=2, head_hidden=16, batch_size=64)


def make_data(n=300, seed=0):
    """Two modalities; y is linear in both plus a nonlinear term of each."""
    rng = np.random.default_rng(seed)
    X1 = rng.normal(size=(n, 5))
    X2 = rng.normal(size=(n, 4))
    y = (1.5 * X1[:, 0] - X1[:, 1] + 2.0 * X2[:, 0]
         + np.sin(2.0 * X1[:, 2]) + 0.5 * X2[:, 1] ** 2
         + 0.1 * rng.normal(size=n))
    return [X1, X2], y


@pytest.fixture(scope="module")
def fitted():
    X, y = make_data()
    return OMIBRegressor(random_state=0, **FAST).fit(X, y), X, y


@pytest.mark.slow
def test_recovers_linear_plus_nonlinear_target():
    # Train on 500 rows, test on 300 fresh ones. The linear terms carry about
    # 88% of the variance of y, and RidgeCV on [X1, X2] gets R^2 = 0.871 on
    # this split; the bound asks for more, so some of the nonlinear part must
    # be recovered. beta is fixed: with the few MINE steps of a fast test the
    # information estimates are too small and beta="auto" would be large.
    # Early stopping is off so that all 500 rows train the 5 epochs.
    X, y = make_data(800, seed=1)
    Xtr, Xte = [x[:500] for x in X], [x[500:] for x in X]
    reg = OMIBRegressor(beta=1e-3, early_stopping=False, random_state=0,
                        **{**FAST, "max_epochs": 5, "lr": 1e-2, "encoder_hidden": (32,), "head_hidden": 0,
                           "embedding_dim": 32})
    reg.fit(Xtr, y[:500])
    assert r2_score(y[500:], reg.predict(Xte)) > 0.88


def test_score_is_r2_and_transform_is_embedding(fitted):
    reg, X, y = fitted
    assert reg.score(X, y) == pytest.approx(r2_score(y, reg.predict(X)))
    xi = reg.transform(X)
    assert xi.shape == (len(y), FAST["latent_dim"])
    assert np.all(np.isfinite(xi))


@pytest.mark.parametrize("shape", [(300,), (300, 1), (300, 2)])
def test_predict_has_the_shape_of_fitted_y(shape):
    X, y = make_data()
    Y = y if len(shape) == 1 else np.column_stack([y, -y][: shape[1]])
    assert Y.shape == shape
    reg = OMIBRegressor(random_state=0, **FAST).fit(X, Y)
    assert reg.predict(X).shape == shape
    assert reg.n_outputs_ == (1 if len(shape) == 1 else shape[1])


def test_results_do_not_depend_on_the_units_of_y():
    X, y = make_data()
    a = OMIBRegressor(random_state=0, **FAST).fit(X, y).predict(X)
    b = OMIBRegressor(random_state=0, **FAST).fit(X, 1000.0 * y + 5.0).predict(X)
    np.testing.assert_allclose(b, 1000.0 * a + 5.0, rtol=1e-4, atol=1e-2)
    # Predictions are in y's units: far from the standardized scale.
    assert abs(b.mean() - (1000.0 * y.mean() + 5.0)) < 0.5 * 1000.0 * y.std()


def test_fitted_attributes(fitted):
    reg, X, y = fitted
    lo, hi = reg.beta_bounds_
    assert 0 < lo <= reg.beta_ <= hi
    assert reg.information_.shape == (2, 2)
    assert reg.r_.shape == (2,) and reg.r_[0] == 1.0
    assert 0 < reg.r_[1] < 2
    assert reg.n_epochs_ == {"warmup": 1, "main": 3}
    assert len(reg.history_["main"]) == 3
    assert reg.r_history_.shape == (3, 2)
    np.testing.assert_allclose(reg.y_mean_, [y.mean()])
    np.testing.assert_allclose(reg.y_scale_, [y.std()])


def test_early_stopping_is_on_by_default(fitted):
    reg = fitted[0]
    assert reg.early_stopping is True and reg.refit is True
    # one network on 300 rows: early stopping by 5-fold cross-validation,
    # then the refit on every row for the median epochs
    assert reg.validation_scheme_ == "cv"
    assert all("valid_loss" in epoch for epoch in reg.early_stopping_history_["main"])
    assert reg.n_epochs_ == {k: int(np.round(np.median(v))) for k, v in reg.best_epochs_.items()}
    assert all("valid_loss" not in epoch for epoch in
               OMIBRegressor(early_stopping=False, random_state=0, **FAST)
               .fit(*make_data(100)).history_["main"])


def test_fixed_beta_skips_mine():
    X, y = make_data()
    reg = OMIBRegressor(beta=1e-3, random_state=0, **FAST).fit(X, y)
    assert reg.beta_ == 1e-3
    assert reg.beta_bounds_ is None and reg.information_ is None


def test_constant_target_predicts_the_constant():
    X, _ = make_data()
    y = np.full(300, 7.0)
    reg = OMIBRegressor(beta=1e-3, random_state=0, **FAST).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), 7.0, atol=1.0)


def test_reproducible_with_a_seed():
    X, y = make_data()
    a = OMIBRegressor(random_state=3, **FAST).fit(X, y)
    b = OMIBRegressor(random_state=3, **FAST).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.beta_ == b.beta_
    c = OMIBRegressor(random_state=4, **FAST).fit(X, y)
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_pickle_round_trip(fitted):
    reg, X, y = fitted
    clone = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(clone.predict(X), reg.predict(X))
    np.testing.assert_array_equal(clone.transform(X), reg.transform(X))


@pytest.mark.parametrize(
    "make_y, match",
    [
        (lambda y: None, "requires y to be passed"),
        (lambda y: np.where(np.arange(len(y)) == 5, np.nan, y), "NaN"),
        (lambda y: np.where(np.arange(len(y)) == 5, np.inf, y), "infinity"),
        (lambda y: y[:-1], r"y has 299 rows, but the modalities have 300"),
        (lambda y: np.c_[y, y][:-3], r"y has 297 rows"),
        (lambda y: y.reshape(-1, 1, 1), r"y must have shape \(n_samples,\) or"),
        (lambda y: np.float64(1.0), r"y must have shape \(n_samples,\) or"),
        (lambda y: np.array(["a"] * len(y)), "could not convert"),
        (lambda y: np.empty((len(y), 0)), "0 feature"),
    ],
)
def test_bad_y_raises(make_y, match):
    X, y = make_data()
    with pytest.raises(ValueError, match=match):
        OMIBRegressor(beta=1e-3, **FAST).fit(X, make_y(y))


def test_bad_x_raises_and_inputs_are_not_modified():
    X, y = make_data()
    X_copy, y_copy = [x.copy() for x in X], y.copy()
    OMIBRegressor(random_state=0, **FAST).fit(X, y)
    for a, b in zip(X, X_copy):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(y, y_copy)
    bad = [X[0].copy(), X[1].copy()]
    bad[1][3, 2] = np.nan
    with pytest.raises(ValueError, match="contains NaN"):
        OMIBRegressor(beta=1e-3, **FAST).fit(bad, y)
    with pytest.raises(ValueError, match="same number of rows"):
        OMIBRegressor(beta=1e-3, **FAST).fit([X[0], X[1][:-1]], y)


def test_predict_checks_the_layout(fitted):
    reg, X, y = fitted
    with pytest.raises(ValueError, match="features"):
        reg.predict([X[0][:, :3], X[1]])
