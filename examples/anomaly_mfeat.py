"""
One-class anomaly detection on UCI Multiple Features with two views
===================================================================

The bundled UCI Multiple Features data describes 2,000 handwritten digits by
several feature sets; we use two of them as modalities: Fourier coefficients
of the character shapes (76) and pixel averages (240).

One-class protocol, for each digit d: fit on 150 samples of d only; test on
the 50 held-out samples of d plus 50 samples of the other digits, which play
the anomalies. Metrics: ROC AUC of the anomaly score and the paper's F1 (flag
as many samples as there are anomalies, i.e. the 50 highest scores; F1 of the
anomaly class), averaged over the ten digits. Baselines: IsolationForest and
OneClassSVM on the standardized concatenation of the two views.

OMIBAnomalyDetector follows scikit-learn's outlier API: ``score_samples`` is
higher for more normal samples and ``predict`` returns +1 / -1.
"""

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from omib_sklearn import OMIBAnomalyDetector
from omib_sklearn.datasets import load_multiple_features

(fou, pix), digits = load_multiple_features(views=("fou", "pix"), return_X_y=True)
concat = np.hstack([fou, pix])


def split(digit, rng):
    normal = rng.permutation(np.flatnonzero(digits == digit))
    others = rng.choice(np.flatnonzero(digits != digit), 50, replace=False)
    test = np.concatenate([normal[150:200], others])
    return normal[:150], test, np.r_[np.zeros(50, int), np.ones(50, int)]


def top_k_f1(is_anomaly, anomaly_score):
    flagged = np.zeros_like(is_anomaly)
    flagged[np.argsort(-anomaly_score, kind="stable")[: is_anomaly.sum()]] = 1
    return f1_score(is_anomaly, flagged)


models = {
    "IsolationForest": lambda: make_pipeline(
        StandardScaler(), IsolationForest(n_estimators=200, random_state=0)),
    "OneClassSVM": lambda: make_pipeline(StandardScaler(), OneClassSVM(nu=0.1)),
    "OMIBAnomalyDetector": lambda: OMIBAnomalyDetector(random_state=0),
}
results = {name: [] for name in models}
for digit in range(10):
    train, test, is_anomaly = split(digit, np.random.default_rng(digit))
    for name, make in models.items():
        if name.startswith("OMIB"):
            model = make().fit([fou[train], pix[train]])
            normality = model.score_samples([fou[test], pix[test]])
        else:
            model = make().fit(concat[train])
            normality = model.score_samples(concat[test])
        results[name].append(
            (roc_auc_score(is_anomaly, -normality), top_k_f1(is_anomaly, -normality)))

print(f"{'model (mean over ten digits)':30s} {'ROC AUC':>8s} {'F1':>8s}")
for name, values in results.items():
    auc, f1 = np.mean(values, axis=0)
    print(f"{name:30s} {auc:8.3f} {f1:8.3f}")

# The last detector: sklearn labels and the PyOD-style attributes.
print(f"\ndigit 9: {np.mean(model.predict([fou[test], pix[test]])[50:] == -1):.0%} of the "
      f"anomalies flagged by predict; {model.labels_.mean():.0%} of the training "
      f"samples flagged (labels_, contamination='auto')")
