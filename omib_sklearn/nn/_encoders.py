"""User-supplied modality encoders, made network-batched.

The OMIB modules hold ``n_members`` networks in one module, with a leading
network dimension on every parameter and buffer. A user's encoder (a CNN for
images, a recurrent network for sequences) knows nothing of networks, so
:class:`MemberEncoder` builds one independent instance per network, stacks
their parameters and buffers along a new first dimension, and runs network
k's rows through the module with network k's slice of them
(:func:`torch.func.functional_call`). Everything that treats networks by
indexing that dimension (per-network early stopping, weight averaging,
``slice_networks``) then applies to user encoders unchanged.

The networks run one after the other: K networks cost about K forward passes
of the user's module (the default MLP encoders run all networks in one
batched product).
"""

import copy

import torch
from torch import nn
from torch.func import functional_call


class MemberEncoder(nn.Module):
    """``n_members`` independent instances of a user encoder.

    Parameters
    ----------
    factory : callable
        ``factory(input_shape, embedding_dim)`` returns a fresh
        :class:`torch.nn.Module` that maps a batch ``(b, *input_shape)`` to
        ``(b, embedding_dim)``; called once per network.
    n_members : int
        Number of independent instances.
    input_shape : tuple of int
        Shape of one row of the modality.
    embedding_dim : int
        Width of the encoding z_i.
    name : str, default="m0"
        Name of the modality, for error messages.

    Attributes
    ----------
    stacked : torch.nn.Module
        Holds the instances' parameters and buffers stacked along a first
        network dimension, under their names with dots replaced by ``__``.
        Parameters keep their ``requires_grad`` (a frozen part stays frozen).
    template : torch.nn.Module
        The first instance, whose ``forward`` runs with each network's slice
        of the stacked tensors (not a registered submodule).

    Notes
    -----
    ``forward`` takes ``(n_members, b, *input_shape)`` (each network its own
    rows) or ``(b, *input_shape)`` (the same rows for every network) and
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
        for instance in instances:
            self._check_output(instance)
        self.stacked = nn.Module()
        self._param_names = [k for k, _ in instances[0].named_parameters()]
        self._buffer_names = [k for k, _ in instances[0].named_buffers()]
        with torch.no_grad():
            for k in self._param_names:
                tensors = [dict(m.named_parameters())[k] for m in instances]
                self.stacked.register_parameter(_flat(k), nn.Parameter(
                    torch.stack([t.detach() for t in tensors]).clone(),
                    requires_grad=tensors[0].requires_grad,
                ))
            for k in self._buffer_names:
                tensors = [dict(m.named_buffers())[k] for m in instances]
                self.stacked.register_buffer(_flat(k), torch.stack(tensors).clone())
        # Counts the networks (and follows slice_networks) even for a module
        # without parameters.
        self.register_buffer("member_index", torch.arange(n_members))
        # Not registered: its own tensors are never used.
        self.__dict__["template"] = instances[0]

    @property
    def n_members(self):
        return len(self.member_index)

    def forward(self, x):
        shared = x.dim() == len(self.input_shape) + 1
        template = self.template.train(self.training)
        params = [getattr(self.stacked, _flat(k)) for k in self._param_names]
        buffers = [getattr(self.stacked, _flat(k)) for k in self._buffer_names]
        outs = []
        for k in range(self.n_members):
            state = dict(zip(self._param_names, (p[k] for p in params)))
            state.update(zip(self._buffer_names, (b[k] for b in buffers)))
            outs.append(functional_call(template, state, (x if shared else x[k],)))
        return torch.stack(outs)

    def member(self, k):
        """A standalone copy of network k's module, with its weights."""
        module = copy.deepcopy(self.template)
        with torch.no_grad():
            for name, tensor in module.state_dict(keep_vars=True).items():
                tensor.copy_(getattr(self.stacked, _flat(name))[k])
        return module

    def _check_output(self, instance):
        """Run an instance on two rows of zeros (in eval mode: BatchNorm
        statistics and the random state are left alone) and check the shape."""
        x = torch.zeros((2, *self.input_shape))
        expected = (2, self.embedding_dim)
        was_training = instance.training
        instance.eval()
        try:
            with torch.no_grad():
                out = instance(x)
        except Exception as exc:
            raise ValueError(
                f"The encoder of modality {self.name!r} failed on a batch of shape "
                f"{tuple(x.shape)} (batch, *input_shape): {exc}"
            ) from exc
        finally:
            instance.train(was_training)
        shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
        if shape != expected:
            raise ValueError(
                f"The encoder of modality {self.name!r} must map a batch of shape "
                f"{tuple(x.shape)} to (batch, embedding_dim) = {expected}, got {shape}."
            )

    def extra_repr(self):
        return (f"n_members={self.n_members}, input_shape={self.input_shape}, "
                f"embedding_dim={self.embedding_dim}, module={type(self.template).__name__}")


def _flat(name):
    return name.replace(".", "__")
