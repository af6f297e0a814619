"""Which rows each network trains on and which rows early-stop it."""

import numpy as np
import pytest

from omib_sklearn._row_plan import MIN_HOLDOUT_ROWS, SMALL_DATA_FOLDS, assign_folds, plan_rows


def _plan(n, labels=None, **kw):
    params = dict(n_estimators=5, early_stopping=True, validation_fraction=0.1, refit=True,
                  stratify=labels is not None, random_state=np.random.RandomState(0))
    params.update(kw)
    return plan_rows(n, labels, **params)


def test_folds_are_stratified_and_balanced():
    labels = np.repeat([0, 1, 2], [50, 30, 7])
    folds = assign_folds(len(labels), labels, 5, np.random.RandomState(0))
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 1
    for c in range(3):
        per_fold = np.bincount(folds[labels == c], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1


def test_single_row_classes_are_never_held_out():
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    folds = assign_folds(len(labels), labels, 3, np.random.RandomState(0))
    assert folds[6] == -1 and np.all(folds[:6] >= 0)


def test_cross_fit_holds_out_every_row_once():
    labels = np.repeat(np.arange(4), 25)
    plan = _plan(100, labels)
    assert plan.scheme == "cross-fit" and not plan.refit
    assert len(plan.train) == len(plan.valid) == 5
    held = np.concatenate(plan.valid)
    np.testing.assert_array_equal(np.sort(held), np.arange(100))
    for train, valid in zip(plan.train, plan.valid):
        assert len(np.intersect1d(train, valid)) == 0
        assert len(train) + len(valid) == 100
        # every class in every fold
        assert set(labels[valid]) == set(range(4))


def test_more_networks_than_rows_share_folds():
    plan = _plan(3, None, n_estimators=5)
    assert len(plan.train) == 5
    assert [len(v) for v in plan.valid] == [1, 1, 1, 1, 1]
    np.testing.assert_array_equal(plan.valid[3], plan.valid[0])


def test_single_network_holdout_on_large_data():
    n = 20 * MIN_HOLDOUT_ROWS
    labels = np.arange(n) % 3
    plan = _plan(n, labels, n_estimators=1)
    assert plan.scheme == "holdout" and plan.refit
    assert len(plan.valid[0]) == n // 10
    assert len(plan.train[0]) + len(plan.valid[0]) == n


@pytest.mark.parametrize("n,n_classes", [(20, 3), (40, 5), (300, 10), (40, None)])
def test_single_network_on_small_data_uses_cross_validation(n, n_classes):
    labels = None if n_classes is None else np.arange(n) % n_classes
    plan = _plan(n, labels, n_estimators=1)
    assert plan.scheme == "cv" and plan.refit
    folds = min(SMALL_DATA_FOLDS, n // (n_classes or 1))
    assert len(plan.valid) == SMALL_DATA_FOLDS
    assert len({tuple(v) for v in plan.valid}) == folds


def test_holdout_that_cannot_hold_every_class_falls_back():
    # 2,000 rows: a 10% split holds 200 rows, fewer than the 300 classes.
    labels = np.arange(2000) % 300
    assert _plan(2000, labels, n_estimators=1).scheme == "cv"


def test_no_early_stopping_trains_every_network_on_every_row():
    plan = _plan(30, None, early_stopping=False, n_estimators=3)
    assert plan.scheme == "none" and plan.valid is None and not plan.refit
    assert all(len(t) == 30 for t in plan.train) and len(plan.train) == 3


def test_only_single_row_classes_means_no_early_stopping():
    plan = _plan(3, np.array([0, 1, 2]))
    assert plan.scheme == "none"
