"""Predictions pinned across refactors: fits with fixed seeds must give the
predictions recorded in ``tests/data/golden.npz``.

The fits cover both phases, the MINE choice of beta, the three validation
schemes with early stopping and the refit, weight averaging, ``dynamic_r``
and Deep SVDD. The numbers depend on torch's floating-point kernels, so the
comparison runs only with the torch release that recorded them (stored in
the file). Within a release they still depend on the CPU and the thread
count: the information estimates' linear algebra rounds differently, beta
moves by 1.2e-6 (0.2% relative) and the cross-fitted probabilities by
7.6e-5, both on another x86 CPU and here with two threads instead of one
(the embeddings xi by 1.5e-3 with two threads; the other arrays by at most
3e-7). The comparison therefore allows ``TOLERANCE``: 2e-3 on
probabilities, predictions and scores (26 times the largest difference
measured), 2e-2 on xi (13 times), 2% relative on beta (10 times), 2e-5 on
the Deep SVDD centres (entries of about 1e-3, unchanged with two threads).
A different seed moves every array far beyond its tolerance (the
probabilities by 4e-2 to 0.13); a learning rate 5% higher (3.15e-4) is
caught by the regressors' predictions (5e-3), though the classifiers'
probabilities move by only 5e-4; a change as small as one MINE step more
(beta by 0.02%, the probabilities by 1e-8) passes, as it would pass within
the rounding of another CPU.

Exact equality on one machine is what a refactor should keep:
``scripts/golden_compare.sh REV_A [REV_B]`` runs these fits in two
revisions and requires identical outputs. Rewrite the recorded file with
``python tests/test_golden.py`` when a change of the predictions is
intended, and say why in the changelog; ``python tests/test_golden.py --out
FILE.npz`` writes the fits to FILE instead.
"""

import os
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from omib_sklearn import OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor
from omib_sklearn.datasets import make_multimodal_classification

PATH = os.path.join(os.path.dirname(__file__), "data", "golden.npz")
SMALL = dict(encoder_hidden=(32,), embedding_dim=32, latent_dim=8, n_heads=2,
             mine_steps=20, batch_size=64, modality_dropout=0.0, random_state=0)

# Tolerances that hold across CPUs and thread counts with a wide margin (see
# the module docstring for the measured differences) and still catch changes.
TOLERANCE = {
    "classifier_crossfit_proba": dict(rtol=0, atol=2e-3),
    "classifier_crossfit_xi": dict(rtol=0, atol=2e-2),
    "classifier_crossfit_beta": dict(rtol=2e-2, atol=0),
    "classifier_cv_refit_proba": dict(rtol=0, atol=2e-3),
    "regressor_predict": dict(rtol=0, atol=2e-3),
    "regressor_holdout_predict": dict(rtol=0, atol=2e-3),
    "detector_score_samples": dict(rtol=0, atol=2e-3),
    "detector_center": dict(rtol=0, atol=2e-5),
}


def _torch_release():
    return ".".join(torch.__version__.split("+")[0].split(".")[:2])


def golden_fits(threads=1):
    """name -> predictions of each pinned fit, with ``threads`` BLAS and torch threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            return _fits()
    finally:
        torch.set_num_threads(before)


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


@pytest.mark.slow
def test_predictions_match_the_recorded_ones():
    if not os.path.exists(PATH):
        pytest.fail(f"{PATH} is missing: run python tests/test_golden.py")
    recorded = np.load(PATH)
    if str(recorded["torch_release"]) != _torch_release():
        pytest.skip(f"recorded with torch {recorded['torch_release']}, running {_torch_release()}")
    got = golden_fits()
    assert sorted(got) == sorted(TOLERANCE)
    assert sorted(got) == sorted(k for k in recorded.files if k != "torch_release")
    for name, value in got.items():
        np.testing.assert_allclose(value, recorded[name], **TOLERANCE[name], err_msg=name)


def main(argv=None):
    """Write the golden fits: to ``tests/data/golden.npz`` by default (the
    recorded values), or to ``--out FILE`` (for comparisons, e.g. by
    ``scripts/golden_compare.sh``), leaving the recorded file untouched."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--out", default=PATH, help="where to write the fits (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and torch threads (default: 1, as recorded)")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the fits are short on purpose
        fits = golden_fits(threads=args.threads)
    np.savez(args.out, torch_release=np.array(_torch_release()), **fits)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v.shape}" for k, v in fits.items()),
          file=sys.stderr)


if __name__ == "__main__":
    main()
