"""The OMIB network: per-modality encoders, task-relevance heads, variational
heads, cross-attention fusion and the fusion head (Wu et al., ICML 2025, Fig. 2).
"""

import torch
from torch import nn


def _mlp(in_dim, hidden, out_dim, *, bias=True, activation=nn.GELU, dropout=0.0):
    layers = []
    prev = in_dim
    for width in hidden:
        layers.append(nn.Linear(prev, width, bias=bias))
        layers.append(activation())
        if dropout:
            layers.append(nn.Dropout(dropout))
        prev = width
    layers.append(nn.Linear(prev, out_dim, bias=bias))
    return nn.Sequential(*layers)


# Parameter-name pattern (fnmatch, as skorch's ``optimizer__param_groups``
# reads it) of the input-layer weights of every encoder: ``net.0`` is the
# input dropout (or Identity), ``net.1`` the MLP, ``net.1.0`` its first Linear.
INPUT_WEIGHTS = "encoders.*.net.1.0.weight"


class Encoder(nn.Module):
    """Modality encoder ``Enc_i``: an MLP with GELU, ``v_i -> z_i``."""

    def __init__(self, in_dim, hidden, out_dim, *, bias=True, dropout=0.0, input_dropout=0.0):
        super().__init__()
        # Dropout on the inputs acts as an adaptive L2 penalty on the first
        # layer (Wager et al., 2013), the layer that overfits wide modalities.
        self.net = nn.Sequential(
            nn.Dropout(input_dropout) if input_dropout else nn.Identity(),
            _mlp(in_dim, hidden, out_dim, bias=bias, dropout=dropout),
            nn.GELU(),
        )

    def forward(self, x):
        return self.net(x)


class VariationalHead(nn.Module):
    """``VAE_i``: a 2-layer MLP with a mean head and a log-variance head."""

    def __init__(self, in_dim, hidden, latent_dim, *, bias=True):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, hidden, bias=bias), nn.GELU())
        self.mu = nn.Linear(hidden, latent_dim, bias=bias)
        self.logvar = nn.Linear(hidden, latent_dim, bias=bias)

    def forward(self, z):
        h = self.body(z)
        # The clamp keeps exp(logvar) finite early in training.
        return self.mu(h), self.logvar(h).clamp(-12.0, 8.0)


class CrossAttentionFusion(nn.Module):
    """``CAN``: attention over the M modality tokens, then a Linear back to k dims."""

    def __init__(self, n_modalities, latent_dim, n_heads, *, bias=True):
        super().__init__()
        self.attention = nn.MultiheadAttention(
            latent_dim, n_heads, bias=bias, batch_first=True
        )
        self.out = nn.Linear(n_modalities * latent_dim, latent_dim, bias=bias)

    def forward(self, tokens):
        # tokens: (batch, M, k)
        attended, _ = self.attention(tokens, tokens, tokens, need_weights=False)
        return self.out(attended.flatten(1))


class SVDDHead(nn.Module):
    """Deep SVDD head: 2-layer MLP with LeakyReLU and no bias terms (Ruff et al.)."""

    def __init__(self, in_dim, hidden, out_dim):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden, bias=False),
            nn.LeakyReLU(),
            nn.Linear(hidden, out_dim, bias=False),
        )

    def forward(self, x):
        return self.net(x)


def _head(kind, in_dim, out_dim, hidden):
    if kind == "linear":
        return nn.Linear(in_dim, out_dim)
    if kind == "svdd":
        return SVDDHead(in_dim, hidden, out_dim)
    raise ValueError(f"unknown head kind {kind!r}")


class OMIBModule(nn.Module):
    """The whole OMIB network for M modalities.

    Parameters
    ----------
    n_features : list of int
        Width of each modality.
    out_dim : int
        Width of the task heads' output (classes, targets or SVDD dims).
    head : {"linear", "svdd"}
        Kind of task head (``Dec_i`` and ``Dec_hat``).
    encoder_hidden : tuple of int
        Hidden widths of each encoder.
    embedding_dim : int
        Width d of the encodings z_i.
    latent_dim : int
        Width k of zeta_i and of the fused embedding xi.
    n_heads : int
        Attention heads in the fusion block.
    vae_hidden : int
        Hidden width of the variational heads.
    head_hidden : int
        Hidden width of SVDD heads.
    dropout : float
        Dropout after each hidden layer of the encoders.
    input_dropout : float
        Dropout on the (standardized) inputs of the encoders.
    bias : bool
        Whether layers have bias terms (False for Deep SVDD).
    stochastic : bool or None
        Whether training passes inject noise: the warm-up context e_i ~ N(0, I)
        of the task-relevance heads and the sampled zeta_i of the main phase.
        None: True, except for Deep SVDD heads ``head="svdd"``, where the
        warm-up context is 0 and zeta_i = mu_i. Noise of nearly constant norm
        is a constant input that a bias-free head turns into a bias through
        its LeakyReLU, which reopens the collapse Deep SVDD rules out by
        removing biases (on mfeat, one-class ROC AUC fell from 0.97 to 0.75
        with longer training). The KL term still acts on (mu_i, sigma_i).

    Notes
    -----
    ``forward`` takes the modalities as keyword arguments ``m0, m1, ...`` and
    returns ``(y_hat, xi)`` computed with zeta_i = mu_i (deterministic); it is
    what inference uses. ``forward_train`` returns everything the losses need.
    """

    def __init__(
        self,
        n_features,
        out_dim,
        *,
        head="linear",
        encoder_hidden=(256,),
        embedding_dim=256,
        latent_dim=64,
        n_heads=4,
        vae_hidden=128,
        head_hidden=256,
        dropout=0.0,
        input_dropout=0.0,
        bias=True,
        stochastic=None,
    ):
        super().__init__()
        self.n_modalities = len(n_features)
        self.stochastic = head != "svdd" if stochastic is None else bool(stochastic)
        self.latent_dim = latent_dim
        self.encoders = nn.ModuleList(
            Encoder(p, encoder_hidden, embedding_dim, bias=bias, dropout=dropout,
                    input_dropout=input_dropout)
            for p in n_features
        )
        self.trb_heads = nn.ModuleList(
            _head(head, embedding_dim + latent_dim, out_dim, head_hidden)
            for _ in n_features
        )
        self.vaes = nn.ModuleList(
            VariationalHead(embedding_dim, vae_hidden, latent_dim, bias=bias)
            for _ in n_features
        )
        self.fusion = CrossAttentionFusion(
            self.n_modalities, latent_dim, n_heads, bias=bias
        )
        self.head = _head(head, latent_dim, out_dim, head_hidden)
        # Per-feature standardization of each modality, set from training data.
        for i, p in enumerate(n_features):
            self.register_buffer(f"shift{i}", torch.zeros(p))
            self.register_buffer(f"scale{i}", torch.ones(p))
        # Deep SVDD centres; zeros (unused) for the other tasks.
        self.register_buffer("center", torch.zeros(out_dim))
        self.register_buffer("trb_centers", torch.zeros(self.n_modalities, out_dim))

    def _inputs(self, modalities):
        return [
            (modalities[f"m{i}"] - getattr(self, f"shift{i}")) / getattr(self, f"scale{i}")
            for i in range(self.n_modalities)
        ]

    def set_standardization(self, shifts, scales):
        """Store per-feature shift and scale of each modality (from training data)."""
        for i, (shift, scale) in enumerate(zip(shifts, scales)):
            getattr(self, f"shift{i}").copy_(torch.as_tensor(shift))
            getattr(self, f"scale{i}").copy_(torch.as_tensor(scale))

    def encode(self, xs):
        return [enc(x) for enc, x in zip(self.encoders, xs)]

    def trb_outputs(self, zs, context):
        """``Dec_i([z_i, e])`` for each modality; ``context`` is one tensor
        (xi) or a list with one tensor per modality (the warm-up noise)."""
        if torch.is_tensor(context):
            context = [context] * len(zs)
        return [
            head(torch.cat([z, c], dim=1))
            for head, z, c in zip(self.trb_heads, zs, context)
        ]

    def fuse(self, zs, *, sample):
        mus, logvars, zetas = [], [], []
        for vae, z in zip(self.vaes, zs):
            mu, logvar = vae(z)
            if sample:
                zeta = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            else:
                zeta = mu
            mus.append(mu)
            logvars.append(logvar)
            zetas.append(zeta)
        xi = self.fusion(torch.stack(zetas, dim=1))
        return xi, mus, logvars

    def forward_warmup(self, **modalities):
        zs = self.encode(self._inputs(modalities))
        draw = torch.randn if self.stochastic else torch.zeros
        noise = [draw(z.shape[0], self.latent_dim, device=z.device) for z in zs]
        return {"trb": self.trb_outputs(zs, noise)}

    def forward_train(self, **modalities):
        zs = self.encode(self._inputs(modalities))
        xi, mus, logvars = self.fuse(zs, sample=self.training and self.stochastic)
        return {
            "y_hat": self.head(xi),
            "trb": self.trb_outputs(zs, xi),
            "mu": mus,
            "logvar": logvars,
            "xi": xi,
        }

    def forward(self, sample=False, **modalities):
        zs = self.encode(self._inputs(modalities))
        xi, _, _ = self.fuse(zs, sample=sample)
        return self.head(xi), xi


def gaussian_kl(mu, logvar):
    """KL( N(mu, diag exp(logvar)) || N(0, I) ), summed over the latent dims."""
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar, dim=1)
