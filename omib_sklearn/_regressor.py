"""OMIBRegressor: OMIB for (multi-output) regression."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_array

from ._base import BaseOMIB
from ._container import ROWS_HINT
from ._docstrings import ATTRIBUTES, REFERENCES, parameters_doc
from ._tasks import RegressionTask

_REGRESSOR_PARAMETERS = parameters_doc(defaults={
    "validation_fraction": "0.2", "input_weight_decay": "0.0", "averaging_epochs": "0",
})


class OMIBRegressor(RegressorMixin, BaseOMIB):
    __doc__ = f"""Optimal Multimodal Information Bottleneck regressor.

    The OMIB model of :class:`OMIBClassifier` with a squared-error loss.
    Targets are standardized inside ``fit`` (so results do not depend on
    their units) and predictions are returned in the original units and
    shape of ``y``. The weights r_i of the bottleneck terms use D_i =
    0.5 ||y_hat_i - y_hat||^2, the KL divergence between unit-variance
    Gaussians centred on the two heads' predictions. The task loss is the
    mean squared error of the standardized targets, averaged over samples
    and outputs.

    Defaults that differ from the classifier's: with one network
    (``n_estimators=1``) early stopping holds out 20% of the rows
    (``validation_fraction=0.2``; small regression data overfit quickly),
    and the input-layer decay and the weight averaging are off
    (``input_weight_decay=0``, ``averaging_epochs=0``). The measurements
    behind them are in ``docs/beta_selection.md``.

    Parameters
    ----------
{_REGRESSOR_PARAMETERS}

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

    def __init__(
        self,
        *,
        modalities=None,
        n_estimators=5,
        beta="auto",
        information="channels",
        info_noise=0.1,
        mine_steps=50,
        warmup_epochs=1,
        max_epochs=100,
        batch_size=128,
        lr=3e-4,
        weight_decay=0.0,
        input_weight_decay=0.0,
        averaging_epochs=0,
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
        validation_fraction=0.2,
        n_iter_no_change=5,
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

    def predict(self, X):
        """Predicted targets, in the units and shape of the fitted ``y``: the
        mean of the networks' predictions (``n_estimators``).

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        out, _ = self._forward(X)
        out = out.mean(axis=0) * self.y_scale_ + self.y_mean_
        return out[:, 0] if self._y_ndim == 1 else out

    def _make_task(self):
        return RegressionTask(len(self.y_mean_))

    def _constant_loss(self, train):
        """The squared error of predicting the mean of the standardized
        targets: 1."""
        return 1.0

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
                f"y has {len(y2)} rows, but the modalities have {n_samples} rows. {ROWS_HINT}"
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
