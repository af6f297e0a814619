"""The OMIB network: per-modality encoders, task-relevance heads, variational
heads, cross-attention fusion and the fusion head (Wu et al., ICML 2025, Fig. 2).

Every module holds ``n_members`` independent networks and evaluates them in
one batched pass: tensors carry a leading network dimension ``K``, and a
linear layer is one batched matrix product (:class:`NetworkLinear`). An
ensemble of K small networks then costs about as much time as one on small
data, where the cost is the number of operations rather than their size.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from ._encoders import MemberEncoder


class NetworkLinear(nn.Module):
    """``n_members`` independent linear layers: ``(K, N, in) -> (K, N, out)``.

    Each network is initialized as :class:`torch.nn.Linear` initializes one
    layer (uniform in ``+-1 / sqrt(in_features)``). The weight is stored as
    ``(K, in_features, out_features)``, so the forward pass is one
    ``baddbmm``.
    """

    def __init__(self, n_members, in_features, out_features, *, bias=True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        self.weight = nn.Parameter(
            torch.empty(n_members, in_features, out_features).uniform_(-bound, bound)
        )
        if bias:
            self.bias = nn.Parameter(torch.empty(n_members, 1, out_features).uniform_(-bound, bound))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        shape = x.shape
        x = x.reshape(shape[0], -1, shape[-1])
        out = torch.bmm(x, self.weight) if self.bias is None else torch.baddbmm(self.bias, x, self.weight)
        return out.reshape(*shape[:-1], self.out_features)

    def extra_repr(self):
        networks, _, _ = self.weight.shape
        return (f"n_members={networks}, in_features={self.in_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


def _mlp(n_members, in_dim, hidden, out_dim, *, bias=True, activation=nn.GELU, dropout=0.0):
    layers = []
    prev = in_dim
    for width in hidden:
        layers.append(NetworkLinear(n_members, prev, width, bias=bias))
        layers.append(activation())
        if dropout:
            layers.append(nn.Dropout(dropout))
        prev = width
    layers.append(NetworkLinear(n_members, prev, out_dim, bias=bias))
    return nn.Sequential(*layers)


# Parameter-name pattern (fnmatch, as skorch's ``optimizer__param_groups``
# reads it) of the input-layer weights of every encoder: ``net.0`` is the
# input dropout (or Identity), ``net.1`` the MLP, ``net.1.0`` its first layer.
# User encoders never match: their parameters are ``encoders.i.stacked.<name>``
# with the dots of the name replaced by ``__``.
INPUT_WEIGHTS = "encoders.*.net.1.0.weight"
#: The same for the linear paths of the default encoders (``linear_path``).
LINEAR_PATH_WEIGHTS = "encoders.*.linear.weight"


class Encoder(nn.Module):
    """Modality encoder ``Enc_i``: an MLP with GELU, ``v_i -> z_i``.

    With ``linear_path``, a bias-free linear map of the (standardized,
    dropped-out) inputs is added to the MLP's output, ``z_i = GELU(MLP(v_i))
    + W_i v_i``, as in wide-and-deep models: the encoding then holds the
    linear directions of the modality without first passing them through
    the MLP's nonlinearities.
    """

    def __init__(self, n_members, in_dim, hidden, out_dim, *, bias=True, dropout=0.0,
                 input_dropout=0.0, linear_path=False):
        super().__init__()
        # Dropout on the inputs acts as an adaptive L2 penalty on the first
        # layer (Wager et al., 2013), the layer that overfits wide modalities.
        self.net = nn.Sequential(
            nn.Dropout(input_dropout) if input_dropout else nn.Identity(),
            _mlp(n_members, in_dim, hidden, out_dim, bias=bias, dropout=dropout),
            nn.GELU(),
        )
        self.linear = (NetworkLinear(n_members, in_dim, out_dim, bias=False)
                       if linear_path else None)

    def forward(self, x):
        if self.linear is None:
            return self.net(x)
        x = self.net[0](x)
        return self.net[2](self.net[1](x)) + self.linear(x)


class VariationalHead(nn.Module):
    """``VAE_i``: a 2-layer MLP with a mean head and a log-variance head."""

    def __init__(self, n_members, in_dim, hidden, latent_dim, *, bias=True):
        super().__init__()
        self.body = nn.Sequential(NetworkLinear(n_members, in_dim, hidden, bias=bias), nn.GELU())
        self.mu = NetworkLinear(n_members, hidden, latent_dim, bias=bias)
        self.logvar = NetworkLinear(n_members, hidden, latent_dim, bias=bias)

    def forward(self, z):
        h = self.body(z)
        # The clamp keeps exp(logvar) finite early in training.
        return self.mu(h), self.logvar(h).clamp(-12.0, 8.0)


class CrossAttentionFusion(nn.Module):
    """``CAN``: multi-head attention over the M modality tokens, then a
    Linear from the M attended tokens back to k dims.

    The attention is :class:`torch.nn.MultiheadAttention`'s (input
    projections for queries, keys and values, scaled dot products per head,
    an output projection), written out with network dimensions; with a
    handful of tokens this is also several times faster on CPU than the
    fused attention kernel.
    """

    def __init__(self, n_members, n_modalities, latent_dim, n_heads, *, bias=True):
        super().__init__()
        if latent_dim % n_heads:
            raise ValueError(f"latent_dim {latent_dim} is not divisible by n_heads {n_heads}")
        self.n_heads = n_heads
        self.in_proj = NetworkLinear(n_members, latent_dim, 3 * latent_dim, bias=bias)
        self.out_proj = NetworkLinear(n_members, latent_dim, latent_dim, bias=bias)
        self.out = NetworkLinear(n_members, n_modalities * latent_dim, latent_dim, bias=bias)
        # MultiheadAttention's initialisation: Xavier-uniform input
        # projections, zero biases in the attention.
        with torch.no_grad():
            bound = math.sqrt(6.0 / (latent_dim + 3 * latent_dim))
            self.in_proj.weight.uniform_(-bound, bound)
            for layer in (self.in_proj, self.out_proj):
                if layer.bias is not None:
                    layer.bias.zero_()

    def forward(self, tokens, mask=None):
        # tokens: (K, N, M, k); attention within each row's M tokens.
        # mask: None, or bool (K, N, M), False for an absent modality.
        networks, n, m, k = tokens.shape
        h = self.n_heads
        qkv = self.in_proj(tokens).reshape(networks * n, m, 3, h, k // h)
        # (K N h, M, d) blocks, so that scores and softmax run on contiguous
        # (M, M) matrices.
        q, key, v = qkv.permute(2, 0, 3, 1, 4).reshape(3, networks * n * h, m, k // h).unbind(0)
        scores = torch.bmm(q, key.transpose(1, 2)) / math.sqrt(k // h)
        if mask is not None:
            scores = _mask_keys(scores, mask, h)
        attended = torch.bmm(scores.softmax(-1), v)
        attended = attended.reshape(networks, n, h, m, k // h).transpose(2, 3)
        attended = self.out_proj(attended.reshape(networks, n, m, k))
        if mask is not None:
            # ``out`` reads the M attended tokens side by side: an absent
            # token enters it as zeros.
            attended = attended * mask[..., None].to(attended.dtype)
        return self.out(attended.reshape(networks, n, m * k))


def _mask_keys(scores, mask, n_heads):
    """Key-padding mask: scores ``(K N h, M, M)`` with -inf at the keys of
    absent modalities (every row keeps at least one key)."""
    networks, n, m = mask.shape
    keys = mask[:, :, None, None, :].expand(networks, n, n_heads, 1, m).reshape(-1, 1, m)
    return scores.masked_fill(~keys, float("-inf"))


class SVDDHead(nn.Module):
    """Deep SVDD head: an MLP with LeakyReLU and no bias terms (Ruff et al.)."""

    def __init__(self, n_members, in_dim, hidden, out_dim):
        super().__init__()
        self.net = _mlp(n_members, in_dim, hidden, out_dim, bias=False, activation=nn.LeakyReLU)

    def forward(self, x):
        return self.net(x)


def _head(kind, n_members, in_dim, out_dim, hidden):
    """A task head: ``"linear"`` heads are one linear layer when ``hidden``
    is empty, else an MLP with GELU and those hidden widths; ``"svdd"``
    heads are bias-free MLPs with LeakyReLU."""
    hidden = tuple(hidden)
    if kind == "linear":
        if not hidden:
            return NetworkLinear(n_members, in_dim, out_dim)
        return _mlp(n_members, in_dim, hidden, out_dim)
    if kind == "svdd":
        return SVDDHead(n_members, in_dim, hidden, out_dim)
    raise ValueError(f"unknown head kind {kind!r}")


@dataclass(frozen=True)
class ModuleOutput:
    """The outputs of a forward pass of :class:`OMIBModule`, each with the
    network dimension first; None where the pass does not compute it.

    Attributes
    ----------
    y_hat : tensor of shape (n_members, N, out_dim) or None
        The fusion head's output (None in the warm-up).
    xi : tensor of shape (n_members, N, latent_dim) or None
        The fused embedding (None in the warm-up).
    trb : list of tensor or None
        The output of each task-relevance head ``Dec_i``, ``(n_members, N,
        out_dim)`` (``forward_warmup`` and ``forward_train``).
    mu, logvar : list of tensor or None
        The variational heads' mean and log-variance of each modality,
        ``(n_members, N, latent_dim)`` (``forward_train``).
    mask : tensor of bool of shape (n_members, N, n_modalities) or None
        The present modalities (None: every modality present), for the
        losses.
    """

    y_hat: torch.Tensor | None = None
    xi: torch.Tensor | None = None
    trb: list | None = None
    mu: list | None = None
    logvar: list | None = None
    mask: torch.Tensor | None = None


class OMIBModule(nn.Module):
    """The whole OMIB network for M modalities, ``n_members`` times.

    Parameters
    ----------
    n_features : list of int or tuple of int
        Width of each modality, or the shape of one of its rows (a tuple;
        N-D rows such as images need a user encoder).
    out_dim : int
        Width of the task heads' output (classes, targets or SVDD dims).
    n_members : int, default=1
        Independent networks evaluated at once (an ensemble).
    head : {"linear", "svdd"}
        Kind of task head (``Dec_i`` and ``Dec_hat``).
    encoder_hidden : tuple of int or list of tuple of int
        Hidden widths of the encoders: one tuple for every modality, or one
        tuple per modality.
    embedding_dim : int or list of int
        Width d of the encodings z_i (one for all modalities, or one each).
    latent_dim : int
        Width k of zeta_i and of the fused embedding xi.
    n_heads : int
        Attention heads in the fusion block.
    vae_hidden : int or None
        Hidden width of the variational heads; None: half of each modality's
        ``embedding_dim`` (at least ``latent_dim``).
    head_hidden : tuple of int
        Hidden widths of the task heads ``Dec_i`` and ``Dec_hat``: ``()``
        makes the ``"linear"`` heads one linear layer.
    linear_path : bool
        Whether the default MLP encoders add a bias-free linear map of their
        inputs to their output (:class:`Encoder`).
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
        removing biases (``docs/differences.md``).
    encoders : list of (callable or None) or None
        Per modality, None for the default MLP encoder or a callable
        ``f(input_shape, embedding_dim)`` returning a torch module, wrapped
        in a :class:`MemberEncoder` (one instance per network).
    names : list of str or None
        Names of the modalities, for error messages.

    Notes
    -----
    The modalities are a list ``xs`` of tensors in fit order, each of shape
    ``(n_members, N, n_features_i)``, or ``(N, n_features_i)`` for the same
    rows in every network. Each pass returns a :class:`ModuleOutput`:
    ``forward`` its ``y_hat`` and ``xi``, computed with zeta_i = mu_i
    (deterministic), what inference uses; ``forward_warmup`` the
    task-relevance heads' outputs ``trb``; ``forward_train`` everything the
    losses need.

    The argument ``mask`` of ``forward``, ``forward_warmup`` and
    ``forward_train`` (default None: every modality present), of shape
    ``(n_members, N, n_modalities)`` or ``(N, n_modalities)`` and nonzero
    where a modality is present, marks absent modalities: their inputs are set to 0, the fusion neither attends
    to their tokens (a key-padding mask) nor passes them on (their attended
    tokens enter ``CrossAttentionFusion.out`` as zeros), so that the values
    of an absent modality do not affect the outputs; the output carries the
    mask (``mask``) for the losses.
    """

    def __init__(
        self,
        n_features,
        out_dim,
        *,
        n_members=1,
        head="linear",
        encoder_hidden=(256,),
        embedding_dim=256,
        latent_dim=64,
        n_heads=4,
        vae_hidden=None,
        head_hidden=(),
        linear_path=False,
        dropout=0.0,
        input_dropout=0.0,
        bias=True,
        stochastic=None,
        encoders=None,
        names=None,
    ):
        super().__init__()
        shapes = [tuple(p) if isinstance(p, (tuple, list)) else (int(p),) for p in n_features]
        n_features = [math.prod(s) for s in shapes]
        n_mod = len(n_features)
        self.input_shapes = shapes
        self.n_modalities = n_mod
        self.n_members = n_members
        self.stochastic = head != "svdd" if stochastic is None else bool(stochastic)
        self.latent_dim = latent_dim
        hidden = _per_modality(encoder_hidden, n_mod, tuple)
        emb = _per_modality(embedding_dim, n_mod, int)
        factories = [None] * n_mod if encoders is None else list(encoders)
        names = [f"m{i}" for i in range(n_mod)] if names is None else list(names)
        self.encoders = nn.ModuleList(
            Encoder(n_members, p, h, d, bias=bias, dropout=dropout, input_dropout=input_dropout,
                    linear_path=linear_path)
            if f is None else MemberEncoder(f, n_members, shape, d, name=name)
            for p, h, d, f, shape, name in zip(n_features, hidden, emb, factories, shapes, names)
        )
        self.trb_heads = nn.ModuleList(
            _head(head, n_members, d + latent_dim, out_dim, head_hidden) for d in emb
        )
        self.vaes = nn.ModuleList(
            VariationalHead(
                n_members, d, vae_hidden or max(latent_dim, d // 2), latent_dim, bias=bias
            )
            for d in emb
        )
        self.fusion = CrossAttentionFusion(n_members, n_mod, latent_dim, n_heads, bias=bias)
        self.head = _head(head, n_members, latent_dim, out_dim, head_hidden)
        # Per-feature standardization of each modality, set from training data;
        # one shift and scale for a whole N-D modality.
        for i, (p, shape) in enumerate(zip(n_features, shapes)):
            size = (p,) if len(shape) == 1 else (1,) * len(shape)
            self.register_buffer(f"shift{i}", torch.zeros(n_members, 1, *size))
            self.register_buffer(f"scale{i}", torch.ones(n_members, 1, *size))
        if head == "svdd":
            # Centres c of the fusion head and of the task-relevance heads,
            # set from the data by the Deep SVDD task before each phase.
            self.register_buffer("center", torch.zeros(n_members, 1, out_dim))
            self.register_buffer("trb_centers", torch.zeros(n_members, n_mod, out_dim))

    def _inputs(self, xs):
        out = []
        for i, x in enumerate(xs):
            if x.dim() == len(self.input_shapes[i]) + 1:
                x = x.unsqueeze(0).expand(self.n_members, *x.shape)
            out.append((x - getattr(self, f"shift{i}")) / getattr(self, f"scale{i}"))
        return out

    def set_standardization(self, shifts, scales):
        """Store per-feature shift and scale of each modality, shapes
        ``(n_members, n_features_i)`` or ``(n_features_i,)`` for all networks
        (``(n_members, 1)`` or ``(1,)`` for an N-D modality)."""
        for i, (shift, scale) in enumerate(zip(shifts, scales)):
            buf = getattr(self, f"shift{i}")
            buf.copy_(torch.as_tensor(shift, dtype=buf.dtype).reshape(-1, *buf.shape[1:]))
            buf = getattr(self, f"scale{i}")
            buf.copy_(torch.as_tensor(scale, dtype=buf.dtype).reshape(-1, *buf.shape[1:]))

    def encode(self, xs):
        return [enc(x) for enc, x in zip(self.encoders, xs)]

    def trb_outputs(self, zs, context):
        """``Dec_i([z_i, e])`` for each modality; ``context`` is one tensor
        (xi) or a list with one tensor per modality (the warm-up noise)."""
        if torch.is_tensor(context):
            context = [context] * len(zs)
        return [
            head(torch.cat([z, c], dim=-1))
            for head, z, c in zip(self.trb_heads, zs, context)
        ]

    def fuse(self, zs, *, sample, mask=None):
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
        tokens = torch.stack(zetas, dim=2)
        xi = self.fusion(tokens) if mask is None else self.fusion(tokens, mask=mask)
        return xi, mus, logvars

    def _masked_inputs(self, xs, mask):
        """The standardized inputs and the mask of present modalities.

        ``mask``, of shape ``(n_members, N, n_modalities)`` or ``(N,
        n_modalities)``, is nonzero where a modality is present; absent
        inputs are set to 0. It is returned as bools of shape ``(n_members,
        N, n_modalities)``, or None (every modality present)."""
        xs = self._inputs(xs)
        if mask is None:
            return xs, None
        mask = mask.bool()
        if mask.dim() == 2:
            mask = mask.unsqueeze(0).expand(self.n_members, -1, -1)
        xs = [
            torch.where(mask[..., i].reshape(*mask.shape[:2], *[1] * (x.dim() - 2)), x,
                        torch.zeros_like(x))
            for i, x in enumerate(xs)
        ]
        return xs, mask

    def forward_warmup(self, xs, mask=None):
        xs, mask = self._masked_inputs(xs, mask)
        zs = self.encode(xs)
        draw = torch.randn if self.stochastic else torch.zeros
        noise = [draw(*z.shape[:2], self.latent_dim, device=z.device) for z in zs]
        return ModuleOutput(trb=self.trb_outputs(zs, noise), mask=mask)

    def forward_train(self, xs, mask=None):
        xs, mask = self._masked_inputs(xs, mask)
        zs = self.encode(xs)
        xi, mus, logvars = self.fuse(zs, sample=self.training and self.stochastic, mask=mask)
        # The fusion head before the task-relevance heads: the order of the
        # autograd graph is the order in which gradients are summed.
        y_hat = self.head(xi)
        return ModuleOutput(y_hat=y_hat, xi=xi, trb=self.trb_outputs(zs, xi), mu=mus,
                            logvar=logvars, mask=mask)

    def forward(self, xs, mask=None, *, sample=False):
        xs, mask = self._masked_inputs(xs, mask)
        zs = self.encode(xs)
        xi, _, _ = self.fuse(zs, sample=sample, mask=mask)
        return ModuleOutput(y_hat=self.head(xi), xi=xi, mask=mask)


def _per_modality(value, n_modalities, kind):
    """One setting for every modality, or a list with one per modality."""
    if kind is tuple:
        if len(value) and all(isinstance(v, (tuple, list)) for v in value):
            values = [tuple(v) for v in value]
        else:
            values = [tuple(value)] * n_modalities
    else:
        values = list(value) if isinstance(value, (tuple, list)) else [value] * n_modalities
    if len(values) != n_modalities:
        raise ValueError(f"got {len(values)} settings for {n_modalities} modalities")
    return values


def gaussian_kl(mu, logvar):
    """KL( N(mu, diag exp(logvar)) || N(0, I) ), summed over the last dimension."""
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar, dim=-1)


def slice_networks(module, networks):
    """Keep only the given networks of a module, in place.

    Every parameter and buffer of the OMIB modules has the network dimension
    first (user encoders too: :class:`MemberEncoder` stacks its instances'),
    so selecting networks is indexing that dimension.
    """
    index = torch.as_tensor(networks, dtype=torch.long)
    with torch.no_grad():
        for sub in module.modules():
            for name, param in list(sub._parameters.items()):
                if param is not None:
                    sub._parameters[name] = nn.Parameter(
                        param.detach()[index].clone(), requires_grad=param.requires_grad
                    )
            for name, buf in list(sub._buffers.items()):
                if buf is not None:
                    sub._buffers[name] = buf[index].clone()
    module.n_members = len(index)
    return module
