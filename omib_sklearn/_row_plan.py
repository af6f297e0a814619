"""Which rows each network trains on and which rows early-stop it.

Stage 3 of the data path: validate -> choose beta -> **assign rows** ->
train (warm-up, main) -> refit -> transform / predict.

- ``n_estimators >= 2`` (cross-fitting): the rows are split into
  ``n_estimators`` folds, stratified by class for classifiers; network k
  trains on every fold but the k-th and is early-stopped on it. Every row
  trains all networks but one, so no refit is needed.
- ``n_estimators = 1``: one split holds out ``validation_fraction`` of the
  rows; the network is then retrained on every row for the epochs early
  stopping chose (``refit``). Where that split would hold out fewer than
  ``MIN_HOLDOUT_ROWS`` rows (or not every class) it is too small to choose
  the epochs reliably, and K-fold cross-validation chooses them instead.
- Without early stopping every network trains on every row.

A class with a single row cannot be both trained on and held out; it is
never held out.
"""

import math
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

#: Fewest held-out rows with which one split chooses the epochs of a single
#: network; below it, K-fold cross-validation does.
MIN_HOLDOUT_ROWS = 100

#: Folds of that cross-validation.
SMALL_DATA_FOLDS = 5


@dataclass
class RowPlan:
    """The rows of each network of the (first) training run.

    Attributes
    ----------
    scheme : {"cross-fit", "holdout", "cv", "none"}
    train : list of ndarray
        Training rows of each network.
    valid : list of ndarray or None
        Held-out rows of each network (None without early stopping).
    refit : bool
        Whether a single network is then trained on every row for the
        epochs that early stopping chose.
    """

    scheme: str
    train: list
    valid: list = None
    refit: bool = False

    def describe(self):
        if self.scheme == "cross-fit":
            sizes = sorted({len(v) for v in self.valid})
            return (f"{len(self.train)} networks cross-fitted on {len(self.train)} folds "
                    f"(each early-stopped on its held-out fold of {_span(sizes)} rows)")
        if self.scheme == "holdout":
            return f"one network early-stopped on {len(self.valid[0])} held-out rows"
        if self.scheme == "cv":
            return (f"{len(self.train)}-fold cross-validation chooses the epochs "
                    "(a single held-out split would be too small)")
        return f"{len(self.train)} network(s) trained on every row, without early stopping"


def _span(sizes):
    return str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"


def plan_rows(n_samples, target, *, n_estimators, early_stopping, validation_fraction,
              refit, stratify, random_state):
    """Assign the rows of every network.

    Parameters
    ----------
    n_samples : int
    target : ndarray of shape (n_samples,) or None
        Encoded class labels 0..C-1 when ``stratify``.
    n_estimators : int
    early_stopping : bool
    validation_fraction : float
    refit : bool
    stratify : bool
    random_state : RandomState

    Returns
    -------
    RowPlan
    """
    rows = np.arange(n_samples)
    if not early_stopping:
        return RowPlan("none", [rows] * n_estimators)
    labels = target if stratify else None
    if n_estimators > 1:
        folds = assign_folds(n_samples, labels, n_estimators, random_state)
        return _cross_fit(rows, folds, n_estimators, "cross-fit", refit=False)
    holdable = rows if labels is None else rows[np.bincount(labels)[labels] >= 2]
    n_classes = 1 if labels is None else len(np.unique(labels[holdable]))
    n_valid = math.ceil(validation_fraction * len(holdable))
    if n_valid >= max(MIN_HOLDOUT_ROWS, n_classes) and len(holdable) - n_valid >= n_classes:
        train, valid = train_test_split(
            holdable, test_size=n_valid, random_state=random_state.randint(2**31 - 1),
            stratify=None if labels is None else labels[holdable],
        )
        train = np.sort(np.concatenate([train, np.setdiff1d(rows, holdable)]))
        return RowPlan("holdout", [train], [np.sort(valid)], refit=refit)
    folds = assign_folds(n_samples, labels, SMALL_DATA_FOLDS, random_state)
    return _cross_fit(rows, folds, SMALL_DATA_FOLDS, "cv", refit=refit)


def _cross_fit(rows, folds, n_networks, scheme, refit):
    n_folds = folds.max() + 1
    if n_folds < 1:
        return RowPlan("none", [rows] * n_networks)
    # With fewer rows than networks, networks share folds (with other seeds).
    valid = [rows[folds == k % n_folds] for k in range(n_networks)]
    train = [rows[folds != k % n_folds] for k in range(n_networks)]
    return RowPlan(scheme, train, valid, refit=refit)


def assign_folds(n_samples, labels, n_folds, random_state):
    """Fold index of every row: a shuffled, stratified round robin.

    Each class's rows (all rows when ``labels`` is None) are shuffled and
    dealt to the folds in turn, continuing where the previous class stopped,
    so that fold sizes differ by at most one and every class is spread over
    as many folds as it has rows. Rows of a class with a single row get
    fold -1: they are never held out.
    """
    folds = np.full(n_samples, -1)
    groups = [np.arange(n_samples)] if labels is None else [
        np.flatnonzero(labels == c) for c in np.unique(labels)
    ]
    start = 0
    for group in groups:
        if len(group) < 2:
            continue
        group = random_state.permutation(group)
        folds[group] = (start + np.arange(len(group))) % n_folds
        start = (start + len(group)) % n_folds
    return folds
