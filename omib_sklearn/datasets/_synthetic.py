"""The paper's synthetic SIM data (Sec. 6.2, App. F)."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from .._compat import Interval, StrOptions, validate_params

_SIM_CASES = {"SIM-I": (500, 100), "SIM-II": (100, 500), "SIM-III": (300, 300)}


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "shared_relevant": [Interval(Integral, 0, None, closed="left")],
        "shared_superfluous": [Interval(Integral, 0, None, closed="left")],
        "specific_relevant": [tuple, list, StrOptions(set(_SIM_CASES))],
        "specific_superfluous": [tuple, list],
        "interaction": ["boolean"],
        "return_oracle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_multimodal_classification(
    n_samples=10000,
    *,
    shared_relevant=200,
    shared_superfluous=200,
    specific_relevant="SIM-I",
    specific_superfluous=(200, 200),
    interaction=False,
    return_oracle=False,
    random_state=None,
):
    """Generate the paper's SIM data: modalities with shared and specific,
    relevant and superfluous blocks.

    Every block is i.i.d. standard Gaussian: a shared relevant block a0, a
    shared superfluous block b0, and for each modality m a specific relevant
    block a_m and a specific superfluous block b_m. Modality m is
    ``[a0, b0, a_m, b_m]`` and ``y = 1`` when ``<delta, [a0, a_1, ..., a_M]> > 0``
    for a Gaussian ``delta`` drawn once.

    With ``interaction=True`` the label depends on an interaction between
    the modalities instead: each modality has a score ``s_m = <delta_m, [a0,
    a_m]>`` and ``y = 1`` when the product ``s_1 s_2 ... s_M > 0``. For an
    even number of modalities ``y`` is then an even function of the
    features, so no linear model on the concatenated modalities does better
    than chance, while a model that fuses the two scores can reach 1.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of samples.
    shared_relevant : int, default=200
        Width of a0.
    shared_superfluous : int, default=200
        Width of b0.
    specific_relevant : {"SIM-I", "SIM-II", "SIM-III"} or tuple of int, \
            default="SIM-I"
        Widths of a_1..a_M; the names give the paper's cases: (500, 100),
        (100, 500) and (300, 300). The number of entries is the number of
        modalities M.
    specific_superfluous : tuple of int, default=(200, 200)
        Widths of b_1..b_M (the paper does not state them).
    interaction : bool, default=False
        Label by the sign of the product of per-modality scores (see above)
        instead of the paper's linear rule.
    return_oracle : bool, default=False
        Also return the relevant features ``[a0, a_1, ..., a_M]``.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : list of ndarray of shape (n_samples, n_features_m)
        The modalities.
    y : ndarray of shape (n_samples,)
        Binary labels.
    oracle : ndarray of shape (n_samples, n_relevant)
        Only when ``return_oracle=True``.

    Examples
    --------
    >>> from omib_sklearn.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=100, random_state=0)
    >>> [x.shape for x in X], y.shape
    ([(100, 1100), (100, 700)], (100,))
    """
    if isinstance(specific_relevant, str):
        specific_relevant = _SIM_CASES[specific_relevant]
    specific_relevant = tuple(int(w) for w in specific_relevant)
    specific_superfluous = tuple(int(w) for w in specific_superfluous)
    if len(specific_relevant) != len(specific_superfluous):
        raise ValueError(
            f"specific_relevant has {len(specific_relevant)} entries and "
            f"specific_superfluous {len(specific_superfluous)}; give one per modality."
        )
    if len(specific_relevant) == 0:
        raise ValueError("Give at least one modality (one entry in specific_relevant).")
    if any(w < 0 for w in specific_relevant + specific_superfluous):
        raise ValueError("Block widths must be non-negative.")
    rng = check_random_state(random_state)
    a0 = rng.standard_normal((n_samples, shared_relevant))
    b0 = rng.standard_normal((n_samples, shared_superfluous))
    a = [rng.standard_normal((n_samples, w)) for w in specific_relevant]
    b = [rng.standard_normal((n_samples, w)) for w in specific_superfluous]
    oracle = np.hstack([a0] + a)
    if oracle.shape[1] == 0:
        raise ValueError("There is no relevant block: the labels would be constant.")
    if interaction:
        scores = [np.hstack([a0, a_m]) @ rng.standard_normal(a0.shape[1] + a_m.shape[1])
                  for a_m in a]
        y = (np.prod(scores, axis=0) > 0).astype(np.int64)
    else:
        delta = rng.standard_normal(oracle.shape[1])
        y = (oracle @ delta > 0).astype(np.int64)
    X = [np.hstack([a0, b0, a_m, b_m]) for a_m, b_m in zip(a, b)]
    if return_oracle:
        return X, y, oracle
    return X, y


_CROSS_MODAL_KINDS = ("xor", "gate", "agreement", "product")


@validate_params(
    {
        "kind": [StrOptions(set(_CROSS_MODAL_KINDS))],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_relevant": [Interval(Integral, 1, None, closed="left")],
        "n_superfluous": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_cross_modal(kind, n_samples=3000, *, n_relevant=5, n_superfluous=20,
                     random_state=None):
    """Generate data whose target lies across modalities.

    Each modality m is ``[a_m, b_m]``: a relevant block ``a_m`` of
    ``n_relevant`` columns and a superfluous block ``b_m`` of
    ``n_superfluous`` columns, both i.i.d. standard Gaussian unless said
    otherwise. A modality's score is ``s_m = <w_m, a_m> / ||w_m||`` for a
    Gaussian ``w_m`` drawn once, so that ``s_m ~ N(0, 1)``. No modality alone
    carries information about the target of ``"xor"`` and ``"agreement"``,
    and no linear model on the concatenated modalities does better than
    chance on them.

    - ``"xor"``: two modalities; ``y = 1{s_1 > 0} XOR 1{s_2 > 0}``.
    - ``"gate"``: three modalities; the third gates which of the other two
      holds the label: ``y = 1{s_1 > 0}`` where ``s_3 > 0``, else
      ``1{s_2 > 0}``.
    - ``"agreement"``: two views of a class drawn among four; view m shows
      class ``c_m`` as ``a_m = 1.5 mu_m[c_m] + N(0, I)`` with class means
      ``mu_m[c] ~ N(0, I)`` of each view; ``y = 1{c_1 = c_2}``, with
      ``c_2 = c_1`` for half of the rows.
    - ``"product"`` (regression): two modalities; ``y = s_1 s_2 + s_1 +
      0.5 e`` with ``e ~ N(0, 1)``: a product of the two scores plus a main
      effect of the first.

    Parameters
    ----------
    kind : {"xor", "gate", "agreement", "product"}
        How the target depends on the modalities.
    n_samples : int, default=3000
        Number of samples.
    n_relevant : int, default=5
        Width of each relevant block a_m.
    n_superfluous : int, default=20
        Width of each superfluous block b_m.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : list of ndarray of shape (n_samples, n_relevant + n_superfluous)
        The modalities.
    y : ndarray of shape (n_samples,)
        Binary labels (int64), or real targets for ``"product"``.

    Examples
    --------
    >>> from omib_sklearn.datasets import make_cross_modal
    >>> X, y = make_cross_modal("gate", n_samples=100, random_state=0)
    >>> [x.shape for x in X], y.shape
    ([(100, 25), (100, 25), (100, 25)], (100,))
    """
    rng = check_random_state(random_state)
    n_modalities = 3 if kind == "gate" else 2

    def superfluous():
        return rng.standard_normal((n_samples, n_superfluous))

    if kind == "agreement":
        c1 = rng.randint(4, size=n_samples)
        same = rng.rand(n_samples) < 0.5
        c2 = np.where(same, c1, (c1 + rng.randint(1, 4, size=n_samples)) % 4)
        a = []
        for c in (c1, c2):
            means = rng.standard_normal((4, n_relevant))
            a.append(1.5 * means[c] + rng.standard_normal((n_samples, n_relevant)))
        X = [np.hstack([a_m, superfluous()]) for a_m in a]
        return X, same.astype(np.int64)
    a = [rng.standard_normal((n_samples, n_relevant)) for _ in range(n_modalities)]
    scores = []
    for a_m in a:
        w = rng.standard_normal(n_relevant)
        scores.append(a_m @ (w / np.linalg.norm(w)))
    X = [np.hstack([a_m, superfluous()]) for a_m in a]
    s = scores
    if kind == "xor":
        y = ((s[0] > 0) ^ (s[1] > 0)).astype(np.int64)
    elif kind == "gate":
        y = np.where(s[2] > 0, s[0] > 0, s[1] > 0).astype(np.int64)
    else:
        y = s[0] * s[1] + s[0] + 0.5 * rng.standard_normal(n_samples)
    return X, y
