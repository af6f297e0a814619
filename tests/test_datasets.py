"""Tests of the bundled UCI Multiple Features loader."""

import zipfile
from importlib import resources

import numpy as np
import pytest

from omib_sklearn.datasets import load_multiple_features
from omib_sklearn.datasets._mfeat import VIEWS

WIDTHS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}


def test_all_views_shapes_and_labels():
    bunch = load_multiple_features(views=tuple(WIDTHS))
    assert bunch.view_names == list(WIDTHS)
    assert [x.shape for x in bunch.data] == [(2000, w) for w in WIDTHS.values()]
    for x in bunch.data:
        assert x.dtype == np.float64
        assert np.all(np.isfinite(x))
    y = bunch.target
    assert y.shape == (2000,) and y.dtype == np.int64
    # 200 samples per digit, stored in blocks 0, 1, ..., 9 as in the UCI files.
    np.testing.assert_array_equal(y, np.repeat(np.arange(10), 200))
    assert "CC BY 4.0" in bunch.DESCR and "Duin" in bunch.DESCR


def test_known_values_of_the_uci_files():
    (fou, pix, mor), _ = load_multiple_features(views=("fou", "pix", "mor"), return_X_y=True)
    # First row of mfeat-fou and mfeat-pix in the UCI distribution.
    np.testing.assert_allclose(fou[0, :5], [0.065882, 0.19731, 0.10383, 0.27036, 0.61608])
    np.testing.assert_array_equal(pix[0, :5], [0, 3, 4, 4, 6])
    # Pixel averages are integers 0..6; the first morphological feature counts holes.
    assert pix.min() == 0 and pix.max() == 6
    assert np.all(mor[:, 0] == np.round(mor[:, 0]))


def test_view_order_and_single_view():
    X, y = load_multiple_features(views=("pix", "fou"), return_X_y=True)
    assert [x.shape[1] for x in X] == [240, 76]
    (fou,), _ = load_multiple_features(views="fou", return_X_y=True)
    np.testing.assert_array_equal(fou, X[1])


def test_default_views_are_fou_and_pix():
    X, y = load_multiple_features(return_X_y=True)
    assert [x.shape for x in X] == [(2000, 76), (2000, 240)]


def test_returned_arrays_are_fresh_copies():
    X, y = load_multiple_features(return_X_y=True)
    X[0][:] = -1.0
    y[:] = 99
    X2, y2 = load_multiple_features(return_X_y=True)
    assert X2[0][0, 0] != -1.0 and y2[0] == 0


@pytest.mark.parametrize("views", [("fou", "abc"), (), ["FOU"]])
def test_unknown_views_raise(views):
    with pytest.raises(ValueError, match="views must be a non-empty selection of"):
        load_multiple_features(views=views)


def test_views_of_the_wrong_type_raise():
    with pytest.raises(TypeError, match="views must be a view name or a sequence"):
        load_multiple_features(views=3)


def test_data_is_compressed_with_attribution():
    data = resources.files("omib_sklearn.datasets") / "data"
    with resources.as_file(data / "mfeat.npz") as path:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    assert {m.filename for m in members} == {f"{v}.npy" for v in VIEWS} | {"target.npy"}
    assert all(m.compress_type == zipfile.ZIP_DEFLATED for m in members)
    assert sum(m.compress_size for m in members) < 0.6 * sum(m.file_size for m in members)
    readme = (data / "MFEAT_README.md").read_text()
    assert "CC BY 4.0" in readme and "10.24432/C5HC70" in readme


def test_load_multiple_features_as_frame_feeds_column_names():
    import pandas as pd

    from omib_sklearn import OMIBClassifier

    frames, y = load_multiple_features(views=("mor", "fou"), return_X_y=True, as_frame=True)
    assert all(isinstance(f, pd.DataFrame) for f in frames)
    assert isinstance(y, pd.Series) and y.name == "digit"
    assert list(frames[1].columns[:3]) == ["fou_0", "fou_1", "fou_2"]
    arrays, y_arr = load_multiple_features(views=("mor", "fou"), return_X_y=True)
    np.testing.assert_array_equal(frames[0].to_numpy(), arrays[0])
    np.testing.assert_array_equal(y.to_numpy(), y_arr)
    rows = np.r_[0:40, 200:240]
    clf = OMIBClassifier(beta=1e-3, max_epochs=1, warmup_epochs=0, early_stopping=False,
                         encoder_hidden=(8,), embedding_dim=8, latent_dim=4, n_heads=2,
                         random_state=0)
    clf.fit([f.iloc[rows] for f in frames], y.iloc[rows])
    assert list(clf.modality_feature_names_[0]) == [f"mor_{k}" for k in range(6)]


def test_interaction_labels_defeat_linear_models_but_not_products():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import PolynomialFeatures

    from omib_sklearn.datasets import make_multimodal_classification

    X, y, oracle = make_multimodal_classification(
        n_samples=3000, shared_relevant=0, shared_superfluous=0,
        specific_relevant=(2, 2), specific_superfluous=(3, 3),
        interaction=True, return_oracle=True, random_state=0,
    )
    assert [x.shape for x in X] == [(3000, 5), (3000, 5)]
    train, test = slice(0, 2000), slice(2000, None)
    concat = np.hstack(X)
    linear = LogisticRegression().fit(concat[train], y[train]).score(concat[test], y[test])
    assert linear < 0.6
    # The label is the sign of a product of one score per modality: degree-2
    # products of the relevant features separate it.
    poly = PolynomialFeatures(2, interaction_only=True).fit_transform(oracle)
    assert LogisticRegression(C=100).fit(poly[train], y[train]).score(poly[test], y[test]) > 0.97
    # Without the option the same call draws the paper's linear rule.
    X_lin, y_lin = make_multimodal_classification(
        n_samples=3000, shared_relevant=0, shared_superfluous=0,
        specific_relevant=(2, 2), specific_superfluous=(3, 3), random_state=0,
    )
    concat = np.hstack(X_lin)
    assert LogisticRegression().fit(concat[train], y_lin[train]).score(concat[test], y_lin[test]) > 0.97
