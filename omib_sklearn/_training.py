"""Stages 4 and 5 of the data path: the warm-up and the main phase, run by a
private skorch net over an ensemble of networks trained at once.

The networks live in one module with a leading network dimension
(:mod:`omib_sklearn.nn`). Each network has its own training rows and, with
early stopping, its own held-out rows: the batches stack one batch of rows
per network, ``(K, batch, features)``, and every loss is a weighted mean per
network, so that networks never see each other's rows or gradients.

skorch's documented extension points carry the two phases: ``infer`` runs
the phase's forward pass, ``get_loss`` its objective (the criterion, a
:class:`~omib_sklearn._objective.PhaseObjective`), ``get_iterator`` feeds the
stacked batches, ``train_step`` / ``run_single_epoch`` keep and score a
running average of the weights (torch's ``AveragedModel``,
``averaging_epochs``), and callbacks (:mod:`omib_sklearn._callbacks`) record
the phase, the weights r and early stopping per network.
"""

import functools
import math
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNet
from skorch.dataset import Dataset
from torch.optim.swa_utils import AveragedModel

from ._callbacks import StopPhase
from ._data import Batch
from ._phase import Phase
from ._sparse import as_table, chunk_rows, n_rows, take_dense


class NetworkRows(Dataset):
    """One table of modalities and, per network, the rows it uses.

    A skorch :class:`~skorch.dataset.Dataset` for skorch's scoring
    callbacks, which read a dataset's ``X`` and ``y``
    (:func:`skorch.utils.data_from_dataset`): ``X`` is the dataset itself,
    which :meth:`OMIBNet.predict` predicts network by network, each network on
    its own rows, and ``y`` the targets of those rows in the same order
    (network 0's rows, then network 1's, ...).

    Parameters
    ----------
    data : ModalityData
        The modalities (:class:`~omib_sklearn._data.ModalityData`); a sparse
        one as a float32 CSR matrix, kept sparse (each batch densifies its
        own rows only).
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs), or None
    rows : list of ndarray of int
        The rows of each network (its training or its held-out rows).
    weight : ndarray of shape (n_samples,) or None
        Row weights of the losses (``sample_weight``).

    Attributes
    ----------
    inputs : list of tensor or scipy.sparse.csr_matrix
        The modalities (every row of the table).
    present : tensor of bool of shape (n_samples, n_modalities) or None
        Which modalities each row has (None: every row has every modality).
    target : tensor or None
        The targets (every row of the table).
    """

    # skorch's Dataset.__init__ is not called: the table is kept as given.
    def __init__(self, data, y, rows, weight=None):
        self.inputs = [as_table(a) for a in data.arrays]
        self.present = None if data.present is None else torch.as_tensor(data.present)
        self.target = None if y is None else torch.as_tensor(y)
        self.rows = [torch.as_tensor(np.asarray(r), dtype=torch.long) for r in rows]
        self.weight = None if weight is None else torch.as_tensor(weight, dtype=torch.float32)

    @property
    def X(self):
        """What skorch's scoring passes to ``net.predict``: the dataset."""
        return self

    @property
    def y(self):
        """The targets of each network's rows, one network after the other
        (None without targets)."""
        if self.target is None:
            return None
        return torch.cat([self.target[r] for r in self.rows]).numpy()

    @property
    def n_networks(self):
        return len(self.rows)

    def __len__(self):
        return max(len(r) for r in self.rows)

    def __getitem__(self, i):  # pragma: no cover - batches come from NetworkBatches
        raise TypeError("NetworkRows is read in stacked batches by NetworkBatches")


def padded_rows(rows, n):
    """A network's row indices padded to ``n`` by repeating its first row
    (padding rows get weight 0 in training and are dropped in scoring)."""
    pad = n - len(rows)
    return torch.cat([rows, rows[:1].expand(pad)]) if pad else rows


class NetworkBatches:
    """Yields a :class:`~omib_sklearn._data.Batch` per batch: for each
    modality the rows of one batch per network, ``(K, b, n_features)``, their
    mask of present modalities, their targets and their loss weights ``(K,
    b)``. The rows of a sparse modality are densified batch by batch.

    A network with fewer rows than the largest one is padded with weight 0, so
    that every epoch is exactly one pass over each network's rows.
    """

    def __init__(self, data, batch_size, shuffle=False, seed=0):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(int(seed))

    def __len__(self):
        return math.ceil(len(self.data) / self.batch_size)

    def __iter__(self):
        data = self.data
        n = len(data)
        order, real = [], []
        for r in data.rows:
            if self.shuffle:
                r = r[torch.randperm(len(r), generator=self.generator)]
            pad = n - len(r)
            real.append(torch.cat([torch.ones(len(r)), torch.zeros(pad)]))
            order.append(padded_rows(r, n))
        order, real = torch.stack(order), torch.stack(real)
        for start in range(0, n, self.batch_size):
            idx = order[:, start:start + self.batch_size]
            w = real[:, start:start + self.batch_size]
            if data.weight is not None:
                w = w * data.weight[idx]
            yield Batch(
                inputs=[take_dense(v, idx) for v in data.inputs],
                mask=None if data.present is None else data.present[idx],
                y=None if data.target is None else data.target[idx],
                weight=w,
            )


@functools.cache
def fused_adam_supported(device_type):
    """Whether torch has the fused AdamW kernel for this device type (CPU
    since torch 2.4): one kernel per step instead of several per tensor,
    1.3-1.5x faster steps on small networks."""
    try:
        param = torch.nn.Parameter(torch.zeros(1, device=device_type))
        param.grad = torch.zeros(1, device=device_type)
        torch.optim.AdamW([param], fused=True).step()
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


class OMIBNet(NeuralNet):
    """The skorch net behind every OMIB estimator (private).

    ``phase`` (a :class:`~omib_sklearn._phase.Phase`, ``Phase.WARMUP`` or
    ``Phase.MAIN``) selects the forward pass (:meth:`infer`) and the loss;
    the criterion is the phase objective
    (:class:`~omib_sklearn._objective.PhaseObjective`: task, beta, r), set by
    the estimator.

    Each phase is one skorch training run (:meth:`run_phase`): callbacks
    get ``on_train_begin`` and ``on_train_end`` around each phase's epochs
    and read the phase from ``net.phase``. Scoring callbacks never use
    cached batch outputs (``use_caching=False``): the stacked batches of
    the networks hold padding rows, so :class:`~skorch.callbacks.EpochScoring`
    predicts its dataset again with :meth:`predict`.
    """

    # Pickled with the CUDA-dependent attributes, so that their tensors are
    # mapped to the CPU when loaded without a GPU: the ``module`` parameter
    # (the module is passed initialized, so it holds the tensors of
    # ``module_``) and the callbacks, ``callbacks`` and ``callbacks_`` (early
    # stopping keeps the best weights).
    cuda_dependent_attributes_ = NeuralNet.cuda_dependent_attributes_ + ["module", "callbacks"]

    def __init__(self, *args, iterator_seed=0, average_epochs=0, modality_dropout=0.0, **kwargs):
        kwargs.setdefault("use_caching", False)
        super().__init__(*args, **kwargs)
        self.modality_dropout = modality_dropout
        self.average_epochs = average_epochs
        self.averaged_ = None
        self.steps_per_epoch_ = 1
        self.iterator_seed = iterator_seed
        self.phase = Phase.WARMUP
        self.phase_epochs_ = 0
        self.best_epochs_ = {}
        self.stopped_early_ = {}
        self.plateau_lr_epochs_ = {}
        self.network_lr_scale_ = None

    @property
    def phase(self):
        """The phase being trained, or the last one trained (a
        :class:`~omib_sklearn._phase.Phase`; set with a Phase or its name,
        ``"warmup"`` or ``"main"``). Stored as ``phase_``."""
        return self.phase_

    @phase.setter
    def phase(self, value):
        self.phase_ = Phase(value)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        # Epochs are numbered within each phase (skorch counts across phases).
        self.phase_epochs_ += 1
        self.history.record("epoch", self.phase_epochs_)

    # -- phases ---------------------------------------------------------
    def run_phase(self, phase, dataset_train, epochs):
        """Train ``epochs`` epochs of ``phase`` as one skorch training run:
        ``on_train_begin``, the epochs (skorch's ``fit_loop``), then
        ``on_train_end``, as in skorch's ``partial_fit``. Early stopping may
        end the phase sooner (``NetworkEarlyStopping`` raises
        :class:`~omib_sklearn._callbacks.StopPhase`, skorch's
        ``EarlyStopping`` ``KeyboardInterrupt``). At ``on_train_end`` each
        network takes the averaged weights (:meth:`on_train_end`), then its
        best weights of the phase where early stopping kept them
        (``best_epochs_[phase]`` counts the phase's epochs up to each
        network's best one). A phase of 0 epochs is not run."""
        self.phase = phase
        self.phase_epochs_ = 0
        self.stopped_early_[self.phase.value] = False
        self.averaged_ = None
        self.steps_per_epoch_ = max(1, math.ceil(len(dataset_train) / self.batch_size))
        if epochs <= 0:
            return
        self.notify("on_train_begin", X=dataset_train, y=None)
        try:
            self.fit_loop(dataset_train, None, epochs=epochs)
        except (StopPhase, KeyboardInterrupt):
            self.stopped_early_[self.phase.value] = True
        self.notify("on_train_end", X=dataset_train, y=None)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """The end of a phase: the averaged weights are loaded and the
        average dropped (callbacks run after this, early stopping's restores
        its best weights)."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.load_averaged_weights()
        self.averaged_ = None

    def train_step(self, batch, **fit_params):
        """skorch's training step, then the check that the loss (the mean
        over the networks) is finite.

        A non-finite loss raises a ValueError at once, naming the phase and
        its epoch, rather than training on (every later step would be NaN,
        and the fit would end in NaN outputs). ValueError as scikit-learn's
        MLPClassifier and MLPRegressor raise when their weights become
        non-finite, so that ``error_score`` and the other scikit-learn
        handling of failed fits treat it as they treat theirs.
        """
        step = self._train_step_averaged(batch, **fit_params)
        loss = step["loss"]
        if not torch.isfinite(loss):
            raise ValueError(
                f"The training loss became non-finite ({loss.item()}) in epoch "
                f"{self.phase_epochs_} of the {self.phase.value} phase: the training "
                f"diverged. Use a lower lr (now {self.lr:g}); check the inputs for "
                "extreme values."
            )
        return step

    # -- per-network learning rate and weight averaging ------------------
    def set_network_lr_scale(self, scale):
        """Multiply each network's learning rate by ``scale`` (one factor
        per network; None: all 1) from the next optimizer step on."""
        self.network_lr_scale_ = None if scale is None else torch.as_tensor(
            np.asarray(scale, dtype=np.float32))

    def _train_step_averaged(self, batch, **fit_params):
        scale = self.network_lr_scale_
        if scale is None:
            step = super().train_step(batch, **fit_params)
        else:
            # An AdamW step at lr * s is the step at lr stretched by s: the
            # moment estimates do not depend on lr, and the decoupled decay
            # scales with it. Every parameter has the network dimension first.
            params = [p for p in self.module_.parameters() if p.requires_grad]
            before = [p.detach().clone() for p in params]
            step = super().train_step(batch, **fit_params)
            scale = scale.to(device=params[0].device, dtype=params[0].dtype)
            with torch.no_grad():
                for p, p0 in zip(params, before):
                    s = scale.view(-1, *[1] * (p.dim() - 1))
                    p.copy_(torch.where(s != 1, p0 + s * (p - p0), p))
        if self.average_epochs:
            if self.averaged_ is None:
                self.averaged_ = TailAverage(
                    self.module_, self.average_epochs * self.steps_per_epoch_
                )
            self.averaged_.update(self.module_)
        return step

    def _averaged_parameters(self):
        return self.averaged_.parameters()

    def _load_weights(self, weights):
        with torch.no_grad():
            for k, p in self.module_.named_parameters():
                p.copy_(weights[k])

    @contextmanager
    def averaged_weights(self):
        """Temporarily load the averaged weights into the module."""
        if self.averaged_ is None:
            yield
            return
        saved = {k: p.detach().clone() for k, p in self.module_.named_parameters()}
        self._load_weights(self._averaged_parameters())
        try:
            yield
        finally:
            self._load_weights(saved)

    def load_averaged_weights(self):
        if self.averaged_ is not None:
            self._load_weights(self._averaged_parameters())

    def averaged_state_dict(self):
        """A copy of the module's state with the averaged weights (the
        current ones when averaging is off), buffers included."""
        state = self.module_.state_dict()
        averaged = {} if self.averaged_ is None else self._averaged_parameters()
        for k, v in state.items():
            state[k] = averaged.get(k, v).detach().clone()
        return state

    def run_single_epoch(self, *args, **kwargs):
        # Validation epochs score the averaged weights (skorch passes
        # ``training`` by keyword; positional second argument otherwise).
        training = kwargs["training"] if "training" in kwargs else args[1]
        if training:
            return super().run_single_epoch(*args, **kwargs)
        with self.averaged_weights():
            return super().run_single_epoch(*args, **kwargs)

    @property
    def r(self):
        """Current weights r_i per network, ``(K, M)``, modality 1 first (1)."""
        module = self.module_
        return self.criterion_.r(module.n_members, module.n_modalities)

    # -- skorch extension points ----------------------------------------
    def get_iterator(self, dataset, training=False):
        # Kept in place of skorch's DataLoader path: a Dataset whose
        # ``__getitems__`` returns the same stacked batches made SIM-I's
        # epochs 1% slower (benchmarks/bench_data_path.py), still needed this
        # per-network shuffling and padding, and would draw other batches
        # from the same seed.
        return NetworkBatches(
            dataset, self.batch_size, shuffle=training,
            seed=self.iterator_seed + len(self.history),
        )

    def infer(self, x, mask=None):
        """The phase's forward pass on the inputs ``x`` of a batch (a list of
        tensors) and their ``mask``: ``forward_warmup`` or ``forward_train``
        of the module (a :class:`~omib_sklearn.nn._modules.ModuleOutput`)."""
        x = [v.to(self.device) for v in x]
        mask = None if mask is None else mask.to(self.device)
        module = self.module_
        if (self.modality_dropout and self.phase is Phase.MAIN and module.training
                and module.n_modalities > 1):
            mask = drop_modalities(x, mask, self.modality_dropout)
        forward = module.forward_warmup if self.phase is Phase.WARMUP else module.forward_train
        return forward(x, mask=mask)

    def get_loss(self, y_pred, y_true, X=None, training=False, *, weight):
        """The phase objective of each network ``(K,)`` for targets
        ``y_true`` and row weights ``weight`` ``(K, b)``; records the mean KL
        terms."""
        y = None if y_true is None else y_true.to(self.device)
        losses, kls = self.criterion_(
            y_pred, y, weight.to(self.device), module=self.module_, phase=self.phase,
            training=training,
        )
        if kls is not None:
            self.history.record_batch("kl", kls.cpu().tolist())
        return losses

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        out = self.infer(batch.inputs, batch.mask)
        losses = self.get_loss(out, batch.y, training=True, weight=batch.weight)
        self.history.record_batch("train_network_loss", losses.detach().tolist())
        # Each network's gradient comes from its own loss only.
        losses.sum().backward()
        return {"loss": losses.detach().mean(), "y_pred": step_prediction(out)}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        with torch.no_grad():
            out = self.infer(batch.inputs, batch.mask)
            losses = self.get_loss(out, batch.y, training=False, weight=batch.weight)
            wi = batch.weight.to(self.device)
            yi = None if batch.y is None else batch.y.to(self.device)
            scores = self.criterion_.score(out, yi, self.module_, phase=self.phase)
            weight = wi.sum(1)
        # Sums per network, so that early stopping divides by the weight of
        # each network's held-out rows over the whole epoch.
        self.history.record_batch("valid_network_sum", (losses * weight).tolist())
        self.history.record_batch("valid_network_score", (scores * wi).sum(1).tolist())
        self.history.record_batch("valid_network_weight", weight.tolist())
        return {"loss": losses.mean(), "y_pred": step_prediction(out)}

    # -- inference ------------------------------------------------------------
    def infer_networks(self, X, mask=None, chunk_size=4096):
        """``(y_hat, xi)`` of every network on the rows of ``X`` (a list of
        ``(n, p)`` tensors), shapes ``(K, n, out_dim)`` and ``(K, n, k)``;
        zeta_i = mu_i. ``mask``, ``(n, n_modalities)``, is nonzero where a
        modality is present (None: every modality present). A sparse
        modality (a CSR matrix) is densified chunk by chunk, in chunks small
        enough for its width (:func:`~omib_sklearn._sparse.chunk_rows`)."""
        self._set_training(False)
        n = n_rows(X[0])
        chunk_size = chunk_rows(X, self.module_.n_members, chunk_size)
        outs, xis = [], []
        with torch.no_grad():
            for start in range(0, n, chunk_size):
                rows = slice(start, start + chunk_size)
                xb = [take_dense(v, rows).to(self.device) for v in X]
                mb = None if mask is None else mask[rows].to(self.device)
                out = self.module_(xb, mask=mb)
                outs.append(out.y_hat.cpu())
                xis.append(out.xi.cpu())
        return torch.cat(outs, dim=1), torch.cat(xis, dim=1)


    # -- predictions for skorch's scoring callbacks -----------------------------
    def network_outputs(self, dataset, chunk_size=4096):
        """The fusion head's output of each network on its own rows of
        ``dataset`` (a :class:`NetworkRows`), with the averaged weights, as
        validation epochs score: ``(K, n, out_dim)``, network k's first
        ``len(dataset.rows[k])`` rows valid (the others pad)."""
        self._set_training(False)
        n = len(dataset)
        order = torch.stack([padded_rows(r, n) for r in dataset.rows])
        chunk_size = chunk_rows(dataset.inputs, dataset.n_networks, chunk_size)
        outs = []
        with torch.no_grad(), self.averaged_weights():
            for start in range(0, n, chunk_size):
                idx = order[:, start:start + chunk_size]
                xb = [take_dense(v, idx).to(self.device) for v in dataset.inputs]
                mask = None if dataset.present is None else dataset.present[idx].to(self.device)
                outs.append(self.module_(xb, mask=mask).y_hat)
        return torch.cat(outs, dim=1)

    def _pooled(self, dataset, values):
        """Network k's rows of ``values`` ``(K, n, ...)``, one network after
        the other, as a numpy array (the order of ``dataset.y``)."""
        return torch.cat([values[k, :len(r)] for k, r in enumerate(dataset.rows)]).cpu().numpy()

    def forward_iter(self, X, training=False, device="cpu"):
        """For a :class:`NetworkRows`, one tensor: the fusion head's output of
        each network on its own rows, one network after the other (skorch's
        own path otherwise)."""
        if not isinstance(X, NetworkRows):
            yield from super().forward_iter(X, training=training, device=device)
            return
        out = self.network_outputs(X)
        yield torch.cat([out[k, :len(r)] for k, r in enumerate(X.rows)]).to(device)

    def predict(self, X):
        """Predictions of each network on its own rows of a :class:`NetworkRows`
        (what skorch's :class:`~skorch.callbacks.EpochScoring` scores), in
        the order of ``X.y``: class indices for classification, the
        standardized targets for regression, minus the squared distance to
        the centre for Deep SVDD (:meth:`~omib_sklearn._tasks.Task.predict`).
        """
        if not isinstance(X, NetworkRows):
            return super().predict(X)
        task = self.criterion_.task
        return self._pooled(X, task.predict(self.network_outputs(X), self.module_))

    def predict_proba(self, X):
        """Class probabilities of each network on its own rows of a
        :class:`NetworkRows` (classification; :meth:`predict` otherwise)."""
        if not isinstance(X, NetworkRows):
            return super().predict_proba(X)
        task = self.criterion_.task
        return self._pooled(X, task.predict_proba(self.network_outputs(X), self.module_))


def step_prediction(out):
    """The ``y_pred`` of a training or validation step: the fusion head's
    output, or in the warm-up the first task-relevance head's."""
    return out.trb[0] if out.y_hat is None else out.y_hat


def drop_modalities(x, mask, p):
    """Modality dropout: the mask ``(K, b, M)`` (present where True; None:
    every modality present) of a batch with inputs ``x`` (a list of ``(K, b,
    ...)`` tensors) updated so that each present modality of each row is
    masked with probability ``p``. A row that would lose all its modalities
    keeps one of its present ones, drawn at random."""
    n_modalities = len(x)
    networks, b = x[0].shape[:2]
    device = x[0].device
    if mask is None:
        mask = torch.ones(networks, b, n_modalities, dtype=torch.bool, device=device)
    present = mask.bool()
    kept = present & (torch.rand(networks, b, n_modalities, device=device) >= p)
    empty = ~kept.any(-1, keepdim=True)
    draw = torch.rand(networks, b, n_modalities, device=device).masked_fill(~present, -1.0)
    one = torch.nn.functional.one_hot(draw.argmax(-1), n_modalities).bool()
    return torch.where(empty, one, kept)


class TailAverage:
    """Tail averaging of a module's weights, kept by torch's
    :class:`~torch.optim.swa_utils.AveragedModel` with the schedule of
    :func:`tail_average_decay`: an exponential moving average whose horizon
    is half the steps so far, capped at ``max_horizon`` steps. Early on it
    follows the recent weights (never the initial ones); later it averages
    the last ``max_horizon`` steps.

    A plain object holding the ``AveragedModel``: skorch registers any torch
    module set on a net as one of its components.
    """

    def __init__(self, module, max_horizon):
        self.max_horizon = max_horizon
        # Counted here, a Python int: reading AveragedModel's ``n_averaged``,
        # a tensor, would synchronize a GPU at every step.
        self.steps = 0
        self.model = AveragedModel(module, multi_avg_fn=self._lerp)

    def update(self, module):
        """Average in the module's current weights (after an optimizer step)."""
        self.steps += 1
        self.model.update_parameters(module)

    def _lerp(self, averaged, current, n_averaged):
        decay = tail_average_decay(self.steps, self.max_horizon)
        # One fused update over all tensors (per-tensor lerp_ calls cost more
        # than the arithmetic on small networks), as torch's own EMA does.
        torch._foreach_lerp_(averaged, current, 1.0 - decay)

    def parameters(self):
        """The averaged parameters by name."""
        return dict(self.model.module.named_parameters())


def tail_average_decay(step, max_horizon):
    """Decay of the weight average after ``step`` optimizer steps (1-based).

    The horizon (the mean age, in steps, of the averaged iterates) is half
    the steps so far, capped at ``max_horizon``: ``1 - 1 / max(1, min(step /
    2, max_horizon))``. Step 1 and 2 give 0 (the average is the current
    weights); the average never holds on to the initial weights.
    """
    horizon = max(1.0, min(step / 2.0, float(max_horizon)))
    return 1.0 - 1.0 / horizon
