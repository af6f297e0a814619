"""Statistics network T(x, z) for MINE (Belghazi et al., 2018)."""

import math

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
