"""User-supplied modality encoders, made member-batched.

The OMIB modules hold ``n_members`` networks in one module, with a leading
member dimension on every parameter. A user's encoder (a CNN for images, a
recurrent network for sequences) knows nothing of members, so
:class:`MemberEncoder` holds one independent instance per member and runs
instance k on member k's rows. The instances run one after the other: K
members cost about K forward passes of the user's module (the default MLP
encoders run all members in one batched product).
"""

import torch
from torch import nn


class MemberEncoder(nn.Module):
    """``n_members`` independent instances of a user encoder.

    Parameters
    ----------
    factory : callable
        ``factory(input_shape, embedding_dim)`` returns a fresh
        :class:`torch.nn.Module` that maps a batch ``(b, *input_shape)`` to
        ``(b, embedding_dim)``; called once per member.
    n_members : int
        Number of independent instances.
    input_shape : tuple of int
        Shape of one row of the modality.
    embedding_dim : int
        Width of the encoding z_i.
    name : str, default="m0"
        Name of the modality, for error messages.

    Notes
    -----
    ``forward`` takes ``(n_members, b, *input_shape)`` (each member its own
    rows) or ``(b, *input_shape)`` (the same rows for every member) and
    returns ``(n_members, b, embedding_dim)``. The output is used as z_i as
    it is: no activation is added (the default MLP encoder ends with a
    GELU; end the module with an activation to get the same).
    """

    def __init__(self, factory, n_members, input_shape, embedding_dim, *, name="m0"):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.embedding_dim = int(embedding_dim)
        self.name = name
        instances = []
        for _ in range(n_members):
            instance = factory(self.input_shape, self.embedding_dim)
            if not isinstance(instance, nn.Module):
                raise TypeError(
                    f"The encoder of modality {name!r} must return a torch.nn.Module from "
                    f"factory(input_shape, embedding_dim), got {type(instance).__name__}."
                )
            instances.append(instance)
        self.members = nn.ModuleList(instances)
        self._check_output()

    @property
    def n_members(self):
        return len(self.members)

    def forward(self, x):
        shared = x.dim() == len(self.input_shape) + 1
        outs = [enc(x if shared else x[k]) for k, enc in enumerate(self.members)]
        return torch.stack(outs)

    def keep_members(self, members):
        """Keep only the given instances, in place (see ``slice_members``)."""
        self.members = nn.ModuleList(self.members[int(k)] for k in members)

    def _check_output(self):
        """Run each instance on two rows of zeros (in eval mode: BatchNorm
        statistics and the random state are left alone) and check the shape."""
        x = torch.zeros((2, *self.input_shape))
        expected = (2, self.embedding_dim)
        for enc in self.members:
            was_training = enc.training
            enc.eval()
            try:
                with torch.no_grad():
                    out = enc(x)
            except Exception as exc:
                raise ValueError(
                    f"The encoder of modality {self.name!r} failed on a batch of shape "
                    f"{tuple(x.shape)} (batch, *input_shape): {exc}"
                ) from exc
            finally:
                enc.train(was_training)
            shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
            if shape != expected:
                raise ValueError(
                    f"The encoder of modality {self.name!r} must map a batch of shape "
                    f"{tuple(x.shape)} to (batch, embedding_dim) = {expected}, got {shape}."
                )

    def extra_repr(self):
        return f"n_members={self.n_members}, input_shape={self.input_shape}, " \
               f"embedding_dim={self.embedding_dim}"


def input_weight_patterns(module):
    """Parameter-name patterns of the input-layer weights of the default MLP
    encoders of ``module`` (an OMIBModule), for ``optimizer__param_groups``.

    :data:`INPUT_WEIGHTS` when every encoder is the default MLP; otherwise
    the exact names of the default ones, so that a user encoder whose
    parameter names happen to end the same way is not matched.
    """
    from ._modules import INPUT_WEIGHTS

    custom = [isinstance(enc, MemberEncoder) for enc in module.encoders]
    if not any(custom):
        return [INPUT_WEIGHTS]
    return [
        INPUT_WEIGHTS.replace("*", str(i)) for i, is_custom in enumerate(custom) if not is_custom
    ]
