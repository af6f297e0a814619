"""Weight averaging and the input-layer weight decay inside fit."""

import numpy as np
import pytest
import torch
from conftest import FAST
from skorch.callbacks import Callback

import omib_sklearn._base as base
from omib_sklearn import OMIBClassifier
from omib_sklearn._base import MIN_STOPPING_STEPS
from omib_sklearn._training import tail_average_decay
from omib_sklearn.nn._modules import INPUT_WEIGHTS


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(size=(120, 6)), rng.normal(size=(120, 4))
    y = (X1[:, 0] + X2[:, 0] > 0).astype(int)
    return [X1, X2], y


class RecordWeights(Callback):
    """Keeps a copy of every parameter after each main-phase training step."""

    def initialize(self):
        self.steps = []
        return self

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if training and net.phase == "main":
            self.steps.append({k: p.detach().clone() for k, p in net.module_.named_parameters()})


def test_fitted_weights_are_the_tail_average_of_the_steps(problem):
    X, y = problem
    clf = OMIBClassifier(
        random_state=0, callbacks=[("rec", RecordWeights())], averaging_epochs=1,
        **{**FAST, "max_epochs": 3, "batch_size": 32, "early_stopping": False},
    ).fit(X, y)
    steps = dict(clf.net_.callbacks_)["rec"].steps
    steps_per_epoch = 4  # ceil(120 / 32)
    assert len(steps) == 3 * steps_per_epoch
    for name, param in clf.module_.named_parameters():
        expected = steps[0][name].clone()
        for t, weights in enumerate(steps[1:], start=2):
            decay = tail_average_decay(t, 1 * steps_per_epoch)
            expected = decay * expected + (1 - decay) * weights[name]
        torch.testing.assert_close(param.detach(), expected, rtol=1e-5, atol=1e-6)
        # ...and not simply the last step's weights.
        if name.endswith("net.1.0.weight"):
            assert not torch.allclose(param.detach(), steps[-1][name])


def test_averaging_off_keeps_the_last_step(problem):
    X, y = problem
    clf = OMIBClassifier(
        random_state=0, callbacks=[("rec", RecordWeights())], averaging_epochs=0,
        **{**FAST, "max_epochs": 2, "batch_size": 32, "early_stopping": False},
    ).fit(X, y)
    last = dict(clf.net_.callbacks_)["rec"].steps[-1]
    for name, param in clf.module_.named_parameters():
        torch.testing.assert_close(param.detach(), last[name])


def test_input_weight_decay_applies_to_the_encoder_input_layers_only(problem):
    X, y = problem
    clf = OMIBClassifier(random_state=0, input_weight_decay=7.0, weight_decay=0.5,
                         **FAST).fit(X, y)
    groups = clf.net_.optimizer_.param_groups
    inputs = [enc.net[1][0].weight for enc in clf.module_.encoders]
    decayed = [g for g in groups if g["weight_decay"] == 7.0]
    assert len(decayed) == 1
    assert len(decayed[0]["params"]) == 2
    assert all(any(p is q for q in decayed[0]["params"]) for p in inputs)
    rest = [g for g in groups if g["weight_decay"] == 0.5]
    n_params = len(list(clf.module_.parameters()))
    assert sum(len(g["params"]) for g in rest) == n_params - 2
    assert INPUT_WEIGHTS == "encoders.*.net.1.0.weight"


def test_linear_paths_are_decayed_like_the_input_layers(problem):
    X, y = problem
    clf = OMIBClassifier(random_state=0, input_weight_decay=7.0, linear_path=True,
                         **FAST).fit(X, y)
    decayed = [g for g in clf.net_.optimizer_.param_groups if g["weight_decay"] == 7.0]
    expected = [p for enc in clf.module_.encoders for p in (enc.net[1][0].weight, enc.linear.weight)]
    params = [p for g in decayed for p in g["params"]]
    assert len(params) == 4
    assert all(any(p is q for q in params) for p in expected)


@pytest.mark.parametrize("head_hidden", [(0,), (8, -1), "wide"])
def test_head_hidden_must_be_positive_widths(problem, head_hidden):
    X, y = problem
    with pytest.raises((ValueError, TypeError), match="head_hidden"):
        OMIBClassifier(head_hidden=head_hidden, **FAST).fit(X, y)


def test_input_weight_decay_shrinks_the_input_weights(problem):
    X, y = problem
    params = {**FAST, "max_epochs": 5, "lr": 1e-2, "early_stopping": False,
              "averaging_epochs": 0}
    norms = {}
    for decay in (0.0, 20.0):
        clf = OMIBClassifier(random_state=0, input_weight_decay=decay, **params).fit(X, y)
        norms[decay] = float(sum(enc.net[1][0].weight.detach().norm() for enc in clf.module_.encoders))
    # 20 x 1e-2 = 0.2 per step, over 10 steps: a factor 0.8**10 = 0.11.
    assert norms[20.0] < 0.5 * norms[0.0]


@pytest.mark.parametrize("batch_size", [1, 64])
def test_early_stopping_waits_for_a_floor_of_steps_without_improvement(
    problem, batch_size, monkeypatch
):
    # Without the plateau rule (tested below), which would wait longer.
    monkeypatch.setattr(base, "PLATEAU_EPOCHS", 0)
    # lr ~ 0: the validation loss never improves after the first epoch.
    # 120 rows, 5-fold cross-validation: 96 training rows per network. Batch
    # 1 gives 96 steps per epoch, so 2 epochs of patience are past the floor
    # and end the phase after epoch 3; batch 64 gives 2 steps per epoch, and
    # the phase waits for MIN_STOPPING_STEPS steps (epochs) without improvement.
    X, y = problem
    clf = OMIBClassifier(
        random_state=0, lr=1e-12, n_iter_no_change=2, refit=False,
        **{**FAST, "max_epochs": 60, "warmup_epochs": 0, "early_stopping": True,
           "batch_size": batch_size},
    ).fit(X, y)
    steps_per_epoch = -(-96 // batch_size)
    expected = 1 + max(2, -(-MIN_STOPPING_STEPS // steps_per_epoch))
    assert clf.validation_scheme_ == "cv"
    assert clf.n_epochs_["main"] == expected < 60
    assert np.all(clf.best_epochs_["main"] == 1)


def test_early_stopping_waits_longer_on_the_initial_plateau(problem):
    # lr ~ 0: the validation loss stays at its initial value, about the
    # cross-entropy of the class prior, so every network is on the plateau
    # and trains on to the phase's last epoch, not n_iter_no_change epochs
    # without improvement (a network past the plateau stops after
    # n_iter_no_change: the test above).
    X, y = problem
    clf = OMIBClassifier(
        random_state=0, lr=1e-12, n_iter_no_change=2, refit=False,
        **{**FAST, "max_epochs": 40, "warmup_epochs": 0, "early_stopping": True,
           "batch_size": 32},
    ).fit(X, y)
    assert base.PLATEAU_EPOCHS is None
    assert clf.n_epochs_["main"] == 40
    assert np.all(clf.best_epochs_["main"] == 1)


class ScaleLearningRate(Callback):
    """Sets each network's learning-rate factor at the start of every phase."""

    def __init__(self, scale):
        self.scale = scale

    def on_train_begin(self, net, **kwargs):
        net.set_network_lr_scale(self.scale)


def test_a_network_lr_factor_is_a_step_at_that_lr(problem):
    # AdamW's moments do not depend on lr and its decoupled decay scales with
    # it, so network 0 at factor 3 trains as at lr 3e-3 (up to rounding, which
    # Adam amplifies in the key bias of the attention, whose gradient is 0
    # up to rounding), network 1 at factor 1 exactly as at 1e-3.
    X, y = problem
    params = {**FAST, "n_estimators": 2, "max_epochs": 3, "batch_size": 32,
              "early_stopping": False, "averaging_epochs": 0, "refit": False,
              "input_weight_decay": 5.0}

    def weights(lr, callbacks=None):
        clf = OMIBClassifier(random_state=0, lr=lr, callbacks=callbacks, **params).fit(X, y)
        return {k: p.detach() for k, p in clf.module_.named_parameters()}

    scaled = weights(1e-3, [ScaleLearningRate([3.0, 1.0])])
    fast, slow = weights(3e-3), weights(1e-3)
    for k in scaled:
        lr_effect = (fast[k][0] - slow[k][0]).abs().max()
        assert (scaled[k][0] - fast[k][0]).abs().max() < 0.05 * lr_effect, k
        assert torch.equal(scaled[k][1], slow[k][1]), k


def test_networks_on_the_plateau_train_at_a_larger_lr(problem):
    # Every network stays on the plateau (lr ~ 0): from the first epoch after
    # MIN_STOPPING_STEPS steps to the last, each trains at PLATEAU_LR_FACTOR x lr.
    X, y = problem
    clf = OMIBClassifier(
        random_state=0, lr=1e-12, refit=False,
        **{**FAST, "n_estimators": 2, "max_epochs": 40, "warmup_epochs": 0,
           "early_stopping": True, "batch_size": 32},
    ).fit(X, y)
    steps_per_epoch = clf.net_.steps_per_epoch_
    first = -(-MIN_STOPPING_STEPS // steps_per_epoch) + 1
    start, count = clf.net_.plateau_lr_epochs_["main"]
    assert base.PLATEAU_LR_FACTOR == 5.0
    assert start == first
    assert np.all(count == 40 - first + 1)
    assert clf.net_.network_lr_scale_ is None  # reset at the end of the phase


def test_the_refit_replays_the_faster_epochs():
    # Without held-out rows the callback trains epochs first .. first+count-1
    # of the phase faster (the scale is set at the end of the epoch before).
    from omib_sklearn._callbacks import PlateauLearningRate
    from omib_sklearn._phase import Phase

    class Net:
        phase = Phase.MAIN
        phase_epochs_ = 0

        def set_network_lr_scale(self, scale):
            self.network_lr_scale_ = scale

    net, callback = Net(), PlateauLearningRate(3.0, replay={"main": (3, 2)})
    callback.on_train_begin(net)
    faster = [net.network_lr_scale_ is not None]  # epoch 1
    for epoch in range(1, 8):
        net.phase_epochs_ = epoch
        callback.on_epoch_end(net)
        faster.append(net.network_lr_scale_ is not None)  # epoch + 1
    assert faster == [False, False, True, True, False, False, False, False]
    assert float(net.network_lr_scale_ or 1.0) == 1.0
    callback.on_train_end(net)
    assert net.network_lr_scale_ is None
