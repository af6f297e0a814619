"""Information estimates with MINE, the beta bounds of OMIB and beta selection.

Stage 2 of the data path: validate -> **estimate information, pick beta** ->
warm-up -> main training -> transform / predict.

The paper asks for H(v_i) = MINE(v_i, v_i) and I(v_i; v_j) = MINE(v_i, v_j).
For continuous data both are infinite, so a literal estimate never converges
(see ``docs/beta_selection.md``). We estimate the same quantities at a fixed
resolution instead: the information that passes a Gaussian noise channel of
standard deviation ``noise_std`` on standardized features,

    H_i  := I(v_i ; v_i + sigma eps)
    I_ij := I(v_i + sigma eps_i ; v_j + sigma eps_j),

which are finite, satisfy 0 <= I_ij <= min(H_i, H_j), and are in nats like the
paper's. Each is a sum over decorrelated one-dimensional channels (principal
components for H_i, ridge canonical pairs for I_ij; the sum is exact for
Gaussian data), and MINE estimates all channels at once with one batched
statistics network. The directions are fitted on one half of the rows and the
MINE estimates use the other half, so spurious sample correlations of
high-dimensional modalities do not count as shared information.
"""

import math
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from ._compat import Interval
from ._sparse import is_sparse, reduce_for_information
from .nn._mine import train_mine

__all__ = [
    "MINE",
    "InformationEstimates",
    "beta_bounds",
    "estimate_information",
    "select_beta",
]


class MINE(BaseEstimator):
    """Mutual Information Neural Estimation (Belghazi et al., 2018).

    Maximizes the Donsker-Varadhan lower bound

        I(X; Z) >= E_P[T(x, z)] - log E_{P_X x P_Z}[exp T(x, z)]

    over a statistics network ``T``, with product-of-marginals samples made by
    shuffling ``z`` within a batch and the moving-average correction of the
    gradient of the log term. Estimates are in nats.

    Parameters
    ----------
    hidden : int, default=16
        Hidden width of the statistics network (which also has a quadratic
        term, exact for Gaussian pairs).
    n_steps : int, default=500
        Optimization steps.
    batch_size : int, default=512
        Rows per step.
    lr : float, default=5e-3
        Adam learning rate.
    ema_decay : float, default=0.99
        Decay of the moving average of E[exp T] used in the gradient.
    eval_fraction : float, default=0.3
        Share of rows held out: the reported estimate is the bound on them,
        so a statistics network that memorized its batches is not rewarded.
    random_state : int, RandomState instance or None, default=None
        Seed of the network's initialisation, the batches and the shuffles.
    device : str, default="cpu"
        Torch device.

    Attributes
    ----------
    mi_ : float or ndarray of shape (n_channels,)
        The estimate in nats (one per channel for 3-D input).
    train_bound_ : ndarray of shape (n_steps,) or (n_steps, n_channels)
        The bound on each training batch.

    References
    ----------
    .. [1] Belghazi, M. I., et al. "Mutual Information Neural Estimation."
       ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn import MINE
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((4000, 1))
    >>> z = 0.8 * x + 0.6 * rng.standard_normal((4000, 1))
    >>> mine = MINE(n_steps=500, random_state=0).fit(x, z)
    >>> round(float(-0.5 * np.log(1 - 0.8**2)), 3)  # the true value
    0.511
    >>> bool(abs(mine.mi_ - 0.511) < 0.1)
    True
    """

    _parameter_constraints = {
        "hidden": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "eval_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "device": [str],
    }

    def __init__(
        self,
        hidden=16,
        n_steps=500,
        batch_size=512,
        lr=5e-3,
        ema_decay=0.99,
        eval_fraction=0.3,
        random_state=None,
        device="cpu",
    ):
        self.hidden = hidden
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.lr = lr
        self.ema_decay = ema_decay
        self.eval_fraction = eval_fraction
        self.random_state = random_state
        self.device = device

    def fit(self, X, Z):
        """Estimate I(X; Z).

        Parameters
        ----------
        X, Z : array-like of shape (n_samples, n_features) or \
                (n_samples, n_channels, n_features)
            Paired samples. 3-D input estimates one mutual information per
            channel, ``I(X[:, c]; Z[:, c])``, with independent networks.

        Returns
        -------
        self : MINE
        """
        self._validate_params()
        x = np.asarray(X, dtype=np.float32)
        z = np.asarray(Z, dtype=np.float32)
        if x.ndim == 2:
            x, z, squeeze = x[:, None, :], z[:, None, :], True
        else:
            squeeze = False
        if x.ndim != 3 or z.ndim != 3 or x.shape[:2] != z.shape[:2]:
            raise ValueError(
                f"X and Z must be paired 2-D or 3-D arrays with the same rows "
                f"(and channels); got shapes {np.shape(X)} and {np.shape(Z)}."
            )
        check_array(x.reshape(len(x), -1), input_name="X")
        check_array(z.reshape(len(z), -1), input_name="Z")
        rng = check_random_state(self.random_state)
        perm = rng.permutation(len(x))
        n_eval = max(2, int(round(self.eval_fraction * len(x))))
        train, held = perm[n_eval:], perm[:n_eval]
        mi, bounds = train_mine(
            x[train], z[train], x[held], z[held],
            hidden=self.hidden, n_steps=self.n_steps,
            batch_size=self.batch_size, lr=self.lr, ema_decay=self.ema_decay,
            seed=rng.randint(2**31 - 1), device=self.device,
        )
        self.mi_ = float(mi[0]) if squeeze else mi
        self.train_bound_ = bounds[:, 0] if squeeze else bounds
        return self


def _standardize_channels(a):
    mean = a.mean(axis=0, keepdims=True)
    std = a.std(axis=0, keepdims=True)
    return (a - mean) / np.where(std > 0, std, 1.0)


@dataclass
class InformationEstimates:
    """Estimates used for OMIB's beta bounds, in nats.

    Attributes
    ----------
    matrix : ndarray of shape (M, M)
        H_i on the diagonal, I_ij off it, after repair.
    raw : ndarray of shape (M, M)
        The same before repair.
    repairs : list of str
        What was repaired, one sentence each (empty when nothing was).
    """

    matrix: np.ndarray
    raw: np.ndarray
    repairs: list = field(default_factory=list)


def estimate_information(
    modalities,
    *,
    method="channels",
    noise_std=0.1,
    n_steps=50,
    batch_size=128,
    hidden=4,
    lr=1e-2,
    max_samples=4000,
    max_channels=256,
    random_state=None,
    device="cpu",
):
    """Estimate H(v_i) and I(v_i; v_j) for every modality with MINE.

    Parameters
    ----------
    modalities : list of ndarray of shape (n_samples, n_features_i)
        The (validated) modalities.
    method : {"channels", "raw"}, default="channels"
        "channels" estimates the information through a Gaussian noise channel
        of std ``noise_std`` on standardized features, as a sum of MINE
        estimates over decorrelated 1-D channels (see the module docstring).
        "raw" is the paper read literally: MINE(v_i, v_i) and MINE(v_i, v_j)
        on whole standardized vectors; ill-posed for continuous data (the true
        values are infinite) and kept for comparison.
    noise_std : float, default=0.1
        Resolution of the noise channel, in units of each feature's std: the
        default of the estimators' ``info_noise``, which passes it here.
    n_steps, batch_size, hidden, lr : MINE budget and optimizer settings.
    max_samples : int, default=4000
        Rows used (a random subset beyond that).
    max_channels : int, default=256
        Most channels MINE estimates per quantity. Beyond it, channels are
        taken at even steps along the spectrum (sorted by variance or
        canonical correlation) and their sum is scaled by the sampling
        stride: a systematic-sampling estimate of the full sum, which cuts
        the cost for wide modalities (time grows with the channel count).
    random_state : int, RandomState instance or None
        Seed of the subset, the split and MINE.
    device : str, default="cpu"

    Returns
    -------
    InformationEstimates
    """
    rng = check_random_state(random_state)
    n = modalities[0].shape[0]
    rows = rng.permutation(n)[: min(n, max_samples)]
    half = len(rows) // 2
    views = [_standardize_channels(np.asarray(m, dtype=np.float64)[rows]) for m in modalities]
    n_mod = len(views)
    raw = np.zeros((n_mod, n_mod))
    seed = rng.randint(2**31 - 1)

    if method == "raw":
        for i in range(n_mod):
            for j in range(i, n_mod):
                mine = MINE(
                    hidden=4 * hidden, n_steps=n_steps, batch_size=batch_size,
                    lr=1e-3, random_state=seed + 7 * i + j, device=device,
                ).fit(views[i].astype(np.float32), views[j].astype(np.float32))
                raw[i, j] = raw[j, i] = mine.mi_
        return _repair(raw)

    # Channels: fit directions on one half, measure on the other.
    fit_part = [v[: half] for v in views]
    est_part = [v[half:] for v in views]
    xs, zs, nxs, nzs, owners = [], [], [], [], []
    sigma2 = noise_std**2
    for i in range(n_mod):
        cov = np.cov(fit_part[i], rowvar=False).reshape(views[i].shape[1], -1)
        lam, vec = np.linalg.eigh(cov)
        order = np.argsort(lam)[::-1]
        order = order[lam[order] > 1e-8 * max(lam.max(), 1e-300)]
        keep, weight = _systematic_sample(len(order), max_channels)
        u = est_part[i] @ vec[:, order[keep]]
        xs.append(u)
        zs.append(u)
        nxs.append(np.zeros(len(keep)))
        nzs.append(np.full(len(keep), noise_std))
        owners.append(((i, i), len(keep), weight))
    for i in range(n_mod):
        for j in range(i + 1, n_mod):
            a, b, rho = _ridge_cca(fit_part[i], fit_part[j], sigma2)
            keep, weight = _systematic_sample(a.shape[1], max_channels)
            a, b = a[:, keep], b[:, keep]
            xs.append(est_part[i] @ a)
            zs.append(est_part[j] @ b)
            nxs.append(noise_std * np.linalg.norm(a, axis=0))
            nzs.append(noise_std * np.linalg.norm(b, axis=0))
            owners.append(((i, j), a.shape[1], weight))

    x_all = np.concatenate(xs, axis=1)
    z_all = np.concatenate(zs, axis=1)
    # Per-channel scale: MI is invariant to it, optimization is not.
    sx = x_all.std(axis=0)
    sx[sx == 0] = 1.0
    x_all = x_all / sx
    nx_all = np.concatenate(nxs) / sx
    scale_z = np.sqrt(z_all.var(axis=0) + np.concatenate(nzs) ** 2)
    scale_z[scale_z == 0] = 1.0
    z_all = z_all / scale_z
    nz_all = np.concatenate(nzs) / scale_z

    perm = rng.permutation(len(x_all))
    n_eval = len(perm) // 3
    tr, ev = perm[n_eval:], perm[:n_eval]
    x3 = x_all[:, :, None].astype(np.float32)
    z3 = z_all[:, :, None].astype(np.float32)
    mi, _ = train_mine(
        x3[tr], z3[tr], x3[ev], z3[ev], hidden=hidden, n_steps=n_steps,
        batch_size=batch_size, lr=lr, ema_decay=0.99, seed=seed, device=device,
        noise_x=nx_all, noise_z=nz_all,
    )
    # Channels whose estimate is below zero carry no measurable information.
    mi = np.clip(mi, 0.0, None)
    start = 0
    filled = {}
    for (i, j), count, weight in owners:
        part = mi[start:start + count]
        start += count
        raw[i, j] = raw[j, i] = weight * part.sum()
        finite = np.isfinite(part)
        if finite.any() and not finite.all():
            # A channel whose MINE run diverged (a few rows far out in its
            # tail overflow exp T) is estimated from the others, as the
            # channels left out by the systematic sampling are.
            filled[i, j] = (weight * part[finite].sum() * count / finite.sum(),
                            count - finite.sum(), count)
    return _repair(raw, filled)


def _systematic_sample(n_channels, max_channels):
    """Every k-th channel of a spectrum sorted by decreasing variance or
    correlation, and the weight that makes the sum over them an estimate of
    the sum over all channels (systematic sampling)."""
    if n_channels <= max_channels:
        return np.arange(n_channels), 1.0
    keep = np.unique(np.linspace(0, n_channels - 1, max_channels).round().astype(int))
    return keep, n_channels / len(keep)


def _ridge_cca(a, b, sigma2):
    """Canonical directions of (a + sigma eps, b + sigma eps') from the data."""
    ca = np.cov(a, rowvar=False).reshape(a.shape[1], -1) + sigma2 * np.eye(a.shape[1])
    cb = np.cov(b, rowvar=False).reshape(b.shape[1], -1) + sigma2 * np.eye(b.shape[1])
    a_c = a - a.mean(axis=0)
    b_c = b - b.mean(axis=0)
    cab = a_c.T @ b_c / (len(a) - 1)
    wa = _inv_sqrt(ca)
    wb = _inv_sqrt(cb)
    u, s, vt = np.linalg.svd(wa @ cab @ wb, full_matrices=False)
    keep = max(int(np.sum(s > 1e-6)), 1)
    return wa @ u[:, :keep], wb @ vt[:keep].T, s[:keep]


def _inv_sqrt(c):
    lam, vec = np.linalg.eigh(c)
    return (vec / np.sqrt(np.clip(lam, 1e-12, None))) @ vec.T


def _repair(raw, filled=None):
    """Enforce H_i > 0 and 0 <= I_ij <= min(H_i, H_j); say what changed.

    ``filled`` maps ``(i, j)`` to ``(value, n_diverged, n_channels)``: the
    estimates of channel sums some of whose channels diverged, from the
    other channels; they replace the non-finite raw sums first.
    """
    est = raw.copy()
    repairs = []
    for (i, j), (value, n_diverged, count) in (filled or {}).items():
        name = f"H_{i + 1}" if i == j else f"I_{i + 1}{j + 1}"
        repairs.append(
            f"{name} estimate {raw[i, j]:.4g}: {n_diverged} of its {count} channels "
            f"diverged; estimated from the other {count - n_diverged} as {value:.4g}."
        )
        est[i, j] = est[j, i] = value
    n_mod = len(est)
    diag = np.diag(est).copy()
    positive = diag[diag > 0]
    floor = positive.min() if positive.size else 1.0
    for i in range(n_mod):
        if not np.isfinite(est[i, i]) or est[i, i] <= 0:
            repairs.append(
                f"H_{i + 1} estimate {est[i, i]:.4g} is not positive; "
                f"replaced by {floor:.4g}."
            )
            est[i, i] = floor
    for i in range(n_mod):
        for j in range(i + 1, n_mod):
            hi = min(est[i, i], est[j, j])
            value = est[i, j]
            fixed = 0.0 if not np.isfinite(value) else min(max(value, 0.0), hi)
            if fixed != value:
                repairs.append(
                    f"I_{i + 1}{j + 1} estimate {value:.4g} is outside "
                    f"[0, min(H_{i + 1}, H_{j + 1})] = [0, {hi:.4g}]; "
                    f"clipped to {fixed:.4g}."
                )
            est[i, j] = est[j, i] = fixed
    return InformationEstimates(matrix=est, raw=raw, repairs=repairs)


def beta_bounds(information):
    """OMIB's bounds on beta, (M_l, M_u), for any number of modalities M.

    ``M_l = 1 / ((2M - 1) sum_i H_i)`` and
    ``M_u = 1 / ((2M - 1) (sum_i H_i - (2 / M) sum_{i<j} I_ij))``; for M = 2
    this is 1 / (3 (H1 + H2)) and 1 / (3 (H1 + H2 - I12)) (the paper's
    Proposition 5.1), for M = 3 the paper's App. D, for M = 1 both are 1 / H_1.

    Parameters
    ----------
    information : array-like of shape (M, M)
        H_i on the diagonal, I_ij off it (nats).

    Returns
    -------
    (m_lower, m_upper) : tuple of float
    """
    info = np.asarray(information, dtype=np.float64)
    if info.ndim != 2 or info.shape[0] != info.shape[1]:
        raise ValueError(f"information must be a square matrix, got shape {info.shape}.")
    n_mod = info.shape[0]
    total_h = float(np.trace(info))
    if total_h <= 0:
        raise ValueError(f"the entropies must add up to a positive number, got {total_h}.")
    shared = float(np.sum(np.triu(info, k=1)))
    c = 2 * n_mod - 1
    m_lower = 1.0 / (c * total_h)
    denominator = total_h - (2.0 / n_mod) * shared
    m_upper = 1.0 / (c * denominator) if denominator > 0 else math.inf
    return m_lower, m_upper


def select_beta(bounds, random_state=None):
    """Draw beta uniformly from [M_l, M_u] (Algorithm 2, line 5).

    An inverted interval is reordered with a warning instead of raising.
    """
    low, high = bounds
    if not (np.isfinite(low) and low > 0):
        raise ValueError(f"the lower beta bound must be positive and finite, got {low}.")
    if not np.isfinite(high):
        warnings.warn(
            f"The upper beta bound is infinite; drawing beta from [{low:.4g}, {2 * low:.4g}].",
            UserWarning,
            stacklevel=2,
        )
        high = 2 * low
    if high < low:
        warnings.warn(
            f"The beta interval is inverted (M_l = {low:.4g} > M_u = {high:.4g}); "
            "swapping its ends.",
            UserWarning,
            stacklevel=2,
        )
        low, high = high, low
    rng = check_random_state(random_state)
    return float(rng.uniform(low, high))


# -- N-D modalities ----------------------------------------------------------

#: Widest flattened N-D modality that the information estimates take whole;
#: wider ones are subsampled (see :func:`information_views`).
MAX_INFORMATION_FEATURES = 1024


def information_views(arrays, max_features=MAX_INFORMATION_FEATURES):
    """2-D views of the modalities for the information estimates.

    An N-D modality is flattened row by row; beyond ``max_features`` entries
    it is reduced to ``max_features`` evenly spaced entries of the flattened
    rows. 2-D modalities are returned as they are.

    A subset of entries keeps each entry's scale, which the channel
    estimates rely on (they standardize every column, then sum over
    principal components by variance); principal-component scores would be
    standardized to unit variance each, and every kept component would then
    count as a full-variance channel.

    A sparse modality (tens of thousands of columns of text, say) is reduced
    to at most :data:`~omib_sklearn._sparse.SVD_COMPONENTS` columns, the
    scores of a ``TruncatedSVD`` fitted on the rows given (the complete
    ones), which keep the variance of each component; it is never densified
    whole (its dense rows are used only when it has no more columns than
    that).
    """
    views = []
    for a in arrays:
        if is_sparse(a):
            views.append(reduce_for_information(a))
            continue
        if a.ndim > 2:
            a = a.reshape(len(a), -1)
            if a.shape[1] > max_features:
                keep = np.linspace(0, a.shape[1] - 1, max_features).round().astype(int)
                a = a[:, np.unique(keep)]
        views.append(a)
    return views
