"""Small data with the default validation settings: tens of rows, many
classes, classes of one or two rows, inside scikit-learn's model selection."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from omib_sklearn import Modalities, OMIBClassifier, OMIBRegressor

# Default n_estimators, early_stopping, validation_fraction, refit and
# batch_size; small networks, few epochs and a larger step so that each fit
# is fast.
SMALL_NET = dict(max_epochs=60, lr=1e-2, input_weight_decay=0.3, mine_steps=10, encoder_hidden=(16,), embedding_dim=16,
                 latent_dim=8, n_heads=2, random_state=0)


def classes_problem(n_per_class, n_classes, seed=0):
    """Two modalities whose means depend on the class."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centers = rng.normal(scale=2.0, size=(n_classes, 7))
    X = centers[y] + rng.normal(size=(len(y), 7))
    return [X[:, :4], X[:, 4:]], y


@pytest.mark.parametrize("n_per_class, n_classes", [(7, 3), (8, 5), (2, 6)])
def test_small_data_fits_with_default_validation(n_per_class, n_classes):
    X, y = classes_problem(n_per_class, n_classes)
    clf = OMIBClassifier(**SMALL_NET).fit(X, y)
    # five networks, each early-stopped on its own held-out fold
    assert clf.validation_scheme_ == "cross-fit"
    assert clf.module_.n_members == 5
    assert clf.best_epochs_["main"].shape == (5,)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), n_classes)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)


@pytest.mark.slow
def test_forty_rows_of_five_classes_with_all_defaults():
    # The size of many omics studies; this raised a ValueError from inside
    # the early-stopping split with one network and a 10% holdout.
    X, y = classes_problem(8, 5)
    clf = OMIBClassifier(random_state=0).fit(X, y)
    assert clf.validation_scheme_ == "cross-fit"
    assert clf.score(X, y) > 0.9


def test_single_network_on_small_data_chooses_epochs_by_cross_validation():
    X, y = classes_problem(8, 5)
    clf = OMIBClassifier(n_estimators=1, **SMALL_NET).fit(X, y)
    assert clf.validation_scheme_ == "cv"
    assert clf.best_epochs_["main"].shape == (5,)
    median = int(np.round(np.median(clf.best_epochs_["main"])))
    assert clf.n_epochs_["main"] == median  # the refit
    assert clf.module_.n_members == 1


@pytest.mark.slow
def test_small_data_inside_cross_val_score_and_grid_search():
    X, y = classes_problem(8, 5)
    X = Modalities(X)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)  # 6 rows per class to train on
    scores = cross_val_score(OMIBClassifier(**SMALL_NET), X, y, cv=cv)
    assert scores.shape == (4,) and np.all(np.isfinite(scores))
    assert scores.mean() > 0.6  # chance is 0.2
    search = GridSearchCV(OMIBClassifier(**SMALL_NET), {"latent_dim": [4, 8]}, cv=cv,
                          error_score="raise").fit(X, y)
    assert search.best_params_["latent_dim"] in (4, 8)


@pytest.mark.slow
def test_single_row_class_warns_names_it_and_fits():
    X, y = classes_problem(6, 3)
    X = [x[:-5] for x in X]
    y = y[:-5]  # class 2 keeps a single row
    assert np.bincount(y)[2] == 1
    with pytest.warns(UserWarning, match=r"Class 2 of y has a single row.*early_stopping=False"):
        clf = OMIBClassifier(**SMALL_NET).fit(X, y)
    assert clf.predict_proba(X).shape == (len(y), 3)
    # without early stopping there is nothing to hold out and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # 60 epochs
        OMIBClassifier(early_stopping=False, **SMALL_NET).fit(X, y)


def test_small_regression_data():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(25, 3)), rng.normal(size=(25, 2))]
    y = X[0][:, 0] - X[1][:, 1]
    reg = OMIBRegressor(**SMALL_NET).fit(X, y)
    assert reg.validation_scheme_ == "cross-fit"
    assert reg.predict(X).shape == (25,)
