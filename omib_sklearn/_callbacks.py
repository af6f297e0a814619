"""skorch callbacks of the training: the epoch log, the phase record and
early stopping of each network on its held-out rows."""

import re
import sys

import numpy as np
import torch
from skorch.callbacks import Callback, PrintLog
from tqdm import tqdm

from ._phase import Phase


class StopPhase(Exception):
    """Raised by the early-stopping callback to end the current phase."""


class PhaseLog(PrintLog):
    """skorch's epoch log, without colour codes when standard output is not
    a terminal (redirected to a file, or captured by a notebook)."""

    def format_row(self, row, key, color):
        text = super().format_row(row, key, color)
        if isinstance(text, str) and not sys.stdout.isatty():
            text = _ANSI.sub("", text)
        return text


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def write_line(text):
    """Print a line of the epoch log above any progress bar (tqdm's
    ``write``, to standard output)."""
    tqdm.write(text, file=sys.stdout)


class PhaseProgress(Callback):
    """A progress bar over the epochs of each phase, on standard error.

    skorch's :class:`~skorch.callbacks.ProgressBar` draws one bar per epoch,
    over its batches; this one draws one per phase, over its epochs
    (``epochs[phase]`` at most; early stopping may end it sooner), with
    the last epoch's ``train_loss`` and ``valid_loss``. The bar is named
    ``prefix`` and the phase.
    """

    def __init__(self, epochs, prefix=""):
        self.epochs = epochs
        self.prefix = prefix

    def initialize(self):
        self.bar_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        self._close()
        self.bar_ = tqdm(total=self.epochs[net.phase.value], desc=self.prefix + net.phase.value,
                         unit="epoch", file=sys.stderr, dynamic_ncols=True)

    def on_epoch_end(self, net, **kwargs):
        if self.bar_ is None:
            return
        last = net.history[-1]
        self.bar_.set_postfix(
            {k: f"{last[k]:.4g}" for k in ("train_loss", "valid_loss") if k in last},
            refresh=False,
        )
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self._close()

    def _close(self):
        if getattr(self, "bar_", None) is not None:
            self.bar_.close()
        self.bar_ = None

    def __getstate__(self):
        # A bar is open only during a phase, and does not pickle.
        state = self.__dict__.copy()
        state["bar_"] = None
        return state


class PhaseRecorder(Callback):
    """Writes the phase, the training loss of each network, the weights r
    (their means over the networks, and each network's) and the KL terms
    (means over the networks) into skorch's history.

    A network's training loss of an epoch is the mean of its batch losses
    weighted as skorch weights ``train_loss`` (``train_batch_size``), so
    that their mean over the networks is ``train_loss``.
    """

    def on_epoch_end(self, net, **kwargs):
        net.history.record("phase", net.phase.value)
        batches = [b for b in net.history[-1, "batches"] if "train_network_loss" in b]
        if batches:
            net.history.record("train_network_loss", np.average(
                [b["train_network_loss"] for b in batches], axis=0,
                weights=[b["train_batch_size"] for b in batches],
            ).tolist())
        if net.phase is Phase.MAIN:
            net.history.record("r", net.r.mean(0).tolist())
            net.history.record("network_r", net.r.tolist())
            kl_values = [b["kl"] for b in net.history[-1, "batches"] if "kl" in b]
            if kl_values:
                net.history.record("kl", np.mean(kl_values, axis=0).tolist())


class NetworkEarlyStopping(Callback):
    """Early stopping of each network on its held-out rows.

    A network's validation loss is the phase's task loss on its held-out rows
    (the fusion head's in the main phase: cross-entropy for classification,
    squared error for regression, the SVDD distance), computed with the
    averaged weights. Each network keeps its weights of least validation
    loss; the phase stops once no network has improved by ``tol`` for
    ``patience`` epochs and at least ``min_steps`` optimizer steps.

    skorch's :class:`~skorch.callbacks.EarlyStopping` monitors one number
    and keeps one best state; here each of the networks trained at once has
    its own held-out rows, best epoch and best weights, so this callback
    keeps them per network. Like skorch's, it is reset in
    ``on_train_begin``, at the start of each phase, and at ``on_train_end``
    it loads each network's best weights of the phase and records its best
    epoch in ``net.best_epochs_[phase]``.

    The initial plateau: a target that lies across modalities (a product,
    an XOR) is invisible to each modality alone, and the validation loss of
    a network that learns it stays at the loss of a constant prediction
    (``baseline``: the class prior's cross-entropy, or 1 for standardized
    targets) for many epochs before it falls. A network whose best loss has
    not yet fallen ``plateau_margin`` (relative) below ``baseline`` is
    still on that plateau: it stops only after ``plateau_epochs`` epochs
    without improvement, not ``patience`` (``None``: it trains on to the
    phase's last epoch; ``0``: no plateau rule). Where the loss falls at once, as
    on most data, the rule costs nothing. Each epoch records which networks
    are on the plateau (``network_on_plateau``), which
    :class:`PlateauLearningRate` reads.

    The loss replaced the validation accuracy for classifiers: accuracy on
    a small held-out split moves in steps of one row and its plateau
    resolves to the earliest epoch (mfeat, 160 held-out rows: 0.9745 against
    0.9783 with the loss, 10 fits). The accuracy (or minus the squared
    error) is still recorded as ``valid_score``.
    """

    def __init__(self, patience=5, tol=1e-4, min_steps=0, baseline=None, plateau_epochs=0,
                 plateau_margin=0.02):
        self.patience = patience
        self.tol = tol
        self.min_steps = min_steps
        self.baseline = baseline
        self.plateau_epochs = plateau_epochs
        self.plateau_margin = plateau_margin

    def initialize(self):
        self.reset()
        return self

    def reset(self):
        self.best_loss_ = None
        self.best_state_ = None
        self.best_epoch_ = None  # per network: epochs of the phase up to its best
        self.bad_epochs_ = None
        self.epochs_ = 0

    def on_train_begin(self, net, **kwargs):
        self.reset()

    def on_train_end(self, net, **kwargs):
        if self.best_state_ is not None:
            self.restore_best(net)
            net.best_epochs_[net.phase.value] = self.best_epoch_.copy()

    def on_epoch_end(self, net, **kwargs):
        batches = [b for b in net.history[-1, "batches"] if "valid_network_sum" in b]
        total = np.sum([b["valid_network_sum"] for b in batches], axis=0)
        weight = np.maximum(np.sum([b["valid_network_weight"] for b in batches], axis=0), 1e-12)
        score = np.sum([b["valid_network_score"] for b in batches], axis=0) / weight
        loss = total / weight
        net.history.record("valid_network_loss", loss.tolist())
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
        patience = np.full(len(loss), self.patience)
        if self.baseline is not None and self.plateau_epochs != 0:
            on_plateau = self.best_loss_ > (1 - self.plateau_margin) * self.baseline
            net.history.record("network_on_plateau", on_plateau.tolist())
            patience = patience.astype(float)
            patience[on_plateau] = (np.inf if self.plateau_epochs is None
                                    else max(self.patience, self.plateau_epochs))
        if np.all((self.bad_epochs_ >= patience) & (steps >= self.min_steps)):
            raise StopPhase

    def restore_best(self, net):
        net.module_.load_state_dict(self.best_state_)


class PlateauLearningRate(Callback):
    """A faster optimizer for the networks still on the initial plateau.

    A network whose validation loss has not left the plateau (the
    ``network_on_plateau`` that :class:`NetworkEarlyStopping` records) after
    ``min_steps`` optimizer steps of the phase trains its next epoch with
    the learning rate multiplied by ``factor`` (AdamW's decoupled weight
    decay scales with it); the other networks train as before. On a target
    that lies across modalities, a network first fits its training rows
    (the validation loss rises above the constant prediction's) and finds
    the cross-modal structure only after the weight decay has shrunk that
    fit away; a larger step shortens that wait (``docs/benchmarks.md``).
    A network that learns within ``min_steps`` steps is never affected.

    ``net.plateau_lr_epochs_[phase]`` records the first epoch trained
    faster (the same for every network) and, per network, how many were. Without held-out rows (the
    refit), ``replay`` (``{phase: (first, count)}``) gives those epochs
    instead, the same for every network.
    """

    def __init__(self, factor=5.0, min_steps=0, replay=None):
        self.factor = factor
        self.min_steps = min_steps
        self.replay = replay

    def on_train_begin(self, net, **kwargs):
        net.set_network_lr_scale(None)
        self.first_ = None
        self.count_ = None

    def on_epoch_end(self, net, **kwargs):
        epoch = net.phase_epochs_
        if self.replay is not None:
            first, count = self.replay.get(net.phase.value, (0, 0))
            boost = np.array([count > 0 and first <= epoch + 1 < first + count])
            net.set_network_lr_scale(self._scale(boost))
            return
        on_plateau = net.history[-1].get("network_on_plateau")
        if on_plateau is None:
            return
        boost = np.asarray(on_plateau) & (epoch * net.steps_per_epoch_ >= self.min_steps)
        if self.count_ is None:
            self.count_ = np.zeros(len(boost), dtype=int)
        if boost.any() and self.first_ is None:
            self.first_ = epoch + 1
        net.set_network_lr_scale(self._scale(boost))

    def _scale(self, boost):
        """Per-network learning-rate factors (None: all 1)."""
        return boost * (self.factor - 1) + 1 if boost.any() else None

    def on_epoch_begin(self, net, **kwargs):
        # An epoch counts as trained faster when it begins with the faster
        # steps set (an epoch end with no epoch after it counts nothing).
        scale = net.network_lr_scale_
        if self.replay is None and scale is not None:
            self.count_ += scale.numpy() != 1

    def on_train_end(self, net, **kwargs):
        net.set_network_lr_scale(None)
        if self.replay is None and self.count_ is not None:
            net.plateau_lr_epochs_[net.phase.value] = (
                self.first_ or 0, self.count_.copy())
