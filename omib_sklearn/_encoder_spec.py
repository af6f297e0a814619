"""The ``encoders`` parameter: one entry per modality (None for the default
MLP, or a factory of a user encoder), and the check that every N-D modality
has an encoder. The torch side, which stacks a user encoder per network,
is :mod:`omib_sklearn.nn._encoders`."""

from collections.abc import Mapping


def resolve_encoders(encoders, names):
    """The ``encoders`` parameter as one entry per modality (None or a callable).

    ``encoders`` is None, a list or tuple aligned with the modalities, or a
    dict keyed by modality name; raises a ValueError or TypeError that names
    the offending modality or key.
    """
    if encoders is None:
        return [None] * len(names)
    if isinstance(encoders, Mapping):
        unknown = [k for k in encoders if k not in names]
        if unknown:
            raise ValueError(
                f"encoders has keys {unknown} that name no modality; the modalities are "
                f"{list(names)}."
            )
        entries = [encoders.get(n) for n in names]
    elif isinstance(encoders, (list, tuple)):
        if len(encoders) != len(names):
            raise ValueError(
                f"encoders has {len(encoders)} entries, but X has {len(names)} modalities "
                f"{list(names)}; give one entry (None for the default MLP) per modality, "
                "or a dict keyed by modality name."
            )
        entries = list(encoders)
    else:
        raise TypeError(
            "encoders must be None, a list with one entry per modality or a dict keyed "
            f"by modality name, got {type(encoders).__name__}."
        )
    for name, entry in zip(names, entries):
        if entry is not None and not callable(entry):
            raise TypeError(
                f"The encoder of modality {name!r} must be None or a callable "
                "f(input_shape, embedding_dim) returning a torch.nn.Module (a Module "
                f"subclass or a functools.partial of one), got {type(entry).__name__}."
            )
    return entries

def check_encoder_inputs(encoders, names, shapes):
    """Resolve ``encoders`` and raise a ValueError for an N-D modality without one."""
    entries = resolve_encoders(encoders, names)
    for name, shape, entry in zip(names, shapes, entries):
        if len(shape) > 1 and entry is None:
            raise ValueError(
                f"Modality {name!r} has rows of shape {shape}; the default MLP encoder takes "
                "2-D arrays (n_samples, n_features). Pass an encoder for this modality "
                "(encoders=...), or flatten it with x.reshape(len(x), -1)."
            )
    return entries
