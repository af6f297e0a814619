"""OMIBRegressor: OMIB for (multi-output) regression."""

import numpy as np
from sklearn.base import RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_array

from ._base import BaseOMIB
from ._docstrings import ATTRIBUTES, PARAMETERS, REFERENCES
from ._tasks import RegressionTask


class OMIBRegressor(RegressorMixin, TransformerMixin, BaseOMIB):
    __doc__ = f"""Optimal Multimodal Information Bottleneck regressor.

    The OMIB model of :class:`OMIBClassifier` with a squared-error loss.
    Targets are standardized inside ``fit`` (so results do not depend on
    their units) and predictions are returned in the original units and
    shape of ``y``.

    Parameters
    ----------
{PARAMETERS}

    Attributes
    ----------
{ATTRIBUTES}
    n_outputs_ : int
        Number of targets (1 for a 1-D ``y``).
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Target standardization: the network fits ``(y - y_mean_) / y_scale_``
        (a constant target gets ``y_scale_ = 1``).

    See Also
    --------
    OMIBClassifier : OMIB for classification.

    References
    ----------
{REFERENCES}

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn import OMIBRegressor
    >>> rng = np.random.default_rng(0)
    >>> X1, X2 = rng.normal(size=(200, 5)), rng.normal(size=(200, 3))
    >>> y = X1[:, 0] + X2[:, 1]
    >>> reg = OMIBRegressor(max_epochs=5, mine_steps=20, random_state=0)
    >>> reg.fit([X1, X2], y).predict([X1, X2]).shape
    (200,)
    """

    def predict(self, X):
        """Predicted targets, in the units and shape of the fitted ``y``.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        out, _ = self._forward(X)
        out = out * self.y_scale_ + self.y_mean_
        return out[:, 0] if self._y_ndim == 1 else out

    def _make_task(self):
        return RegressionTask(len(self.y_mean_))

    def _check_target(self, y, n_samples):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y_arr = np.asarray(y)
        if y_arr.ndim not in (1, 2):
            raise ValueError(
                "y must have shape (n_samples,) or (n_samples, n_outputs), "
                f"got shape {y_arr.shape}."
            )
        y2 = check_array(
            y_arr.reshape(-1, 1) if y_arr.ndim == 1 else y_arr, dtype=np.float64,
            ensure_all_finite=True, input_name="y", ensure_min_samples=1,
        )
        if len(y2) != n_samples:
            raise ValueError(
                f"y has {len(y2)} rows, but the modalities have {n_samples} rows."
            )
        # Kept to return predictions in the shape of the fitted y: (n,) or (n, k).
        self._y_ndim = y_arr.ndim
        self.n_outputs_ = y2.shape[1]
        self.y_mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        return ((y2 - self.y_mean_) / self.y_scale_).astype(np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
