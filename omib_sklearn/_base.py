"""BaseOMIB: the fit pipeline shared by the three estimators.

validate the modalities -> estimate information and pick beta -> warm-up ->
main training -> transform / predict. Each estimator only adds its task
(loss, head, divergence for r) and its scikit-learn API.
"""

import copy
import time
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._set_output import _wrap_method_output
from sklearn.utils.validation import check_is_fitted

from ._information import beta_bounds, estimate_information, select_beta
from ._modalities import check_modalities
from ._training import (
    ModalityDataset,
    OMIBNet,
    PhaseEarlyStopping,
    PhaseRecorder,
)
from .nn import OMIBModule
from .nn._modules import INPUT_WEIGHTS


class BaseOMIB(ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """Shared machinery of the OMIB estimators. Not for direct use."""

    _parameter_constraints = {
        "modalities": [list, tuple, None],
        "beta": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "information": [StrOptions({"channels", "raw"})],
        "info_noise": [Interval(Real, 0, None, closed="neither")],
        "mine_steps": [Interval(Integral, 1, None, closed="left")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "input_weight_decay": [Interval(Real, 0, None, closed="left")],
        "averaging_epochs": [Interval(Real, 0, None, closed="left")],
        "encoder_hidden": [tuple, list],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "dynamic_r": ["boolean"],
        "standardize": ["boolean"],
        "early_stopping": ["boolean"],
        "refit": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "callbacks": [list, None],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        modalities=None,
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
        embedding_dim=256,
        latent_dim=64,
        n_heads=4,
        dropout=0.0,
        input_dropout=0.0,
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
        self.modalities = modalities
        self.beta = beta
        self.information = information
        self.info_noise = info_noise
        self.mine_steps = mine_steps
        self.warmup_epochs = warmup_epochs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.input_weight_decay = input_weight_decay
        self.averaging_epochs = averaging_epochs
        self.encoder_hidden = encoder_hidden
        self.embedding_dim = embedding_dim
        self.latent_dim = latent_dim
        self.n_heads = n_heads
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dynamic_r = dynamic_r
        self.standardize = standardize
        self.early_stopping = early_stopping
        self.refit = refit
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- the pipeline ---------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the OMIB model: beta selection, warm-up, then main training.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            The modalities, each of shape (n_samples, n_features_i); one 2-D
            array is split by the ``modalities`` parameter.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (ignored by the anomaly detector).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        arrays = check_modalities(self, X, reset=True)
        target = self._check_target(y, arrays[0].shape[0])
        self._check_hyperparameters()
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        devices = [torch.device(self.device)] if torch.device(self.device).type == "cuda" else []
        clock = time.perf_counter
        self.fit_times_ = {}
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            start = clock()
            self._choose_beta(arrays, rng)
            self.fit_times_["beta"] = clock() - start
            train, valid = self._split(arrays, target, rng)
            epochs = {"warmup": self.warmup_epochs, "main": self.max_epochs}
            self.fit_times_.update(self._train(arrays, train, valid, seed, epochs))
            self.best_epochs_ = None
            self.early_stopping_history_ = None
            if valid is not None:
                self.best_epochs_ = dict(self.net_.best_epochs_)
                if self.refit:
                    # Early stopping chose how long to train; train again
                    # from scratch on every row for that long (Goodfellow et
                    # al., 2016, Algorithm 7.2), so that the held-out rows
                    # also shape the final model.
                    self.early_stopping_history_ = self._phase_histories(self.net_)
                    if self.verbose:
                        print(f"[OMIB] refit on all {arrays[0].shape[0]} rows for the epochs "
                              f"early stopping chose: {self.best_epochs_}")
                    times = self._train(
                        arrays, self._dataset(arrays, target), None, seed, self.best_epochs_
                    )
                    self.fit_times_["refit"] = sum(times.values())
        self._collect_fitted_attributes()
        return self

    # BaseOMIB is not a TransformerMixin subclass itself, so wrap ``transform``
    # for ``set_output`` here (sklearn only wraps methods of its subclasses).
    @partial(_wrap_method_output, method="transform")
    def transform(self, X):
        """Return the MIB embedding xi (computed with zeta_i = mu_i).

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        xi : ndarray of shape (n_samples, latent_dim)
        """
        return self._forward(X)[1]

    # -- stages ---------------------------------------------------------------
    def _check_hyperparameters(self):
        if self.latent_dim % self.n_heads:
            raise ValueError(
                f"latent_dim ({self.latent_dim}) must be divisible by n_heads ({self.n_heads})."
            )
        if len(self.encoder_hidden) and not all(
            isinstance(w, Integral) and w > 0 for w in self.encoder_hidden
        ):
            raise ValueError(
                f"encoder_hidden must hold positive integers, got {self.encoder_hidden!r}."
            )

    def _choose_beta(self, arrays, rng):
        """Stage 2: MINE estimates, the bounds [M_l, M_u], and beta."""
        if self.beta != "auto":
            self.information_ = None
            self.beta_bounds_ = None
            self.beta_ = float(self.beta)
            return
        est = estimate_information(
            arrays, method=self.information, noise_std=self.info_noise,
            n_steps=self.mine_steps, random_state=rng, device=self.device,
        )
        for message in est.repairs:
            warnings.warn(f"MINE estimates repaired: {message}", UserWarning, stacklevel=3)
        self.information_ = est.matrix
        self.information_raw_ = est.raw
        self.beta_bounds_ = beta_bounds(est.matrix)
        self.beta_ = select_beta(self.beta_bounds_, rng)
        if self.verbose:
            h = ", ".join(f"H_{i + 1}={v:.3g}" for i, v in enumerate(np.diag(est.matrix)))
            iu = np.triu_indices(len(est.matrix), k=1)
            mi = ", ".join(
                f"I_{i + 1}{j + 1}={est.matrix[i, j]:.3g}" for i, j in zip(*iu)
            )
            print(
                f"[OMIB] MINE ({self.information}): {h}{', ' + mi if mi else ''} nats; "
                f"beta bounds [{self.beta_bounds_[0]:.3g}, {self.beta_bounds_[1]:.3g}]; "
                f"beta = {self.beta_:.3g}"
            )

    def _train(self, arrays, train, valid, seed, epochs):
        """Stages 3 and 4: build the network, then run the warm-up and the
        main phase for at most ``epochs[phase]`` epochs each; returns the
        seconds each phase took."""
        clock = time.perf_counter
        self.net_ = self._build_net(arrays, train, valid, seed)
        times = {}
        for phase in ("warmup", "main"):
            start = clock()
            self._run_phase(phase, train, epochs[phase])
            times[phase] = clock() - start
        return times

    @staticmethod
    def _dataset(arrays, target):
        return ModalityDataset({f"m{i}": a for i, a in enumerate(arrays)}, target)

    def _split(self, arrays, target, rng):
        if not self.early_stopping:
            return self._dataset(arrays, target), None
        stratify = target if self._stratify else None
        idx_train, idx_valid = train_test_split(
            np.arange(arrays[0].shape[0]), test_size=self.validation_fraction,
            random_state=rng.randint(np.iinfo(np.int32).max), stratify=stratify,
        )
        def sub(idx):
            return self._dataset([a[idx] for a in arrays], None if target is None else target[idx])
        return sub(idx_train), sub(idx_valid)

    def _build_net(self, arrays, train, valid, seed):
        from skorch.helper import predefined_split

        task = self._make_task()
        module = OMIBModule(
            [a.shape[1] for a in arrays], task.out_dim, head=task.head,
            encoder_hidden=tuple(self.encoder_hidden),
            embedding_dim=self.embedding_dim, latent_dim=self.latent_dim,
            n_heads=self.n_heads, dropout=self.dropout,
            input_dropout=self.input_dropout,
            bias=task.head != "svdd",
        )
        if self.standardize:
            Xtr = train.X
            shifts = [Xtr[f"m{i}"].mean(0) for i in range(len(arrays))]
            scales = [Xtr[f"m{i}"].std(0) for i in range(len(arrays))]
            scales = [torch.where(s > 0, s, torch.ones_like(s)) for s in scales]
            module.set_standardization(shifts, scales)
        callbacks = [("phase", PhaseRecorder())]
        if valid is not None:
            callbacks.append(
                ("early_stopping", PhaseEarlyStopping(self.n_iter_no_change, self.tol))
            )
        callbacks += list(copy.deepcopy(self.callbacks or []))
        net = OMIBNet(
            module=module,
            criterion=torch.nn.MSELoss,  # unused: each task computes its own loss
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=self.weight_decay,
            # The input layer of each encoder: decoupled decay of its own.
            optimizer__param_groups=[
                (INPUT_WEIGHTS, {"weight_decay": self.input_weight_decay})
            ],
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=callbacks,
            device=self.device,
            verbose=int(self.verbose),
            callbacks__print_log__keys_ignored=["kl", "r", "best_in_phase", "valid_score_sum"],
            task=task,
            beta=self.beta_,
            dynamic_r=self.dynamic_r,
            iterator_seed=seed,
            average_epochs=self.averaging_epochs,
        )
        net.initialize()
        self._before_training(net, train)
        return net

    def _run_phase(self, phase, train, epochs):
        net = self.net_
        self._before_phase(net, phase, train)
        if self.verbose and epochs:
            print(f"[OMIB] phase: {phase} ({epochs} epochs at most)")
        net.run_phase(phase, train, epochs)

    @staticmethod
    def _phase_histories(net):
        epochs = [
            {k: v for k, v in row.items() if k != "batches"} for row in net.history
        ]
        return {
            "warmup": [e for e in epochs if e.get("phase") == "warmup"],
            "main": [e for e in epochs if e.get("phase") == "main"],
        }

    def _collect_fitted_attributes(self):
        net = self.net_
        self.module_ = net.module_
        self.history_ = self._phase_histories(net)
        r_traj = [e["r"] for e in self.history_["main"] if "r" in e]
        self.r_history_ = np.asarray(r_traj, dtype=float).reshape(-1, self.n_modalities_)
        self.r_ = net.r.numpy().astype(float)
        self.n_epochs_ = {k: len(v) for k, v in self.history_.items()}

    # -- inference ------------------------------------------------------------
    def _forward(self, X):
        """(head output, xi) as float64 arrays for validated X."""
        check_is_fitted(self, "net_")
        arrays = check_modalities(self, X, reset=False)
        ds = ModalityDataset({f"m{i}": a for i, a in enumerate(arrays)})
        y_hat, xi = self.net_.forward(ds, training=False)
        return y_hat.numpy().astype(np.float64), xi.numpy().astype(np.float64)

    # -- hooks for the tasks ---------------------------------------------------
    _stratify = False

    def _make_task(self):
        raise NotImplementedError

    def _check_target(self, y, n_samples):
        raise NotImplementedError

    def _before_training(self, net, train):
        """Called once the net is built, before the warm-up."""

    def _before_phase(self, net, phase, train):
        """Called before each phase."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.device != "cpu"
        return tags

    # -- scikit-learn compatibility ---------------------------------------------
    @property
    def _n_features_out(self):
        """Width of the embedding returned by ``transform`` (for
        ``get_feature_names_out``); raises NotFittedError before ``fit``."""
        check_is_fitted(self, "net_")
        return int(self.net_.module_.latent_dim)

    def __getstate__(self):
        # ``module_`` is the net's module: pickle it once, inside ``net_``,
        # whose skorch pickling maps CUDA tensors to the CPU on load when no
        # GPU is available.
        state = super().__getstate__()
        if "net_" in state:
            state = {k: v for k, v in state.items() if k != "module_"}
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in state:
            self.module_ = self.net_.module_
