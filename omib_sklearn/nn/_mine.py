"""MINE (Belghazi et al., 2018): the statistics network T(x, z), its
training on the Donsker-Varadhan bound, and its Gaussian start."""

import math

import numpy as np
import torch
from torch import nn


class StatisticsNetwork(nn.Module):
    """``C`` independent statistics networks evaluated in one batched pass.

    Channel ``c`` maps ``(x[:, c], z[:, c])`` to a scalar: a one-hidden-layer
    MLP plus a quadratic term ``x^T A z + b . x^2 + c . z^2``. The quadratic
    term is the exact log-density ratio of Gaussian pairs, so the MLP only has
    to learn the departure from Gaussianity and a small budget converges. One
    channel is the plain MINE network on whole vectors; many channels estimate
    many mutual informations at the cost of one pass.

    Parameters
    ----------
    n_channels : int
        Number of independent networks C.
    x_dim, z_dim : int
        Width of x and z in each channel.
    hidden : int
        Hidden width of the MLP.
    """

    def __init__(self, n_channels, x_dim, z_dim, hidden=16):
        super().__init__()
        in_dim = x_dim + z_dim
        self.w1 = nn.Parameter(torch.empty(n_channels, in_dim, hidden))
        self.b1 = nn.Parameter(torch.zeros(n_channels, 1, hidden))
        self.w2 = nn.Parameter(torch.empty(n_channels, hidden, 1))
        self.b2 = nn.Parameter(torch.zeros(n_channels, 1, 1))
        self.cross = nn.Parameter(torch.zeros(n_channels, x_dim, z_dim))
        self.square_x = nn.Parameter(torch.zeros(n_channels, 1, x_dim))
        self.square_z = nn.Parameter(torch.zeros(n_channels, 1, z_dim))
        for w, fan_in in ((self.w1, in_dim), (self.w2, hidden)):
            nn.init.uniform_(w, -1.0 / math.sqrt(fan_in), 1.0 / math.sqrt(fan_in))

    def forward(self, x, z):
        """x: (C, batch, x_dim), z: (C, batch, z_dim) -> T: (C, batch)."""
        inp = torch.cat([x, z], dim=2)
        if inp.shape[2] <= 8:
            # Tiny per-channel matmuls run faster as broadcast products than
            # as bmm, which loops over the channels.
            pre = self.b1
            for k in range(inp.shape[2]):
                pre = pre + inp[:, :, k, None] * self.w1[:, None, k, :]
        else:
            pre = torch.bmm(inp, self.w1) + self.b1
        h = nn.functional.elu(pre)
        t = (h * self.w2[:, None, :, 0]).sum(2) + self.b2[:, :, 0]
        if x.shape[2] == 1 and z.shape[2] == 1:
            cross = x[:, :, 0] * z[:, :, 0] * self.cross[:, 0]
        else:
            cross = (torch.bmm(x, self.cross) * z).sum(2)
        quad = (x.pow(2) * self.square_x).sum(2) + (z.pow(2) * self.square_z).sum(2)
        return t + cross + quad


def train_mine(
    x_train, z_train, x_eval, z_eval, *, hidden, n_steps, batch_size, lr,
    ema_decay, seed, device, noise_x=None, noise_z=None, n_eval_shuffles=4,
):
    """Train one batched statistics network on ``(n, C, dim)`` arrays of x
    and z (C channels); return the per-channel estimates on the evaluation
    rows, ``(C,)``, and the training bounds of every step, ``(n_steps, C)``.

    ``noise_x`` / ``noise_z`` (per channel std, or None) are added afresh at
    every step: the channels then measure information through a noise channel.
    """
    gen = torch.Generator().manual_seed(int(seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        n_channels = x_train.shape[1]
        net = StatisticsNetwork(
            n_channels, x_train.shape[2], z_train.shape[2], hidden
        ).to(device)
    # Channel-first (C, n, dim) so each layer is one batched matmul.
    xt = torch.from_numpy(np.ascontiguousarray(x_train.transpose(1, 0, 2))).to(device)
    zt = torch.from_numpy(np.ascontiguousarray(z_train.transpose(1, 0, 2))).to(device)
    nx = None if noise_x is None else torch.as_tensor(noise_x, dtype=torch.float32, device=device)[:, None, None]
    nz = None if noise_z is None else torch.as_tensor(noise_z, dtype=torch.float32, device=device)[:, None, None]

    def noisy(a, scale, g):
        if scale is None:
            return a
        eps = torch.randn(a.shape, generator=g).to(device)
        return a + scale * eps

    if xt.shape[2] == 1 and zt.shape[2] == 1:
        gaussian_start(net, noisy(xt, nx, gen)[:, :, 0], noisy(zt, nz, gen)[:, :, 0])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    ema = None
    n = xt.shape[1]
    bs = min(batch_size, n)
    bounds = np.empty((n_steps, n_channels), dtype=np.float64)
    for step in range(n_steps):
        idx = torch.randint(n, (bs,), generator=gen).to(device)
        xb = noisy(xt[:, idx], nx, gen)
        zb = noisy(zt[:, idx], nz, gen)
        z_marg = zb[:, torch.randperm(bs, generator=gen).to(device)]
        t_joint = net(xb, zb)
        t_marg = net(xb, z_marg)
        # Per-channel mean of exp(T) over the shuffled pairs, in log space.
        log_mean_exp = torch.logsumexp(t_marg, dim=1) - math.log(bs)
        mean_exp = log_mean_exp.exp()
        ema = mean_exp.detach() if ema is None else (
            ema_decay * ema + (1 - ema_decay) * mean_exp.detach()
        )
        # Gradient of log E[e^T] replaced by grad E[e^T] / EMA(E[e^T]).
        loss = -(t_joint.mean(1) - mean_exp / ema.clamp_min(1e-12)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        bounds[step] = (t_joint.mean(1) - log_mean_exp).detach().cpu().numpy()

    with torch.no_grad():
        eval_gen = torch.Generator().manual_seed(int(seed) + 1)
        xe = torch.from_numpy(np.ascontiguousarray(x_eval.transpose(1, 0, 2))).to(device)
        ze = torch.from_numpy(np.ascontiguousarray(z_eval.transpose(1, 0, 2))).to(device)
        xe, ze = noisy(xe, nx, eval_gen), noisy(ze, nz, eval_gen)
        n_ev = xe.shape[1]
        t_joint = net(xe, ze).mean(1)
        t_marg = torch.cat(
            [net(xe, ze[:, torch.randperm(n_ev, generator=eval_gen).to(device)])
             for _ in range(n_eval_shuffles)], dim=1
        )
        log_mean_exp = torch.logsumexp(t_marg, dim=1) - math.log(t_marg.shape[1])
        mi = (t_joint - log_mean_exp).cpu().numpy().astype(np.float64)
    return mi, bounds


def gaussian_start(net, x, z):
    """Start each 1-D channel's statistic at the log density ratio of the
    Gaussian pair with the channel's correlation, which is where the DV bound
    of Gaussian data peaks. The MLP (zero output at start would be ideal but
    is small) then learns the departure from Gaussianity. Without it, a short
    budget leaves MINE far below the truth on high-information channels,
    and an underestimated H inflates the beta bounds."""
    with torch.no_grad():
        xc = (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True).clamp_min(1e-12)
        zc = (z - z.mean(1, keepdim=True)) / z.std(1, keepdim=True).clamp_min(1e-12)
        rho = (xc * zc).mean(1).clamp(-0.999, 0.999)
        one_minus = 1 - rho**2
        net.cross[:, 0, 0] = rho / one_minus
        net.square_x[:, 0, 0] = -(rho**2) / (2 * one_minus)
        net.square_z[:, 0, 0] = -(rho**2) / (2 * one_minus)
        net.b2[:, 0, 0] = -0.5 * torch.log(one_minus)
        net.w2.mul_(0.1)
