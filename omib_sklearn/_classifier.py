"""OMIBClassifier: OMIB for classification."""

import numpy as np
from scipy.special import softmax
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ._base import BaseOMIB
from ._docstrings import ATTRIBUTES, PARAMETERS, REFERENCES
from ._modalities import ROWS_HINT
from ._tasks import ClassificationTask


class OMIBClassifier(ClassifierMixin, TransformerMixin, BaseOMIB):
    __doc__ = f"""Optimal Multimodal Information Bottleneck classifier.

    Learns one compact embedding xi from several modalities that keeps the
    task-relevant information and drops the rest, then predicts from it. Fit
    runs the MINE-based choice of beta, a warm-up of the per-modality encoders
    and the main phase (variational bottleneck, cross-attention fusion and
    the dynamic modality weights r).

    Parameters
    ----------
{PARAMETERS}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
{ATTRIBUTES}

    See Also
    --------
    OMIBRegressor : OMIB for regression.
    OMIBAnomalyDetector : OMIB with a Deep SVDD head.

    References
    ----------
{REFERENCES}

    Examples
    --------
    >>> from omib_sklearn import OMIBClassifier
    >>> from omib_sklearn.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(
    ...     n_samples=300, shared_relevant=10, shared_superfluous=10,
    ...     specific_relevant=(10, 10), specific_superfluous=(10, 10),
    ...     random_state=0)
    >>> clf = OMIBClassifier(max_epochs=5, mine_steps=20, random_state=0)
    >>> clf.fit(X, y).transform(X).shape
    (300, 64)
    """

    _stratify = True

    def predict_proba(self, X):
        """Class probabilities from the fusion head.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        logits, _ = self._forward(X)
        return softmax(logits, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        logits, _ = self._forward(X)
        return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)

    def decision_function(self, X):
        """Logits of the fusion head (one column for binary problems: the
        log-odds of ``classes_[1]``).
        """
        logits, _ = self._forward(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        logits, _ = self._forward(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def _make_task(self):
        return ClassificationTask(len(self.classes_))

    def _check_target(self, y, n_samples):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise ValueError(
                f"y must be 1-D of shape (n_samples,), got shape {y.shape}."
            )
        if len(y) != n_samples:
            raise ValueError(
                f"y has {len(y)} labels, but the modalities have {n_samples} rows. {ROWS_HINT}"
            )
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(f"Unsupported target type {type_of_target(y)!r}.")
        encoder = LabelEncoder()
        encoded = encoder.fit_transform(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got "
                f"{len(self.classes_)} class: {self.classes_[0]!r}."
            )
        return encoded.astype(np.int64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags
