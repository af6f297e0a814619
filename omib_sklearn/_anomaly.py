"""OMIBAnomalyDetector: OMIB with a Deep SVDD head (one-class learning)."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import OutlierMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseOMIB
from ._docstrings import ATTRIBUTES, PARAMETERS, REFERENCES
from ._tasks import SVDDTask
from ._training import ModalityDataset


class OMIBAnomalyDetector(OutlierMixin, TransformerMixin, BaseOMIB):
    __doc__ = f"""Optimal Multimodal Information Bottleneck anomaly detector (Deep SVDD).

    Fitted on normal data only. The fusion head and the task-relevance heads
    are Deep SVDD heads (no bias terms anywhere in the network, which rules
    out the trivial collapsed solution): each is trained to map the data
    close to a centre c, the mean output of the untrained head on the
    training data. The anomaly score is the squared distance to c.

    The scikit-learn outlier API follows IsolationForest: ``score_samples``
    is higher for more normal samples, ``decision_function`` is negative for
    outliers, ``predict`` returns +1 (inlier) or -1 (outlier).

    Parameters
    ----------
    contamination : "auto" or float in (0, 0.5], default="auto"
        Expected share of outliers in the training data; sets ``offset_`` to
        that quantile of the training scores. "auto" uses Tukey's upper
        fence on the training distances (Q3 + 1.5 IQR).
    svdd_dim : int, default=64
        Output width of the Deep SVDD heads.
{PARAMETERS.replace("weight_decay : float, default=0.0", "weight_decay : float, default=1e-5").replace("Decoupled weight decay (AdamW) when positive.", "Decoupled weight decay (AdamW): the regularizer of Deep SVDD.")}

    Attributes
    ----------
    center_ : ndarray of shape (svdd_dim,)
        Centre of the fusion head.
    offset_ : float
        ``decision_function = score_samples - offset_``.
    decision_scores_ : ndarray of shape (n_samples,)
        PyOD convention: outlier scores of the training data (higher is more
        abnormal), ``-score_samples(X_train)``.
    threshold_ : float
        PyOD convention: ``-offset_``.
    labels_ : ndarray of shape (n_samples,)
        PyOD convention: 1 for training outliers, 0 for inliers.
{ATTRIBUTES}

    See Also
    --------
    sklearn.ensemble.IsolationForest : the API this class follows.

    References
    ----------
{REFERENCES}
    .. [3] Ruff et al. "Deep One-Class Classification." ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn import OMIBAnomalyDetector
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(200, 5)), rng.normal(size=(200, 4))]
    >>> det = OMIBAnomalyDetector(max_epochs=3, mine_steps=20, random_state=0).fit(X)
    >>> det.predict(X).shape
    (200,)
    """

    _parameter_constraints = {
        **BaseOMIB._parameter_constraints,
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "svdd_dim": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        contamination="auto",
        svdd_dim=64,
        modalities=None,
        beta="auto",
        information="channels",
        info_noise=1.0,
        mine_steps=150,
        warmup_epochs=2,
        max_epochs=30,
        batch_size=128,
        lr=1e-3,
        weight_decay=1e-5,
        encoder_hidden=(256,),
        embedding_dim=256,
        latent_dim=64,
        n_heads=4,
        dropout=0.0,
        dynamic_r=True,
        standardize=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            modalities=modalities, beta=beta, information=information,
            info_noise=info_noise, mine_steps=mine_steps,
            warmup_epochs=warmup_epochs, max_epochs=max_epochs,
            batch_size=batch_size, lr=lr, weight_decay=weight_decay,
            encoder_hidden=encoder_hidden, embedding_dim=embedding_dim,
            latent_dim=latent_dim, n_heads=n_heads, dropout=dropout,
            dynamic_r=dynamic_r, standardize=standardize,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, callbacks=callbacks,
            device=device, random_state=random_state, verbose=verbose,
        )
        self.contamination = contamination
        self.svdd_dim = svdd_dim

    def fit(self, X, y=None):
        """Fit on normal data.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            The modalities of normal samples.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : OMIBAnomalyDetector
        """
        super().fit(X, None)
        train_scores = self._scores_after_fit
        del self._scores_after_fit
        return self

    def _collect_fitted_attributes(self):
        super()._collect_fitted_attributes()
        self.center_ = self.module_.center.cpu().numpy().astype(np.float64)
        # Scores of the training data, from the data kept by the net.
        ds = self._train_dataset
        del self._train_dataset
        y_hat, _ = self.net_.forward(ds, training=False)
        dist = ((y_hat.numpy().astype(np.float64) - self.center_) ** 2).sum(axis=1)
        scores = -dist
        if np.std(scores) < 1e-8 * max(1.0, np.abs(scores).mean()):
            warnings.warn(
                "The training scores have near-zero spread: the Deep SVDD head "
                "collapsed to its centre. Try a smaller lr, fewer epochs or a "
                "larger weight_decay.",
                UserWarning,
            )
        if self.contamination == "auto":
            q1, q3 = np.percentile(dist, [25, 75])
            self.offset_ = float(-(q3 + 1.5 * (q3 - q1)))
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        self.decision_scores_ = -scores
        self.threshold_ = -self.offset_
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(int)
        self._scores_after_fit = scores

    def score_samples(self, X):
        """Opposite of the squared distance to the centre (higher = more normal).

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        out, _ = self._forward(X)
        return -((out - self.center_) ** 2).sum(axis=1)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers."""
        return np.where(self.decision_function(X) < 0, -1, 1)

    # -- task hooks -------------------------------------------------------------
    def _make_task(self):
        return SVDDTask(self.svdd_dim)

    def _check_target(self, y, n_samples):
        return None

    def _before_training(self, net, train):
        self._train_dataset = train
        # Centres of the task-relevance heads, from the untrained network.
        net.module_.trb_centers.copy_(self._mean_outputs(net, train, "trb"))

    def _before_phase(self, net, phase, train):
        if phase == "main":
            net.module_.center.copy_(self._mean_outputs(net, train, "head"))

    @staticmethod
    def _mean_outputs(net, dataset, which, eps=0.1):
        module = net.module_
        module.eval()
        total, count = None, 0
        with torch.no_grad():
            for xb, _ in net.get_iterator(dataset, training=False):
                xb = {k: v.to(net.device) for k, v in xb.items()}
                if which == "trb":
                    out = torch.stack(module.forward_warmup(**xb)["trb"], dim=1).sum(0)
                else:
                    out = module(**xb)[0].sum(0)
                total = out if total is None else total + out
                count += len(next(iter(xb.values())))
        c = total / count
        # Coordinates near zero would let a unit sit at the centre for free.
        c = torch.where((c.abs() < eps) & (c < 0), torch.full_like(c, -eps), c)
        c = torch.where((c.abs() < eps) & (c >= 0), torch.full_like(c, eps), c)
        return c

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        return tags
