"""Sparse modalities (``scipy.sparse`` matrices and arrays), kept sparse.

A sparse modality, such as a TF-IDF or count matrix of text, is converted
once to a float32 CSR matrix (a copy: the user's matrix is never changed)
and stays sparse in memory. Only the rows of one batch (training) or one
chunk (inference) are densified at a time; the networks see dense rows.

Standardization scales a sparse modality without centring it (as
``StandardScaler(with_mean=False)``), so that zeros stay zeros; the
information estimates of ``beta="auto"`` see it reduced by a
``TruncatedSVD``.
"""

import numpy as np
import scipy.sparse as sp
import torch

#: The most dense float32 entries of sparse modalities that inference
#: densifies at once (per chunk of rows, over all networks): 64 MiB.
MAX_DENSE_ENTRIES = 1 << 24

#: The number of components a sparse modality is reduced to for the
#: information estimates of ``beta="auto"``.
SVD_COMPONENTS = 100


def is_sparse(a):
    """Whether ``a`` is a ``scipy.sparse`` matrix or array."""
    return sp.issparse(a)


def as_csr_float32(a, name, *, min_samples=1):
    """A sparse modality as a new float32 CSR matrix (2-D, sorted indices).

    The result never shares memory with ``a``. Raises a ValueError naming
    the modality for NaN or infinity among the stored values: NaN marks an
    absent modality in the rows of dense modalities only.
    """
    if a.ndim != 2:
        raise ValueError(
            f"Modality {name!r} is a sparse array of shape {a.shape}, but a 2D "
            "matrix of shape (n_samples, n_features) is expected."
        )
    if a.shape[0] < min_samples:
        raise ValueError(
            f"Modality {name!r}: Found array with {a.shape[0]} sample(s) (shape={a.shape}) "
            f"while a minimum of {min_samples} is required."
        )
    with np.errstate(over="ignore"):
        out = sp.csr_matrix(a, dtype=np.float32, copy=True)
    out.sum_duplicates()
    out.sort_indices()
    bad = ~np.isfinite(out.data)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(out.indptr, first, side="right") - 1)
        col = int(out.indices[first])
        what = "NaN" if np.isnan(out.data[first]) else "infinity or a value too large for float32"
        raise ValueError(
            f"Modality {name!r} is a sparse matrix that contains {what} (first at row "
            f"{row}, column {col}; {int(bad.sum())} non-finite stored value(s) in all). "
            "Rows of NaN mark an absent modality in dense modalities only: give a sparse "
            "modality as None where it is absent from every row, or pass it dense."
        )
    return out


def empty_csr(n_rows, n_features):
    """An all-zero float32 CSR matrix: a sparse modality absent from every row."""
    return sp.csr_matrix((n_rows, n_features), dtype=np.float32)


def as_table(a):
    """One modality for :class:`~omib_sklearn._training.NetworkRows`: a
    float32 CSR matrix stays as it is, an array becomes a tensor."""
    return a if is_sparse(a) else torch.as_tensor(a)


def n_rows(a):
    """The number of rows of a tensor, array or sparse matrix."""
    return int(a.shape[0])


def take_dense(table, idx):
    """Rows ``idx`` (a tensor of indices of any shape, or a slice) of one
    modality as a dense tensor, ``(*idx.shape, n_features)``: indexing for
    tensors, the rows of a CSR matrix densified for sparse ones."""
    if not is_sparse(table):
        return table[idx]
    if isinstance(idx, slice):
        return torch.from_numpy(table[idx].toarray())
    flat = idx.reshape(-1).cpu().numpy()
    dense = table[flat].toarray()
    return torch.from_numpy(dense).reshape(*idx.shape, table.shape[1])


def chunk_rows(tables, n_networks, chunk_size):
    """Rows per inference chunk: ``chunk_size``, fewer where sparse
    modalities would densify more than :data:`MAX_DENSE_ENTRIES` entries in
    a chunk (at least one row)."""
    widths = [t.shape[1] for t in tables if is_sparse(t)]
    if not widths:
        return chunk_size
    return max(1, min(chunk_size, MAX_DENSE_ENTRIES // (n_networks * sum(widths))))


def sparse_scale(x, rows, weight):
    """Per-feature scale of a sparse modality for each network: the
    weighted standard deviation of each column over the network's rows
    ``rows`` (a list of index arrays), computed without densifying, as
    ``StandardScaler(with_mean=False)`` does (std 0 -> 1). ``weight``: row
    weights, ``(n_samples,)``. Returns ``(n_networks, n_features)``."""
    scales = []
    weight = np.asarray(weight, dtype=np.float64)
    for r in rows:
        r = np.asarray(r)
        w = weight[r]
        w = w / max(w.sum(), 1e-12)
        xr = x[r].astype(np.float64)
        mean = np.asarray(xr.T @ w).ravel()
        mean_sq = np.asarray(xr.multiply(xr).T @ w).ravel()
        std = np.sqrt(np.maximum(mean_sq - mean**2, 0.0))
        scales.append(np.where(std > 0, std, 1.0))
    return torch.as_tensor(np.stack(scales), dtype=torch.float32)


def reduce_for_information(a, n_components=SVD_COMPONENTS, random_state=0):
    """A 2-D dense view of a sparse modality for the information estimates:
    its ``TruncatedSVD`` scores (``n_components``, fewer than its features,
    fitted on the rows given), or its dense rows when it has at most
    ``n_components`` features."""
    from sklearn.decomposition import TruncatedSVD

    n, p = a.shape
    k = min(n_components, p - 1, n - 1)
    if p <= n_components or k < 1:
        return a.toarray()
    svd = TruncatedSVD(n_components=k, random_state=random_state)
    return svd.fit_transform(a).astype(np.float32)
