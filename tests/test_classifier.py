"""OMIBClassifier end to end: fit/predict/transform, attributes, inputs, errors."""

import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from omib_sklearn import Modalities, OMIBClassifier
from omib_sklearn.datasets import make_multimodal_classification

FAST = dict(n_estimators=1, max_epochs=4, warmup_epochs=1, mine_steps=20, encoder_hidden=(32,), early_stopping=False,
            embedding_dim=32, latent_dim=8, n_heads=2, batch_size=64)


@pytest.fixture(scope="module")
def sim():
    X, y = make_multimodal_classification(
        n_samples=700, shared_relevant=5, shared_superfluous=5,
        specific_relevant=(5, 3), specific_superfluous=(5, 5), random_state=0)
    train = [x[:500] for x in X], y[:500]
    test = [x[500:] for x in X], y[500:]
    return train, test


@pytest.fixture(scope="module")
def fitted(sim):
    (Xtr, ytr), _ = sim
    return OMIBClassifier(random_state=0, lr=3e-3, **{**FAST, "max_epochs": 8}).fit(Xtr, ytr)


def test_fit_predict_clearly_above_chance(fitted, sim):
    _, (Xte, yte) = sim
    assert fitted.score(Xte, yte) > 0.75
    proba = fitted.predict_proba(Xte)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-10)
    np.testing.assert_array_equal(fitted.classes_[proba.argmax(1)], fitted.predict(Xte))
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(Xte)), proba, rtol=1e-6)


def test_transform_is_the_embedding(fitted, sim):
    _, (Xte, _) = sim
    Z = fitted.transform(Xte)
    assert Z.shape == (200, 8)
    np.testing.assert_array_equal(Z, fitted.transform(Xte))


def test_fitted_attributes(fitted):
    assert fitted.n_modalities_ == 2
    assert fitted.n_features_per_modality_ == [20, 18]
    assert fitted.n_features_in_ == 38
    assert fitted.modality_names_ == ["m0", "m1"]
    low, high = fitted.beta_bounds_
    assert 0 < low <= fitted.beta_ <= high
    info = fitted.information_
    assert info.shape == (2, 2) and np.all(np.diag(info) > 0)
    assert 0 <= info[0, 1] <= min(info[0, 0], info[1, 1])
    assert fitted.r_.shape == (2,) and fitted.r_[0] == 1.0
    assert fitted.r_history_.shape == (8, 2)
    assert len(fitted.history_["warmup"]) == 1 and len(fitted.history_["main"]) == 8
    assert fitted.n_epochs_ == {"warmup": 1, "main": 8}
    assert np.all(np.isfinite([e["train_loss"] for e in fitted.history_["main"]]))


def test_fixed_beta_skips_mine(sim):
    (Xtr, ytr), _ = sim
    clf = OMIBClassifier(beta=1e-3, random_state=0, **FAST).fit(Xtr, ytr)
    assert clf.beta_ == 1e-3 and clf.beta_bounds_ is None and clf.information_ is None


@pytest.mark.parametrize("early_stopping", [False, True])  # True: split, stop, then refit
def test_same_seed_same_predictions(sim, early_stopping):
    (Xtr, ytr), (Xte, _) = sim
    params = {**FAST, "early_stopping": early_stopping}
    a = OMIBClassifier(random_state=3, **params).fit(Xtr, ytr).predict_proba(Xte)
    b = OMIBClassifier(random_state=3, **params).fit(Xtr, ytr).predict_proba(Xte)
    np.testing.assert_array_equal(a, b)


def test_pickle_and_joblib_round_trip(fitted, sim, tmp_path):
    _, (Xte, _) = sim
    expected = fitted.predict_proba(Xte)
    clone = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(clone.predict_proba(Xte), expected)
    joblib.dump(fitted, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(Xte), expected)


def test_string_labels_and_multiclass():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 6)) * 3
    labels = rng.integers(0, 3, 300)
    X1 = centers[labels] + rng.normal(size=(300, 6))
    X2 = rng.normal(size=(300, 4)) + labels[:, None]
    y = np.array(["cat", "dog", "emu"])[labels]
    clf = OMIBClassifier(random_state=0, **{**FAST, "lr": 3e-3, "max_epochs": 10}).fit([X1, X2], y)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert clf.predict_proba([X1, X2]).shape == (300, 3)
    assert clf.score([X1, X2], y) > 0.8


def test_input_forms_agree(sim):
    (Xtr, ytr), (Xte, _) = sim
    ref = OMIBClassifier(random_state=0, **FAST).fit(Xtr, ytr).predict_proba(Xte)
    as_tuple = OMIBClassifier(random_state=0, **FAST).fit(tuple(Xtr), ytr)
    np.testing.assert_array_equal(as_tuple.predict_proba(tuple(Xte)), ref)
    as_dict = OMIBClassifier(random_state=0, **FAST).fit({"a": Xtr[0], "b": Xtr[1]}, ytr)
    assert as_dict.modality_names_ == ["a", "b"]
    np.testing.assert_array_equal(as_dict.predict_proba({"a": Xte[0], "b": Xte[1]}), ref)
    cont = OMIBClassifier(random_state=0, **FAST).fit(Modalities(Xtr), ytr)
    np.testing.assert_array_equal(cont.predict_proba(Modalities(Xte)), ref)
    frames = [pd.DataFrame(x, columns=[f"{k}{j}" for j in range(x.shape[1])]) for k, x in zip("ab", Xtr)]
    as_df = OMIBClassifier(random_state=0, **FAST).fit(frames, ytr)
    assert list(as_df.modality_feature_names_[1][:2]) == ["b0", "b1"]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        proba = as_df.predict_proba(Xte)
    np.testing.assert_array_equal(proba, ref)


def test_single_array_is_one_modality(sim):
    (Xtr, ytr), (Xte, yte) = sim
    clf = OMIBClassifier(random_state=0, **FAST).fit(Xtr[0], ytr)
    assert clf.n_modalities_ == 1 and clf.r_.tolist() == [1.0]
    low, high = clf.beta_bounds_
    assert low == pytest.approx(high) == pytest.approx(1 / clf.information_[0, 0])
    assert clf.predict(Xte[0]).shape == (200,)


def test_user_arrays_are_not_modified(sim):
    (Xtr, ytr), _ = sim
    X64 = [x.copy() for x in Xtr]
    X32 = [x.astype(np.float32) for x in Xtr]
    saved = [x.copy() for x in X64 + X32]
    y = ytr.copy()
    OMIBClassifier(random_state=0, **FAST).fit(X64, y)
    OMIBClassifier(random_state=0, **FAST).fit(X32, y)
    for x, s in zip(X64 + X32, saved):
        np.testing.assert_array_equal(x, s)
    np.testing.assert_array_equal(y, ytr)


@pytest.mark.slow
@pytest.mark.parametrize("refit", [True, False])
def test_early_stopping_per_phase(sim, refit):
    (Xtr, ytr), (Xte, yte) = sim
    # Without modality dropout, which delays the overfitting that stops the phase.
    clf = OMIBClassifier(random_state=0, n_iter_no_change=2, lr=3e-3, input_weight_decay=1.0,
                         refit=refit, modality_dropout=0.0,
                         **{**FAST, "max_epochs": 40, "warmup_epochs": 3,
                            "early_stopping": True}).fit(Xtr, ytr)
    # 500 rows: a 10% split is too small, 5-fold cross-validation chooses the epochs
    assert clf.validation_scheme_ == "cv"
    stopped = clf.early_stopping_history_ if refit else clf.history_
    assert clf.best_epochs_["warmup"].shape == clf.best_epochs_["main"].shape == (5,)
    assert np.all((1 <= clf.best_epochs_["warmup"]) & (clf.best_epochs_["warmup"] <= 3))
    assert np.all(clf.best_epochs_["main"] < len(stopped["main"]))
    assert len(stopped["main"]) < 40
    assert all("valid_loss" in e and "valid_score" in e for e in stopped["main"])
    # each fold's best epoch is the one with its least validation loss
    losses = np.array([e["valid_network_loss"] for e in stopped["main"]])
    np.testing.assert_array_equal(clf.best_epochs_["main"], 1 + np.argmin(losses, axis=0))
    if refit:
        # one network trains on every row, without validation, for the median epochs
        median = {k: int(np.round(np.median(v))) for k, v in clf.best_epochs_.items()}
        assert clf.n_epochs_ == median
        assert not any("valid_loss" in e for e in clf.history_["main"])
        assert set(clf.fit_times_) == {"beta", "warmup", "main", "refit"}
    else:
        assert clf.early_stopping_history_ is None
        assert clf.n_epochs_["main"] == len(stopped["main"])
    assert clf.module_.n_members == 1
    assert clf.score(Xte, yte) > 0.7


@pytest.mark.slow
def test_refit_trains_the_final_network_on_every_row(sim):
    (Xtr, ytr), _ = sim
    params = dict(random_state=0, n_iter_no_change=2, lr=3e-3, input_weight_decay=1.0,
                  **{**FAST, "max_epochs": 12, "early_stopping": True})
    refit = OMIBClassifier(**params).fit(Xtr, ytr)
    kept = OMIBClassifier(refit=False, **params).fit(Xtr, ytr)
    # the standardization of the final network comes from all rows with the
    # refit, from the first fold's training rows without it
    for i, x in enumerate(Xtr):
        np.testing.assert_allclose(getattr(refit.module_, f"shift{i}")[0, 0].numpy(), x.mean(0),
                                   rtol=1e-5, atol=1e-5)
        assert not np.allclose(getattr(kept.module_, f"shift{i}")[0, 0].numpy(), x.mean(0), atol=1e-4)
    # the same early-stopping run chose the epochs in both
    for phase in ("warmup", "main"):
        np.testing.assert_array_equal(refit.best_epochs_[phase], kept.best_epochs_[phase])
    # no held-out rows, no refit
    plain = OMIBClassifier(**{**params, "early_stopping": False}).fit(Xtr, ytr)
    assert plain.best_epochs_ is None and plain.early_stopping_history_ is None
    assert plain.n_epochs_ == {"warmup": 1, "main": 12} and "refit" not in plain.fit_times_


def test_verbose_prints_mine_line_and_epochs(sim, capsys):
    (Xtr, ytr), _ = sim
    OMIBClassifier(random_state=0, verbose=1, **{**FAST, "max_epochs": 2}).fit(Xtr, ytr)
    out = capsys.readouterr().out
    assert "beta bounds" in out and "H_1=" in out and "I_12=" in out
    assert "warmup" in out and "main" in out
    assert "refit" not in out  # FAST has no early stopping, so no refit
    OMIBClassifier(random_state=0, verbose=1,
                   **{**FAST, "max_epochs": 2, "early_stopping": True}).fit(Xtr, ytr)
    assert f"refit on all {len(ytr)} rows" in capsys.readouterr().out


def test_silent_by_default(sim, capsys):
    (Xtr, ytr), _ = sim
    OMIBClassifier(random_state=0, **{**FAST, "max_epochs": 1}).fit(Xtr, ytr)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("verbose", [0, 1])
def test_verbose_shows_each_stage_with_a_progress_bar_per_phase(sim, capsys, verbose):
    (Xtr, ytr), _ = sim
    clf = OMIBClassifier(random_state=0, verbose=verbose, n_iter_no_change=2,
                         **{**FAST, "max_epochs": 3, "early_stopping": True})
    clf.fit(Xtr, ytr)
    out, err = capsys.readouterr()
    if not verbose:
        assert out == "" and err == ""
        return
    # the stages in order on standard output
    stages = ["[OMIB] beta selection: MINE", "[OMIB] MINE (channels)",
              "[OMIB] phase: warmup", "[OMIB] phase: main", "[OMIB] refit on all 500 rows"]
    where = [out.find(stage) for stage in stages]
    assert -1 not in where and where == sorted(where), where
    # a bar per phase on standard error, the refit's phases too, each run to
    # the epochs that ran
    bars = [line.strip() for line in err.replace("\r", "\n").splitlines()]
    n = clf.early_stopping_history_
    for name, epochs in [("warmup", len(n["warmup"])), ("main", len(n["main"])),
                         ("refit warmup", clf.n_epochs_["warmup"]),
                         ("refit main", clf.n_epochs_["main"])]:
        assert any(line.startswith(f"{name}: ") and f"| {epochs}/" in line for line in bars), name
    assert "train_loss=" in err and "valid_loss=" in err
    assert "\x1b[" not in out


def test_verbose_with_a_fixed_beta_says_so(sim, capsys):
    (Xtr, ytr), _ = sim
    OMIBClassifier(random_state=0, verbose=1, beta=1e-3, **{**FAST, "max_epochs": 1}).fit(
        Xtr, ytr)
    out, err = capsys.readouterr()
    assert "[OMIB] beta = 0.001, fixed" in out and "beta selection" not in out
    assert "main: " in err


# -- bad input -------------------------------------------------------------------
@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(40, 3)), rng.normal(size=(40, 2))], np.arange(40) % 2


def test_rows_mismatch_names_counts(small):
    X, y = small
    with pytest.raises(ValueError, match=r"same number of rows.*'m0': 40, 'm1': 30"):
        OMIBClassifier(**FAST).fit([X[0], X[1][:30]], y)


def test_empty_modality_list(small):
    _, y = small
    with pytest.raises(ValueError, match="empty list of modalities"):
        OMIBClassifier(**FAST).fit([], y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_names_the_modality(small, bad):
    X, y = small
    X1 = X[1].copy()
    X1[3, 1] = bad
    with pytest.raises(ValueError, match=r"Modality 'm1'.*(NaN|infinity)"):
        OMIBClassifier(**FAST).fit([X[0], X1], y)


def test_non_numeric_data(small):
    X, y = small
    text = np.array([["a", "b", "c"]] * 40)
    with pytest.raises(ValueError, match=r"Modality 'm0'.*"):
        OMIBClassifier(**FAST).fit([text, X[1]], y)


def test_one_dimensional_modality(small):
    X, y = small
    with pytest.raises(ValueError, match=r"Modality 'm1'.*Expected a 2-dimensional|Modality 'm1'.*2D"):
        OMIBClassifier(**FAST).fit([X[0], X[1][:, 0]], y)


def test_wrong_length_y(small):
    X, y = small
    with pytest.raises(ValueError, match="y has 39 labels, but the modalities have 40 rows"):
        OMIBClassifier(**FAST).fit(X, y[:39])


def test_single_class(small):
    X, _ = small
    with pytest.raises(ValueError, match="greater than one"):
        OMIBClassifier(**FAST).fit(X, np.zeros(40))


def test_not_fitted(small):
    X, _ = small
    for method in ("predict", "predict_proba", "transform"):
        with pytest.raises(NotFittedError):
            getattr(OMIBClassifier(), method)(X)


def test_predict_with_other_layout(small):
    X, y = small
    clf = OMIBClassifier(random_state=0, **{**FAST, "max_epochs": 1}).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 modalities, but OMIBClassifier was fitted with 2"):
        clf.predict([X[0], X[1], X[1]])
    with pytest.raises(ValueError, match=r"Modality 1 \('m1'\) has 3 features, but OMIBClassifier was fitted with 2"):
        clf.predict([X[0], X[0]])


def test_latent_dim_must_divide_heads(small):
    X, y = small
    with pytest.raises(ValueError, match="divisible by n_heads"):
        OMIBClassifier(**{**FAST, "latent_dim": 6, "n_heads": 4}).fit(X, y)


def test_invalid_parameter_type(small):
    X, y = small
    with pytest.raises(ValueError, match="beta"):
        OMIBClassifier(beta="big").fit(X, y)


def test_progress_log_numbers_epochs_per_phase_without_colour_codes(sim, capsys):
    # Captured output is not a terminal: no ANSI colour codes.
    (Xtr, ytr), _ = sim
    OMIBClassifier(random_state=0, verbose=1, **{**FAST, "max_epochs": 3}).fit(Xtr, ytr)
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    # warm-up epoch 1, then the main phase counts from 1 again
    assert [int(r[0]) for r in rows] == [1, 1, 2, 3]


def test_refit_is_one_line_in_the_log(sim, capsys):
    (Xtr, ytr), _ = sim
    OMIBClassifier(random_state=0, verbose=1, n_iter_no_change=2,
                   **{**FAST, "max_epochs": 3, "early_stopping": True}).fit(Xtr, ytr)
    out = capsys.readouterr().out
    refit = [line for line in out.splitlines() if "refit" in line]
    assert len(refit) == 1 and refit[0].startswith("[OMIB] refit on all 500 rows")
    # the refit's epochs are not printed: its line closes the log
    assert out.splitlines()[-1] == refit[0]


@pytest.mark.slow
def test_convergence_warning_when_max_epochs_ends_an_improving_run(sim):
    (Xtr, ytr), _ = sim
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        OMIBClassifier(random_state=0, **{**FAST, "max_epochs": 2}).fit(Xtr, ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # a run that early stopping ended
        clf = OMIBClassifier(random_state=0, n_iter_no_change=1, tol=10.0, lr=3e-3,
                             **{**FAST, "max_epochs": 60, "early_stopping": True}).fit(Xtr, ytr)
    assert clf.n_epochs_["main"] < 60 or clf.best_epochs_["main"].max() < 60
