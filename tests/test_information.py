"""MINE, the information estimates, the beta bounds and beta selection."""


import numpy as np
import pytest
import torch

from omib_sklearn import MINE, beta_bounds, estimate_information, select_beta
from omib_sklearn._information import _repair


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_mine_recovers_gaussian_mutual_information(rho):
    # I(X; Z) = -d/2 log(1 - rho^2) for d independent pairs with correlation rho.
    d = 2
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6000, d))
    z = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((6000, d))
    truth = -d / 2 * np.log(1 - rho**2)
    mi = MINE(n_steps=600, random_state=0).fit(x, z).mi_
    assert abs(mi - truth) / truth < 0.15


@pytest.mark.slow
def test_mine_is_near_zero_for_independent_data():
    rng = np.random.default_rng(1)
    x, z = rng.standard_normal((4000, 2)), rng.standard_normal((4000, 2))
    assert abs(MINE(n_steps=300, random_state=0).fit(x, z).mi_) < 0.05


@pytest.mark.slow
def test_mine_channels_estimate_each_pair():
    rng = np.random.default_rng(2)
    rhos = np.array([0.0, 0.6, 0.9])
    x = rng.standard_normal((5000, 3, 1))
    z = rhos[None, :, None] * x + np.sqrt(1 - rhos**2)[None, :, None] * rng.standard_normal((5000, 3, 1))
    mi = MINE(n_steps=600, random_state=0).fit(x, z).mi_
    truth = -0.5 * np.log(1 - rhos**2)
    assert mi.shape == (3,)
    np.testing.assert_allclose(mi, truth, atol=0.06)


def test_mine_is_reproducible():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 1))
    z = x + rng.standard_normal((500, 1))
    a = MINE(n_steps=50, random_state=7).fit(x, z).mi_
    b = MINE(n_steps=50, random_state=7).fit(x, z).mi_
    assert a == b


def test_mine_rejects_unpaired_input():
    with pytest.raises(ValueError, match="same rows"):
        MINE(n_steps=5).fit(np.zeros((10, 2)), np.zeros((9, 2)))


@pytest.mark.slow
def test_channel_estimates_match_gaussian_closed_form():
    # Noise-channel definitions have closed forms for Gaussian data:
    # H_i = sum_k 0.5 log(1 + lambda_k / s^2), I_12 from the noisy canonical
    # correlations. Modality 1 = [a, b1], modality 2 = [a, b2]: 5 shared dims.
    rng = np.random.default_rng(4)
    n = 6000
    a = rng.standard_normal((n, 5))
    x1 = np.hstack([a, rng.standard_normal((n, 5))]).astype(np.float32)
    x2 = np.hstack([a, rng.standard_normal((n, 3))]).astype(np.float32)
    est = estimate_information([x1, x2], noise_std=1.0, n_steps=300, random_state=0)
    h1, h2 = 10 * 0.5 * np.log(2), 8 * 0.5 * np.log(2)
    i12 = 5 * -0.5 * np.log(1 - 0.5**2)
    np.testing.assert_allclose(np.diag(est.matrix), [h1, h2], rtol=0.15)
    assert est.matrix[0, 1] == pytest.approx(i12, rel=0.3)
    assert est.repairs == []


def test_estimates_are_reproducible_and_symmetric():
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal((300, 4)).astype(np.float32) for _ in range(3)]
    a = estimate_information(xs, n_steps=20, random_state=1).matrix
    b = estimate_information(xs, n_steps=20, random_state=1).matrix
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, a.T)


def test_beta_bounds_two_modalities_by_hand():
    info = np.array([[2.0, 0.5], [0.5, 1.0]])
    low, high = beta_bounds(info)
    assert low == pytest.approx(1 / (3 * 3.0))
    assert high == pytest.approx(1 / (3 * 2.5))


def test_beta_bounds_three_modalities_by_hand():
    info = np.array([[1.0, 0.3, 0.2], [0.3, 2.0, 0.1], [0.2, 0.1, 3.0]])
    low, high = beta_bounds(info)
    assert low == pytest.approx(1 / (5 * 6.0))
    assert high == pytest.approx(1 / (5 * (6.0 - 2 / 3 * 0.6)))


def test_beta_bounds_one_modality():
    assert beta_bounds([[4.0]]) == pytest.approx((0.25, 0.25))


def test_beta_bounds_reject_bad_matrix():
    with pytest.raises(ValueError, match="square"):
        beta_bounds(np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive"):
        beta_bounds(np.zeros((2, 2)))


def test_repair_enforces_information_constraints():
    raw = np.array([[-1.0, 5.0, -0.2], [5.0, 2.0, 0.5], [-0.2, 0.5, 3.0]])
    est = _repair(raw)
    m = est.matrix
    assert np.all(np.diag(m) > 0)
    assert m[0, 1] <= min(m[0, 0], m[1, 1]) and m[0, 2] == 0.0
    assert len(est.repairs) == 3
    assert "H_1" in est.repairs[0]
    low, high = beta_bounds(m)
    assert low <= high
    np.testing.assert_array_equal(est.raw, raw)


def test_a_diverged_channel_is_estimated_from_the_others(monkeypatch):
    # One channel of H_1 whose MINE run returns NaN: H_1 is the mean of its
    # other channels times their count, information_raw keeps the NaN, and
    # the repair says so. Every other estimate is unchanged.
    import omib_sklearn._information as information

    rng = np.random.default_rng(6)
    a = rng.standard_normal((400, 3))
    xs = [np.hstack([a, rng.standard_normal((400, 3))]), a + 0.5 * rng.standard_normal((400, 3))]
    clean = estimate_information(xs, n_steps=20, random_state=2)
    seen = {}
    original = information.train_mine

    def diverging(*args, **kwargs):
        mi, bounds = original(*args, **kwargs)
        seen["mi"] = np.clip(mi.copy(), 0.0, None)
        mi[1] = np.nan  # the second principal channel of modality 1
        return mi, bounds

    monkeypatch.setattr(information, "train_mine", diverging)
    est = estimate_information(xs, n_steps=20, random_state=2)
    h1_channels = seen["mi"][:6]
    expected = np.delete(h1_channels, 1).sum() * 6 / 5
    assert np.isnan(est.raw[0, 0])
    assert est.matrix[0, 0] == pytest.approx(expected)
    mask = np.ones((2, 2), dtype=bool)
    mask[0, 0] = False
    np.testing.assert_array_equal(est.matrix[mask], clean.matrix[mask])
    assert len(est.repairs) == 1
    assert "H_1" in est.repairs[0] and "1 of its 6 channels diverged" in est.repairs[0]


def test_heavy_tailed_channels_give_finite_estimates():
    # Two halves of the digits images, on the training rows of one fold:
    # a few rows far out in the tail of some principal channels made their
    # MINE runs overflow, and H_1 was replaced by 1 (a beta 100 times too
    # large). Every entropy is now of the order of the others.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold

    X, y = load_digits(return_X_y=True)
    rows, _ = list(StratifiedKFold(5, shuffle=True, random_state=1).split(X, y))[1]
    est = estimate_information([X[rows, :32], X[rows, 32:]], random_state=0)
    assert np.all(np.isfinite(est.matrix))
    assert np.all((np.diag(est.matrix) > 30) & (np.diag(est.matrix) < 100))
    assert not any("replaced by" in r for r in est.repairs)


def test_select_beta_inside_bounds_and_reproducible():
    b1 = select_beta((1e-4, 3e-4), random_state=0)
    assert 1e-4 <= b1 <= 3e-4
    assert b1 == select_beta((1e-4, 3e-4), random_state=0)


def test_select_beta_swaps_inverted_interval_with_warning():
    with pytest.warns(UserWarning, match="inverted"):
        beta = select_beta((3e-4, 1e-4), random_state=0)
    assert 1e-4 <= beta <= 3e-4


def test_estimate_information_does_not_modify_input():
    rng = np.random.default_rng(6)
    xs = [rng.standard_normal((200, 3)).astype(np.float32) for _ in range(2)]
    copies = [x.copy() for x in xs]
    estimate_information(xs, n_steps=5, random_state=0)
    for x, c in zip(xs, copies):
        np.testing.assert_array_equal(x, c)


def test_mine_leaves_global_torch_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MINE(n_steps=5, random_state=0).fit(np.zeros((50, 1)) + np.arange(50)[:, None], np.arange(50)[:, None])
    np.testing.assert_array_equal(torch.rand(3), expected)
