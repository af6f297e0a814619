"""Stages 4 and 5 of the data path: the warm-up and the main phase, run by a
private skorch net over an ensemble of networks trained at once.

The networks ("members") live in one module with a leading member dimension
(:mod:`omib_sklearn.nn`). Each member has its own training rows and, with
early stopping, its own held-out rows: the batches stack one batch of rows
per member, ``(K, batch, features)``, and every loss is a weighted mean per
member, so that members never see each other's rows or gradients.

skorch's documented extension points carry the two phases:
``train_step_single`` / ``validation_step`` compute the phase's objective,
``get_iterator`` feeds the stacked batches (skorch's default DataLoader
collates row by row, about ten times slower on tabular data),
``train_step`` / ``run_single_epoch`` keep and score a running average of
the weights (``averaging_epochs``), and callbacks record the phase, the
weights r and early stopping per member.
"""

import functools
import math
import re
import sys
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PrintLog
from skorch.dataset import unpack_data

from .nn._modules import gaussian_kl


class MemberRows(torch.utils.data.Dataset):
    """One table of modalities and, per member, the rows it uses.

    Parameters
    ----------
    X : dict of str to ndarray of shape (n_samples, n_features_i)
        The modalities.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs), or None
    rows : list of ndarray of int
        The rows of each member (its training or its held-out rows).
    weight : ndarray of shape (n_samples,) or None
        Row weights of the losses (``sample_weight``).
    """

    def __init__(self, X, y, rows, weight=None):
        self.X = {k: torch.as_tensor(v) for k, v in X.items()}
        self.y = None if y is None else torch.as_tensor(y)
        self.rows = [torch.as_tensor(np.asarray(r), dtype=torch.long) for r in rows]
        self.weight = None if weight is None else torch.as_tensor(weight, dtype=torch.float32)

    @property
    def n_members(self):
        return len(self.rows)

    def __len__(self):
        return max(len(r) for r in self.rows)

    def __getitem__(self, i):  # pragma: no cover - batches come from MemberBatches
        raise TypeError("MemberRows is read in stacked batches by MemberBatches")


class MemberBatches:
    """Yields ``(x, (y, w))``: for each modality the rows of one batch per
    member, ``(K, b, n_features)``, their targets and their loss weights
    ``(K, b)``.

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
            order.append(torch.cat([r, r[:1].expand(pad)]) if pad else r)
        order, real = torch.stack(order), torch.stack(real)
        for start in range(0, n, self.batch_size):
            idx = order[:, start:start + self.batch_size]
            w = real[:, start:start + self.batch_size]
            if data.weight is not None:
                w = w * data.weight[idx]
            xb = {k: v[idx] for k, v in data.X.items()}
            yb = None if data.y is None else data.y[idx]
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


class StopPhase(Exception):
    """Raised by the early-stopping callback to end the current phase."""


def weighted_mean(values, weight):
    """Mean over the rows of each member, ``(K, b) -> (K,)``."""
    return (values * weight).sum(1) / weight.sum(1).clamp_min(1e-12)


class OMIBNet(NeuralNet):
    """The skorch net behind every OMIB estimator (private).

    ``phase`` ("warmup" or "main") selects the loss; ``beta`` and the task
    object are set by the estimator.
    """

    # Pickled with the CUDA-dependent attributes, so that their tensors are
    # mapped to the CPU when loaded without a GPU: the ``module`` parameter
    # (the module is passed initialized, so it holds the tensors of
    # ``module_``) and the callbacks, ``callbacks`` and ``callbacks_`` (early
    # stopping keeps the best weights).
    cuda_dependent_attributes_ = NeuralNet.cuda_dependent_attributes_ + ["module", "callbacks"]

    def __init__(self, *args, task=None, beta=0.0, dynamic_r=True,
                 r_momentum=0.9, r_clip=(0.05, 1.95), iterator_seed=0,
                 average_epochs=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.average_epochs = average_epochs
        self.averaged_ = None
        self.n_averaged_ = 0
        self.steps_per_epoch_ = 1
        self.iterator_seed = iterator_seed
        self.task = task
        self.beta = beta
        self.dynamic_r = dynamic_r
        self.r_momentum = r_momentum
        self.r_clip = r_clip
        self.phase = "warmup"
        self.phase_epochs_ = 0
        self.d_ema = None
        self.best_epochs_ = {}
        self.stopped_early_ = {}

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        # Epochs are numbered within each phase (skorch counts across phases).
        self.phase_epochs_ += 1
        self.history.record("epoch", self.phase_epochs_)

    # -- phases ---------------------------------------------------------
    def run_phase(self, phase, dataset_train, epochs):
        """Train ``epochs`` epochs of ``phase``; early stopping may end it
        sooner. Each member ends with its best weights of the phase (early
        stopping; ``best_epochs_[phase]`` counts the phase's epochs up to
        each member's best one) or the averaged ones, and the average is
        dropped."""
        self.phase = phase
        self.phase_epochs_ = 0
        self.stopped_early_[phase] = False
        self.averaged_ = None
        self.n_averaged_ = 0
        self.steps_per_epoch_ = max(1, math.ceil(len(dataset_train) / self.batch_size))
        stopper = dict(self.callbacks_).get("early_stopping")
        if stopper is not None:
            stopper.reset()
        if epochs > 0:
            try:
                self.fit_loop(dataset_train, None, epochs=epochs)
            except StopPhase:
                self.stopped_early_[phase] = True
        if stopper is not None and stopper.best_state_ is not None:
            stopper.restore_best(self)
            self.best_epochs_[phase] = stopper.best_epoch_.copy()
        else:
            self.load_averaged_weights()
        self.averaged_ = None

    # -- weight averaging -----------------------------------------------
    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        if self.average_epochs:
            self._update_average()
        return step

    def _update_average(self):
        """Tail averaging of the weights: an exponential moving average whose
        horizon is half the steps of the phase so far, capped at
        ``average_epochs`` epochs of steps. Early on it follows the recent
        weights (never the initial ones); later it averages the last
        ``average_epochs`` epochs."""
        self.n_averaged_ += 1
        decay = tail_average_decay(self.n_averaged_, self.average_epochs * self.steps_per_epoch_)
        with torch.no_grad():
            if self.averaged_ is None:
                self.averaged_ = {k: p.detach().clone() for k, p in self.module_.named_parameters()}
                return
            names = list(self.averaged_)
            params = dict(self.module_.named_parameters())
            # One fused update over all tensors (per-tensor lerp_ calls cost
            # more than the arithmetic on small networks).
            torch._foreach_lerp_(
                [self.averaged_[k] for k in names], [params[k].detach() for k in names], 1.0 - decay
            )

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
        self._load_weights(self.averaged_)
        try:
            yield
        finally:
            self._load_weights(saved)

    def load_averaged_weights(self):
        if self.averaged_ is not None:
            self._load_weights(self.averaged_)

    def averaged_state_dict(self):
        """A copy of the module's state with the averaged weights (the
        current ones when averaging is off), buffers included."""
        state = self.module_.state_dict()
        averaged = self.averaged_ or {}
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
        shape = (module.n_members, module.n_modalities)
        if not self.dynamic_r or self.d_ema is None or module.n_modalities == 1:
            return torch.ones(shape)
        return r_weights(self.d_ema, self.r_clip)

    # -- skorch extension points ----------------------------------------
    def get_iterator(self, dataset, training=False):
        return MemberBatches(
            dataset, self.batch_size, shuffle=training,
            seed=self.iterator_seed + len(self.history),
        )

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, (yi, wi) = unpack_data(batch)
        losses, out = self._phase_losses(Xi, yi, wi, training=True)
        # Each member's gradient comes from its own loss only.
        losses.sum().backward()
        return {"loss": losses.detach().mean(), "y_pred": out.get("y_hat", out["trb"][0])}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        Xi, (yi, wi) = unpack_data(batch)
        with torch.no_grad():
            losses, out = self._phase_losses(Xi, yi, wi, training=False)
            wi = wi.to(self.device)
            yi = None if yi is None else yi.to(self.device)
            if self.phase == "warmup":
                scores = torch.stack([
                    self.task.score(o, yi, self.module_.trb_centers[:, i:i + 1])
                    for i, o in enumerate(out["trb"])
                ]).mean(0)
            else:
                scores = self.task.score(out["y_hat"], yi, self.module_.center)
            weight = wi.sum(1)
        # Sums per member, so that early stopping divides by the weight of
        # each member's held-out rows over the whole epoch.
        self.history.record_batch("valid_member_sum", (losses * weight).tolist())
        self.history.record_batch("valid_member_score", (scores * wi).sum(1).tolist())
        self.history.record_batch("valid_member_weight", weight.tolist())
        return {"loss": losses.mean(), "y_pred": out.get("y_hat", out["trb"][0])}

    def _phase_losses(self, Xi, yi, wi, training):
        """The phase's objective per member, ``(K,)``, and the module output.

        Warm-up: sum over modalities of the task loss of ``Dec_i([z_i, e])``.
        Main (Eq. 10): task loss of the fusion head + beta (KL_1 + sum_i r_i
        KL_i) + sum_i task loss of ``Dec_i([z_i, xi])``; validation monitors
        what prediction uses, the fusion head's task loss.
        """
        Xi = {k: v.to(self.device) for k, v in Xi.items()}
        yi = None if yi is None else yi.to(self.device)
        wi = wi.to(self.device)
        module, task = self.module_, self.task
        if self.phase == "warmup":
            out = module.forward_warmup(**Xi)
            losses = [
                weighted_mean(task.loss(y_hat_i, yi, module.trb_centers[:, i:i + 1]), wi)
                for i, y_hat_i in enumerate(out["trb"])
            ]
            return torch.stack(losses).sum(0), out

        out = module.forward_train(**Xi)
        task_loss = weighted_mean(task.loss(out["y_hat"], yi, module.center), wi)
        if not training:
            return task_loss, out
        trb_losses = torch.stack([
            weighted_mean(task.loss(y_hat_i, yi, module.trb_centers[:, i:i + 1]), wi)
            for i, y_hat_i in enumerate(out["trb"])
        ], dim=1)
        kls = torch.stack([
            weighted_mean(gaussian_kl(m, lv), wi) for m, lv in zip(out["mu"], out["logvar"])
        ], dim=1)
        if self.dynamic_r and module.n_modalities > 1:
            self._update_divergences(out, wi)
        r = self.r.to(kls.device)
        losses = task_loss + self.beta * torch.sum(r * kls, dim=1) + trb_losses.sum(1)
        self.history.record_batch("kl", kls.detach().mean(0).cpu().tolist())
        return losses, out

    def _update_divergences(self, out, weight):
        """D_i per member (Eq. 11): the divergence between the task-relevance
        head of modality i and the fusion head, averaged over the batch."""
        module, task = self.module_, self.task
        with torch.no_grad():
            y_hat = out["y_hat"] - module.center
            d = torch.stack([
                weighted_mean(
                    task.divergence(y_hat_i - module.trb_centers[:, i:i + 1], y_hat), weight
                )
                for i, y_hat_i in enumerate(out["trb"])
            ], dim=1).cpu()
        if self.d_ema is None:
            self.d_ema = d
        else:
            m = self.r_momentum
            self.d_ema = m * self.d_ema + (1 - m) * d

    # -- inference ------------------------------------------------------------
    def infer_members(self, X, chunk_size=4096):
        """``(y_hat, xi)`` of every member on the rows of ``X`` (a dict of
        ``(n, p)`` tensors), shapes ``(K, n, out_dim)`` and ``(K, n, k)``;
        zeta_i = mu_i."""
        self._set_training(False)
        n = len(next(iter(X.values())))
        outs, xis = [], []
        with torch.no_grad():
            for start in range(0, n, chunk_size):
                xb = {k: v[start:start + chunk_size].to(self.device) for k, v in X.items()}
                y_hat, xi = self.module_(**xb)
                outs.append(y_hat.cpu())
                xis.append(xi.cpu())
        return torch.cat(outs, dim=1), torch.cat(xis, dim=1)


def tail_average_decay(step, max_horizon):
    """Decay of the weight average after ``step`` optimizer steps (1-based).

    The horizon (the mean age, in steps, of the averaged iterates) is half
    the steps so far, capped at ``max_horizon``: ``1 - 1 / max(1, min(step /
    2, max_horizon))``. Step 1 and 2 give 0 (the average is the current
    weights); the average never holds on to the initial weights.
    """
    horizon = max(1.0, min(step / 2.0, float(max_horizon)))
    return 1.0 - 1.0 / horizon


def r_weights(d, clip=(0.0, 2.0), eps=1e-8):
    """r_i = 1 - tanh(ln(D_i / D_1)) = 2 / (1 + (D_i / D_1)^2), clipped.

    ``d`` holds D_1..D_M in its last dimension (one row per member); r_1 is
    1 by definition. Both D near 0 gives r = 1.
    """
    d = torch.as_tensor(d, dtype=torch.float32)
    ratio = (d + eps) / (d[..., :1] + eps)
    r = (2.0 / (1.0 + ratio**2)).clamp(clip[0], clip[1])
    r[..., 0] = 1.0
    return r


class PhaseLog(PrintLog):
    """skorch's epoch log, without colour codes when standard output is not
    a terminal (redirected to a file, or captured by a notebook)."""

    def format_row(self, row, key, color):
        text = super().format_row(row, key, color)
        if isinstance(text, str) and not sys.stdout.isatty():
            text = _ANSI.sub("", text)
        return text


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PhaseRecorder(Callback):
    """Writes the phase, the weights r and the KL terms (means over the
    members) into skorch's history."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("phase", net.phase)
        if net.phase == "main":
            net.history.record("r", net.r.mean(0).tolist())
            kl_values = [b["kl"] for b in net.history[-1, "batches"] if "kl" in b]
            if kl_values:
                net.history.record("kl", np.mean(kl_values, axis=0).tolist())


class MemberEarlyStopping(Callback):
    """Early stopping of each member on its held-out rows.

    A member's validation loss is the phase's task loss on its held-out rows
    (the fusion head's in the main phase: cross-entropy for classification,
    squared error for regression, the SVDD distance), computed with the
    averaged weights. Each member keeps its weights of least validation
    loss; the phase stops once no member has improved by ``tol`` for
    ``patience`` epochs and at least ``min_steps`` optimizer steps.

    The loss replaced the validation accuracy for classifiers: accuracy on
    a small held-out split moves in steps of one row and its plateau
    resolves to the earliest epoch (mfeat, 160 held-out rows: 0.9745 against
    0.9783 with the loss, 10 fits). The accuracy (or minus the squared
    error) is still recorded as ``valid_score``.
    """

    def __init__(self, patience=5, tol=1e-4, min_steps=0):
        self.patience = patience
        self.tol = tol
        self.min_steps = min_steps

    def initialize(self):
        self.reset()
        return self

    def reset(self):
        self.best_loss_ = None
        self.best_state_ = None
        self.best_epoch_ = None  # per member: epochs of the phase up to its best
        self.bad_epochs_ = None
        self.epochs_ = 0

    def on_epoch_end(self, net, **kwargs):
        batches = [b for b in net.history[-1, "batches"] if "valid_member_sum" in b]
        total = np.sum([b["valid_member_sum"] for b in batches], axis=0)
        weight = np.maximum(np.sum([b["valid_member_weight"] for b in batches], axis=0), 1e-12)
        score = np.sum([b["valid_member_score"] for b in batches], axis=0) / weight
        loss = total / weight
        net.history.record("valid_member_loss", loss.tolist())
        net.history.record("valid_score", float(score.mean()))
        self.epochs_ += 1
        if self.best_loss_ is None:
            self.best_loss_ = np.full(len(loss), np.inf)
            self.best_epoch_ = np.zeros(len(loss), dtype=int)
            self.bad_epochs_ = np.zeros(len(loss), dtype=int)
        improved = loss < self.best_loss_ - self.tol
        if improved.any():
            state = net.averaged_state_dict()
            if self.best_state_ is None:
                self.best_state_ = state
            else:
                keep = torch.as_tensor(improved)
                for k, v in state.items():
                    self.best_state_[k][keep] = v[keep]
        self.best_loss_[improved] = loss[improved]
        self.best_epoch_[improved] = self.epochs_
        self.bad_epochs_[improved] = 0
        self.bad_epochs_[~improved] += 1
        net.history.record("best_in_phase", improved.tolist())
        steps = self.bad_epochs_ * net.steps_per_epoch_
        if np.all((self.bad_epochs_ >= self.patience) & (steps >= self.min_steps)):
            raise StopPhase

    def restore_best(self, net):
        net.module_.load_state_dict(self.best_state_)
