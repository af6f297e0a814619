"""Stage 1 of the data path: every accepted input form -> list of float32 arrays.

Accepted forms: a list or tuple of 2-D arrays / DataFrames, a dict of them
(keys name the modalities), a :class:`Modalities` container, skorch's
``SliceDict``, or one 2-D array / DataFrame split by the estimator's
``modalities`` parameter (``None``: the whole array is one modality).
In the multimodal forms, a modality with a user encoder (the estimator's
``encoders`` parameter) may be an N-D array ``(n_samples, ...)``, such as
images ``(n, C, H, W)``; its row shape is recorded at fit and checked at
predict.
"""

import math
import warnings
from collections.abc import Mapping
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from ._compat import _get_feature_names

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
        return _num_rows(self.data[0], self.names[0])

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
        return Modalities([_take_rows(a, key) for a in self.data], names=list(self.names))

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


def _num_rows(a, name):
    shape = getattr(a, "shape", None)
    if shape is None:
        a = np.asarray(a)
        shape = a.shape
    if len(shape) == 0:
        raise ValueError(f"Modality {name!r} is a scalar, expected a 2-D array.")
    return int(shape[0])


def _take_rows(a, key):
    if hasattr(a, "iloc"):
        return a.iloc[key]
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
    rows = [_num_rows(a, name) for a, name in zip(arrays, names)]
    if len(set(rows)) != 1:
        detail = ", ".join(f"{n!r}: {r}" for n, r in zip(names, rows))
        raise ValueError(
            "All modalities must have the same number of rows (samples); "
            f"got {detail}." + (f" {ROWS_HINT}" if hint else "")
        )


def split_modalities(X):
    """Return ``(arrays, names)`` for the multimodal input forms, else None."""
    if isinstance(X, Modalities):
        return list(X.data), list(X.names)
    if isinstance(X, Mapping):
        return list(X.values()), [str(k) for k in X]
    if isinstance(X, (list, tuple)) and (
        len(X) == 0 or all(_is_array_like_2d_or_more(x) for x in X)
    ):
        return list(X), default_names(len(X))
    return None


def _is_array_like_2d_or_more(x):
    if hasattr(x, "shape"):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and isinstance(x[0], (list, tuple, np.ndarray))


def has_named_modalities(X):
    """Whether the modalities of ``X`` are named by the user (matched by name).

    A dict (or skorch's SliceDict) is; so is a Modalities container unless it
    carries the default names of a list, "m0", "m1", ...
    """
    if isinstance(X, Modalities):
        return X.names != default_names(X.n_modalities)
    return isinstance(X, Mapping)


def check_modalities(estimator, X, *, reset, allow_nan=False):
    """Validate ``X`` and return a list of float32 arrays, one per modality.

    With ``reset=True`` (fit) the modality names, widths, column names and
    ``n_features_in_`` are recorded on the estimator; otherwise they are
    compared with what was recorded, modality by modality. Named modalities
    (a dict, or a Modalities container with names) are then matched to the
    fitted ones by name, a list by position. ``allow_nan`` lets NaN through
    (infinity stays an error), for :func:`check_modalities_masked`.
    """
    parts = split_modalities(X)
    spec = getattr(estimator, "modalities", None)
    if parts is None:
        # One 2-D array: sklearn's own validation (column names included),
        # then the column split.
        _check_2d(X, "X")
        arr = validate_data(
            estimator, X, reset=reset, dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if allow_nan else True,
            ensure_min_samples=2 if reset else 1,
        )
        fitted_columns = getattr(estimator, "feature_names_in_", None)
        blocks = _column_blocks(spec, arr.shape[1], fitted_columns)
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
            if len(getattr(a, "shape", ())) < 3:
                _check_2d(a, f"Modality {name!r}")
        check_same_rows(arrays_in, names)
        if not reset:
            if has_named_modalities(X):
                order = match_by_name(estimator, names)
                arrays_in, names = [arrays_in[i] for i in order], [names[i] for i in order]
            check_n_modalities(estimator, len(arrays_in))
        columns = [_modality_feature_names(a, name) for a, name in zip(arrays_in, names)]
        if not reset:
            _check_feature_names(estimator, names, columns)
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
        estimator.modality_feature_names_ = columns
    else:
        _check_shapes(estimator, names, shapes)
        _check_widths(estimator, names, widths)
    return [np.ascontiguousarray(a, dtype=np.float32) for a in arrays]


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


def _modality_feature_names(a, name):
    """Column names of a DataFrame modality (all strings), else None, as sklearn."""
    try:
        return _get_feature_names(a)
    except TypeError as exc:
        raise TypeError(f"Modality {name!r}: {exc}") from exc


def match_by_name(estimator, names):
    """Positions in ``names`` of the modalities seen in fit, in fit order.

    Raises a ValueError naming the modalities that are unknown or missing.
    """
    fitted = estimator.modality_names_
    unknown = [n for n in names if n not in fitted]
    missing = [n for n in fitted if n not in names]
    if unknown or missing:
        problems = []
        if unknown:
            problems.append(f"X has modalities unseen at fit time: {unknown}")
        if missing:
            problems.append(f"X lacks modalities seen at fit time: {missing}")
        raise ValueError(
            f"{'; '.join(problems)}. {type(estimator).__name__} was fitted with the "
            f"modalities {fitted}; named modalities (dict keys) are matched by name."
        )
    position = {n: i for i, n in enumerate(names)}
    return [position[n] for n in fitted]


def check_n_modalities(estimator, n_modalities):
    """Raise a ValueError unless X has as many modalities as seen in fit."""
    fitted = estimator.n_modalities_
    if n_modalities != fitted:
        raise ValueError(
            f"X has {n_modalities} modalities, but {type(estimator).__name__} was "
            f"fitted with {fitted} modalities."
        )


def _check_feature_names(estimator, names, columns):
    """sklearn's feature-name check (``_check_feature_names``), per modality."""
    estimator_name = type(estimator).__name__
    for name, fitted, given in zip(names, estimator.modality_feature_names_, columns):
        if fitted is None and given is None:
            continue
        if fitted is None:
            warnings.warn(
                f"Modality {name!r}: X has feature names, but {estimator_name} was "
                "fitted without feature names",
                UserWarning, stacklevel=2,
            )
            continue
        if given is None:
            warnings.warn(
                f"Modality {name!r}: X does not have valid feature names, but "
                f"{estimator_name} was fitted with feature names",
                UserWarning, stacklevel=2,
            )
            continue
        if len(fitted) == len(given) and np.all(fitted == given):
            continue
        message = "The feature names should match those that were passed during fit.\n"
        unseen = sorted(set(given) - set(fitted))
        missing = sorted(set(fitted) - set(given))
        if unseen:
            message += "Feature names unseen at fit time:\n" + _list_names(unseen)
        if missing:
            message += "Feature names seen at fit time, yet now missing:\n" + _list_names(missing)
        if not unseen and not missing:
            message += "Feature names must be in the same order as they were in fit.\n"
        raise ValueError(f"Modality {name!r}: {message}")


def _list_names(names, max_names=5):
    lines = [f"- {n}\n" for n in names[:max_names]]
    return "".join(lines) + ("- ...\n" if len(names) > max_names else "")


def _check_widths(estimator, names, widths):
    name = type(estimator).__name__
    for i, (got, expected) in enumerate(zip(widths, estimator.n_features_per_modality_)):
        if got != expected:
            raise ValueError(
                f"Modality {i} ({names[i]!r}) has {got} features, but {name} was "
                f"fitted with {expected} features for that modality."
            )


def _column_blocks(spec, n_columns, column_names):
    """Column indices of each modality from the ``modalities`` parameter."""
    if spec is None:
        return [np.arange(n_columns)]
    if isinstance(spec, (str, bytes)) or not hasattr(spec, "__len__") or len(spec) == 0:
        raise ValueError(
            "modalities must be None, a list of block widths, a list of column-index "
            f"lists or a list of column-name lists; got {spec!r}."
        )
    if all(isinstance(s, Integral) and not isinstance(s, bool) for s in spec):
        widths = [int(s) for s in spec]
        if any(w <= 0 for w in widths):
            raise ValueError(f"modalities widths must be positive, got {widths}.")
        if sum(widths) != n_columns:
            raise ValueError(
                f"modalities widths {widths} add up to {sum(widths)}, but X has "
                f"{n_columns} columns."
            )
        bounds = np.cumsum([0] + widths)
        return [np.arange(bounds[i], bounds[i + 1]) for i in range(len(widths))]
    blocks = []
    for block in spec:
        block = list(block)
        if len(block) == 0:
            raise ValueError("modalities has an empty block of columns.")
        if all(isinstance(c, str) for c in block):
            if column_names is None:
                raise ValueError(
                    "modalities names columns, but X has no column names; pass a DataFrame "
                    "with string column names."
                )
            lookup = {c: i for i, c in enumerate(column_names)}
            missing = [c for c in block if c not in lookup]
            if missing:
                raise ValueError(f"modalities names columns that X does not have: {missing}.")
            block = [lookup[c] for c in block]
        elif not all(isinstance(c, Integral) and not isinstance(c, bool) for c in block):
            raise ValueError(
                f"A modalities block must hold column indices or column names, got {block!r}."
            )
        blocks.append(np.asarray(block, dtype=int))
    used = np.concatenate(blocks)
    if used.min() < 0 or used.max() >= n_columns:
        raise ValueError(f"modalities refers to columns outside 0..{n_columns - 1}.")
    if len(np.unique(used)) != len(used):
        raise ValueError("modalities blocks overlap: a column belongs to two modalities.")
    if len(used) != n_columns:
        missing = sorted(set(range(n_columns)) - set(used.tolist()))
        raise ValueError(
            f"modalities does not cover every column of X; columns {missing[:10]} "
            "belong to no modality."
        )
    return blocks


# -- N-D modalities and user encoders -------------------------------------------

#: Widest flattened N-D modality that the information estimates take whole;
#: wider ones are subsampled (see :func:`information_views`).
MAX_INFORMATION_FEATURES = 1024


def resolve_encoders(encoders, names):
    """The ``encoders`` parameter as one entry per modality (None or a callable).

    ``encoders`` is None, a list or tuple aligned with the modalities, or a
    dict keyed by modality name; raises a ValueError or TypeError that names
    the offending modality or key.
    """
    if encoders is None:
        return [None] * len(names)
    if isinstance(encoders, Mapping):
        unknown = [k for k in encoders if k not in names]
        if unknown:
            raise ValueError(
                f"encoders has keys {unknown} that name no modality; the modalities are "
                f"{list(names)}."
            )
        entries = [encoders.get(n) for n in names]
    elif isinstance(encoders, (list, tuple)):
        if len(encoders) != len(names):
            raise ValueError(
                f"encoders has {len(encoders)} entries, but X has {len(names)} modalities "
                f"{list(names)}; give one entry (None for the default MLP) per modality, "
                "or a dict keyed by modality name."
            )
        entries = list(encoders)
    else:
        raise TypeError(
            "encoders must be None, a list with one entry per modality or a dict keyed "
            f"by modality name, got {type(encoders).__name__}."
        )
    for name, entry in zip(names, entries):
        if entry is not None and not callable(entry):
            raise TypeError(
                f"The encoder of modality {name!r} must be None or a callable "
                "f(input_shape, embedding_dim) returning a torch.nn.Module (a Module "
                f"subclass or a functools.partial of one), got {type(entry).__name__}."
            )
    return entries


def check_encoder_inputs(encoders, names, shapes):
    """Resolve ``encoders`` and raise a ValueError for an N-D modality without one."""
    entries = resolve_encoders(encoders, names)
    for name, shape, entry in zip(names, shapes, entries):
        if len(shape) > 1 and entry is None:
            raise ValueError(
                f"Modality {name!r} has rows of shape {shape}; the default MLP encoder takes "
                "2-D arrays (n_samples, n_features). Pass an encoder for this modality "
                "(encoders=...), or flatten it with x.reshape(len(x), -1)."
            )
    return entries


def information_views(arrays, max_features=MAX_INFORMATION_FEATURES):
    """2-D views of the modalities for the information estimates.

    An N-D modality is flattened row by row; beyond ``max_features`` entries
    it is reduced to ``max_features`` evenly spaced entries of the flattened
    rows. 2-D modalities are returned as they are.

    A subset of entries keeps each entry's scale, which the channel
    estimates rely on (they standardize every column, then sum over
    principal components by variance); principal-component scores would be
    standardized to unit variance each, and every kept component would then
    count as a full-variance channel.
    """
    views = []
    for a in arrays:
        if a.ndim > 2:
            a = a.reshape(len(a), -1)
            if a.shape[1] > max_features:
                keep = np.linspace(0, a.shape[1] - 1, max_features).round().astype(int)
                a = a[:, np.unique(keep)]
        views.append(a)
    return views


def _as_float32_nd(a, name, *, min_samples, allow_nan=False):
    """:func:`_as_float32` for 2-D and N-D modalities (checked flattened)."""
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) < 3:
        return _as_float32(a, name, min_samples=min_samples, allow_nan=allow_nan)
    arr = np.asarray(a)
    flat = _as_float32(arr.reshape(arr.shape[0], -1), name, min_samples=min_samples,
                       allow_nan=allow_nan)
    return flat.reshape(arr.shape)


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


# -- absent modalities ---------------------------------------------------------


class ModalityArrays(list):
    """The validated modalities (a list of float32 arrays) and which of them
    each row has: ``present``, a bool array of shape (n_samples,
    n_modalities), or None when every row has every modality.

    A list, so that the fit stages that take the list of arrays carry the
    mask along unchanged; absent blocks hold zeros.
    """

    def __init__(self, arrays, present=None):
        super().__init__(arrays)
        self.present = present


def check_modalities_masked(estimator, X, *, reset):
    """:func:`check_modalities` for inputs with absent modalities.

    A modality is absent from a row when its block is entirely NaN in that
    row; a ``None`` in a list (or a dict value), or a fitted modality missing
    from a dict, is absent from every row (only after fit, which needs the
    widths). Returns a :class:`ModalityArrays` whose absent blocks are
    zeros. Raises a ValueError naming the modality and the first row for a
    block that is NaN only in part, for a row without any modality, and in
    fit for a modality absent from every row.
    """
    X = _fill_absent(estimator, X, reset=reset)
    arrays = check_modalities(estimator, X, reset=reset, allow_nan=True)
    names = estimator.modality_names_
    n = arrays[0].shape[0]
    present = np.ones((n, len(arrays)), dtype=bool)
    for i, (a, name) in enumerate(zip(arrays, names)):
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
    return ModalityArrays(arrays, None if present.all() else present)


def _fill_absent(estimator, X, *, reset):
    """X with NaN blocks for the modalities given as None (in a list, tuple
    or dict) and, after fit, for the fitted modalities a dict lacks."""
    if isinstance(X, (list, tuple)):
        given = list(enumerate(X))
    elif isinstance(X, Mapping):
        given = list(X.items())
    else:
        return X
    missing_keys = []
    if isinstance(X, Mapping) and not reset and all(str(k) in estimator.modality_names_ for k in X):
        # Unknown names are reported by check_modalities, with the missing ones.
        missing_keys = [n for n in estimator.modality_names_ if n not in X]
    nones = [k for k, a in given if a is None]
    if not nones and not missing_keys:
        return X
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
    n = _num_rows(present[0], "X")
    if isinstance(X, (list, tuple)):
        check_n_modalities(estimator, len(X))
        fitted = list(range(len(X)))
    else:
        fitted = estimator.modality_names_
    out = {} if isinstance(X, Mapping) else [None] * len(X)
    for k, a in given:
        out[k] = a
    for k in nones + missing_keys:
        if isinstance(X, (list, tuple)):
            position = k
        elif str(k) in fitted:
            position = fitted.index(str(k))
        else:
            continue  # an unknown name: check_modalities reports it
        shape = estimator.modality_shapes_[position]
        block = np.full((n, *shape), np.nan, dtype=np.float32)
        columns = estimator.modality_feature_names_[position]
        if columns is not None and len(shape) == 1:
            import pandas as pd

            block = pd.DataFrame(block, columns=columns)
        out[k] = block
    return type(X)(out) if isinstance(X, tuple) else out
