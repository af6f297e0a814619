"""Torch modules and the training helpers (KL, r)."""

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from omib_sklearn._objective import r_weights
from omib_sklearn.nn import OMIBModule, StatisticsNetwork
from omib_sklearn.nn._modules import (
    CrossAttentionFusion,
    NetworkLinear,
    gaussian_kl,
    slice_networks,
)


def test_gaussian_kl_matches_torch_distributions():
    torch.manual_seed(0)
    mu, logvar = torch.randn(7, 5), torch.randn(7, 5)
    expected = kl_divergence(
        Normal(mu, torch.exp(0.5 * logvar)), Normal(torch.zeros(5), torch.ones(5))
    ).sum(1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected, rtol=1e-5, atol=1e-6)


def test_gaussian_kl_zero_at_prior():
    assert torch.all(gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)) == 0)


def test_r_is_one_for_equal_divergences():
    torch.testing.assert_close(r_weights([0.3, 0.3, 0.3]), torch.ones(3))


def test_r_per_network():
    r = r_weights([[1.0, 2.0], [1.0, 0.5]])
    np.testing.assert_allclose(r.numpy(), [[1.0, 0.4], [1.0, 1.6]], rtol=1e-5)


def test_r_formula_and_limits():
    # r_i = 1 - tanh(ln(D_i / D_1)) = 2 / (1 + (D_i / D_1)^2)
    r = r_weights([1.0, 2.0, 0.5])
    expected = 1 - np.tanh(np.log([1.0, 2.0, 0.5]))
    np.testing.assert_allclose(r.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(r.numpy(), [1.0, 0.4, 1.6], rtol=1e-5)
    assert r_weights([1.0, 1e6])[1] < 1e-6  # -> 0 when modality i misses much more
    assert r_weights([1.0, 1e-6])[1] > 2 - 1e-6  # -> 2 when it misses nothing


def test_r_has_no_nan_when_both_divergences_vanish():
    r = r_weights([0.0, 0.0])
    assert torch.all(torch.isfinite(r))
    torch.testing.assert_close(r, torch.ones(2))


def test_r_clipping_keeps_weights_away_from_0_and_2():
    r = r_weights([1.0, 1e6, 1e-6], clip=(0.05, 1.95))
    np.testing.assert_allclose(r.numpy(), [1.0, 0.05, 1.95], rtol=1e-6)


@pytest.mark.parametrize("n_members", [1, 3])
@pytest.mark.parametrize("widths", [[5, 3], [5, 3, 4]])
@pytest.mark.parametrize("head,out_dim", [("linear", 3), ("svdd", 16)])
def test_module_output_shapes(widths, head, out_dim, n_members):
    torch.manual_seed(0)
    module = OMIBModule(widths, out_dim, n_members=n_members, head=head, encoder_hidden=(8,),
                        embedding_dim=12, latent_dim=8, n_heads=2, bias=head != "svdd")
    # (N, p) inputs: the same rows for every network
    x = [torch.randn(6, w) for w in widths]
    out = module(x)
    y_hat, xi = out.y_hat, out.xi
    assert y_hat.shape == (n_members, 6, out_dim) and xi.shape == (n_members, 6, 8)
    # (K, N, p) inputs: rows of their own per network
    xk = [torch.randn(n_members, 4, v.shape[1]) for v in x]
    train = module.forward_train(xk)
    assert len(train.trb) == len(widths) == len(train.mu) == len(train.logvar)
    assert all(t.shape == (n_members, 4, out_dim) for t in train.trb)
    assert all(m.shape == (n_members, 4, 8) for m in train.mu)
    warm = module.forward_warmup(xk)
    assert len(warm.trb) == len(widths)
    # every parameter and buffer has the network dimension first
    assert all(t.shape[0] == n_members for t in module.state_dict().values())


def test_network_linear_is_independent_linear_layers():
    torch.manual_seed(0)
    layer = NetworkLinear(3, 5, 4)
    x = torch.randn(3, 7, 5)
    out = layer(x)
    for k in range(3):
        expected = x[k] @ layer.weight[k] + layer.bias[k, 0]
        torch.testing.assert_close(out[k], expected)
    # torch.nn.Linear's initialisation, per network
    assert layer.weight.abs().max() <= 1 / np.sqrt(5)
    assert not torch.allclose(layer.weight[0], layer.weight[1])


def test_networks_do_not_share_gradients():
    torch.manual_seed(0)
    module = OMIBModule([4, 3], 2, n_members=3, encoder_hidden=(8,), embedding_dim=8,
                        latent_dim=4, n_heads=2)
    x = [torch.randn(3, 5, 4), torch.randn(3, 5, 3)]
    y_hat = module(x).y_hat
    y_hat[1].sum().backward()
    used = [(n, p) for n, p in module.named_parameters() if p.grad is not None]
    assert len(used) > 10
    for name, param in used:
        assert torch.all(param.grad[[0, 2]] == 0), name
    assert all(torch.any(p.grad[1] != 0) for _, p in used)


def test_fusion_attention_is_multihead_attention():
    torch.manual_seed(0)
    fusion = CrossAttentionFusion(2, 3, 8, 2)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    tokens = torch.randn(2, 5, 3, 8)
    out = fusion(tokens)
    for k in range(2):
        with torch.no_grad():
            mha.in_proj_weight.copy_(fusion.in_proj.weight[k].T)
            mha.in_proj_bias.copy_(fusion.in_proj.bias[k, 0])
            mha.out_proj.weight.copy_(fusion.out_proj.weight[k].T)
            mha.out_proj.bias.copy_(fusion.out_proj.bias[k, 0])
        attended, _ = mha(tokens[k], tokens[k], tokens[k])
        expected = attended.flatten(1) @ fusion.out.weight[k] + fusion.out.bias[k, 0]
        torch.testing.assert_close(out[k], expected, rtol=1e-5, atol=1e-6)


def test_slice_networks_keeps_the_chosen_networks():
    torch.manual_seed(0)
    module = OMIBModule([4, 3], 2, n_members=3, encoder_hidden=(8,), embedding_dim=8,
                        latent_dim=4, n_heads=2).eval()
    x = [torch.randn(5, 4), torch.randn(5, 3)]
    before = module(x).y_hat
    slice_networks(module, [2])
    assert module.n_members == 1
    torch.testing.assert_close(module(x).y_hat[0], before[2])


def test_svdd_module_has_no_bias_terms():
    module = OMIBModule([4, 4], 8, head="svdd", encoder_hidden=(8,), embedding_dim=8,
                        latent_dim=4, n_heads=2, bias=False)
    names = [n for n, _ in module.named_parameters()]
    assert not [n for n in names if n.endswith("bias")]


def test_eval_forward_is_deterministic_and_uses_mu():
    torch.manual_seed(0)
    module = OMIBModule([4, 3], 2, encoder_hidden=(8,), embedding_dim=8, latent_dim=4, n_heads=2).eval()
    x = [torch.randn(5, 4), torch.randn(5, 3)]
    a, b = module(x), module(x)
    torch.testing.assert_close(a.xi, b.xi)
    sampled = module(x, sample=True).xi
    assert not torch.allclose(sampled, a.xi)


def test_statistics_network_shapes():
    net = StatisticsNetwork(3, 2, 1, hidden=4)
    out = net(torch.randn(3, 10, 2), torch.randn(3, 10, 1))
    assert out.shape == (3, 10)


def test_tail_average_decay_follows_recent_weights_then_caps():
    from omib_sklearn._training import tail_average_decay

    # Steps 1 and 2: the average is the current weights.
    assert tail_average_decay(1, 100) == 0.0
    assert tail_average_decay(2, 100) == 0.0
    # Horizon = half the steps so far: 1 - 1 / 5 after 10 steps.
    assert tail_average_decay(10, 100) == pytest.approx(0.8)
    # Capped at the requested horizon.
    assert tail_average_decay(10_000, 100) == pytest.approx(0.99)


def test_task_heads_have_the_hidden_widths():
    module = OMIBModule([5, 4], 3, n_members=2, embedding_dim=8, latent_dim=4, n_heads=2,
                        head_hidden=(16, 12))
    for head in [module.head, *module.trb_heads]:
        widths = [(m.in_features, m.out_features) for m in head if isinstance(m, NetworkLinear)]
        assert [w[1] for w in widths] == [16, 12, 3]
        assert any(isinstance(m, torch.nn.GELU) for m in head)
    assert [(m.in_features, m.out_features) for m in module.head if isinstance(m, NetworkLinear)][0] == (4, 16)
    linear = OMIBModule([5, 4], 3, embedding_dim=8, latent_dim=4, n_heads=2, head_hidden=())
    assert isinstance(linear.head, NetworkLinear)
    assert linear.head.in_features == 4 and linear.head.out_features == 3


def test_linear_path_adds_a_linear_map_of_the_inputs():
    torch.manual_seed(0)
    module = OMIBModule([5, 4], 2, n_members=2, embedding_dim=8, latent_dim=4, n_heads=2,
                        linear_path=True)
    encoder = module.encoders[0]
    assert encoder.linear.bias is None and encoder.linear.weight.shape == (2, 5, 8)
    x = torch.randn(2, 7, 5)
    with torch.no_grad():
        expected = encoder.net(x) + torch.bmm(x, encoder.linear.weight)
        np.testing.assert_allclose(encoder(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
        encoder.linear.weight.zero_()
        np.testing.assert_allclose(encoder(x).numpy(), encoder.net(x).numpy())
    assert OMIBModule([5, 4], 2, embedding_dim=8, latent_dim=4, n_heads=2).encoders[0].linear is None
