"""User callbacks (``callbacks=[...]``) through skorch's training lifecycle:
each phase is one skorch training run, with on_train_begin and on_train_end
around its epochs and the phase readable from the net."""

import numpy as np
import pytest
from skorch.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    LRScheduler,
    ProgressBar,
)
from torch.optim.lr_scheduler import StepLR

from omib_sklearn import OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor
from omib_sklearn._phase import Phase

SMALL = dict(
    max_epochs=4, warmup_epochs=1, mine_steps=5, beta=1e-3, encoder_hidden=(16,),
    embedding_dim=16, latent_dim=8, n_heads=2, random_state=0,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 2, n)
    x1 = rng.normal(size=(n, 5)) + y[:, None]
    x2 = rng.normal(size=(n, 4)) - y[:, None]
    target = x1[:, 0] - x2[:, 1] + 0.1 * rng.normal(size=n)
    return [x1.astype(np.float32), x2.astype(np.float32)], y, target


class Recorder(Callback):
    """Records the lifecycle calls and the phase each one saw."""

    def initialize(self):
        self.calls_ = []
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.calls_.append(("begin", net.phase))

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.calls_.append(("end", net.phase))

    def on_epoch_end(self, net, **kwargs):
        self.calls_.append(("epoch", net.phase))


def callback(est, cls):
    """The fitted net's callback of class ``cls``."""
    found = [cb for _, cb in est.net_.callbacks_ if isinstance(cb, cls)]
    assert len(found) == 1
    return found[0]


def check_predictions(est, X, n):
    pred = est.predict(X)
    assert pred.shape[0] == n
    assert np.all(np.isfinite(pred.astype(float)))


@pytest.mark.parametrize("n_estimators", [1, 5])
def test_custom_callback_sees_each_phase(data, n_estimators):
    X, y, _ = data
    clf = OMIBClassifier(n_estimators=n_estimators, callbacks=[Recorder()], **SMALL).fit(X, y)
    check_predictions(clf, X, len(y))
    calls = callback(clf, Recorder).calls_
    lifecycle = [c for c in calls if c[0] != "epoch"]
    assert lifecycle == [
        ("begin", Phase.WARMUP), ("end", Phase.WARMUP), ("begin", Phase.MAIN), ("end", Phase.MAIN),
    ]
    epochs = [phase for kind, phase in calls if kind == "epoch"]
    assert epochs == [Phase.WARMUP] * clf.n_epochs_["warmup"] + [Phase.MAIN] * clf.n_epochs_["main"]
    # Every epoch between the begin and the end of its phase.
    assert calls[0] == ("begin", Phase.WARMUP) and calls[-1] == ("end", Phase.MAIN)
    assert [e["phase"] for e in clf.history_["main"]] == ["main"] * clf.n_epochs_["main"]


@pytest.mark.parametrize("n_estimators", [1, 5])
def test_skorch_early_stopping(data, n_estimators):
    X, y, _ = data
    # Without the refit the networks keep their held-out rows: valid_loss.
    clf = OMIBClassifier(
        n_estimators=n_estimators, refit=False, callbacks=[EarlyStopping(patience=1, threshold=10.0)],
        **SMALL,
    ).fit(X, y)
    check_predictions(clf, X, len(y))
    # A threshold no epoch beats stops each phase after its second epoch.
    assert clf.n_epochs_ == {"warmup": 1, "main": 2}
    # With the refit (no held-out rows), monitor the training loss.
    clf = OMIBClassifier(
        n_estimators=n_estimators, callbacks=[EarlyStopping(monitor="train_loss", patience=2)],
        **SMALL,
    ).fit(X, y)
    check_predictions(clf, X, len(y))


def test_validation_callback_in_refit(data, tmp_path):
    X, y, _ = data
    # One network: held-out rows, then a refit on every row without them.
    for cb in (EarlyStopping(patience=2), Checkpoint(dirname=str(tmp_path))):
        clf = OMIBClassifier(n_estimators=1, callbacks=[cb], **SMALL)
        with pytest.raises(ValueError, match="valid_loss.*refit=False"):
            clf.fit(X, y)


@pytest.mark.parametrize("n_estimators", [1, 5])
def test_lr_scheduler(data, n_estimators):
    X, y, _ = data
    clf = OMIBClassifier(
        n_estimators=n_estimators, early_stopping=False, lr=1e-3,
        callbacks=[LRScheduler(policy=StepLR, step_size=2, gamma=0.1)], **SMALL,
    ).fit(X, y)
    check_predictions(clf, X, len(y))
    # The schedule counts the epochs of both phases (as skorch counts them
    # over partial_fit calls): the one warm-up epoch, then 4 main epochs.
    lrs = [e["event_lr"] for phase in ("warmup", "main") for e in clf.history_[phase]]
    np.testing.assert_allclose(lrs, [1e-3, 1e-3, 1e-4, 1e-4, 1e-5])
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-5)


@pytest.mark.parametrize("n_estimators", [1, 5])
@pytest.mark.parametrize("on_train", [True, False])
def test_epoch_scoring_classifier(data, n_estimators, on_train):
    X, y, _ = data
    clf = OMIBClassifier(
        n_estimators=n_estimators, refit=False,
        callbacks=[EpochScoring("accuracy", name="acc", on_train=on_train, lower_is_better=False)],
        **SMALL,
    ).fit(X, y)
    check_predictions(clf, X, len(y))
    scores = [e["acc"] for phase in ("warmup", "main") for e in clf.history_[phase]]
    assert len(scores) == clf.n_epochs_["warmup"] + clf.n_epochs_["main"]
    assert all(0.0 <= s <= 1.0 for s in scores)
    if n_estimators == 1 and not on_train:
        # The held-out rows and the weights that validation epochs score.
        main = clf.history_["main"]
        np.testing.assert_allclose([e["acc"] for e in main], [e["valid_score"] for e in main])


@pytest.mark.parametrize("n_estimators", [1, 5])
def test_epoch_scoring_regressor_callable(data, n_estimators):
    X, _, target = data
    seen = []

    def r2(net, ds, y):
        pred = net.predict(ds)
        seen.append((pred.shape, y.shape))
        return 1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean(0)) ** 2)

    reg = OMIBRegressor(
        n_estimators=n_estimators,
        callbacks=[EpochScoring("r2", name="r2_train", on_train=True, lower_is_better=False),
                   EpochScoring(r2, name="r2_valid", lower_is_better=False)],
        **SMALL,
    ).fit(X, target)
    check_predictions(reg, X, len(target))
    assert all(np.isfinite(e["r2_train"]) for e in reg.history_["main"])
    # The held-out rows of every network, one network after the other.
    assert seen and all(p == t and p[1] == 1 for p, t in seen)


@pytest.mark.parametrize("n_estimators", [1, 5])
def test_checkpoint(data, tmp_path, n_estimators):
    X, y, _ = data
    clf = OMIBClassifier(
        n_estimators=n_estimators,
        callbacks=[Checkpoint(monitor="train_loss_best", dirname=str(tmp_path), f_optimizer=None,
                              f_criterion=None)],
        **SMALL,
    ).fit(X, y)
    check_predictions(clf, X, len(y))
    assert (tmp_path / "params.pt").is_file()
    assert (tmp_path / "history.json").is_file()


@pytest.mark.parametrize("n_estimators", [1, 5])
def test_progress_bar(data, n_estimators):
    X, y, _ = data
    det = OMIBAnomalyDetector(n_estimators=n_estimators, callbacks=[ProgressBar()], **SMALL).fit(X)
    scores = det.score_samples(X)
    assert scores.shape == (len(y),) and np.all(np.isfinite(scores))
    reg_X, _, target = data
    reg = OMIBRegressor(n_estimators=n_estimators, callbacks=[ProgressBar()], **SMALL)
    check_predictions(reg.fit(reg_X, target), reg_X, len(target))


@pytest.mark.parametrize("Estimator", [OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector])
def test_divergence_raises(data, Estimator):
    X, y, target = data
    est = Estimator(lr=1e8, **{**SMALL, "warmup_epochs": 3, "max_epochs": 3})
    fit_y = {OMIBClassifier: y, OMIBRegressor: target, OMIBAnomalyDetector: None}[Estimator]
    with pytest.raises(ValueError, match=r"non-finite .* epoch \d+ of the (warmup|main) phase.*lower lr"):
        est.fit(X, fit_y)
