"""The phase objective of OMIB (Eq. 10 and the warm-up's), one object behind
skorch's ``get_loss``.

Torch code on tensors with a leading network dimension: every loss is a
weighted mean over the rows of each network, ``(K,)``, so that networks never
see each other's rows or gradients.
"""

import torch
from torch import nn

from ._phase import Phase
from .nn._modules import gaussian_kl


def weighted_mean(values, weight):
    """Mean over the rows of each network, ``(K, b) -> (K,)``."""
    return (values * weight).sum(1) / weight.sum(1).clamp_min(1e-12)


def modality_weight(weight, out, i):
    """Row weights ``(K, b)`` of the losses of modality i (its KL term and
    task-relevance head): 0 on the rows where it is absent (``out.mask``,
    set by the module when some modality is absent)."""
    if out.mask is None:
        return weight
    return weight * out.mask[..., i].to(weight.dtype)


def r_weights(d, clip=(0.0, 2.0), eps=1e-8):
    """r_i = 1 - tanh(ln(D_i / D_1)) = 2 / (1 + (D_i / D_1)^2), clipped.

    ``d`` holds D_1..D_M in its last dimension (one row per network); r_1 is
    1 by definition. Both D near 0 gives r = 1.
    """
    d = torch.as_tensor(d, dtype=torch.float32)
    ratio = (d + eps) / (d[..., :1] + eps)
    r = (2.0 / (1.0 + ratio**2)).clamp(clip[0], clip[1])
    r[..., 0] = 1.0
    return r


class PhaseObjective(nn.Module):
    """The loss of each phase, per network, and the weights r.

    Warm-up: sum over modalities of the task loss of ``Dec_i([z_i, e])``.
    Main (Eq. 10): task loss of the fusion head + beta (KL_1 + sum_i r_i
    KL_i) + sum_i task loss of ``Dec_i([z_i, xi])``. Every term is summed and
    back-propagated into every network part, as in the paper's Algorithm 2
    (xi is not detached in the task-relevance heads). Out of training (early
    stopping), the main phase's loss is what prediction uses, the fusion
    head's task loss.

    Parameters
    ----------
    task : Task
        Loss, targets and divergence of the task (:mod:`omib_sklearn._tasks`).
    beta : float
        Weight of the KL terms.
    dynamic_r : bool
        Whether r follows the divergences D_i (Eq. 11, an exponential moving
        average over the batches with ``r_momentum``), or stays 1.
    r_momentum : float
    r_clip : (float, float)
        Bounds of r_i.
    """

    def __init__(self, task, beta=0.0, dynamic_r=True, r_momentum=0.9, r_clip=(0.05, 1.95)):
        super().__init__()
        self.task = task
        self.beta = beta
        self.dynamic_r = dynamic_r
        self.r_momentum = r_momentum
        self.r_clip = r_clip
        self.d_ema = None

    def r(self, n_networks, n_modalities):
        """Current weights r_i per network, ``(K, M)``, modality 1 first (1)."""
        if not self.dynamic_r or self.d_ema is None or n_modalities == 1:
            return torch.ones(n_networks, n_modalities)
        return r_weights(self.d_ema, self.r_clip)

    def forward(self, out, y, weight, *, module, phase, training=True):
        """The loss of each network ``(K,)`` and the mean KL term of each
        modality (None out of the main phase's training) for module output
        ``out`` (the :class:`~omib_sklearn.nn._modules.ModuleOutput` of
        ``forward_warmup`` or ``forward_train``)."""
        task = self.task
        if phase == Phase.WARMUP:
            return self._trb_losses(out, y, weight, module).sum(1), None
        task_loss = weighted_mean(task.loss(out.y_hat, task.target(y, module)), weight)
        if not training:
            return task_loss, None
        # The terms are built in this order (the autograd graph, hence the
        # order in which gradients are summed, follows it).
        trb_losses = self._trb_losses(out, y, weight, module)
        kls = torch.stack([
            weighted_mean(gaussian_kl(m, lv), modality_weight(weight, out, i))
            for i, (m, lv) in enumerate(zip(out.mu, out.logvar))
        ], dim=1)
        if self.dynamic_r and module.n_modalities > 1:
            self._update_divergences(out, y, weight, module)
        r = self.r(module.n_members, module.n_modalities).to(kls.device)
        losses = task_loss + self.beta * torch.sum(r * kls, dim=1) + trb_losses.sum(1)
        return losses, kls.detach().mean(0)

    def score(self, out, y, module, *, phase):
        """Per-sample validation score ``(K, N)``: the fusion head's in the
        main phase, the mean over the task-relevance heads in the warm-up."""
        task = self.task
        if phase == Phase.WARMUP:
            scores = torch.stack([
                task.score(o, task.target(y, module, i)) for i, o in enumerate(out.trb)
            ])
            if out.mask is None:
                return scores.mean(0)
            # The mean over the heads of the modalities present in each row.
            present = out.mask.permute(2, 0, 1).to(scores.dtype)
            return (scores * present).sum(0) / present.sum(0).clamp_min(1.0)
        return task.score(out.y_hat, task.target(y, module))

    def _trb_losses(self, out, y, weight, module):
        """Task loss of each task-relevance head, ``(K, M)``."""
        task = self.task
        return torch.stack([
            weighted_mean(
                task.loss(y_hat_i, task.target(y, module, i)), modality_weight(weight, out, i)
            )
            for i, y_hat_i in enumerate(out.trb)
        ], dim=1)

    def _update_divergences(self, out, y, weight, module):
        """D_i per network (Eq. 11): the divergence between the task-relevance
        head of modality i and the fusion head, averaged over the batch."""
        task = self.task
        with torch.no_grad():
            target = task.target(y, module)
            d = torch.stack([
                weighted_mean(
                    task.divergence(y_hat_i, out.y_hat, task.target(y, module, i), target),
                    modality_weight(weight, out, i),
                )
                for i, y_hat_i in enumerate(out.trb)
            ], dim=1).cpu()
        if self.d_ema is None:
            self.d_ema = d
        else:
            m = self.r_momentum
            self.d_ema = m * self.d_ema + (1 - m) * d
