"""Sparse modalities: every input form, kept sparse, predictions equal to
those of the same data dense, scaling without centring, absent ones."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import FAST
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from omib_sklearn import (
    Modalities,
    OMIBAnomalyDetector,
    OMIBClassifier,
    OMIBRegressor,
    load_model,
    save_model,
)
from omib_sklearn import _sparse as sparse_module
from omib_sklearn.compose import ModalityTransformer
from omib_sklearn.inspection import modality_importance

#: Exact comparisons with dense data: no centring on either side.
PLAIN = dict(FAST, standardize=False, beta=1e-3, random_state=0)


def _data(n=80, p=40, seed=0):
    rng = np.random.default_rng(seed)
    S = sp.random(n, p, density=0.1, format="csr", random_state=seed) * 3.0
    D = rng.normal(size=(n, 3))
    score = np.asarray(S[:, :10].sum(axis=1)).ravel() + D[:, 0]
    y = (score > np.median(score)).astype(int)
    return S.tocsr(), D, y


def _same(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_list_of_sparse_predicts_as_dense(fmt):
    S, D, y = _data()
    Xs = [S.asformat(fmt), D]
    Xd = [S.toarray(), D]
    sparse = OMIBClassifier(**PLAIN).fit(Xs, y)
    dense = OMIBClassifier(**PLAIN).fit(Xd, y)
    assert sparse.modality_sparse_ == [True, False]
    assert dense.modality_sparse_ == [False, False]
    _same(sparse.predict_proba(Xs), dense.predict_proba(Xd))
    _same(sparse.transform(Xs), dense.transform(Xd))
    # A fitted sparse modality may be given dense, and the reverse.
    _same(sparse.predict_proba(Xd), dense.predict_proba(Xs))


def test_sparse_arrays_and_dict():
    S, D, y = _data()
    Xs = {"text": sp.csr_array(S), "table": D}
    clf = OMIBClassifier(**PLAIN).fit(Xs, y)
    ref = OMIBClassifier(**PLAIN).fit({"text": S.toarray(), "table": D}, y)
    # Named modalities matched by name, in any order.
    _same(clf.predict_proba({"table": D, "text": S}), ref.predict_proba(Xs))
    assert clf.modality_feature_names_ == [None, None]


def test_modalities_container_rows_and_cross_validation():
    S, D, y = _data()
    X = Modalities([S.tocoo(), D], names=["text", "table"])
    part = X[[0, 3, 5]]
    assert part.data[0].shape == (3, S.shape[1]) and sp.issparse(part.data[0])
    np.testing.assert_array_equal(part.data[0].toarray(), S[[0, 3, 5]].toarray())
    assert X.shape == (80, S.shape[1] + 3)
    scores = cross_val_score(OMIBClassifier(**PLAIN), X, y, cv=2)
    assert np.all(np.isfinite(scores))


def test_column_blocks_of_one_sparse_matrix():
    S, D, y = _data()
    X = sp.hstack([S, sp.csr_matrix(D)]).tocsr()
    clf = OMIBClassifier(**PLAIN, modalities=[S.shape[1], 3]).fit(X, y)
    assert clf.modality_sparse_ == [True, True]
    assert clf.n_features_in_ == S.shape[1] + 3
    ref = OMIBClassifier(**PLAIN).fit([S.toarray(), D], y)
    _same(clf.predict_proba(X), ref.predict_proba([S.toarray(), D]))


def test_modality_transformer_to_sparse_text():
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(30)])
    y = rng.integers(0, 2, 60)
    docs = np.array([" ".join(rng.choice(words[:20] if c else words[10:], 8)) for c in y])
    X = Modalities([docs, rng.normal(size=(60, 2))], names=["text", "table"])
    Xt = ModalityTransformer([TfidfVectorizer(), "passthrough"]).fit_transform(X)
    assert sp.issparse(Xt.data[0])
    pipe = make_pipeline(ModalityTransformer([TfidfVectorizer(), "passthrough"]),
                         OMIBClassifier(**PLAIN))
    pipe.fit(X, y)
    assert pipe.predict(X[:7]).shape == (7,)


@pytest.mark.parametrize("Estimator", [OMIBRegressor, OMIBAnomalyDetector])
def test_other_estimators_predict_as_dense(Estimator):
    S, D, y = _data()
    target = None if Estimator is OMIBAnomalyDetector else D[:, 1] + y
    sparse = Estimator(**PLAIN).fit([S, D], target)
    dense = Estimator(**PLAIN).fit([S.toarray(), D], target)
    method = "predict" if Estimator is OMIBRegressor else "score_samples"
    _same(getattr(sparse, method)([S, D]), getattr(dense, method)([S.toarray(), D]))


@pytest.mark.parametrize("weighted", [False, True])
def test_scale_without_centring_as_standard_scaler(weighted):
    S, D, y = _data()
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y)) if weighted else None
    clf = OMIBClassifier(**dict(PLAIN, standardize=True)).fit([S, D], y, sample_weight=w)
    module = clf.net_.module_
    ref = StandardScaler(with_mean=False).fit(S, sample_weight=w)
    np.testing.assert_allclose(module.scale0.reshape(-1).numpy(), ref.scale_, rtol=1e-4)
    assert torch.all(module.shift0 == 0)
    # The dense modality is still centred.
    np.testing.assert_allclose(module.shift1.reshape(-1).numpy(), np.average(D, 0, w), atol=1e-5)


def test_scaled_sparse_equals_dense_scaled_the_same_way():
    S, D, y = _data()
    scaled = StandardScaler(with_mean=False).fit_transform(S)
    sparse = OMIBClassifier(**dict(PLAIN, standardize=True)).fit([S, D], y)
    # The sparse modality scaled beforehand, the dense one centred too.
    ref = OMIBClassifier(**PLAIN).fit([scaled.toarray(), StandardScaler().fit_transform(D)], y)
    _same(sparse.transform([S, D]),
          ref.transform([scaled.toarray(), StandardScaler().fit(D).transform(D)]))


def test_users_matrix_unchanged():
    S, D, y = _data()
    coo = S.tocoo()
    # Duplicate entries and unsorted indices, which the conversion tidies.
    coo = sp.coo_matrix((np.r_[coo.data, coo.data[:5]], (np.r_[coo.row, coo.row[:5]],
                                                        np.r_[coo.col, coo.col[:5]])),
                        shape=coo.shape)
    csr = S.astype(np.float32)
    copies = [(m, [np.array(getattr(m, k)) for k in keys]) for m, keys in [
        (coo, ["data", "row", "col"]), (csr, ["data", "indices", "indptr"]),
    ]]
    clf = OMIBClassifier(**dict(PLAIN, standardize=True)).fit([coo, csr, D], y)
    clf.predict([coo, csr, D])
    for m, saved in copies:
        keys = ["data", "row", "col"] if m.format == "coo" else ["data", "indices", "indptr"]
        for k, v in zip(keys, saved):
            np.testing.assert_array_equal(getattr(m, k), v)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_sparse_raises(value):
    S, D, y = _data()
    S = S.copy()
    S.data[3] = value
    with pytest.raises(ValueError, match=r"Modality 'm0' is a sparse matrix.*dense modalities only"):
        OMIBClassifier(**PLAIN).fit([S, D], y)
    clf = OMIBClassifier(**PLAIN).fit([_data()[0], D], y)
    with pytest.raises(ValueError, match="Modality 'text'|Modality 'm0'"):
        clf.predict([S, D])


def test_beta_auto_reduces_sparse_modality():
    S, D, y = _data(n=150, p=400)
    clf = OMIBClassifier(**dict(FAST, random_state=0)).fit([S, D], y)
    assert np.all(np.isfinite(clf.information_))
    assert clf.beta_ > 0


def test_absent_sparse_modality():
    S, D, y = _data()
    sparse = OMIBClassifier(**PLAIN).fit({"text": S, "table": D}, y)
    dense = OMIBClassifier(**PLAIN).fit({"text": S.toarray(), "table": D}, y)
    expected = dense.predict_proba({"text": None, "table": D})
    _same(sparse.predict_proba({"text": None, "table": D}), expected)
    _same(sparse.predict_proba({"table": D}), expected)
    _same(sparse.predict_proba([None, D]), expected)
    with pytest.raises(ValueError, match="absent from every row"):
        OMIBClassifier(**PLAIN).fit([None, D], y)


def test_user_encoder_gets_dense_rows():
    S, D, y = _data()
    seen = []

    class Recorder(nn.Module):
        def __init__(self, input_shape, embedding_dim):
            super().__init__()
            self.linear = nn.Linear(input_shape[0], embedding_dim)

        def forward(self, x):
            seen.append((x.layout, x.dim()))
            return self.linear(x)

    clf = OMIBClassifier(**PLAIN, encoders=[Recorder, None]).fit([S, D], y)
    clf.predict([S, D])
    assert seen and all(s == (torch.strided, 2) for s in seen)


def test_never_densified_whole(monkeypatch):
    # Inference chunks of at most 2**20 dense entries: 52 rows of 20,000 columns.
    monkeypatch.setattr(sparse_module, "MAX_DENSE_ENTRIES", 1 << 20)
    n, p = 300, 20_000
    rng = np.random.default_rng(0)
    S = sp.random(n, p, density=1e-3, format="csr", random_state=0, dtype=np.float32)
    D = rng.normal(size=(n, 2))
    y = rng.integers(0, 2, n)
    largest = []
    toarray = sp.csr_matrix.toarray

    def guarded(self, *args, **kwargs):
        largest.append(self.shape[0])
        if self.shape[0] > 64:
            raise AssertionError(f"densified {self.shape[0]} rows at once")
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", guarded)
    monkeypatch.setattr(sp.csr_matrix, "todense", guarded)
    # beta="auto" too: the TruncatedSVD works on the sparse rows.
    clf = OMIBClassifier(**dict(FAST, encoder_hidden=(8,), random_state=0)).fit([S, D], y)
    clf.predict_proba([S, D])
    clf.transform([S, D])
    assert largest and max(largest) <= 64


def test_huge_empty_sparse_modality():
    # Wide and nearly empty: 500,000 columns, 150 nonzeros.
    n, p = 60, 500_000
    rng = np.random.default_rng(0)
    S = sp.random(n, p, density=5e-6, format="csr", random_state=0, dtype=np.float32)
    D = rng.normal(size=(n, 2))
    y = (D[:, 0] > 0).astype(int)
    clf = OMIBClassifier(**dict(PLAIN, encoder_hidden=(8,), batch_size=20, max_epochs=1))
    clf.fit([S, D], y)
    assert clf.predict([S, D]).shape == (n,)


def test_model_file_round_trip(tmp_path):
    S, D, y = _data()
    clf = OMIBClassifier(**PLAIN).fit([S, D], y)
    save_model(clf, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.modality_sparse_ == [True, False]
    _same(loaded.predict_proba([S, D]), clf.predict_proba([S, D]))
    _same(loaded.predict_proba([None, D]), clf.predict_proba([None, D]))


@pytest.mark.parametrize("container", [list, Modalities])
def test_modality_importance_with_sparse(container):
    S, D, y = _data()
    clf = OMIBClassifier(**PLAIN).fit([S, D], y)
    result = modality_importance(clf, container([S, D]), y, n_repeats=2, random_state=0)
    assert np.all(np.isfinite(result.importances_mean))
