"""UCI Multiple Features (handwritten digits, six views), bundled."""

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

VIEWS = {
    "fou": "Fourier coefficients of the character shapes",
    "fac": "profile correlations",
    "kar": "Karhunen-Loeve coefficients",
    "pix": "pixel averages in 2 x 3 windows",
    "zer": "Zernike moments",
    "mor": "morphological features",
}


def load_multiple_features(views=("fou", "pix"), *, return_X_y=False, as_frame=False):
    """Load UCI Multiple Features: 2,000 handwritten digits, up to six views.

    ========================  =====================================
    Samples                   2,000 (200 per digit 0-9)
    Views (columns)           fou (76), fac (216), kar (64),
                              pix (240), zer (47), mor (6)
    ========================  =====================================

    Source: Robert P.W. Duin, Delft University of Technology; UCI Machine
    Learning Repository, "Multiple Features", DOI 10.24432/C5HC70. License:
    CC BY 4.0. Reference: van Breukelen, Duin, Tax, den Hartog, "Handwritten
    digit recognition by combined classifiers", Kybernetika 34(4), 1998.

    Parameters
    ----------
    views : sequence of str, default=("fou", "pix")
        Which views to return, in this order.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        Return each view as a pandas DataFrame with columns ``"<view>_<k>"``
        and the target as a Series named ``"digit"``; the estimators record
        the column names of each modality (``modality_feature_names_``).

    Returns
    -------
    data : Bunch
        ``data`` (list of float64 arrays, one per view), ``target`` (digits),
        ``view_names``, ``DESCR``.
    (X, y) : tuple, with ``return_X_y=True``.

    Examples
    --------
    >>> from omib_sklearn.datasets import load_multiple_features
    >>> X, y = load_multiple_features(views=("fou", "pix"), return_X_y=True)
    >>> [x.shape for x in X], y.shape
    ([(2000, 76), (2000, 240)], (2000,))
    >>> frames, digits = load_multiple_features(views="mor", return_X_y=True, as_frame=True)
    >>> list(frames[0].columns[:2]), digits.name
    (['mor_0', 'mor_1'], 'digit')
    """
    if isinstance(views, str):
        views = (views,)
    try:
        views = tuple(views)
    except TypeError:
        raise TypeError(
            f"views must be a view name or a sequence of view names, got {views!r}."
        ) from None
    unknown = [v for v in views if v not in VIEWS]
    if unknown or len(views) == 0:
        raise ValueError(f"views must be a non-empty selection of {sorted(VIEWS)}; got {list(views)}.")
    path = resources.files("omib_sklearn.datasets") / "data" / "mfeat.npz"
    with resources.as_file(path) as f, np.load(f) as store:
        X = [store[v].astype(np.float64) for v in views]
        y = store["target"].astype(np.int64)
    if as_frame:
        import pandas as pd

        X = [
            pd.DataFrame(x, columns=[f"{v}_{k}" for k in range(x.shape[1])])
            for v, x in zip(views, X)
        ]
        y = pd.Series(y, name="digit")
    if return_X_y:
        return X, y
    return Bunch(
        data=X, target=y, view_names=list(views),
        DESCR=load_multiple_features.__doc__,
    )
