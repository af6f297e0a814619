"""OMIBAnomalyDetector: OMIB with a Deep SVDD head (one-class learning)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import OutlierMixin

from ._base import BaseOMIB
from ._compat import Interval, StrOptions
from ._docstrings import ATTRIBUTES, REFERENCES, parameters_doc
from ._tasks import SVDDTask

_DETECTOR_PARAMETERS = parameters_doc(
    defaults={"warmup_epochs": "2", "weight_decay": "1e-5", "max_epochs": "100",
              "lr": "1e-4", "early_stopping": "False", "n_iter_no_change": "10",
              "input_weight_decay": "1e-5", "averaging_epochs": "0",
              "head_hidden": "(256,)"},
    notes={
        "weight_decay": "For Deep SVDD it is the regularizer.",
        "input_weight_decay": "Equal to ``weight_decay`` by default, so that Deep "
                              "SVDD's regularizer covers every layer.",
        "head_hidden": "For Deep SVDD the heads are bias-free, with LeakyReLU.",
        "modality_dropout": "Not measured for Deep SVDD: masked training rows "
                            "move the distances to the centre.",
        "lr": "1e-4 is the paper's value for Deep SVDD (``docs/differences.md``).",
    },
)


class OMIBAnomalyDetector(OutlierMixin, BaseOMIB):
    __doc__ = f"""Optimal Multimodal Information Bottleneck anomaly detector (Deep SVDD).

    Fitted on normal data only (Ruff et al. [4]_). The fusion head and the
    task-relevance heads are Deep SVDD heads, and no layer of the network has
    a bias term (which rules out the trivial solution of a constant output):
    each head is trained to map the data close to its centre c. The anomaly
    score of a sample is the squared distance ``||Dec_hat(xi) - c||^2`` of
    the fusion head's output to its centre.

    Centres: the centre of a head is the mean of its outputs over the
    training data in a forward pass in eval mode, taken just before that head
    is trained toward it (the task-relevance heads before the warm-up, on
    the warm-up's input ``[z_i, 0]``; the fusion head before the main phase).
    Coordinates with ``|c_j| < eps``, exact zeros included, are moved to
    ``+-eps``, with ``eps`` = 0.1 times the root mean square of the head's
    outputs. The centres are buffers of ``module_`` (``center`` and
    ``trb_centers``), so they move with its device and are pickled with it.
    The training loss of a head is its mean squared distance divided by
    ``||c||^2``, which makes it independent of the output scale. Training
    injects no noise into the SVDD heads' inputs (the warm-up context is 0
    and zeta_i = mu_i; see ``OMIBModule(stochastic=...)``): noise of nearly
    constant norm would act as a bias and let the heads collapse. With
    zeta_i = mu_i, sigma_i reaches nothing but the KL term, which pulls it
    to 1 at no cost; the KL term then acts on the means only, as an L2
    penalty ``beta / 2 ||mu_i||^2``, and the information bottleneck of the
    classifier and the regressor is not in force
    (``docs/differences.md``).
    A :class:`UserWarning` is raised when the training scores have
    near-zero spread (a collapsed head that cannot rank samples).

    The scikit-learn outlier API follows IsolationForest and
    LocalOutlierFactor(novelty=True): ``score_samples`` is higher for more
    normal samples, ``decision_function = score_samples - offset_`` is
    negative for outliers, ``predict`` returns +1 (inlier) or -1 (outlier).
    For PyOD users, ``decision_scores_``, ``threshold_`` and ``labels_`` are
    set on the training data with PyOD's conventions (higher score = more
    abnormal, label 1 = outlier); ``predict`` keeps the sklearn meaning.

    Absent modalities (``None``, or rows of NaN; ``docs/missing_modalities.md``):
    ``offset_`` and ``threshold_`` come from the training rows with every
    modality present. A row with an absent modality is scored by the same
    networks from the modalities it has (the fusion masks the absent ones)
    and compared with that threshold; its distance is not calibrated to
    complete rows, so train with ``modality_dropout`` when such rows are
    expected at predict time.

    Parameters
    ----------
    contamination : "auto" or float in (0, 0.5], default="auto"
        Share of outliers expected in the training data. A float sets
        ``offset_`` to that percentile of the training ``score_samples``, so
        that share of the training samples is flagged (as IsolationForest
        does). "auto" uses Tukey's upper fence on the training squared
        distances, ``offset_ = -(Q3 + 1.5 (Q3 - Q1))``: distances have no
        natural scale (unlike IsolationForest's path-length score), and the
        fence adapts to their spread; it flags the few training samples far
        out in the right tail (a few percent on Gaussian data).
    svdd_dim : int, default=64
        Output width of the Deep SVDD heads.
{_DETECTOR_PARAMETERS}

    Attributes
    ----------
    center_ : ndarray of shape (n_estimators, svdd_dim)
        Centre c of the fusion head of each network (a copy of the buffer
        ``module_.center``).
    trb_centers_ : ndarray of shape (n_estimators, n_modalities, svdd_dim)
        Centres of the task-relevance heads (``module_.trb_centers``).
    offset_ : float
        ``decision_function = score_samples - offset_``.
    decision_scores_ : ndarray of shape (n_samples,)
        PyOD convention: outlier scores of the training data (higher is more
        abnormal), ``-score_samples(X_train)``.
    threshold_ : float
        PyOD convention: ``-offset_``; ``labels_ = decision_scores_ > threshold_``.
    labels_ : ndarray of shape (n_samples,)
        PyOD convention: 1 for training outliers, 0 for inliers.
{ATTRIBUTES}

    See Also
    --------
    sklearn.ensemble.IsolationForest : the API this class follows.

    References
    ----------
{REFERENCES}
    .. [4] Ruff et al. "Deep One-Class Classification." ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn import OMIBAnomalyDetector
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(200, 5)), rng.normal(size=(200, 4))]
    >>> det = OMIBAnomalyDetector(contamination=0.1, max_epochs=3, mine_steps=20,
    ...                           random_state=0).fit(X)
    >>> float(np.mean(det.predict(X) == -1))  # the training share flagged
    0.1
    >>> sorted(set(det.predict(X).tolist())), int(det.labels_.sum())
    ([-1, 1], 20)
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
        n_estimators=5,
        beta="auto",
        information="channels",
        info_noise=0.1,
        mine_steps=50,
        warmup_epochs=2,
        max_epochs=100,
        batch_size=128,
        lr=1e-4,
        weight_decay=1e-5,
        input_weight_decay=1e-5,
        averaging_epochs=0,
        encoder_hidden=(256,),
        encoders=None,
        head_hidden=(256,),
        linear_path=False,
        embedding_dim=256,
        latent_dim=64,
        n_heads=4,
        dropout=0.0,
        input_dropout=0.0,
        modality_dropout=0.0,
        dynamic_r=False,
        standardize=True,
        early_stopping=False,
        refit=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            modalities=modalities, n_estimators=n_estimators, beta=beta, information=information,
            info_noise=info_noise, mine_steps=mine_steps,
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
        self.contamination = contamination
        self.svdd_dim = svdd_dim

    def fit(self, X, y=None, sample_weight=None):
        """Fit on normal data.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            The modalities of normal samples.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the losses, the centres and the
            standardization; the threshold ``offset_`` uses every row
            unweighted.

        Returns
        -------
        self : OMIBAnomalyDetector
            The fitted detector.
        """
        super().fit(X, None, sample_weight=sample_weight)
        # Scores of all training rows (also those held out for early stopping).
        dist = self._distances(X)
        self._check_collapse(dist)
        # The threshold comes from the rows with every modality present.
        complete = dist[self._present_rows(X).all(axis=1)]
        if self.contamination == "auto":
            # Tukey's upper fence on the squared distances to the centre.
            q1, q3 = np.percentile(complete, [25, 75])
            self.offset_ = float(-(q3 + 1.5 * (q3 - q1)))
        else:
            # As IsolationForest: that share of training scores lies below offset_.
            self.offset_ = float(np.percentile(-complete, 100.0 * self.contamination))
        self.decision_scores_ = dist
        self.threshold_ = -self.offset_
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(np.int64)
        return self

    def fit_predict(self, X, y=None):
        """Fit on ``X`` and return its labels: +1 inlier, -1 outlier.

        Same as ``fit(X).predict(X)``, without a second forward pass.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            The modalities of the training samples.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 for inliers, -1 for outliers.
        """
        self.fit(X)
        return np.where(self.labels_ == 1, -1, 1)

    def _collect_fitted_attributes(self):
        super()._collect_fitted_attributes()
        self.center_ = self.module_.center[:, 0].cpu().numpy().astype(np.float64)
        self.trb_centers_ = self.module_.trb_centers.cpu().numpy().astype(np.float64)

    def _check_collapse(self, dist):
        # Distances are in units of ||c||^2, which the eps rule keeps away from 0.
        if np.std(dist) <= 1e-6:
            warnings.warn(
                "The training scores have near-zero spread (std of the squared "
                f"distances {np.std(dist):.3g}, in units of ||c||^2): the Deep "
                "SVDD head collapsed to its centre and cannot rank samples. Check "
                "for constant or duplicated training rows, or try a smaller lr, "
                "fewer epochs or a larger weight_decay.",
                UserWarning,
                stacklevel=3,
            )

    def _distances(self, X):
        """Squared distance of the fusion head's output to its centre, in
        units of ``||c||^2`` (the training loss), averaged over the networks."""
        out, _ = self._forward(X)
        center = self.center_[:, None, :]
        dist = ((out - center) ** 2).sum(axis=2) / (center**2).sum(axis=2)
        return dist.mean(axis=0)

    def score_samples(self, X):
        """Opposite of the squared distance to the centre, in units of
        ``||c||^2`` and averaged over the networks (higher = more normal).

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean_k ||Dec_hat_k(xi_k) - c_k||^2 / ||c_k||^2`` over the
            networks k.
        """
        return -self._distances(X)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative for outliers, positive for inliers.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Predict whether samples are inliers (+1) or outliers (-1).

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 where ``decision_function(X) >= 0``, else -1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    # -- task hooks -------------------------------------------------------------
    def _make_task(self):
        return SVDDTask(self.svdd_dim)

    def _check_target(self, y, n_samples):
        return None
