"""BaseOMIB: the fit pipeline shared by the three estimators.

validate the modalities -> estimate information and pick beta -> warm-up ->
main training -> transform / predict. Each estimator only adds its task
(loss, head, divergence for r) and its scikit-learn API.
"""

import copy
import time
import warnings
from contextlib import contextmanager, nullcontext
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.exceptions import SkorchException

from ._absent import check_modalities_masked, complete_rows
from ._callbacks import (
    NetworkEarlyStopping,
    PhaseLog,
    PhaseProgress,
    PhaseRecorder,
    PlateauLearningRate,
    write_line,
)
from ._compat import Interval, StrOptions, _check_sample_weight, _fit_context
from ._encoder_spec import resolve_encoders
from ._information import beta_bounds, estimate_information, information_views, select_beta
from ._objective import PhaseObjective
from ._phase import Phase
from ._row_plan import RowPlan, plan_rows
from ._sparse import as_table, is_sparse, sparse_scale
from ._training import NetworkRows, OMIBNet, fused_adam_supported
from .nn import OMIBModule
from .nn._modules import INPUT_WEIGHTS, LINEAR_PATH_WEIGHTS, slice_networks

#: A phase stops only after this many optimizer steps without improvement
#: (and ``n_iter_no_change`` epochs): on small data an epoch is a few steps,
#: and a patience of a few epochs ended training on the initial plateau.
MIN_STOPPING_STEPS = 50


#: Epochs without improvement that a network waits while its validation loss
#: has not yet fallen below that of a constant prediction (the plateau of a
#: target that lies across modalities; ``NetworkEarlyStopping``). None: it
#: trains on until the phase's last epoch; 0: no plateau rule.
PLATEAU_EPOCHS = None

#: Learning-rate factor of a network still on that plateau after
#: ``MIN_STOPPING_STEPS`` optimizer steps (``PlateauLearningRate``; 1: none).
PLATEAU_LR_FACTOR = 5.0


class BaseOMIB(TransformerMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """Shared machinery of the OMIB estimators. Not for direct use."""

    _parameter_constraints = {
        "modalities": [list, tuple, None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
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
        "encoders": [list, tuple, dict, None],
        "head_hidden": [Interval(Integral, 0, None, closed="left"), tuple, list],
        "linear_path": ["boolean"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "modality_dropout": [Interval(Real, 0, 1, closed="left")],
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
        self.modalities = modalities
        self.n_estimators = n_estimators
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
        self.encoders = encoders
        self.head_hidden = head_hidden
        self.linear_path = linear_path
        self.embedding_dim = embedding_dim
        self.latent_dim = latent_dim
        self.n_heads = n_heads
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.modality_dropout = modality_dropout
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
    def fit(self, X, y=None, sample_weight=None):
        """Fit the OMIB model: beta selection, warm-up, then main training.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            The modalities, each of shape (n_samples, n_features_i); one 2-D
            array is split by the ``modalities`` parameter.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (ignored by the anomaly detector).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in every loss: both phases' training losses,
            the validation loss of early stopping, and the standardization of
            the features. None gives every row weight 1. The information
            estimates that choose beta use every row unweighted.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        data, target, weight = self._check_fit_input(X, y, sample_weight)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        self.fit_times_ = {}
        with self._torch_seeded(seed):
            with self._timed("beta"):
                self._choose_beta(data, rng)
            plan = self._plan_rows(target, data.n_samples, rng)
            self._train(data, target, weight, plan, seed,
                        {"warmup": self.warmup_epochs, "main": self.max_epochs})
            self._close_validation(plan)
            self._refit(data, target, weight, plan, seed)
        self._collect_fitted_attributes()
        return self

    def transform(self, X):
        """Return the MIB embedding xi (computed with zeta_i = mu_i).

        With several networks (``n_estimators > 1``) their embeddings are
        returned side by side: columns ``k * latent_dim`` to ``(k + 1) *
        latent_dim - 1`` hold network k's.

        Parameters
        ----------
        X : list, tuple or dict of array-like, Modalities, or array-like
            Modalities laid out as in ``fit``.

        Returns
        -------
        xi : ndarray of shape (n_samples, n_estimators * latent_dim)
        """
        xi = self._forward(X)[1]
        return np.concatenate(list(xi), axis=1)

    # -- stages ---------------------------------------------------------------
    def _check_fit_input(self, X, y, sample_weight):
        """Stage 1: the modalities, the target and the row weights, checked
        before anything trains."""
        data = check_modalities_masked(self, X, reset=True)
        target = self._check_target(y, data.n_samples)
        weight = self._check_weights(sample_weight, data.arrays[0], target)
        self._check_hyperparameters()
        return data, target, weight

    @contextmanager
    def _torch_seeded(self, seed):
        """torch's global generator seeded for the fit, restored after it."""
        device = torch.device(self.device)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            yield

    @contextmanager
    def _timed(self, stage):
        """Seconds spent in ``stage``, recorded in ``fit_times_``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.fit_times_[stage] = time.perf_counter() - start

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
        if not isinstance(self.head_hidden, Integral) and not all(
            isinstance(w, Integral) and w > 0 for w in self.head_hidden
        ):
            raise ValueError(
                f"head_hidden must be an int or hold positive integers, got {self.head_hidden!r}."
            )

    def _head_widths(self):
        """``head_hidden`` as a tuple of widths (``()``: linear heads)."""
        if isinstance(self.head_hidden, Integral):
            return (int(self.head_hidden),) if self.head_hidden else ()
        return tuple(int(w) for w in self.head_hidden)

    def _choose_beta(self, data, rng):
        """Stage 2: MINE estimates, the bounds [M_l, M_u], and beta."""
        if self.beta != "auto":
            self.information_ = None
            self.beta_bounds_ = None
            self.beta_ = float(self.beta)
            if self.verbose:
                print(f"[OMIB] beta = {self.beta_:g}, fixed (no MINE estimates)")
            return
        if self.verbose:
            print(f"[OMIB] beta selection: MINE estimates ({self.information}, "
                  f"{self.mine_steps} steps each)")
        est = estimate_information(
            information_views(complete_rows(data)), method=self.information,
            noise_std=self.info_noise, n_steps=self.mine_steps, random_state=rng, device=self.device,
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

    def _plan_rows(self, target, n_samples, rng):
        """Stage 3: the training and held-out rows of every network."""
        stratify = self._stratify and target is not None
        if stratify and self.early_stopping:
            counts = np.bincount(target)
            single = self.classes_[counts == 1]
            if len(single):
                warnings.warn(
                    f"Class {', '.join(map(repr, single.tolist()))} of y has a single row, "
                    "which is never held out for early stopping (it trains every network). "
                    "Pass early_stopping=False to train on every row without early stopping.",
                    UserWarning, stacklevel=3,
                )
        plan = plan_rows(
            n_samples, target if stratify else None, n_estimators=self.n_estimators,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction, refit=self.refit,
            stratify=stratify, random_state=rng,
        )
        self.validation_scheme_ = plan.scheme
        if self.verbose:
            print(f"[OMIB] {plan.describe()}")
        return plan

    def _check_weights(self, sample_weight, first, target):
        """Row weights: ``sample_weight`` times the class weights (None when
        both are absent)."""
        weight = None
        if sample_weight is not None:
            weight = _check_sample_weight(
                sample_weight, first, dtype=np.float64, ensure_non_negative=True
            )
        weight = self._weight_classes(target, weight)
        if weight is not None and not weight.sum() > 0:
            raise ValueError("The sample weights add up to 0; at least one row needs a positive weight.")
        return weight

    def _weight_classes(self, target, weight):
        """Hook of the classifier (``class_weight``)."""
        return weight

    def _train(self, data, target, weight, plan, seed, epochs, log=True, plateau_replay=None):
        """Stages 4 and 5: build the networks, then run the warm-up and the
        main phase for at most ``epochs[phase]`` epochs each, timed in
        ``fit_times_`` when ``log``. ``plateau_replay``: the epochs that
        train faster without held-out rows (``PlateauLearningRate``)."""
        train = NetworkRows(data, target, plan.train, weight)
        valid = None if plan.valid is None else NetworkRows(data, target, plan.valid, weight)
        self.net_ = self._build_net(data, train, valid, seed, log=log, epochs=epochs,
                                    plateau_replay=plateau_replay)
        for phase in Phase:
            with self._timed(phase.value) if log else nullcontext():
                self._run_phase(phase, train, epochs[phase.value])

    def _close_validation(self, plan):
        """The epochs early stopping chose, and a ConvergenceWarning when the
        main phase was cut short while improving."""
        self._choose_epochs(plan)
        self._warn_if_not_converged(plan)

    def _choose_epochs(self, plan):
        """The epochs early stopping chose, per network and phase."""
        self.best_epochs_ = None
        self.early_stopping_history_ = None
        if plan.valid is None:
            return
        self.best_epochs_ = {
            phase: np.asarray(epochs, dtype=int) for phase, epochs in self.net_.best_epochs_.items()
        }
        if plan.refit:
            self.early_stopping_history_ = self._phase_histories(self.net_)

    def _warn_if_not_converged(self, plan):
        """ConvergenceWarning when the main phase ended at its epoch limit
        while it was still improving: on its held-out rows (any network whose
        best epoch is the last), or without them, on its training loss
        (falling by more than ``tol`` over the last epoch). Never when early
        stopping ended the phase."""
        main = [e for e in self.net_.history if e.get("phase") == Phase.MAIN.value]
        if not main or self.net_.stopped_early_.get(Phase.MAIN.value):
            return
        if plan.valid is not None:
            # No best epoch when the validation loss was never finite.
            best = self.best_epochs_.get(Phase.MAIN.value)
            still = best is not None and bool(np.any(best == len(main)))
            what = "validation loss"
        else:
            losses = [e["train_loss"] for e in main]
            still = len(losses) > 1 and losses[-2] - losses[-1] > self.tol
            what = "training loss"
        if still:
            warnings.warn(
                f"The main phase stopped at max_epochs={self.max_epochs} while its {what} "
                "was still improving: the networks may be under-trained. Increase "
                "max_epochs (or lr).",
                ConvergenceWarning, stacklevel=4,
            )

    def _refit(self, data, target, weight, plan, seed):
        """Stage 6: with ``plan.refit``, train one network from scratch on
        every row for the epochs that early stopping chose (the median over
        the folds of a cross-validation; Goodfellow et al., 2016, Algorithm
        7.2), so that the held-out rows also shape the final model. Without
        refit, a cross-validation keeps the network of its first fold."""
        if not plan.refit:
            if plan.scheme == "cv":
                slice_networks(self.net_.module_, [0])
            return
        epochs = {
            phase.value: int(np.round(np.median(self.best_epochs_[phase.value])))
            if phase.value in self.best_epochs_ else 0
            for phase in Phase
        }
        # The epochs that the networks still on the initial plateau trained
        # faster: from the same first epoch, the median count.
        replay = {
            phase: (first, int(np.round(np.median(count))))
            for phase, (first, count) in self.net_.plateau_lr_epochs_.items()
        }
        every_row = RowPlan("none", [np.arange(data.n_samples)])
        with self._timed("refit"):
            try:
                self._train(data, target, weight, every_row, seed, epochs, log=False,
                            plateau_replay=replay)
            except (KeyError, SkorchException) as e:
                # skorch's history raises a KeyError for a key no epoch
                # recorded (Checkpoint turns it into a SkorchException): a
                # callback monitoring valid_loss (skorch's EarlyStopping,
                # Checkpoint), which the refit, without held-out rows, lacks.
                if "not found in history" not in str(e):
                    raise
                raise ValueError(
                    f"A callback failed in the refit on every row: {e.args[0]} The refit "
                    "has no held-out rows, hence no valid_loss: let callbacks monitor "
                    "train_loss, or pass refit=False to keep the networks trained with "
                    "held-out rows."
                ) from e
        if self.verbose:
            print(f"[OMIB] refit on all {data.n_samples} rows for the epochs early stopping "
                  f"chose (warm-up {epochs['warmup']}, main {epochs['main']}): "
                  f"{self.fit_times_['refit']:.1f} s")

    def _make_module(self, task, shapes, n_networks):
        """A new (untrained) OMIBModule of ``n_networks`` networks for rows of
        the modalities' ``shapes`` (an int width or a row shape each)."""
        return OMIBModule(
            shapes, task.out_dim,
            head=task.head,
            encoders=resolve_encoders(self.encoders, self.modality_names_),
            names=self.modality_names_,
            n_members=n_networks,
            encoder_hidden=tuple(self.encoder_hidden),
            head_hidden=self._head_widths(), linear_path=self.linear_path,
            embedding_dim=self.embedding_dim, latent_dim=self.latent_dim,
            n_heads=self.n_heads, dropout=self.dropout,
            input_dropout=self.input_dropout,
            bias=task.bias, stochastic=task.stochastic,
        )

    def _build_net(self, data, train, valid, seed, log=True, epochs=None, plateau_replay=None):
        from skorch.helper import predefined_split

        task = self._make_task()
        module = self._make_module(task, data.row_shapes, train.n_networks)
        if self.standardize:
            # Each network is standardized with the (weighted) mean and std
            # of its own training rows where the modality is present: per
            # feature, or over all entries of an N-D modality (one mean and
            # std, whatever its layout). A sparse modality is scaled by its
            # std without centring, so that its zeros stay zeros.
            w = train.weight if train.weight is not None else torch.ones(data.n_samples)
            present = train.present
            shifts, scales = [], []
            for i, x in enumerate(train.inputs):
                wi = w if present is None else w * present[:, i].to(w.dtype)
                if is_sparse(x):
                    scales.append(sparse_scale(x, train.rows, wi.numpy()))
                    shifts.append(torch.zeros_like(scales[-1]))
                    continue
                nd = x.dim() > 2
                x = x.reshape(len(x), -1)
                mean, std = [], []
                for r in train.rows:
                    wr = (wi[r] / wi[r].sum().clamp_min(1e-12))[:, None]
                    m = (wr * x[r]).sum(0)
                    mean.append(m.mean(0, keepdim=True) if nd else m)
                    var = (wr * (x[r] - mean[-1]) ** 2).sum(0)
                    std.append((var.mean(0, keepdim=True) if nd else var).sqrt())
                std = torch.stack(std)
                shifts.append(torch.stack(mean))
                scales.append(torch.where(std > 0, std, torch.ones_like(std)))
            module.set_standardization(shifts, scales)
        callbacks = [("phase", PhaseRecorder())]
        if self.verbose and epochs is not None:
            # Before early stopping, whose StopPhase ends the epoch's callbacks.
            callbacks.append(("progress", PhaseProgress(epochs, "" if log else "refit ")))
        if valid is not None:
            callbacks.append((
                "early_stopping",
                NetworkEarlyStopping(
                    self.n_iter_no_change, self.tol, min_steps=MIN_STOPPING_STEPS,
                    baseline=self._constant_loss(train), plateau_epochs=PLATEAU_EPOCHS,
                ),
            ))
        if PLATEAU_LR_FACTOR != 1 and (valid is not None or plateau_replay):
            callbacks.append(("plateau_lr", PlateauLearningRate(
                PLATEAU_LR_FACTOR, min_steps=MIN_STOPPING_STEPS, replay=plateau_replay)))
        callbacks += list(copy.deepcopy(self.callbacks or []))
        return self._make_net(
            module, task, callbacks, None if valid is None else predefined_split(valid), seed,
            log=log,
        )

    def _make_net(self, module, task, callbacks, train_split, seed, log=True, device=None):
        """The initialized skorch net that trains ``module`` (on ``device``,
        default the ``device`` parameter)."""
        device = self.device if device is None else device
        net = OMIBNet(
            module=module,
            criterion=PhaseObjective(task, beta=self.beta_, dynamic_r=self.dynamic_r),
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=self.weight_decay,
            optimizer__fused=fused_adam_supported(torch.device(device).type),
            # The input layer of each encoder: decoupled decay of its own.
            optimizer__param_groups=[
                (pattern, {"weight_decay": self.input_weight_decay})
                for pattern in (INPUT_WEIGHTS, LINEAR_PATH_WEIGHTS)
            ],
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=int(self.verbose) if log else 0,
            # skorch's PrintLog prints to any sink but print whatever the
            # net's verbose: write_line only where the log is on.
            callbacks__print_log=PhaseLog(keys_ignored=[
                "kl", "r", "best_in_phase", "valid_network_loss", "phase",
                "train_network_loss", "network_r", "network_on_plateau",
            ], sink=write_line if log and self.verbose else print),
            iterator_seed=seed,
            average_epochs=self.averaging_epochs,
            modality_dropout=self.modality_dropout,
        )
        net.initialize()
        return net

    def _run_phase(self, phase, train, epochs):
        net = self.net_
        net.criterion_.task.prepare(net, train, phase)
        if net.verbose and epochs:
            print(f"[OMIB] phase: {phase.value} ({epochs} epochs at most)")
        net.run_phase(phase, train, epochs)

    @staticmethod
    def _phase_histories(net):
        """skorch's history split by phase, epochs numbered within each."""
        epochs = [
            {k: v for k, v in row.items() if k != "batches"} for row in net.history
        ]
        return {
            phase.value: [e for e in epochs if e.get("phase") == phase.value]
            for phase in Phase
        }

    def _collect_fitted_attributes(self):
        net = self.net_
        self.module_ = net.module_
        self.history_ = self._phase_histories(net)
        r_traj = [e["r"] for e in self.history_["main"] if "r" in e]
        self.r_history_ = np.asarray(r_traj, dtype=float).reshape(-1, self.n_modalities_)
        self.r_ = net.r.mean(0).numpy().astype(float)
        self.n_epochs_ = {k: len(v) for k, v in self.history_.items()}

    # -- inference ------------------------------------------------------------
    def _forward(self, X):
        """(head outputs, xi) of every network, float64 arrays of shapes
        (n_networks, n_samples, out_dim) and (n_networks, n_samples,
        latent_dim), for validated X."""
        check_is_fitted(self, "net_")
        data = check_modalities_masked(self, X, reset=False)
        y_hat, xi = self.net_.infer_networks(
            [as_table(a) for a in data.arrays],
            mask=None if data.present is None else torch.as_tensor(data.present),
        )
        return y_hat.numpy().astype(np.float64), xi.numpy().astype(np.float64)

    def _present_rows(self, X):
        """Which modalities each row of ``X`` has, bool (n_samples,
        n_modalities)."""
        check_is_fitted(self, "net_")
        data = check_modalities_masked(self, X, reset=False)
        if data.present is None:
            return np.ones((data.n_samples, len(data.arrays)), dtype=bool)
        return data.present

    # -- hooks for the tasks ---------------------------------------------------
    _stratify = False

    def _constant_loss(self, train):
        """Validation loss of a constant prediction, the level of the
        initial plateau for early stopping (None: no plateau rule)."""
        return None

    def _make_task(self):
        raise NotImplementedError

    def _check_target(self, y, n_samples):
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.device != "cpu"
        tags.input_tags.sparse = True  # scipy.sparse modalities (docs/sparse.md)
        return tags

    # -- scikit-learn compatibility ---------------------------------------------
    @property
    def _n_features_out(self):
        """Width of the embedding returned by ``transform`` (for
        ``get_feature_names_out``); raises NotFittedError before ``fit``."""
        check_is_fitted(self, "net_")
        module = self.net_.module_
        return int(module.n_members * module.latent_dim)

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
