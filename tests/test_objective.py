"""The training objective, checked against the paper's equations by hand:
Eq. 10 (main phase), the warm-up's reach, the fusion's inputs, r (Eq. 11)
and the draw of beta (Algorithm 2)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import FAST

from omib_sklearn import OMIBClassifier
from omib_sklearn._information import select_beta
from omib_sklearn._objective import r_weights
from omib_sklearn._tasks import ClassificationTask


def problem(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = [rng.normal(size=(n, 5)) + y[:, None], rng.normal(size=(n, 4)) - y[:, None]]
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = problem()
    # Without modality dropout: the losses by hand below have no mask.
    clf = OMIBClassifier(**{**FAST, "beta": 0.05, "modality_dropout": 0.0,
                            "random_state": 0}).fit(X, y)
    return clf, X, y


def batch(X, y, n=32):
    """A batch of the first n rows for one network: (K=1, n, p) inputs."""
    Xi = [torch.as_tensor(x[:n], dtype=torch.float32)[None] for x in X]
    return Xi, torch.as_tensor(y[:n])[None], torch.ones(1, n)


def phase_losses(net, Xi, yi, wi, training):
    """The per-network loss of the net's phase on a batch, and the module
    output it came from, through the net's own forward pass and criterion."""
    out = net.infer(Xi)
    return net.get_loss(out, yi, training=training, weight=wi), out


def kl(mu, logvar):
    return 0.5 * torch.sum(mu**2 + logvar.exp() - 1.0 - logvar, dim=-1).mean()


def test_main_phase_loss_is_eq_10(fitted):
    clf, X, y = fitted
    net, module = clf.net_, clf.module_
    objective = net.criterion_
    assert objective.beta == clf.beta_ == 0.05  # the beta chosen is the beta in the loss
    Xi, yi, wi = batch(X, y)
    net.phase = "main"
    # A weight r_2 != 1 must show up: D_2 / D_1 = 2 gives r_2 = 2 / (1 + 4),
    # held fixed by a momentum of 1.
    objective.dynamic_r, objective.d_ema, objective.r_momentum = (
        True, torch.tensor([[1.0, 2.0]]), 1.0)
    assert net.r[0, 1].item() == pytest.approx(0.4)
    module.train()
    torch.manual_seed(0)
    losses, _ = phase_losses(net, Xi, yi, wi, training=True)
    torch.manual_seed(0)  # the same draws of zeta
    out = module.forward_train(Xi)
    target = yi[0]
    task = F.cross_entropy(out.y_hat[0], target)
    kls = [kl(m[0], lv[0]) for m, lv in zip(out.mu, out.logvar)]
    trb = sum(F.cross_entropy(o[0], target) for o in out.trb)
    by_hand = task + 0.05 * (kls[0] + 0.4 * kls[1]) + trb
    assert kls[0] > 0 and kls[1] > 0
    torch.testing.assert_close(losses[0], by_hand, rtol=1e-5, atol=1e-6)
    # validation monitors the fusion head's task loss only
    module.eval()
    valid, out = phase_losses(net, Xi, yi, wi, training=False)
    torch.testing.assert_close(valid[0], F.cross_entropy(out.y_hat[0], target),
                               rtol=1e-5, atol=1e-6)
    objective.dynamic_r, objective.d_ema, objective.r_momentum = False, None, 0.9


def parts_trained_by(fitted, phase):
    """The top-level parts of the module that a phase's loss has gradients for."""
    clf, X, y = fitted
    net, module = clf.net_, clf.module_
    net.phase = phase
    module.train()
    module.zero_grad(set_to_none=True)
    losses, _ = phase_losses(net, *batch(X, y), training=True)
    losses.sum().backward()
    reached = {name.split(".")[0] for name, p in module.named_parameters()
               if p.grad is not None and p.grad.abs().sum() > 0}
    module.zero_grad(set_to_none=True)
    return reached


def test_warm_up_trains_only_the_encoders_and_task_relevance_heads(fitted):
    assert parts_trained_by(fitted, "warmup") == {"encoders", "trb_heads"}


def test_main_phase_trains_every_part(fitted):
    # Algorithm 2 sums the losses and updates everything; the task-relevance
    # losses see xi undetached, so they also reach the VAEs and the fusion.
    assert parts_trained_by(fitted, "main") == {"encoders", "trb_heads", "vaes", "fusion", "head"}


def test_fused_embedding_depends_on_every_modality(fitted):
    clf, X, _ = fitted
    module = clf.module_.eval()
    Xi = [torch.as_tensor(x[:16], dtype=torch.float32) for x in X]
    with torch.no_grad():
        xi = module(Xi).xi
        for i in range(len(Xi)):
            changed = [x + 1.0 if j == i else x for j, x in enumerate(Xi)]
            xi2 = module(changed).xi
            assert (xi2 - xi).abs().max() > 1e-4, f"xi ignores modality {i}"


def test_dynamic_r_moves_the_weights():
    X, y = problem()
    clf = OMIBClassifier(**{**FAST, "beta": 0.05, "dynamic_r": True, "max_epochs": 3,
                            "random_state": 0}).fit(X, y)
    assert clf.r_history_.shape == (3, 2)
    assert np.all(clf.r_history_[:, 0] == 1.0)  # r_1 = 1 by definition
    assert np.all(clf.r_history_[:, 1] != 1.0)
    assert 0.0 <= clf.r_[1] <= 2.0


def test_r_shrinks_the_modality_that_diverges_more():
    # Eq. 11: r_i = 1 - tanh(ln(D_i / D_1)); D_i larger than D_1 -> r_i < 1
    r = r_weights([[1.0, 2.0, 0.5, 1.0]])[0]
    assert r[0] == 1.0 and r[1] < 1.0 < r[2] and r[3] == pytest.approx(1.0)
    np.testing.assert_allclose(r[1], 1.0 - np.tanh(np.log(2.0)), rtol=1e-6)
    # D_i is KL(p(y | xi, z_i) || p(y | xi)), in that direction
    torch.manual_seed(0)
    a, b = torch.randn(8, 3), torch.randn(8, 3)
    p, q = a.softmax(-1), b.softmax(-1)
    expected = (p * (p.log() - q.log())).sum(-1)
    torch.testing.assert_close(ClassificationTask(3).divergence(a, b), expected)


def test_beta_is_drawn_across_the_bounds():
    low, high = 1e-3, 5e-3
    draws = np.array([select_beta((low, high), seed) for seed in range(40)])
    assert np.all((low <= draws) & (draws <= high))
    assert draws.min() < low + 0.2 * (high - low)
    assert draws.max() > high - 0.2 * (high - low)


def test_absent_rows_have_no_weight_in_their_modality_terms(fitted):
    """With a mask, the KL and task-relevance terms of a modality are weighted
    means over the rows where it is present; the fusion head's over all."""
    clf, X, y = fitted
    net, module = clf.net_, clf.module_
    objective = net.criterion_
    objective.dynamic_r = False
    Xi, yi, wi = batch(X, y)
    mask = torch.ones(1, 32, 2, dtype=torch.bool)
    mask[0, :10, 1] = False
    module.eval()
    out = module.forward_train(Xi, mask=mask)
    losses, _ = objective(out, yi, wi, module=module, phase="main", training=True)
    target = yi[0]
    task = F.cross_entropy(out.y_hat[0], target)
    kl0 = kl(out.mu[0][0], out.logvar[0][0])
    kl1 = kl(out.mu[1][0][10:], out.logvar[1][0][10:])
    trb = (F.cross_entropy(out.trb[0][0], target)
           + F.cross_entropy(out.trb[1][0][10:], target[10:]))
    by_hand = task + 0.05 * (kl0 + kl1) + trb
    torch.testing.assert_close(losses[0], by_hand, rtol=1e-5, atol=1e-6)
