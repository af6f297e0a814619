"""What differs between the three tasks: the heads, the loss, the target a
head's output is compared with, the divergence between the task-relevance
heads and the fusion head used for r, and what a task prepares from the
data before each phase (the centres of Deep SVDD).

Torch code on tensors with a leading network dimension: head outputs
``y_hat`` are ``(K, N, out_dim)``, targets ``(K, N)`` (classes) or ``(K, N,
n_outputs)``, and every per-sample function returns ``(K, N)``. The
estimators pick one task object in ``fit``; the training code calls only
the methods of :class:`Task`.
"""

import torch
from torch.nn import functional as F

from ._phase import Phase


class Task:
    """The interface the training code uses; linear heads with bias terms,
    stochastic training passes, targets given by ``y``.

    Attributes
    ----------
    out_dim : int
        Width of the heads' output.
    head : {"linear", "svdd"}
        Kind of the task heads (``Dec_i`` and ``Dec_hat``) in
        :class:`~omib_sklearn.nn.OMIBModule`.
    bias : bool
        Whether the layers of the network have bias terms.
    stochastic : bool
        Whether training passes inject noise (the warm-up context and the
        sampled zeta_i).
    """

    head = "linear"
    bias = True
    stochastic = True

    def __init__(self, out_dim):
        self.out_dim = out_dim

    def prepare(self, net, dataset, phase):
        """Called before each phase (``"warmup"``, ``"main"``) with the
        phase's training rows; nothing to prepare by default."""

    def target(self, y, module, head=None):
        """What the output of a head is compared with: ``y``. ``head`` is
        None for the fusion head, i for the task-relevance head of modality i."""
        return y

    def loss(self, y_hat, target):
        raise NotImplementedError

    def score(self, y_hat, target):
        """Per-sample validation score (higher is better), recorded per
        epoch as ``valid_score``; early stopping monitors the loss."""
        return -self.loss(y_hat, target)

    def predict(self, y_hat, module):
        """What the training net's ``predict`` returns for the fusion head's
        output ``(K, N, out_dim)`` (for skorch's scoring callbacks, in the
        units the networks train on): the output itself by default."""
        return y_hat

    def predict_proba(self, y_hat, module):
        """What the training net's ``predict_proba`` returns: as
        :meth:`predict` by default."""
        return self.predict(y_hat, module)

    def divergence(self, y_hat_i, y_hat, target_i=None, target=None):
        """Per-sample divergence D_i between the task-relevance head of
        modality i and the fusion head (Eq. 11), given their targets."""
        raise NotImplementedError


class ClassificationTask(Task):
    """Cross-entropy; D_i is the KL between the softmax distributions."""

    def loss(self, y_hat, target):
        """Per-sample cross-entropy."""
        return F.cross_entropy(
            y_hat.reshape(-1, y_hat.shape[-1]), target.reshape(-1), reduction="none"
        ).reshape(target.shape)

    def score(self, y_hat, target):
        """1 where the prediction is right."""
        return (y_hat.argmax(-1) == target).float()

    def predict(self, y_hat, module):
        """The class index (of the sorted classes) of largest logit."""
        return y_hat.argmax(-1)

    def predict_proba(self, y_hat, module):
        """The softmax of the logits."""
        return F.softmax(y_hat, dim=-1)

    def divergence(self, y_hat_i, y_hat, target_i=None, target=None):
        """Per-sample KL( p(y | xi, z_i) || p(y | xi) )."""
        log_p_i = F.log_softmax(y_hat_i, dim=-1)
        log_p = F.log_softmax(y_hat, dim=-1)
        return torch.sum(log_p_i.exp() * (log_p_i - log_p), dim=-1)


class RegressionTask(Task):
    """Squared error; D_i is the KL of unit-variance Gaussians, 0.5 ||diff||^2."""

    def loss(self, y_hat, target):
        """Per-sample squared error, averaged over the outputs."""
        return torch.mean((y_hat - target) ** 2, dim=-1)

    def divergence(self, y_hat_i, y_hat, target_i=None, target=None):
        return 0.5 * torch.sum((y_hat_i - y_hat) ** 2, dim=-1)


#: Relative size of the smallest |c_j|, as a share of the head's output scale.
CENTER_EPS = 0.1


class SVDDTask(Task):
    """Deep SVDD (Ruff et al., 2018): each head is trained to map the data
    close to its centre c, the target of its output.

    The network has no bias terms and its training passes inject no noise:
    noise of nearly constant norm would act as a bias that a bias-free head
    turns into the constant output Deep SVDD rules out (on mfeat, one-class
    ROC AUC fell from 0.97 to 0.75 with longer training).

    The centres are buffers of the module (``center`` of the fusion head,
    ``trb_centers`` of the task-relevance heads), so that they move with its
    device and are pickled with it. :meth:`prepare` sets the centres of the
    heads a phase trains before it starts: the mean output of each head over
    the phase's training rows in eval mode, with near-zero coordinates pushed
    away (:func:`push_from_zero`).

    The loss is ``||y_hat - c||^2 / ||c||^2`` per sample **(our choice)**:
    the division by the fixed ``||c||^2`` makes it independent of the
    arbitrary output scale of the untrained bias-free heads (about 1e-3 per
    coordinate with the default widths), so it starts near 1, like the other
    tasks' losses, and beta's KL term (in nats) does not swamp it. It does
    not change which network minimizes it, nor the ranking of the scores.
    """

    head = "svdd"
    bias = False
    stochastic = False

    def prepare(self, net, dataset, phase):
        """Centres of the task-relevance heads from the untrained network
        before the warm-up, of the fusion head before the main phase."""
        module = net.module_
        if phase == Phase.WARMUP:
            module.trb_centers.copy_(_mean_outputs(net, dataset, "trb"))
        else:
            module.center.copy_(_mean_outputs(net, dataset, "head"))

    def target(self, y, module, head=None):
        return module.center if head is None else module.trb_centers[:, head:head + 1]

    def loss(self, y_hat, target):
        return torch.sum((y_hat - target) ** 2, dim=-1) / torch.sum(target**2, dim=-1)

    def score(self, y_hat, target):
        return -torch.sum((y_hat - target) ** 2, dim=-1)

    def predict(self, y_hat, module):
        """Minus the squared distance to the centre (higher is more normal)."""
        return self.score(y_hat, module.center)

    def divergence(self, y_hat_i, y_hat, target_i=None, target=None):
        """0.5 ||a - b||^2 of the offsets from the centres, each offset scaled
        to unit mean square over the batch (the heads' scales differ)."""
        a = y_hat_i - target_i
        b = y_hat - target
        a = a / _rms(a)
        b = b / _rms(b)
        return 0.5 * torch.sum((a - b) ** 2, dim=-1)


def _rms(t, floor=1e-12):
    """Root mean square norm over the rows of each network, ``(K, 1, 1)``."""
    return torch.sqrt(torch.clamp(torch.mean(torch.sum(t**2, dim=-1), dim=-1), min=floor))[:, None, None]


def push_from_zero(c, eps, floor=1e-6):
    """Move coordinates of ``c`` with ``|c_j| < eps`` to ``+-eps`` (0 goes to +eps).

    A coordinate of the centre at 0 would let the network switch that output
    unit off and sit on the centre for free (Ruff et al., 2018). Ruff et al.
    use a fixed ``eps = 0.1``; here ``eps`` is 0.1 times the root mean square
    of the head's outputs **(our choice)**: the untrained OMIB heads output
    values well below 0.1, and a fixed 0.1 turns the centre into a
    placeholder ``(+-0.1, ...)`` far from the data, which ranks samples by how
    far they reach *towards* that corner instead of by their distance to the
    mean (on mfeat this inverted the ROC AUC). ``eps`` is floored at ``floor``
    so exact zeros always move.
    """
    eps = torch.clamp(torch.as_tensor(eps, dtype=c.dtype, device=c.device), min=floor)
    eps = eps.expand_as(c)
    near = c.abs() < eps
    return torch.where(near, torch.where(c < 0, -eps, eps), c)


def _mean_outputs(net, dataset, which):
    """Centre(s) of the SVDD heads of each network: the mean output of a
    forward pass in eval mode over the network's rows of ``dataset``, with
    near-zero coordinates pushed away. Shapes ``(K, M, out_dim)`` for the
    task-relevance heads (their warm-up input ``[z_i, 0]``), ``(K, 1,
    out_dim)`` for the fusion head."""
    module = net.module_
    module.eval()
    total, total_sq, count = 0.0, 0.0, 0.0
    with torch.no_grad():
        for batch in net.get_iterator(dataset, training=False):
            xb = [v.to(net.device) for v in batch.inputs]
            mask = None if batch.mask is None else batch.mask.to(net.device)
            w = batch.weight.to(net.device)[:, :, None, None]
            if which == "trb":
                out = torch.stack(module.forward_warmup(xb, mask=mask).trb, dim=2)
                if mask is not None:
                    # Each head's centre from the rows where its modality is present.
                    w = w * mask[..., None].to(w.dtype)
            else:
                out = module(xb, mask=mask).y_hat[:, :, None, :]
            total = total + (w * out).sum(1)
            total_sq = total_sq + (w * out**2).sum(1)
            count = count + w.sum(1)
    count = count.clamp_min(1e-12) if torch.is_tensor(count) else count
    mean = total / count
    # Scale of the outputs of each head: root mean square over its coordinates.
    rms = torch.sqrt((total_sq / count).mean(dim=-1, keepdim=True))
    return push_from_zero(mean, CENTER_EPS * rms)
