"""The Modalities container: several modalities that scikit-learn's tools
index by rows as one array, and the row functions of the input forms."""

import math
from collections.abc import Mapping
from numbers import Integral

import numpy as np
import scipy.sparse as sp

__all__ = ["Modalities"]


#: Appended to the errors about numbers of rows (of the modalities, or of the
#: modalities and y): scikit-learn's tools split X by rows, which needs one
#: row-indexable container.
ROWS_HINT = (
    "scikit-learn's tools (GridSearchCV, cross_val_score, ...) select rows of X: "
    "give them the modalities in a row-indexable container, "
    "omib_sklearn.Modalities([...]), not a list or dict."
)

#: For the errors of a Modalities container turned into one array or indexed
#: by columns: tools that need one 2-D array of features end there.
ONE_ARRAY_HINT = (
    "Tools that need one 2-D array of features (sklearn.inspection."
    "permutation_importance, partial_dependence, ...) do not take it: give them "
    "np.hstack of the modalities and fit the estimator with the modalities= "
    "parameter (the widths, e.g. OMIBClassifier(modalities=[4, 3])), with which "
    "permutation_importance permutes single columns. The importance of a whole "
    "modality (masking all its columns at once) is a different measure, which "
    "needs a per-modality tool."
)

def default_names(n_modalities):
    """The names of unnamed modalities (a list's): ``"m0", "m1", ...``."""
    return [f"m{i}" for i in range(n_modalities)]

class Modalities:
    """A multimodal dataset that scikit-learn can index by rows.

    ``len`` is the number of samples and indexing selects rows of every
    modality at once, so splitters, ``cross_val_score`` and ``GridSearchCV``
    treat it like one array.

    Parameters
    ----------
    data : list, tuple or dict of array-like of shape (n_samples, n_features_i)
        The modalities; a dict's keys name them.
    names : list of str, default=None
        Names of the modalities of a list (default ``"m0", "m1", ...``).
        An estimator matches named modalities (a dict's keys, or these names)
        with the ones seen in fit by name; with the default names, by position.

    Attributes
    ----------
    names : list of str
    shape : tuple
        ``(n_samples, total number of features)``.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn import Modalities
    >>> X = Modalities([np.zeros((4, 2)), np.ones((4, 3))])
    >>> len(X), X.shape
    (4, (4, 5))
    >>> X[[0, 2]].shape
    (2, 5)
    """

    def __init__(self, data, names=None):
        if isinstance(data, Modalities):
            names = data.names if names is None else names
            data = data.data
        if isinstance(data, Mapping):
            names = [str(k) for k in data] if names is None else list(names)
            arrays = list(data.values())
        elif isinstance(data, (list, tuple)):
            arrays = list(data)
            names = default_names(len(arrays)) if names is None else list(names)
        else:
            raise TypeError(
                f"Modalities takes a list, tuple or dict of 2-D arrays, got {type(data).__name__}."
            )
        if len(arrays) == 0:
            raise ValueError("Modalities needs at least one modality, got none.")
        if len(names) != len(arrays):
            raise ValueError(f"Got {len(names)} names for {len(arrays)} modalities.")
        if len(set(names)) != len(names):
            raise ValueError(f"Modality names must be unique, got {names}.")
        check_same_rows(arrays, names, hint=False)
        self.data = arrays
        self.names = names

    def __len__(self):
        return num_rows(self.data[0], self.names[0])

    @property
    def shape(self):
        return (len(self), int(sum(math.prod(np.shape(a)[1:]) for a in self.data)))

    @property
    def n_modalities(self):
        return len(self.data)

    def __getitem__(self, key):
        # sklearn's _safe_indexing calls X[key, ...].
        if isinstance(key, tuple):
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                raise IndexError(f"Modalities can only be indexed by rows. {ONE_ARRAY_HINT}")
        if isinstance(key, str):
            return self.data[self.names.index(key)]
        if isinstance(key, Integral):
            key = [key]
        return Modalities([take_rows(a, key) for a in self.data], names=list(self.names))

    def __iter__(self):
        raise TypeError(
            "Modalities is indexed by rows; iterate over .data for the modalities."
        )

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A Modalities container has several modalities and cannot be turned into "
            f"one array; pass it to an OMIB estimator or index its rows. {ONE_ARRAY_HINT}"
        )

    def to_dict(self):
        """The modalities as a dict ``name -> array``."""
        return dict(zip(self.names, self.data))

    def __repr__(self):
        widths = ", ".join(f"{n}: {np.shape(a)}" for n, a in zip(self.names, self.data))
        return f"Modalities({widths})"

def num_rows(a, name):
    """The number of rows of modality ``a`` (``name`` for the error about a scalar)."""
    shape = getattr(a, "shape", None)
    if shape is None:
        a = np.asarray(a)
        shape = a.shape
    if len(shape) == 0:
        raise ValueError(f"Modality {name!r} is a scalar, expected a 2-D array.")
    return int(shape[0])

def take_rows(a, key):
    """Rows ``key`` (a slice or indices) of one modality, a DataFrame's by
    position; a sparse matrix's as CSR rows (COO and other formats have no
    row indexing)."""
    if hasattr(a, "iloc"):
        return a.iloc[key]
    if sp.issparse(a) and a.format not in ("csr", "csc"):
        a = a.tocsr()
    if isinstance(key, slice):
        return a[key]
    return a[np.asarray(key)]

def check_same_rows(arrays, names, *, hint=True):
    """Raise a ValueError for no modalities or modalities of different lengths.

    With ``hint`` the message about lengths also says how to hand modalities
    to scikit-learn's tools (:data:`ROWS_HINT`).
    """
    if len(arrays) == 0:
        raise ValueError("X is an empty list of modalities; pass at least one 2-D array.")
    rows = [num_rows(a, name) for a, name in zip(arrays, names)]
    if len(set(rows)) != 1:
        detail = ", ".join(f"{n!r}: {r}" for n, r in zip(names, rows))
        raise ValueError(
            "All modalities must have the same number of rows (samples); "
            f"got {detail}." + (f" {ROWS_HINT}" if hint else "")
        )
