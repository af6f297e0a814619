"""
Absent modalities
=================

Predicting without a modality, fitting with rows that lack one, and the
importance of each modality.

A modality is absent when it is passed as ``None`` (for every row), left out
of a dict, or, row by row, when its block is entirely NaN in that row.
``modality_dropout`` trains the networks to predict from any subset of the
modalities. Takes about 20 seconds of CPU time.
"""

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from omib_sklearn import OMIBClassifier
from omib_sklearn.datasets import make_multimodal_classification
from omib_sklearn.inspection import modality_importance

torch.set_num_threads(1)
# 40 epochs keep the example short; the networks would improve a little more.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_multimodal_classification(
    n_samples=1200, shared_relevant=10, shared_superfluous=10,
    specific_relevant=(10, 10), specific_superfluous=(10, 10), random_state=0,
)
idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0)
X_train, X_test = [x[idx_train] for x in X], [x[idx_test] for x in X]
y_train, y_test = y[idx_train], y[idx_test]
params = dict(n_estimators=2, max_epochs=40, encoder_hidden=(64,), embedding_dim=64,
              latent_dim=16, random_state=0)

# 1. Trained on complete rows, predicting with a modality absent.
for p in (0.0, 0.3):
    clf = OMIBClassifier(modality_dropout=p, **params).fit(X_train, y_train)
    print(f"modality_dropout={p}: all present {clf.score(X_test, y_test):.3f}, "
          f"m0 absent {clf.score([None, X_test[1]], y_test):.3f}, "
          f"m1 absent {clf.score([X_test[0], None], y_test):.3f}")
for m in range(2):
    lr = LogisticRegression(max_iter=2000).fit(X_train[m], y_train)
    print(f"logistic regression on m{m} alone: {lr.score(X_test[m], y_test):.3f}")

# 2. Fitting with rows that lack a modality: mark them with NaN.
rng = np.random.default_rng(0)
X_missing = [x.copy() for x in X_train]
lose = rng.choice(len(y_train), int(0.3 * len(y_train)), replace=False)
X_missing[1][lose] = np.nan
clf_missing = OMIBClassifier(modality_dropout=0.3, **params).fit(X_missing, y_train)
print("rows per modality:", clf_missing.n_samples_per_modality_,
      f"test accuracy {clf_missing.score(X_test, y_test):.3f}")

# 3. The drop in accuracy when each modality is absent.
result = modality_importance(clf, X_test, y_test, n_repeats=5, random_state=0)
for name, mean, std in zip(result.modality_names, result.importances_mean,
                           result.importances_std):
    print(f"importance of {name}: {mean:.3f} +- {std:.3f}")
