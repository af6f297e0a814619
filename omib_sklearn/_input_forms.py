"""The accepted input forms and their names.

A list or tuple of 2-D arrays / DataFrames, a dict of them (keys name the
modalities), a :class:`~omib_sklearn._container.Modalities` container,
skorch's ``SliceDict``, or one 2-D array / DataFrame split into column
blocks by the estimator's ``modalities`` parameter (the column spec). Here:
which form ``X`` has, the blocks of the column spec, the feature (column)
names of each modality, and the matching of named modalities with those
seen in fit.
"""

import warnings
from collections.abc import Mapping
from numbers import Integral

import numpy as np

from ._compat import _get_feature_names
from ._container import Modalities, default_names


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

def column_blocks(spec, n_columns, column_names):
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

def modality_feature_names(a, name):
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

def check_feature_names(estimator, names, columns):
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
