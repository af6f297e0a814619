"""Absent modalities: None, missing dict keys and all-NaN rows; modality
dropout; modality_importance."""

import numpy as np
import pytest
import torch
from conftest import FAST
from sklearn.pipeline import make_pipeline

from omib_sklearn import Modalities, OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor
from omib_sklearn.compose import ModalityTransformer
from omib_sklearn.inspection import modality_importance
from omib_sklearn.nn import OMIBModule


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = [
        (y[:, None] * 2.0 - 1.0) + rng.normal(size=(n, 3)),
        (y[:, None] * 1.0 - 0.5) + rng.normal(size=(n, 4)),
    ]
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return OMIBClassifier(**FAST, random_state=0).fit(X, y), X, y


# -- the module ---------------------------------------------------------------


def _module():
    torch.manual_seed(0)
    module = OMIBModule([3, 4, 2], 2, n_members=2, encoder_hidden=(8,), embedding_dim=8,
                        latent_dim=4, n_heads=2)
    return module.eval()


def outputs(out):
    return out.y_hat, out.xi


def test_masked_modality_values_do_not_change_outputs():
    module = _module()
    rng = np.random.default_rng(0)
    x = [torch.as_tensor(rng.normal(size=(5, p)), dtype=torch.float32) for p in [3, 4, 2]]
    mask = torch.ones(5, 3, dtype=torch.bool)
    mask[:3, 1] = False
    mask[4, 0] = False
    with torch.no_grad():
        y1, xi1 = outputs(module(x, mask=mask))
        garbage = [v.clone() for v in x]
        garbage[1][:3] += 100 * torch.randn(3, 4)
        garbage[0][4] = 1e6
        y2, xi2 = outputs(module(garbage, mask=mask))
        y_full, xi_full = outputs(module(x))
        y_ones, xi_ones = outputs(module(x, mask=torch.ones(5, 3)))
    torch.testing.assert_close(xi1, xi2)
    torch.testing.assert_close(y1, y2)
    # The mask changes the outputs of the masked rows only ...
    assert not torch.allclose(xi1[:, :3], xi_full[:, :3])
    torch.testing.assert_close(xi1[:, 3], xi_full[:, 3])
    # ... and an all-present mask is the unmasked pass.
    torch.testing.assert_close(xi_ones, xi_full)


def test_training_outputs_carry_the_mask():
    module = _module().train()
    x = [torch.randn(2, 5, p) for p in [3, 4, 2]]
    mask = torch.ones(2, 5, 3, dtype=torch.bool)
    mask[:, 0, 2] = False
    out = module.forward_train(x, mask=mask)
    assert out.mask.shape == (2, 5, 3)
    assert module.forward_train(x).mask is None


# -- predicting with absent modalities ------------------------------------------


def test_none_and_nan_rows_give_identical_predictions(fitted):
    clf, X, _ = fitted
    nan_block = np.full_like(X[1], np.nan)
    p_none = clf.predict_proba([X[0], None])
    p_nan = clf.predict_proba([X[0], nan_block])
    np.testing.assert_array_equal(p_none, p_nan)
    # Masking changes the predictions.
    assert not np.allclose(p_none, clf.predict_proba(X))
    # Row by row: only the rows marked absent change.
    X1 = X[1].copy()
    X1[:10] = np.nan
    p_rows = clf.predict_proba([X[0], X1])
    np.testing.assert_allclose(p_rows[:10], p_none[:10], rtol=1e-6)
    np.testing.assert_allclose(p_rows[10:], clf.predict_proba(X)[10:], rtol=1e-6)


def test_transform_with_an_absent_modality(fitted):
    clf, X, _ = fitted
    xi = clf.transform([None, X[1]])
    assert xi.shape == (len(X[0]), FAST["latent_dim"])
    assert np.isfinite(xi).all()
    assert not np.allclose(xi, clf.transform(X))


def test_all_estimators_accept_a_none_modality():
    X, y = _data()
    reg = OMIBRegressor(**FAST, random_state=0).fit(X, X[0][:, 0])
    det = OMIBAnomalyDetector(**FAST, random_state=0).fit(X)
    clf = OMIBClassifier(**FAST, random_state=0).fit(X, y)
    for Xm in ([None, X[1]], [X[0], None]):
        assert reg.predict(Xm).shape == (len(y),)
        assert np.isfinite(det.score_samples(Xm)).all()
        assert np.isfinite(det.decision_function(Xm)).all()
        assert set(det.predict(Xm)) <= {-1, 1}
        assert clf.predict(Xm).shape == (len(y),)
        assert np.isfinite(clf.decision_function(Xm)).all()


def test_dict_missing_key_at_predict():
    X, y = _data()
    d = {"a": X[0], "b": X[1]}
    clf = OMIBClassifier(**FAST, random_state=0).fit(d, y)
    np.testing.assert_array_equal(
        clf.predict_proba({"b": X[1]}), clf.predict_proba({"a": None, "b": X[1]})
    )
    np.testing.assert_array_equal(
        clf.predict_proba({"b": X[1]}), clf.predict_proba([None, X[1]])
    )
    with pytest.raises(ValueError, match="unseen at fit time"):
        clf.predict({"b": X[1], "c": X[0]})


# -- errors ---------------------------------------------------------------------


def test_partial_nan_names_modality_and_row(fitted):
    clf, X, y = fitted
    X1 = X[1].copy()
    X1[7, 2] = np.nan
    X1[9, 0] = np.nan
    with pytest.raises(ValueError, match=r"Modality 'm1' contains NaN \(first at row 7, column 2"):
        clf.predict([X[0], X1])
    with pytest.raises(ValueError, match=r"Modality 'm1' contains NaN \(first at row 7, column 2"):
        OMIBClassifier(**FAST).fit([X[0], X1], y)


def test_all_absent_row_is_an_error(fitted):
    clf, X, y = fitted
    X0, X1 = X[0].copy(), X[1].copy()
    X0[4], X1[4] = np.nan, np.nan
    with pytest.raises(ValueError, match="Row 4 has every modality absent"):
        clf.predict([X0, X1])
    with pytest.raises(ValueError, match="Row 4 has every modality absent"):
        OMIBClassifier(**FAST).fit([X0, X1], y)
    with pytest.raises(ValueError, match="Every modality of X is None"):
        clf.predict([None, None])


def test_modality_absent_from_every_row_at_fit():
    X, y = _data()
    with pytest.raises(ValueError, match="Modality 'm1' is None"):
        OMIBClassifier(**FAST).fit([X[0], None], y)
    with pytest.raises(ValueError, match="Modality 'm0' is absent from every row"):
        OMIBClassifier(**FAST).fit([np.full_like(X[0], np.nan), X[1]], y)


def test_infinity_stays_an_error(fitted):
    clf, X, _ = fitted
    X1 = X[1].copy()
    X1[3, 1] = np.inf
    with pytest.raises(ValueError, match="Modality 'm1' contains infinity"):
        clf.predict([X[0], X1])


# -- fitting with absent modalities ------------------------------------------------


def test_fit_with_absent_rows_counts_them():
    X, y = _data()
    X1 = X[1].copy()
    X1[:30] = np.nan
    clf = OMIBClassifier(**FAST, random_state=0).fit(Modalities([X[0], X1]), y)
    np.testing.assert_array_equal(clf.n_samples_per_modality_, [120, 90])
    assert np.isfinite(clf.predict_proba([X[0], X1])).all()
    # Standardization from the present rows only.
    shift = clf.module_.shift1[0, 0].numpy()
    np.testing.assert_allclose(shift, X[1][30:].mean(0), rtol=1e-4, atol=1e-5)
    full = OMIBClassifier(**FAST, random_state=0).fit(X, y)
    np.testing.assert_array_equal(full.n_samples_per_modality_, [120, 120])


def test_fit_with_absent_rows_on_every_estimator():
    X, y = _data()
    X0 = X[0].copy()
    X0[::4] = np.nan
    Xm = [X0, X[1]]
    for est in (OMIBRegressor(**dict(FAST, n_estimators=2), random_state=0),
                OMIBAnomalyDetector(**FAST, random_state=0)):
        target = None if isinstance(est, OMIBAnomalyDetector) else X[1][:, 0]
        est.fit(Xm, target)
        np.testing.assert_array_equal(est.n_samples_per_modality_, [90, 120])
    # The detector's threshold comes from the complete rows.
    complete = ~np.isnan(X0).all(1)
    q1, q3 = np.percentile(-est.score_samples([X0[complete], X[1][complete]]), [25, 75])
    assert est.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)), rel=1e-5)


def test_modality_dropout_keeps_a_modality_in_every_row():
    from omib_sklearn._training import drop_modalities

    torch.manual_seed(0)
    x = [torch.zeros(3, 500, 2) for _ in range(3)]
    present = torch.ones(3, 500, 3, dtype=torch.bool)
    present[:, :100, 0] = False
    out = drop_modalities(x, present, 0.9)
    assert out.any(-1).all()
    assert not (out & ~present).any()
    kept = drop_modalities(x, None, 0.3).float().mean().item()
    assert 0.6 < kept < 0.8


def test_modality_dropout_changes_the_fit():
    X, y = _data()
    params = {**FAST, "max_epochs": 10, "random_state": 0}
    a = OMIBClassifier(**params, modality_dropout=0.0).fit(X, y)
    b = OMIBClassifier(**params, modality_dropout=0.5).fit(X, y)
    assert not np.allclose(a.predict_proba(X), b.predict_proba(X))
    assert b.score([X[0], None], y) > 0.5


# -- modality_importance ----------------------------------------------------------------


@pytest.mark.slow
def test_modality_importance_ranks_noise_last():
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    # Two modalities that each carry part of the signal, and pure noise.
    X = [
        (1.0 * y[:, None] - 0.5) + rng.normal(size=(n, 3)),
        (1.0 * y[:, None] - 0.5) + rng.normal(size=(n, 3)),
        rng.normal(size=(n, 3)),
    ]
    params = dict(FAST, max_epochs=30, lr=3e-3, beta=1e-3)
    clf = OMIBClassifier(**params, random_state=0, modality_dropout=0.3).fit(X, y)
    result = modality_importance(clf, X, y, n_repeats=4, random_state=0)
    assert result.importances.shape == (3, 4)
    assert result.importances_mean.shape == result.importances_std.shape == (3,)
    assert np.argmin(result.importances_mean) == 2
    assert min(result.importances_mean[:2]) > 0.03
    assert result.modality_names == ["m0", "m1", "m2"]
    # Through a Pipeline, with or without steps before the OMIB estimator.
    pipe = make_pipeline(OMIBClassifier(**params, random_state=0, modality_dropout=0.3))
    pipe.fit(X, y)
    piped = modality_importance(pipe, X, y, scoring="accuracy", n_repeats=2, random_state=0)
    assert np.argmin(piped.importances_mean) == 2
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(ModalityTransformer(StandardScaler()),
                         OMIBClassifier(**params, random_state=0, modality_dropout=0.3))
    pipe.fit(X, y)
    piped = modality_importance(pipe, X, y, n_repeats=2, random_state=0)
    assert np.argmin(piped.importances_mean) == 2


def test_modality_importance_needs_two_modalities():
    X, y = _data()
    clf = OMIBClassifier(**FAST, random_state=0).fit([X[0]], y)
    with pytest.raises(ValueError, match="at least two modalities"):
        modality_importance(clf, [X[0]], y)


def test_none_for_a_dataframe_modality_keeps_its_column_names():
    import warnings

    import pandas as pd

    X, y = _data()
    frames = [pd.DataFrame(X[0], columns=["a", "b", "c"]),
              pd.DataFrame(X[1], columns=["d", "e", "f", "g"])]
    clf = OMIBClassifier(**FAST, random_state=0).fit(frames, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = clf.predict_proba((frames[0], None))
    np.testing.assert_array_equal(p, clf.predict_proba([frames[0], np.full((120, 4), np.nan)]))
