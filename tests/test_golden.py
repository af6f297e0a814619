"""Predictions pinned across refactors: fits with fixed seeds must give the
predictions recorded in ``tests/data/golden.npz``.

The fits cover both phases, the MINE choice of beta, the three validation
schemes with early stopping and the refit, weight averaging, ``dynamic_r``
and Deep SVDD. The numbers depend on torch's floating-point kernels, so the
comparison runs only with the torch release that recorded them (stored in
the file), with one BLAS thread (the information estimates' linear algebra
rounds differently with two: beta moves by 1e-6); rewrite the file with
``python tests/test_golden.py`` when a change of the predictions is
intended, and say why in the changelog.
"""

import os
import sys

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from omib_sklearn import OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor
from omib_sklearn.datasets import make_multimodal_classification

PATH = os.path.join(os.path.dirname(__file__), "data", "golden.npz")
SMALL = dict(encoder_hidden=(32,), embedding_dim=32, latent_dim=8, n_heads=2,
             mine_steps=20, batch_size=64, modality_dropout=0.0, random_state=0)


def _torch_release():
    return ".".join(torch.__version__.split("+")[0].split(".")[:2])


def golden_fits():
    """name -> predictions of each pinned fit."""
    with threadpool_limits(limits=1):
        return _fits()


def _fits():
    X, y = make_multimodal_classification(n_samples=300, random_state=0)[:2]
    out = {}
    clf = OMIBClassifier(n_estimators=3, max_epochs=12, dynamic_r=True, **SMALL).fit(X, y)
    out["classifier_crossfit_proba"] = clf.predict_proba(X)
    out["classifier_crossfit_xi"] = clf.transform(X)
    out["classifier_crossfit_beta"] = np.array([clf.beta_])
    clf = OMIBClassifier(n_estimators=1, max_epochs=8, **SMALL).fit(
        [x[:60] for x in X], y[:60])
    out["classifier_cv_refit_proba"] = clf.predict_proba(X)
    rng = np.random.default_rng(0)
    target = X[0][:, 0] - 2 * X[1][:, 1] + 0.1 * rng.normal(size=len(y))
    reg = OMIBRegressor(n_estimators=2, max_epochs=10, **SMALL).fit(X, target)
    out["regressor_predict"] = reg.predict(X)
    reg = OMIBRegressor(n_estimators=1, max_epochs=6, validation_fraction=0.4, **SMALL).fit(
        X, target)
    out["regressor_holdout_predict"] = reg.predict(X)
    det = OMIBAnomalyDetector(n_estimators=2, max_epochs=6, **SMALL).fit(X)
    out["detector_score_samples"] = det.score_samples(X)
    out["detector_center"] = det.center_
    return out


def test_predictions_match_the_recorded_ones():
    if not os.path.exists(PATH):
        pytest.fail(f"{PATH} is missing: run python tests/test_golden.py")
    recorded = np.load(PATH)
    if str(recorded["torch_release"]) != _torch_release():
        pytest.skip(f"recorded with torch {recorded['torch_release']}, running {_torch_release()}")
    torch.set_num_threads(1)
    got = golden_fits()
    assert sorted(got) == sorted(k for k in recorded.files if k != "torch_release")
    for name, value in got.items():
        np.testing.assert_allclose(value, recorded[name], rtol=1e-5, atol=1e-6, err_msg=name)


if __name__ == "__main__":
    torch.set_num_threads(1)
    fits = golden_fits()
    np.savez(PATH, torch_release=np.array(_torch_release()), **fits)
    print(f"wrote {PATH}: " + ", ".join(f"{k} {v.shape}" for k, v in fits.items()), file=sys.stderr)
