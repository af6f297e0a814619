"""Absent modalities: which rows have which modality.

A modality is absent from a row when its block is entirely NaN in that row,
or from every row when it is given as None (or, after fit, left out of a
dict). A sparse modality is absent only from every row (None, or left out
of a dict); NaN in it is an error. :func:`check_modalities_masked` returns the arrays with zeros in the
absent blocks and the mask of present modalities (a
:class:`~omib_sklearn._data.ModalityData`), which travels with the batches
to the fusion's key-padding mask and the per-modality loss weights.
"""

from collections.abc import Mapping

import numpy as np

from ._container import default_names, num_rows
from ._data import ModalityData
from ._input_checks import check_modalities
from ._input_forms import check_n_modalities
from ._sparse import empty_csr, is_sparse


def check_modalities_masked(estimator, X, *, reset):
    """:func:`check_modalities` for inputs with absent modalities.

    A modality is absent from a row when its block is entirely NaN in that
    row; a ``None`` in a list (or a dict value), or a fitted modality missing
    from a dict, is absent from every row (only after fit, which needs the
    widths). Returns a :class:`~omib_sklearn._data.ModalityData` whose
    absent blocks are zeros. Raises a ValueError naming the modality and the
    first row for a block that is NaN only in part, for a row without any
    modality, and in fit for a modality absent from every row.
    """
    X, absent_everywhere = _fill_absent(estimator, X, reset=reset)
    arrays = check_modalities(estimator, X, reset=reset, allow_nan=True)
    names = estimator.modality_names_
    n = arrays[0].shape[0]
    present = np.ones((n, len(arrays)), dtype=bool)
    present[:, absent_everywhere] = False
    for i, (a, name) in enumerate(zip(arrays, names)):
        if is_sparse(a):
            # NaN in a sparse modality is refused by check_modalities.
            continue
        nan = np.isnan(a.reshape(n, -1))
        if not nan.any():
            continue
        absent = nan.all(axis=1)
        partial = nan.any(axis=1) & ~absent
        if partial.any():
            row = int(np.flatnonzero(partial)[0])
            col = int(np.flatnonzero(nan[row])[0])
            raise ValueError(
                f"Modality {name!r} contains NaN (first at row {row}, column {col}; "
                f"{int(nan[partial].sum())} non-finite value(s) in all) in part of a row: "
                "a modality is absent from a row only when all its values in that row "
                "are NaN; impute partial NaN before."
            )
        present[:, i] = ~absent
        arrays[i] = np.where(nan.reshape(a.shape), np.float32(0), a)
    empty = ~present.any(axis=1)
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"Row {row} has every modality absent (None, or all its values NaN; "
            f"{int(empty.sum())} such row(s) in all): a row needs at least one present "
            "modality."
        )
    if reset:
        unused = [name for name, c in zip(names, present.sum(0)) if c == 0]
        if unused:
            raise ValueError(
                f"Modality {unused[0]!r} is absent from every row: fit needs at least "
                "one row with each modality."
            )
        estimator.n_samples_per_modality_ = present.sum(axis=0).astype(np.int64)
    return ModalityData(arrays, None if present.all() else present)

def _fill_absent(estimator, X, *, reset):
    """X with NaN blocks for the modalities given as None (in a list, tuple
    or dict) and, after fit, for the fitted modalities a dict lacks, and the
    positions (in fit order) of the modalities absent from every row.

    A modality that was sparse at fit gets an all-zero sparse block instead
    (never a dense one of its width), listed among those positions."""
    if isinstance(X, (list, tuple)):
        given = list(enumerate(X))
    elif isinstance(X, Mapping):
        given = list(X.items())
    else:
        return X, []
    missing_keys = []
    if isinstance(X, Mapping) and not reset and all(str(k) in estimator.modality_names_ for k in X):
        # Unknown names are reported by check_modalities, with the missing ones.
        missing_keys = [n for n in estimator.modality_names_ if n not in X]
    nones = [k for k, a in given if a is None]
    if not nones and not missing_keys:
        return X, []
    label = (lambda k: default_names(k + 1)[k]) if isinstance(X, (list, tuple)) else str
    if reset:
        raise ValueError(
            f"Modality {label(nones[0])!r} is None, that is absent from every row: fit "
            "needs at least one row with each modality (mark the rows that lack it "
            "with NaN)."
        )
    present = [a for _, a in given if a is not None]
    if not present:
        raise ValueError("Every modality of X is None: a row needs at least one present modality.")
    n = num_rows(present[0], "X")
    if isinstance(X, (list, tuple)):
        check_n_modalities(estimator, len(X))
        fitted = list(range(len(X)))
    else:
        fitted = estimator.modality_names_
    out = {} if isinstance(X, Mapping) else [None] * len(X)
    for k, a in given:
        out[k] = a
    sparse = getattr(estimator, "modality_sparse_", None) or [False] * len(fitted)
    absent_everywhere = []
    for k in nones + missing_keys:
        if isinstance(X, (list, tuple)):
            position = k
        elif str(k) in fitted:
            position = fitted.index(str(k))
        else:
            continue  # an unknown name: check_modalities reports it
        shape = estimator.modality_shapes_[position]
        if sparse[position]:
            out[k] = empty_csr(n, shape[0])
            absent_everywhere.append(position)
            continue
        block = np.full((n, *shape), np.nan, dtype=np.float32)
        columns = estimator.modality_feature_names_[position]
        if columns is not None and len(shape) == 1:
            import pandas as pd

            block = pd.DataFrame(block, columns=columns)
        out[k] = block
    return (type(X)(out) if isinstance(X, tuple) else out), absent_everywhere


def complete_rows(data):
    """The arrays of a :class:`~omib_sklearn._data.ModalityData` on the rows
    with every modality present (all rows of complete data), on which MINE
    estimates the information."""
    present = data.present
    if present is None:
        return data.arrays
    rows = present.all(axis=1)
    if rows.sum() < 2:
        raise ValueError(
            f"beta='auto' estimates the information on the rows with every modality "
            f"present, and only {int(rows.sum())} row(s) have them all; pass a float beta."
        )
    rows = np.flatnonzero(rows)
    return [a[rows] for a in data.arrays]

