"""The data contract of the training path: the validated modalities
(:class:`ModalityData`) and the stacked batches of the networks
(:class:`Batch`). The module's outputs are
:class:`~omib_sklearn.nn._modules.ModuleOutput`; ``docs/architecture.md``
says who creates and who reads each type.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch


@dataclass(frozen=True)
class ModalityData:
    """The validated modalities and which of them each row has.

    Created by :func:`~omib_sklearn._absent.check_modalities_masked`; the
    fit stages after the input checks take it, and inference reads its
    arrays and mask.

    Attributes
    ----------
    arrays : list of ndarray or scipy.sparse.csr_matrix
        One float32 array ``(n_samples, *row_shape_i)`` per modality, in fit
        order (a sparse modality as a float32 CSR matrix); absent blocks
        hold zeros.
    present : ndarray of bool of shape (n_samples, n_modalities) or None
        True where a row has a modality; None when every row has every
        modality.
    """

    arrays: list
    present: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.arrays[0].shape[0]

    @property
    def row_shapes(self):
        """The width of each modality, or the shape of one of its rows for
        an N-D modality (what :class:`~omib_sklearn.nn.OMIBModule` takes)."""
        return [a.shape[1] if a.ndim == 2 else a.shape[1:] for a in self.arrays]


class Batch(NamedTuple):
    """One stacked batch of the networks: rows ``b`` of each of the ``K``
    networks, yielded by :class:`~omib_sklearn._training.NetworkBatches`.

    A tuple whose first item is the inputs, as skorch's ``run_single_epoch``
    reads a batch (``get_len(batch[0])``). The batches are built by the
    iterator, not by a DataLoader, so no collate function is involved.

    Attributes
    ----------
    inputs : list of tensor
        One ``(K, b, *row_shape_i)`` tensor per modality.
    mask : tensor of bool of shape (K, b, n_modalities) or None
        True where a row has a modality; None when every row has every
        modality.
    y : tensor of shape (K, b) or (K, b, n_outputs), or None
        The targets (None without targets).
    weight : tensor of shape (K, b)
        Row weights of the losses (0 on the padding rows).
    """

    inputs: list
    mask: torch.Tensor | None
    y: torch.Tensor | None
    weight: torch.Tensor
