"""Stages 4 and 5 of the data path: the warm-up and the main phase, run by a
private skorch net over an ensemble of networks trained at once.

The networks ("members") live in one module with a leading member dimension
(:mod:`omib_sklearn.nn`). Each member has its own training rows and, with
early stopping, its own held-out rows: the batches stack one batch of rows
per member, ``(K, batch, features)``, and every loss is a weighted mean per
member, so that members never see each other's rows or gradients.

skorch's documented extension points carry the two phases: ``infer`` runs
the phase's forward pass, ``get_loss`` its objective (the criterion, a
:class:`~omib_sklearn._objective.PhaseObjective`), ``get_iterator`` feeds the
stacked batches, ``train_step`` / ``run_single_epoch`` keep and score a
running average of the weights (torch's ``AveragedModel``,
``averaging_epochs``), and callbacks (:mod:`omib_sklearn._callbacks`) record
the phase, the weights r and early stopping per member.
"""

import functools
import math
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNet
from skorch.dataset import Dataset, unpack_data
from torch.optim.swa_utils import AveragedModel

from ._absent import split_mask
from ._callbacks import StopPhase
from ._phase import Phase
from ._sparse import as_table, chunk_rows, n_rows, take_dense
from .nn._modules import input_key


class MemberRows(Dataset):
    """One table of modalities and, per member, the rows it uses.

    A skorch :class:`~skorch.dataset.Dataset` for skorch's scoring
    callbacks, which read a dataset's ``X`` and ``y``
    (:func:`skorch.utils.data_from_dataset`): ``X`` is the dataset itself,
    which :meth:`OMIBNet.predict` predicts member by member, each member on
    its own rows, and ``y`` the targets of those rows in the same order
    (member 0's rows, then member 1's, ...).

    Parameters
    ----------
    X : dict of str to ndarray of shape (n_samples, n_features_i)
        The modalities; a sparse one as a float32 CSR matrix, kept sparse
        (each batch densifies its own rows only).
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs), or None
    rows : list of ndarray of int
        The rows of each member (its training or its held-out rows).
    weight : ndarray of shape (n_samples,) or None
        Row weights of the losses (``sample_weight``).

    Attributes
    ----------
    inputs : dict of str to tensor or scipy.sparse.csr_matrix
        The modalities (every row of the table).
    target : tensor or None
        The targets (every row of the table).
    """

    # skorch's Dataset.__init__ is not called: the table is kept as given.
    def __init__(self, X, y, rows, weight=None):
        self.inputs = {k: as_table(v) for k, v in X.items()}
        self.target = None if y is None else torch.as_tensor(y)
        self.rows = [torch.as_tensor(np.asarray(r), dtype=torch.long) for r in rows]
        self.weight = None if weight is None else torch.as_tensor(weight, dtype=torch.float32)

    @property
    def X(self):
        """What skorch's scoring passes to ``net.predict``: the dataset."""
        return self

    @property
    def y(self):
        """The targets of each member's rows, one member after the other
        (None without targets)."""
        if self.target is None:
            return None
        return torch.cat([self.target[r] for r in self.rows]).numpy()

    @property
    def n_members(self):
        return len(self.rows)

    def __len__(self):
        return max(len(r) for r in self.rows)

    def __getitem__(self, i):  # pragma: no cover - batches come from MemberBatches
        raise TypeError("MemberRows is read in stacked batches by MemberBatches")


def padded_rows(rows, n):
    """A member's row indices padded to ``n`` by repeating its first row
    (padding rows get weight 0 in training and are dropped in scoring)."""
    pad = n - len(rows)
    return torch.cat([rows, rows[:1].expand(pad)]) if pad else rows


class MemberBatches:
    """Yields ``(x, (y, w))``: for each modality the rows of one batch per
    member, ``(K, b, n_features)``, their targets and their loss weights
    ``(K, b)``. The rows of a sparse modality are densified batch by batch.

    A member with fewer rows than the largest one is padded with weight 0, so
    that every epoch is exactly one pass over each member's rows.
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
            xb = {k: take_dense(v, idx) for k, v in data.inputs.items()}
            yb = None if data.target is None else data.target[idx]
            yield xb, (yb, w)


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
    the members hold padding rows, so :class:`~skorch.callbacks.EpochScoring`
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
        end the phase sooner (``MemberEarlyStopping`` raises
        :class:`~omib_sklearn._callbacks.StopPhase`, skorch's
        ``EarlyStopping`` ``KeyboardInterrupt``). At ``on_train_end`` each
        member takes the averaged weights (:meth:`on_train_end`), then its
        best weights of the phase where early stopping kept them
        (``best_epochs_[phase]`` counts the phase's epochs up to each
        member's best one). A phase of 0 epochs is not run."""
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
        over the members) is finite.

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

    # -- weight averaging -----------------------------------------------
    def _train_step_averaged(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
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
        """Current weights r_i per member, ``(K, M)``, modality 1 first (1)."""
        module = self.module_
        return self.criterion_.r(module.n_members, module.n_modalities)

    # -- skorch extension points ----------------------------------------
    def get_iterator(self, dataset, training=False):
        # Kept in place of skorch's DataLoader path: a Dataset whose
        # ``__getitems__`` returns the same stacked batches made SIM-I's
        # epochs 1% slower (benchmarks/bench_data_path.py), still needed this
        # per-network shuffling and padding, and would draw other batches
        # from the same seed.
        return MemberBatches(
            dataset, self.batch_size, shuffle=training,
            seed=self.iterator_seed + len(self.history),
        )

    def infer(self, x, **fit_params):
        """The phase's forward pass on a batch: ``forward_warmup`` or
        ``forward_train`` of the module (a dict of outputs)."""
        x = {k: v.to(self.device) for k, v in x.items()}
        module = self.module_
        if (self.modality_dropout and self.phase is Phase.MAIN and module.training
                and module.n_modalities > 1):
            x = drop_modalities(x, module.n_modalities, self.modality_dropout)
        forward = module.forward_warmup if self.phase is Phase.WARMUP else module.forward_train
        inputs, mask = split_mask(x)
        return forward(**inputs, mask=mask)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The phase objective of each member ``(K,)`` for targets and row
        weights ``y_true = (y, weight)``; records the mean KL terms."""
        y, weight = y_true
        y = None if y is None else y.to(self.device)
        losses, kls = self.criterion_(
            y_pred, y, weight.to(self.device), module=self.module_, phase=self.phase,
            training=training,
        )
        if kls is not None:
            self.history.record_batch("kl", kls.cpu().tolist())
        return losses

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        out = self.infer(Xi)
        losses = self.get_loss(out, yi, X=Xi, training=True)
        self.history.record_batch("train_member_loss", losses.detach().tolist())
        # Each member's gradient comes from its own loss only.
        losses.sum().backward()
        return {"loss": losses.detach().mean(), "y_pred": out.get("y_hat", out["trb"][0])}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        Xi, (yi, wi) = unpack_data(batch)
        with torch.no_grad():
            out = self.infer(Xi)
            losses = self.get_loss(out, (yi, wi), X=Xi, training=False)
            wi = wi.to(self.device)
            yi = None if yi is None else yi.to(self.device)
            scores = self.criterion_.score(out, yi, self.module_, phase=self.phase)
            weight = wi.sum(1)
        # Sums per member, so that early stopping divides by the weight of
        # each member's held-out rows over the whole epoch.
        self.history.record_batch("valid_member_sum", (losses * weight).tolist())
        self.history.record_batch("valid_member_score", (scores * wi).sum(1).tolist())
        self.history.record_batch("valid_member_weight", weight.tolist())
        return {"loss": losses.mean(), "y_pred": out.get("y_hat", out["trb"][0])}

    # -- inference ------------------------------------------------------------
    def infer_members(self, X, mask=None, chunk_size=4096):
        """``(y_hat, xi)`` of every member on the rows of ``X`` (a dict of
        ``(n, p)`` tensors), shapes ``(K, n, out_dim)`` and ``(K, n, k)``;
        zeta_i = mu_i. ``mask``, ``(n, n_modalities)``, is nonzero where a
        modality is present (None: every modality present). A sparse
        modality (a CSR matrix) is densified chunk by chunk, in chunks small
        enough for its width (:func:`~omib_sklearn._sparse.chunk_rows`)."""
        self._set_training(False)
        n = n_rows(next(iter(X.values())))
        chunk_size = chunk_rows(list(X.values()), self.module_.n_members, chunk_size)
        outs, xis = [], []
        with torch.no_grad():
            for start in range(0, n, chunk_size):
                rows = slice(start, start + chunk_size)
                xb = {k: take_dense(v, rows).to(self.device) for k, v in X.items()}
                mb = None if mask is None else mask[start:start + chunk_size].to(self.device)
                y_hat, xi = self.module_(**xb, mask=mb)
                outs.append(y_hat.cpu())
                xis.append(xi.cpu())
        return torch.cat(outs, dim=1), torch.cat(xis, dim=1)


    # -- predictions for skorch's scoring callbacks -----------------------------
    def member_outputs(self, dataset, chunk_size=4096):
        """The fusion head's output of each member on its own rows of
        ``dataset`` (a :class:`MemberRows`), with the averaged weights, as
        validation epochs score: ``(K, n, out_dim)``, member k's first
        ``len(dataset.rows[k])`` rows valid (the others pad)."""
        self._set_training(False)
        n = len(dataset)
        order = torch.stack([padded_rows(r, n) for r in dataset.rows])
        chunk_size = chunk_rows(list(dataset.inputs.values()), dataset.n_members, chunk_size)
        outs = []
        with torch.no_grad(), self.averaged_weights():
            for start in range(0, n, chunk_size):
                idx = order[:, start:start + chunk_size]
                xb, mask = split_mask({
                    k: take_dense(v, idx).to(self.device) for k, v in dataset.inputs.items()
                })
                outs.append(self.module_(**xb, mask=mask)[0])
        return torch.cat(outs, dim=1)

    def _pooled(self, dataset, values):
        """Member k's rows of ``values`` ``(K, n, ...)``, one member after
        the other, as a numpy array (the order of ``dataset.y``)."""
        return torch.cat([values[k, :len(r)] for k, r in enumerate(dataset.rows)]).cpu().numpy()

    def forward_iter(self, X, training=False, device="cpu"):
        """For a :class:`MemberRows`, one tensor: the fusion head's output of
        each member on its own rows, one member after the other (skorch's
        own path otherwise)."""
        if not isinstance(X, MemberRows):
            yield from super().forward_iter(X, training=training, device=device)
            return
        out = self.member_outputs(X)
        yield torch.cat([out[k, :len(r)] for k, r in enumerate(X.rows)]).to(device)

    def predict(self, X):
        """Predictions of each member on its own rows of a :class:`MemberRows`
        (what skorch's :class:`~skorch.callbacks.EpochScoring` scores), in
        the order of ``X.y``: class indices for classification, the
        standardized targets for regression, minus the squared distance to
        the centre for Deep SVDD (:meth:`~omib_sklearn._tasks.Task.predict`).
        """
        if not isinstance(X, MemberRows):
            return super().predict(X)
        task = self.criterion_.task
        return self._pooled(X, task.predict(self.member_outputs(X), self.module_))

    def predict_proba(self, X):
        """Class probabilities of each member on its own rows of a
        :class:`MemberRows` (classification; :meth:`predict` otherwise)."""
        if not isinstance(X, MemberRows):
            return super().predict_proba(X)
        task = self.criterion_.task
        return self._pooled(X, task.predict_proba(self.member_outputs(X), self.module_))


def drop_modalities(x, n_modalities, p):
    """Modality dropout: the batch ``x`` with its mask (``x["mask"]``, ``(K,
    b, M)``, present where True) updated so that each present modality of
    each row is masked with probability ``p``. A row that would lose all its
    modalities keeps one of its present ones, drawn at random."""
    first = x[input_key(0)]
    members, b = first.shape[:2]
    device = first.device
    present = x.get("mask")
    if present is None:
        present = torch.ones(members, b, n_modalities, dtype=torch.bool, device=device)
    present = present.bool()
    kept = present & (torch.rand(members, b, n_modalities, device=device) >= p)
    empty = ~kept.any(-1, keepdim=True)
    draw = torch.rand(members, b, n_modalities, device=device).masked_fill(~present, -1.0)
    one = torch.nn.functional.one_hot(draw.argmax(-1), n_modalities).bool()
    x = dict(x)
    x["mask"] = torch.where(empty, one, kept)
    return x


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
