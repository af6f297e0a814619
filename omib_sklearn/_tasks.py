"""What differs between the three tasks: loss, head, output width, and the
divergence between the task-relevance heads and the fusion head used for r.

Torch-only code on tensors with a leading member dimension: head outputs
``y_hat`` are ``(K, N, out_dim)``, targets ``(K, N)`` (classes) or ``(K, N,
n_outputs)``, and every per-sample function returns ``(K, N)``. The
estimators pick one task object in ``fit``.
"""

import torch
from torch.nn import functional as F


class ClassificationTask:
    """Cross-entropy; D_i is the KL between the softmax distributions."""

    head = "linear"

    def __init__(self, n_classes):
        self.out_dim = n_classes

    def loss(self, y_hat, y, center=None):
        """Per-sample cross-entropy."""
        return F.cross_entropy(
            y_hat.reshape(-1, y_hat.shape[-1]), y.reshape(-1), reduction="none"
        ).reshape(y.shape)

    def score(self, y_hat, y, center=None):
        """Per-sample validation score (higher is better): 1 where the
        prediction is right. Recorded per epoch as ``valid_score``; early
        stopping monitors the validation loss."""
        return (y_hat.argmax(-1) == y).float()

    def divergence(self, y_hat_i, y_hat):
        """Per-sample KL( p(y | xi, z_i) || p(y | xi) )."""
        log_p_i = F.log_softmax(y_hat_i, dim=-1)
        log_p = F.log_softmax(y_hat, dim=-1)
        return torch.sum(log_p_i.exp() * (log_p_i - log_p), dim=-1)


class RegressionTask:
    """Squared error; D_i is the KL of unit-variance Gaussians, 0.5 ||diff||^2."""

    head = "linear"

    def __init__(self, n_outputs):
        self.out_dim = n_outputs

    def loss(self, y_hat, y, center=None):
        """Per-sample squared error, averaged over the outputs."""
        return torch.mean((y_hat - y) ** 2, dim=-1)

    def score(self, y_hat, y, center=None):
        return -self.loss(y_hat, y)

    def divergence(self, y_hat_i, y_hat):
        return 0.5 * torch.sum((y_hat_i - y_hat) ** 2, dim=-1)


class SVDDTask:
    """Deep SVDD: squared distance of the head's output to its centre c.

    The loss is ``||y_hat - c||^2 / ||c||^2`` per sample **(our choice)**:
    the division by the fixed ``||c||^2`` makes it independent of the
    arbitrary output scale of the untrained bias-free heads (about 1e-3 per
    coordinate with the default widths), so it starts near 1, like the other
    tasks' losses, and beta's KL term (in nats) does not swamp it. It does
    not change which network minimizes it, nor the ranking of the scores.
    """

    head = "svdd"

    def __init__(self, out_dim):
        self.out_dim = out_dim

    def loss(self, y_hat, y, center=None):
        return torch.sum((y_hat - center) ** 2, dim=-1) / torch.sum(center**2, dim=-1)

    def score(self, y_hat, y, center=None):
        return -torch.sum((y_hat - center) ** 2, dim=-1)

    def divergence(self, y_hat_i, y_hat):
        """0.5 ||a - b||^2 of the offsets from the centres, each offset scaled
        to unit mean square over the batch (the heads' scales differ)."""
        a = y_hat_i / _rms(y_hat_i)
        b = y_hat / _rms(y_hat)
        return 0.5 * torch.sum((a - b) ** 2, dim=-1)


def _rms(t, floor=1e-12):
    """Root mean square norm over the rows of each member, ``(K, 1, 1)``."""
    return torch.sqrt(torch.clamp(torch.mean(torch.sum(t**2, dim=-1), dim=-1), min=floor))[:, None, None]
