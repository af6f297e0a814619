"""OMIBClassifier: OMIB for classification."""

import numpy as np
from scipy.special import softmax
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ._base import BaseOMIB
from ._compat import StrOptions
from ._container import ROWS_HINT
from ._docstrings import ATTRIBUTES, REFERENCES, parameters_doc
from ._tasks import ClassificationTask

CLASSIFIER_PARAMETERS = parameters_doc(extra={
    "class_weight": """\
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in every loss, multiplied into
        ``sample_weight``: ``{label: weight}``, or "balanced" for weights
        inversely proportional to the class frequencies,
        ``n_samples / (n_classes * np.bincount(y))``."""},
    after="n_estimators",
)


class OMIBClassifier(ClassifierMixin, BaseOMIB):
    __doc__ = f"""Optimal Multimodal Information Bottleneck classifier.

    Learns one compact embedding xi from several modalities that keeps the
    task-relevant information and drops the rest, then predicts from it. Fit
    runs the MINE-based choice of beta, a warm-up of the per-modality encoders
    and the main phase (variational bottleneck, cross-attention fusion and,
    with ``dynamic_r=True``, the modality weights r of Eq. 11). Where the
    package departs from the paper: ``docs/differences.md``.

    Parameters
    ----------
{CLASSIFIER_PARAMETERS}

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
    >>> clf.fit(X, y).transform(X).shape  # 5 networks x latent_dim 64
    (300, 320)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

    _parameter_constraints = {
        **BaseOMIB._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    _stratify = True

    def __init__(
        self,
        *,
        modalities=None,
        n_estimators=5,
        class_weight=None,
        beta="auto",
        information="channels",
        info_noise=0.1,
        mine_steps=50,
        warmup_epochs=1,
        max_epochs=100,
        batch_size=128,
        lr=3e-4,
        weight_decay=0.0,
        input_weight_decay=10.0,
        averaging_epochs=8,
        encoder_hidden=(256,),
        encoders=None,
        head_hidden=256,
        linear_path=False,
        embedding_dim=256,
        latent_dim=64,
        n_heads=4,
        dropout=0.0,
        input_dropout=0.0,
        modality_dropout=0.0,
        dynamic_r=False,
        standardize=True,
        early_stopping=True,
        refit=True,
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            modalities=modalities, n_estimators=n_estimators, beta=beta,
            information=information, info_noise=info_noise, mine_steps=mine_steps,
            warmup_epochs=warmup_epochs, max_epochs=max_epochs,
            batch_size=batch_size, lr=lr, weight_decay=weight_decay,
            input_weight_decay=input_weight_decay, averaging_epochs=averaging_epochs,
            encoder_hidden=encoder_hidden, encoders=encoders, head_hidden=head_hidden,
            linear_path=linear_path, embedding_dim=embedding_dim,
            latent_dim=latent_dim, n_heads=n_heads, dropout=dropout,
            input_dropout=input_dropout, modality_dropout=modality_dropout,
            dynamic_r=dynamic_r, standardize=standardize,
            early_stopping=early_stopping, refit=refit,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, callbacks=callbacks,
            device=device, random_state=random_state, verbose=verbose,
        )
        self.class_weight = class_weight

    def predict_proba(self, X):
        """Class probabilities from the fusion head, averaged over the
        networks (``n_estimators``).

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        logits, _ = self._forward(X)
        return softmax(logits, axis=2).mean(axis=0)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        logits, _ = self._forward(X)
        log_p = logits - np.logaddexp.reduce(logits, axis=2, keepdims=True)
        return np.logaddexp.reduce(log_p, axis=0) - np.log(len(log_p))

    def decision_function(self, X):
        """:meth:`predict_log_proba` (one column for binary problems: the
        log-odds of ``classes_[1]``). With one network these are the logits
        of the fusion head up to a constant per row.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        log_p = self.predict_log_proba(X)
        if log_p.shape[1] == 2:
            return log_p[:, 1] - log_p[:, 0]
        return log_p

    def predict(self, X):
        """Predicted class labels: the class of highest :meth:`predict_proba`.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _make_task(self):
        return ClassificationTask(len(self.classes_))

    def _constant_loss(self, train):
        """Cross-entropy of the (weighted) class frequencies of the training
        rows: the validation loss of predicting the prior."""
        rows = np.concatenate([r.numpy() for r in train.rows])
        target = train.target.numpy()[rows]
        weight = None if train.weight is None else train.weight.numpy()[rows]
        freq = np.bincount(target, weights=weight, minlength=len(self.classes_))
        freq = freq[freq > 0] / freq.sum()
        return float(-(freq * np.log(freq)).sum())

    def _weight_classes(self, target, weight):
        if self.class_weight is None:
            return weight
        class_weight = compute_sample_weight(self.class_weight, self.classes_[target])
        return class_weight if weight is None else weight * class_weight

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
