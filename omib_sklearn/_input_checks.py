"""Stage 1 of the data path: every accepted input form -> list of float32 arrays.

:func:`check_modalities` validates ``X`` in any of the forms of
:mod:`omib_sklearn._input_forms`, records the layout of the modalities on
the estimator at fit (names, widths, row shapes, column names) and compares
it after. In the multimodal forms, a modality with a user encoder (the
estimator's ``encoders`` parameter) may be an N-D array ``(n_samples,
...)``, such as images ``(n, C, H, W)``; its row shape is recorded at fit
and checked at predict. A ``scipy.sparse`` modality becomes a float32 CSR
matrix and stays sparse (:mod:`omib_sklearn._sparse`).
"""

import math

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from ._container import check_same_rows, default_names
from ._encoder_spec import check_encoder_inputs
from ._input_forms import (
    check_feature_names,
    check_n_modalities,
    column_blocks,
    has_named_modalities,
    match_by_name,
    modality_feature_names,
    split_modalities,
)
from ._sparse import as_csr_float32, is_sparse


def check_modalities(estimator, X, *, reset, allow_nan=False):
    """Validate ``X`` and return a list of float32 arrays, one per modality.

    With ``reset=True`` (fit) the modality names, widths, column names and
    ``n_features_in_`` are recorded on the estimator; otherwise they are
    compared with what was recorded, modality by modality. Named modalities
    (a dict, or a Modalities container with names) are then matched to the
    fitted ones by name, a list by position. ``allow_nan`` lets NaN through
    (infinity stays an error), for
    :func:`~omib_sklearn._absent.check_modalities_masked`.
    """
    parts = split_modalities(X)
    spec = getattr(estimator, "modalities", None)
    if parts is None:
        # One 2-D array: sklearn's own validation (column names included),
        # then the column split.
        _check_2d(X, "X")
        arr = validate_data(
            estimator, X, reset=reset, dtype=[np.float64, np.float32],
            accept_sparse=["csr", "csc", "coo"],
            ensure_all_finite=False if is_sparse(X) else "allow-nan" if allow_nan else True,
            ensure_min_samples=2 if reset else 1,
        )
        fitted_columns = getattr(estimator, "feature_names_in_", None)
        blocks = column_blocks(spec, arr.shape[1], fitted_columns)
        if is_sparse(arr):
            # Column blocks of one sparse matrix: each a sparse modality.
            arr = arr.tocsc()
            names = default_names(len(blocks))
            arrays = [as_csr_float32(arr[:, idx], name) for idx, name in zip(blocks, names)]
        else:
            arrays = [np.asarray(arr[:, idx], dtype=np.float32) for idx in blocks]
        names = default_names(len(arrays))
        columns = [None if fitted_columns is None else fitted_columns[idx] for idx in blocks]
        if not reset:
            check_n_modalities(estimator, len(arrays))
    else:
        arrays_in, names = parts
        if spec is not None:
            raise ValueError(
                "The 'modalities' parameter splits one 2-D array into modalities; "
                "it must be None when X is already a list, dict or Modalities."
            )
        for a, name in zip(arrays_in, names):
            if not is_sparse(a) and len(getattr(a, "shape", ())) < 3:
                _check_2d(a, f"Modality {name!r}")
        check_same_rows(arrays_in, names)
        if not reset:
            if has_named_modalities(X):
                order = match_by_name(estimator, names)
                arrays_in, names = [arrays_in[i] for i in order], [names[i] for i in order]
            check_n_modalities(estimator, len(arrays_in))
        columns = [
            None if is_sparse(a) else modality_feature_names(a, name)
            for a, name in zip(arrays_in, names)
        ]
        if not reset:
            check_feature_names(estimator, names, columns)
        arrays = [
            _as_float32_nd(a, name, min_samples=2 if reset else 1, allow_nan=allow_nan)
            for a, name in zip(arrays_in, names)
        ]
        if reset:
            estimator.n_features_in_ = int(sum(math.prod(a.shape[1:]) for a in arrays))
            if hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_
    widths = [math.prod(a.shape[1:]) for a in arrays]
    shapes = [tuple(a.shape[1:]) for a in arrays]
    if reset:
        check_encoder_inputs(getattr(estimator, "encoders", None), names, shapes)
        estimator.n_modalities_ = len(arrays)
        estimator.modality_names_ = list(names)
        estimator.n_features_per_modality_ = widths
        estimator.modality_shapes_ = shapes
        estimator.modality_sparse_ = [bool(is_sparse(a)) for a in arrays]
        estimator.modality_feature_names_ = columns
    else:
        _check_shapes(estimator, names, shapes)
        _check_widths(estimator, names, widths)
    return [a if is_sparse(a) else np.ascontiguousarray(a, dtype=np.float32) for a in arrays]

def _check_2d(a, label):
    """A short error for an array that is not 2-D; ``label`` names it.

    sklearn's check_array message prints the whole array; for a 1-D one it
    says how to reshape it. Inputs without a shape (nested lists) are left to
    check_array.
    """
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) == 2:
        return
    message = (
        f"{label} has shape {tuple(shape)}, but a 2D array of shape "
        "(n_samples, n_features) is expected."
    )
    if len(shape) == 1:
        # sklearn's wording, which its check_fit2d_predict1d looks for.
        message += (
            " Reshape your data either using x.reshape(1, -1) if it contains a "
            "single sample or x.reshape(-1, 1) if it has a single feature."
        )
    raise ValueError(message)

def _as_float32(a, name, *, min_samples, allow_nan=False):
    """One 2-D modality as a float32 array; errors name the modality once."""
    try:
        # An overflow in the cast is reported below, as infinity.
        with np.errstate(over="ignore"):
            arr = check_array(
                a, dtype=np.float32, ensure_all_finite=False, copy=False,
                ensure_min_samples=min_samples,
            )
    except ValueError as exc:
        raise ValueError(f"Modality {name!r}: {exc}") from exc
    except TypeError as exc:
        raise TypeError(f"Modality {name!r}: {exc}") from exc
    # Checked here rather than by check_array, to say where: the first
    # offending entry, after the cast (a float64 beyond float32's range
    # becomes inf).
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        what = "NaN" if np.isnan(arr[row, col]) else "infinity or a value too large for float32"
        raise ValueError(
            f"Modality {name!r} contains {what} (first at row {row}, column {col}; "
            f"{int(bad.sum())} non-finite value(s) in all)."
        )
    return arr

def _as_float32_nd(a, name, *, min_samples, allow_nan=False):
    """:func:`_as_float32` for 2-D and N-D modalities (checked flattened);
    a sparse modality becomes a new float32 CSR matrix
    (:func:`~omib_sklearn._sparse.as_csr_float32`)."""
    if is_sparse(a):
        return as_csr_float32(a, name, min_samples=min_samples)
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) < 3:
        return _as_float32(a, name, min_samples=min_samples, allow_nan=allow_nan)
    arr = np.asarray(a)
    flat = _as_float32(arr.reshape(arr.shape[0], -1), name, min_samples=min_samples,
                       allow_nan=allow_nan)
    return flat.reshape(arr.shape)

def _check_widths(estimator, names, widths):
    name = type(estimator).__name__
    for i, (got, expected) in enumerate(zip(widths, estimator.n_features_per_modality_)):
        if got != expected:
            raise ValueError(
                f"Modality {i} ({names[i]!r}) has {got} features, but {name} was "
                f"fitted with {expected} features for that modality."
            )

def _check_shapes(estimator, names, shapes):
    """Compare the row shapes with those seen in fit, for N-D modalities."""
    fitted = getattr(estimator, "modality_shapes_", None)
    if fitted is None:
        return
    for i, (got, expected) in enumerate(zip(shapes, fitted)):
        if got != tuple(expected) and (len(got) > 1 or len(expected) > 1):
            raise ValueError(
                f"Modality {i} ({names[i]!r}) has rows of shape {got}, but "
                f"{type(estimator).__name__} was fitted with rows of shape {tuple(expected)} "
                "for that modality."
            )
