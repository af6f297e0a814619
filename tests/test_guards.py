"""Parts of the training that a change could break without moving any score
much: each test pins one of them on tiny data.

- early stopping restores each network's best weights of the phase;
- zeta_i is sampled in the main phase's training passes and is mu_i at
  inference;
- the warm-up context of the task-relevance heads is N(0, I) noise (zeros
  for Deep SVDD);
- the divergences D_i that move r are KL(p_i || p_hat), in that order.
"""

import types
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from omib_sklearn import OMIBClassifier
from omib_sklearn._objective import PhaseObjective, r_weights
from omib_sklearn._phase import Phase
from omib_sklearn._tasks import ClassificationTask
from omib_sklearn.nn import ModuleOutput, OMIBModule

SMALL = dict(
    encoder_hidden=(8,), embedding_dim=8, latent_dim=4, n_heads=2,
)


def _module(head="linear", n_members=2, n_features=(3, 2), **kw):
    torch.manual_seed(0)
    return OMIBModule(list(n_features), 3, n_members=n_members, head=head, **SMALL, **kw)


def _inputs(n=5, n_features=(3, 2), n_members=2):
    g = torch.Generator().manual_seed(1)
    return [torch.randn(n_members, n, p, generator=g) for p in n_features]


# -- early stopping keeps the best weights -------------------------------------


class MainStates(Callback):
    """The averaged weights (those early stopping keeps) and the held-out
    loss of each network at the end of every main-phase epoch."""

    def initialize(self):
        self.states_, self.losses_ = [], []
        return self

    def on_epoch_end(self, net, **kwargs):
        if net.phase is Phase.MAIN:
            self.states_.append(net.averaged_state_dict())
            self.losses_.append(np.asarray(net.history[-1, "valid_network_loss"]))


def test_early_stopping_restores_each_networks_best_weights():
    rng = np.random.default_rng(0)
    n = 60
    y = rng.integers(0, 2, n)
    # Noise features: with a large lr the held-out loss soon rises, so that
    # a network's best epoch comes before the last.
    X = [rng.normal(size=(n, 6)).astype(np.float32), rng.normal(size=(n, 5)).astype(np.float32)]
    epochs = 8
    # A patience beyond max_epochs runs every epoch, so that the recorder
    # (after early stopping among the callbacks) sees the last one too;
    # tol=0 makes the best epoch that of least held-out loss.
    est = OMIBClassifier(
        n_estimators=2, beta=1e-3, warmup_epochs=1, max_epochs=epochs, lr=3e-2,
        averaging_epochs=2, batch_size=16, n_iter_no_change=epochs + 1, tol=0.0, random_state=0,
        callbacks=[MainStates()], **SMALL,
    )
    with warnings.catch_warnings():
        # A network whose best epoch is the last warns; not the point here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.validation_scheme_ == "cross-fit"
    recorder = dict(est.net_.callbacks_)["MainStates"]
    assert len(recorder.states_) == epochs  # ran to the end: every epoch recorded
    best = est.best_epochs_[Phase.MAIN.value]
    losses = np.stack(recorder.losses_)  # (epochs, networks)
    np.testing.assert_array_equal(best, losses.argmin(0) + 1)
    assert np.any(best < epochs), "every best epoch is the last: the test shows nothing"
    final = est.module_.state_dict()
    for k, b in enumerate(best):
        at_best = recorder.states_[b - 1]
        for name, value in final.items():
            torch.testing.assert_close(value[k], at_best[name][k], rtol=0, atol=0)
        if b < epochs:
            last = recorder.states_[-1]
            assert any(not torch.equal(value[k], last[name][k]) for name, value in final.items())


# -- zeta_i: sampled in training, mu_i at inference ------------------------------


def test_zeta_is_sampled_in_training_passes():
    module = _module()
    module.train()
    x = _inputs()
    torch.manual_seed(5)
    out = module.forward_train(x)
    # The same draws by hand: forward_train draws one eps_i per modality, in order.
    torch.manual_seed(5)
    with torch.no_grad():
        zetas = [
            mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
            for mu, lv in zip(out.mu, out.logvar)
        ]
        xi = module.fusion(torch.stack(zetas, dim=2))
        xi_mu = module.fusion(torch.stack(out.mu, dim=2))
    torch.testing.assert_close(out.xi.detach(), xi)
    assert not torch.allclose(out.xi.detach(), xi_mu)


def test_zeta_is_mu_at_inference():
    module = _module()
    x = _inputs()
    module.eval()
    with torch.no_grad():
        out = module.forward_train(x)
        xi_mu = module.fusion(torch.stack(out.mu, dim=2))
        torch.testing.assert_close(out.xi, xi_mu, rtol=0, atol=0)
        # forward (prediction, transform) uses mu_i, in eval and train mode alike.
        for mode in (module.eval, module.train):
            mode()
            out = module(x)
            y_hat, xi = out.y_hat, out.xi
            torch.testing.assert_close(xi, xi_mu, rtol=0, atol=0)
            torch.testing.assert_close(y_hat, module.head(xi_mu), rtol=0, atol=0)


def test_deep_svdd_never_samples_zeta():
    module = _module(head="svdd", bias=False)
    module.train()
    with torch.no_grad():
        out = module.forward_train(_inputs())
        torch.testing.assert_close(
            out.xi, module.fusion(torch.stack(out.mu, dim=2)), rtol=0, atol=0
        )


# -- the warm-up context ------------------------------------------------------


def _warmup_contexts(module, x):
    seen = []
    original = module.trb_outputs

    def spy(zs, context):
        seen.append(context)
        return original(zs, context)

    module.trb_outputs = spy
    with torch.no_grad():
        module.forward_warmup(x)
    return seen[0]


def test_warmup_context_is_standard_normal_noise():
    module = _module(n_members=2)
    module.train()
    contexts = _warmup_contexts(module, _inputs(n=2000))
    assert len(contexts) == module.n_modalities
    for c in contexts:
        assert c.shape == (2, 2000, module.latent_dim)
        assert abs(float(c.mean())) < 0.05
        assert abs(float(c.std()) - 1.0) < 0.05
    assert not torch.equal(contexts[0], contexts[1])  # one draw per modality


def test_classifier_trains_with_noise_context():
    # The classifier's task (hence its module) is stochastic.
    assert ClassificationTask.stochastic
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(20, 3)), rng.normal(size=(20, 2))]
    est = OMIBClassifier(
        n_estimators=1, early_stopping=False, beta=1e-3, warmup_epochs=1, max_epochs=1,
        random_state=0, **SMALL,
    ).fit(X, rng.integers(0, 2, 20))
    assert est.module_.stochastic


def test_deep_svdd_warmup_context_is_zeros():
    module = _module(head="svdd", bias=False)
    module.train()
    for c in _warmup_contexts(module, _inputs()):
        assert torch.count_nonzero(c) == 0


# -- the divergences that move r ------------------------------------------------


def _kl(p, q):
    return np.sum(p * (np.log(p) - np.log(q)), axis=-1)


def _softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# Logits of two task-relevance heads and of the fusion head, 1 network, 2 rows,
# chosen so that KL(p_i || p_hat) and KL(p_hat || p_i) differ.
TRB = np.array([
    [[[4.0, 0.0, 0.0], [0.0, 1.0, 0.0]]],
    [[[0.0, 0.0, 0.5], [2.0, -1.0, 0.0]]],
])
FUSED = np.array([[[0.0, 2.0, 1.0], [0.5, 0.0, 3.0]]])


def test_classification_divergence_is_kl_of_head_from_fusion():
    task = ClassificationTask(3)
    p_i, p_hat = _softmax(TRB[0]), _softmax(FUSED)
    got = task.divergence(torch.tensor(TRB[0]), torch.tensor(FUSED)).numpy()
    np.testing.assert_allclose(got, _kl(p_i, p_hat), rtol=1e-6)
    assert not np.allclose(_kl(p_i, p_hat), _kl(p_hat, p_i), rtol=1e-2)


def test_r_follows_kl_of_each_head_from_fusion():
    task = ClassificationTask(3)
    objective = PhaseObjective(task, beta=0.5, dynamic_r=True)
    module = types.SimpleNamespace(n_members=1, n_modalities=2)
    out = ModuleOutput(
        y_hat=torch.tensor(FUSED, dtype=torch.float32),
        trb=[torch.tensor(t, dtype=torch.float32) for t in TRB],
        mu=[torch.zeros(1, 2, 4)] * 2,
        logvar=[torch.zeros(1, 2, 4)] * 2,
    )
    y = torch.tensor([[0, 2]])
    objective(out, y, torch.ones(1, 2), module=module, phase=Phase.MAIN, training=True)
    p_hat = _softmax(FUSED)
    forward = np.array([[_kl(_softmax(t), p_hat).mean() for t in TRB]])
    backward = np.array([[_kl(p_hat, _softmax(t)).mean() for t in TRB]])
    assert not np.allclose(forward, backward, rtol=1e-2)
    np.testing.assert_allclose(objective.d_ema.numpy(), forward, rtol=1e-5)
    np.testing.assert_allclose(
        objective.r(1, 2).numpy(), r_weights(forward, objective.r_clip).numpy(), rtol=1e-6
    )
