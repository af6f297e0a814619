"""The fusion learns what lies across modalities.

On an XOR of two modalities each modality alone, and any linear model of
both, is at chance; only a model that combines the modalities nonlinearly
predicts it. A fit of the default architecture (small widths, a high
learning rate, so that it is fast) must learn it.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from omib_sklearn import OMIBClassifier

FAST_XOR = dict(beta=1e-4, n_estimators=1, early_stopping=False, max_epochs=20,
                batch_size=32, lr=1e-2, input_weight_decay=0.0, encoder_hidden=(32,),
                embedding_dim=32, latent_dim=8, n_heads=2, head_hidden=32, mine_steps=5,
                random_state=0)


def xor(n, rng):
    X1, X2 = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    y = ((X1[:, 0] > 0) ^ (X2[:, 0] > 0)).astype(int)
    return [X1, X2], y


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return xor(300, rng), xor(1000, rng)


def test_xor_of_two_modalities_is_learned(data):
    (X, y), (X_test, y_test) = data
    clf = OMIBClassifier(**FAST_XOR).fit(X, y)
    assert clf.score(X_test, y_test) > 0.85
    # What a model without cross-modal interactions gets.
    linear = LogisticRegression().fit(np.hstack(X), y)
    assert linear.score(np.hstack(X_test), y_test) < 0.6


def test_xor_needs_both_modalities(data):
    # The control: with the second modality replaced by noise the same fit
    # is at chance, so the test above passes only through the fusion.
    (X, y), (X_test, y_test) = data
    rng = np.random.default_rng(1)
    noise = [X[0], rng.normal(size=X[1].shape)]
    noise_test = [X_test[0], rng.normal(size=X_test[1].shape)]
    clf = OMIBClassifier(**FAST_XOR).fit(noise, y)
    assert clf.score(noise_test, y_test) < 0.6
