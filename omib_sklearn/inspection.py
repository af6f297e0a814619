"""Inspection of fitted OMIB models: the importance of each modality."""

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state

from ._container import Modalities, default_names, take_rows
from ._input_forms import column_blocks, split_modalities

__all__ = ["modality_importance"]


def modality_importance(estimator, X, y=None, *, scoring=None, n_repeats=5, random_state=None):
    """Importance of each modality: the drop in score when it is absent.

    The multimodal counterpart of
    :func:`sklearn.inspection.permutation_importance`: instead of permuting
    a column, a whole modality is masked (the model predicts without it; see
    ``docs/missing_modalities.md``). The spread comes from resampling the
    rows with replacement (bootstrap): on each of ``n_repeats`` resamples,
    the importance of modality m is the score with every modality minus the
    score with m absent, on the same rows.

    Parameters
    ----------
    estimator : estimator
        A fitted OMIB estimator, or a fitted :class:`~sklearn.pipeline.Pipeline`
        whose last step is one.
    X : list, tuple or dict of array-like, Modalities, or array-like
        The modalities, laid out as in ``fit``; one 2-D array is split by the
        ``modalities`` parameter of the OMIB estimator.
    y : array-like of shape (n_samples,) or None
        Targets (None for scorers that take none).
    scoring : str, callable or None, default=None
        Scorer (as in ``permutation_importance``); None uses the estimator's
        ``score``.
    n_repeats : int, default=5
        Number of bootstrap resamples of the rows.
    random_state : int, RandomState instance or None, default=None
        Seed of the resampling.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        importances_mean : ndarray of shape (n_modalities,)
            Mean over the resamples of the drop in score, per modality.
        importances_std : ndarray of shape (n_modalities,)
            Standard deviation over the resamples.
        importances : ndarray of shape (n_modalities, n_repeats)
            The drop in score on each resample.
        baseline_score : float
            The score with every modality, on all rows.
        modality_names : list of str
            The modalities, in the order of the importances.

    Notes
    -----
    A modality is masked by passing ``None`` in its place (a list, tuple or
    dict) or, for a :class:`~omib_sklearn.Modalities` container, one array
    split by ``modalities=``, and a Pipeline with steps before the OMIB
    estimator, by setting its values to NaN (NaN rows are absent rows, and
    scikit-learn's scalers pass NaN through). Every row must keep at least
    one modality when one is masked, so X needs two modalities or more.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn import OMIBClassifier
    >>> from omib_sklearn.inspection import modality_importance
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> X = [y[:, None] + rng.normal(size=(200, 3)), rng.normal(size=(200, 3))]
    >>> clf = OMIBClassifier(n_estimators=1, max_epochs=20, early_stopping=False,
    ...                      beta=1e-3, random_state=0).fit(X, y)
    >>> result = modality_importance(clf, X, y, random_state=0)
    >>> result.importances_mean.shape
    (2,)
    """
    last = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    n_steps = len(estimator.steps) if isinstance(estimator, Pipeline) else 1
    scorer = check_scoring(estimator, scoring=scoring)
    masker = _Masker(X, last, use_nan=n_steps > 1)
    if masker.n_modalities < 2:
        raise ValueError(
            "modality_importance masks one modality at a time and needs X with at least "
            f"two modalities, got {masker.n_modalities}."
        )
    y = None if y is None else np.asarray(y)
    rng = check_random_state(random_state)
    n = masker.n_samples
    baseline = float(_score(scorer, estimator, X, y))
    importances = np.zeros((masker.n_modalities, n_repeats))
    for r in range(n_repeats):
        rows = rng.randint(0, n, n)
        y_r = None if y is None else y[rows]
        full = _score(scorer, estimator, masker.rows(X, rows), y_r)
        for m in range(masker.n_modalities):
            masked = masker.mask(masker.rows(X, rows), m)
            importances[m, r] = full - _score(scorer, estimator, masked, y_r)
    return Bunch(
        importances_mean=importances.mean(axis=1),
        importances_std=importances.std(axis=1),
        importances=importances,
        baseline_score=baseline,
        modality_names=masker.names,
    )


def _score(scorer, estimator, X, y):
    return scorer(estimator, X) if y is None else scorer(estimator, X, y)


class _Masker:
    """Row selection and masking of one modality for each input form."""

    def __init__(self, X, omib, use_nan):
        self.use_nan = use_nan
        parts = split_modalities(X) if not _has_none(X) else _parts_with_none(X)
        if parts is None:
            # One 2-D array split by the estimator's ``modalities``.
            arr = X
            columns = getattr(arr, "columns", None)
            names = None if columns is None else np.asarray(columns, dtype=object)
            self.blocks = column_blocks(
                getattr(omib, "modalities", None), np.shape(arr)[1], names
            )
            self.names = default_names(len(self.blocks))
            self.n_samples = np.shape(arr)[0]
        else:
            arrays, self.names = parts
            self.blocks = None
            self.n_samples = next(
                a.shape[0] if sp.issparse(a) else len(a) for a in arrays if a is not None
            )
        self.n_modalities = len(self.names)

    def rows(self, X, rows):
        if isinstance(X, Modalities):
            return X[rows]
        if isinstance(X, Mapping):
            return type(X)({k: _take(a, rows) for k, a in X.items()})
        if isinstance(X, (list, tuple)):
            return type(X)(_take(a, rows) for a in X)
        return _take(X, rows)

    def mask(self, X, m):
        if self.blocks is not None:
            out = X.copy() if hasattr(X, "iloc") else np.array(X, dtype=np.float64)
            if hasattr(out, "iloc"):
                out.iloc[:, self.blocks[m]] = np.nan
            else:
                out[:, self.blocks[m]] = np.nan
            return out
        if isinstance(X, Modalities):
            data = list(X.data)
            if sp.issparse(data[m]) and not self.use_nan:
                # NaN cannot mark a sparse modality absent: None, in a dict.
                data[m] = None
                return dict(zip(X.names, data))
            data[m] = _nan_like(data[m])
            return Modalities(data, names=list(X.names))
        if isinstance(X, Mapping):
            key = list(X)[m]
            out = dict(X)
            out[key] = _nan_like(out[key]) if self.use_nan else None
            return type(X)(out) if not isinstance(X, dict) else out
        out = list(X)
        out[m] = _nan_like(out[m]) if self.use_nan else None
        return type(X)(out)


def _has_none(X):
    values = X.values() if isinstance(X, Mapping) else X if isinstance(X, (list, tuple)) else []
    return any(a is None for a in values)


def _parts_with_none(X):
    if isinstance(X, Mapping):
        return list(X.values()), [str(k) for k in X]
    return list(X), default_names(len(X))


def _take(a, rows):
    if a is None:
        return None
    if hasattr(a, "iloc") or sp.issparse(a):
        return take_rows(a, rows)
    return np.asarray(a)[rows]


def _nan_like(a):
    if hasattr(a, "iloc"):
        out = a.astype(np.float64, copy=True)
        out.iloc[:, :] = np.nan
        return out
    return np.full(np.shape(a), np.nan)
