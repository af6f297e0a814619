"""The Modalities container, the ``modalities`` spec, and their errors."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import FAST
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import KFold
from sklearn.utils import _safe_indexing
from skorch.helper import SliceDict

from omib_sklearn import Modalities, OMIBClassifier, OMIBRegressor

PARAMS = {**FAST, "max_epochs": 1, "beta": 1e-3, "random_state": 0}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X1 = rng.normal(size=(40, 3))
    X2 = rng.normal(size=(40, 2))
    y = (X1[:, 0] + X2[:, 0] > 0).astype(int)
    return X1, X2, y


def test_modalities_len_shape_and_row_indexing(data):
    X1, X2, _ = data
    X = Modalities([X1, X2])
    assert len(X) == 40
    assert X.shape == (40, 5)
    assert X.n_modalities == 2
    sub = X[[3, 1, 7]]
    assert isinstance(sub, Modalities)
    assert sub.names == ["m0", "m1"]
    assert_array_equal(sub.data[0], X1[[3, 1, 7]])
    assert_array_equal(sub.data[1], X2[[3, 1, 7]])
    # boolean masks, slices, and the (key, ...) form of sklearn's _safe_indexing
    mask = np.arange(40) % 2 == 0
    assert_array_equal(X[mask].data[1], X2[mask])
    assert_array_equal(X[5:9].data[0], X1[5:9])
    assert_array_equal(_safe_indexing(X, [0, 2]).data[0], X1[[0, 2]])


def test_modalities_from_dict_and_dataframes(data):
    X1, X2, _ = data
    df = pd.DataFrame(X2, columns=["a", "b"], index=np.arange(100, 140))
    X = Modalities({"image": X1, "text": df})
    assert X.names == ["image", "text"]
    assert_array_equal(X["text"], df)
    sub = X[[0, 5]]
    assert list(sub.data[1].index) == [100, 105]  # positional, via iloc
    assert list(sub.to_dict()) == ["image", "text"]


def test_modalities_split_by_kfold(data):
    X1, X2, _ = data
    X = Modalities([X1, X2])
    for train, test in KFold(4).split(X):
        assert len(X[train]) == 30 and len(X[test]) == 10


def test_modalities_ragged_rows_error(data):
    X1, X2, _ = data
    with pytest.raises(ValueError, match="same number of rows.*'m0': 40, 'm1': 39"):
        Modalities([X1, X2[:-1]])


def test_modalities_bad_input_errors(data):
    X1, _, _ = data
    with pytest.raises(TypeError, match="list, tuple or dict"):
        Modalities(X1)
    with pytest.raises(ValueError, match="at least one modality"):
        Modalities([])
    with pytest.raises(ValueError, match="names for"):
        Modalities([X1], names=["a", "b"])
    with pytest.raises(TypeError, match="cannot be turned into one array"):
        np.asarray(Modalities([X1]))


@pytest.mark.parametrize(
    "make_X",
    [
        lambda X1, X2: [X1, X2],
        lambda X1, X2: (X1, X2),
        lambda X1, X2: {"a": X1, "b": X2},
        lambda X1, X2: Modalities([X1, X2]),
        lambda X1, X2: SliceDict(a=X1, b=X2),
        lambda X1, X2: np.hstack([X1, X2]),
    ],
    ids=["list", "tuple", "dict", "Modalities", "SliceDict", "array+spec"],
)
def test_every_input_form_gives_the_same_model(data, make_X):
    X1, X2, y = data
    X = make_X(X1, X2)
    spec = [3, 2] if isinstance(X, np.ndarray) else None
    clf = OMIBClassifier(modalities=spec, **PARAMS).fit(X, y)
    ref = OMIBClassifier(**PARAMS).fit([X1, X2], y)
    assert clf.n_features_per_modality_ == [3, 2]
    assert_allclose(clf.predict_proba(X), ref.predict_proba([X1, X2]), rtol=1e-6)


@pytest.mark.parametrize(
    "spec", [[[0, 1, 2], [3, 4]], [[3, 4], [0, 1, 2]], [["a", "b", "c"], ["d", "e"]]]
)
def test_modalities_spec_index_and_name_lists(data, spec):
    X1, X2, y = data
    X = pd.DataFrame(np.hstack([X1, X2]), columns=list("abcde"))
    reg = OMIBRegressor(modalities=spec, **PARAMS).fit(X, y.astype(float))
    assert reg.n_features_per_modality_ == [len(b) for b in spec]
    assert reg.predict(X).shape == (40,)


def test_modalities_none_is_one_modality(data):
    X1, X2, y = data
    clf = OMIBClassifier(**PARAMS).fit(np.hstack([X1, X2]), y)
    assert clf.n_modalities_ == 1
    assert clf.n_features_per_modality_ == [5]


@pytest.mark.parametrize(
    "spec, match",
    [
        ([3, 3], r"widths \[3, 3\] add up to 6, but X has 5 columns"),
        ([2, 2], r"widths \[2, 2\] add up to 4, but X has 5 columns"),
        ([3, 0, 2], "widths must be positive"),
        ([[0, 1, 2], [2, 3, 4]], "overlap"),
        ([[0, 1], [3, 4]], r"does not cover every column of X; columns \[2\]"),
        ([[0, 1, 2], [3, 9]], "outside 0..4"),
        ([["a", "b"], ["c", "d", "e"]], "X has no column names"),
        ([[0, 1], []], "empty block"),
        ([], "modalities must be None"),
    ],
)
def test_modalities_spec_errors(data, spec, match):
    X1, X2, y = data
    with pytest.raises(ValueError, match=match):
        OMIBClassifier(modalities=spec, **PARAMS).fit(np.hstack([X1, X2]), y)


def test_modalities_spec_with_list_input_errors(data):
    X1, X2, y = data
    with pytest.raises(ValueError, match="must be None when X is already a list"):
        OMIBClassifier(modalities=[3, 2], **PARAMS).fit([X1, X2], y)


def test_ragged_list_input_error(data):
    X1, X2, y = data
    with pytest.raises(ValueError, match="same number of rows"):
        OMIBClassifier(**PARAMS).fit([X1, X2[:-2]], y)


def test_fit_needs_two_samples(data):
    X1, _, y = data
    with pytest.raises(ValueError, match="1 sample"):
        OMIBRegressor(**PARAMS).fit(X1[:1], [0.5])


def test_modalities_duplicate_names_error(data):
    X1, X2, _ = data
    with pytest.raises(ValueError, match=r"names must be unique, got \['a', 'a'\]"):
        Modalities([X1, X2], names=["a", "a"])


# -- rows: one validator, with the way to scikit-learn's tools -----------------
def test_ragged_rows_error_says_how_to_use_sklearn_tools(data):
    X1, X2, y = data
    with pytest.raises(ValueError, match=r"'m1': 39\. .*GridSearchCV.*omib_sklearn\.Modalities"):
        OMIBClassifier(**PARAMS).fit([X1, X2[:-1]], y)
    # building a Modalities container: no advice to build one
    with pytest.raises(ValueError, match=r"'m1': 39\.$"):
        Modalities([X1, X2[:-1]])


# -- error messages that name the modality once ---------------------------------
@pytest.mark.parametrize(
    "bad, what",
    [(np.nan, "NaN"), (np.inf, "infinity"), (1e300, "infinity or a value too large for float32")],
)
def test_non_finite_value_names_modality_once_with_row_and_column(data, bad, what):
    X1, X2, y = data
    X2 = X2.copy()
    X2[7, 1] = bad
    X2[9, 0] = bad
    with pytest.raises(ValueError, match=rf"^Modality 'm1' contains {what}") as err:
        OMIBClassifier(**PARAMS).fit([X1, X2], y)
    message = str(err.value)
    assert message.count("m1") == 1
    assert "first at row 7, column 1; 2 non-finite value(s)" in message


def test_one_dimensional_modality_short_error(data):
    X1, X2, y = data
    clf = OMIBClassifier(**PARAMS).fit([X1, X2], y)
    with pytest.raises(ValueError, match=r"^Modality 'm0' has shape \(3,\), but a 2D array") as err:
        clf.predict([X1[0], X2[0]])
    assert "Reshape your data either using x.reshape(1, -1) if it contains a single sample" in str(
        err.value
    )
    # the whole array is never printed
    with pytest.raises(ValueError, match=r"Modality 'm1' has shape \(40,\)") as err:
        clf.fit([X1, X2[:, 0]], y)
    assert len(str(err.value)) < 250 and "array=" not in str(err.value)
    # one array: the same short message
    flat = OMIBClassifier(modalities=[3, 2], **PARAMS).fit(np.hstack([X1, X2]), y)
    with pytest.raises(ValueError, match=r"^X has shape \(5,\), but a 2D array.*reshape\(1, -1\)"):
        flat.predict(np.hstack([X1, X2])[0])


# -- column names per modality, as scikit-learn checks them ----------------------
def _frames(X1, X2):
    return {
        "fou": pd.DataFrame(X1, columns=["a", "b", "c"]),
        "pix": pd.DataFrame(X2, columns=["d", "e"]),
    }


@pytest.fixture(scope="module")
def fitted_on_frames():
    rng = np.random.default_rng(1)
    X1, X2 = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    y = (X1[:, 0] > 0).astype(int)
    return OMIBClassifier(**PARAMS).fit(_frames(X1, X2), y), X1, X2


def test_feature_names_same_order_pass_silently(fitted_on_frames):
    clf, X1, X2 = fitted_on_frames
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = clf.predict_proba(_frames(X1, X2))
    assert proba.shape == (40, 2)


@pytest.mark.parametrize(
    "columns, expected",
    [
        (
            ["c", "a", "b"],
            "The feature names should match those that were passed during fit.\n"
            "Feature names must be in the same order as they were in fit.\n",
        ),
        (
            ["a", "z", "c"],
            "The feature names should match those that were passed during fit.\n"
            "Feature names unseen at fit time:\n- z\n"
            "Feature names seen at fit time, yet now missing:\n- b\n",
        ),
        (
            ["a", "b"],
            "The feature names should match those that were passed during fit.\n"
            "Feature names seen at fit time, yet now missing:\n- c\n",
        ),
    ],
    ids=["reordered", "renamed", "missing"],
)
def test_feature_names_differ_per_modality_error(fitted_on_frames, columns, expected):
    clf, X1, X2 = fitted_on_frames
    X = _frames(X1, X2)
    fou = X["fou"][columns] if set(columns) <= {"a", "b", "c"} else X["fou"].set_axis(columns, axis=1)
    with pytest.raises(ValueError, match="^" + re.escape(f"Modality 'fou': {expected}") + r"\Z"):
        clf.predict({"fou": fou, "pix": X["pix"]})


def test_feature_names_missing_or_new_warn_per_modality(data, fitted_on_frames):
    clf, X1, X2 = fitted_on_frames
    X = _frames(X1, X2)
    with pytest.warns(
        UserWarning,
        match="Modality 'pix': X does not have valid feature names, but OMIBClassifier "
        "was fitted with feature names",
    ):
        clf.predict({"fou": X["fou"], "pix": X2})
    A1, A2, y = data
    plain = OMIBClassifier(**PARAMS).fit([A1, A2], y)
    with pytest.warns(
        UserWarning,
        match="Modality 'm1': X has feature names, but OMIBClassifier was fitted "
        "without feature names",
    ):
        plain.predict([A1, pd.DataFrame(A2, columns=["d", "e"])])


def test_feature_names_of_one_dataframe_checked_by_sklearn(data):
    X1, X2, y = data
    X = pd.DataFrame(np.hstack([X1, X2]), columns=list("abcde"))
    clf = OMIBClassifier(modalities=[["a", "b", "c"], ["d", "e"]], **PARAMS).fit(X, y)
    assert [list(c) for c in clf.modality_feature_names_] == [["a", "b", "c"], ["d", "e"]]
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        clf.predict(X[list("cabde")])
    # the same columns given as a list of DataFrames: no false warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.set_params(modalities=None).predict([X[list("abc")], X[list("de")]])


# -- named modalities are matched by name ---------------------------------------
@pytest.fixture(scope="module")
def equal_widths():
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    y = (A[:, 0] - B[:, 1] > 0).astype(int)
    clf = OMIBClassifier(**PARAMS).fit({"fou": A, "pix": B}, y)
    return clf, A, B


@pytest.mark.parametrize(
    "make_X",
    [
        lambda A, B: {"pix": B, "fou": A},
        lambda A, B: SliceDict(pix=B, fou=A),
        lambda A, B: Modalities({"pix": B, "fou": A}),
    ],
    ids=["dict", "SliceDict", "Modalities"],
)
def test_named_modalities_matched_by_name(equal_widths, make_X):
    clf, A, B = equal_widths
    ref = clf.predict_proba({"fou": A, "pix": B})
    X = make_X(A, B)
    assert_array_equal(clf.predict_proba(X), ref)
    assert_array_equal(clf.transform(X), clf.transform({"fou": A, "pix": B}))
    assert list(X.names if isinstance(X, Modalities) else X) == ["pix", "fou"]  # left as given
    # by position, the swapped modalities give other predictions
    assert not np.allclose(clf.predict_proba([B, A]), ref)
    # a list (or default-named container) is matched by position
    assert_array_equal(clf.predict_proba([A, B]), ref)
    assert_array_equal(clf.predict_proba(Modalities([A, B])), ref)


def test_named_modalities_unknown_or_missing_error(equal_widths):
    clf, A, B = equal_widths
    fitted = r"OMIBClassifier was fitted with the modalities \['fou', 'pix'\]"
    with pytest.raises(ValueError, match=rf"^X has modalities unseen at fit time: \['pixx'\]; "
                       rf"X lacks modalities seen at fit time: \['pix'\]\. {fitted}"):
        clf.predict({"fou": A, "pixx": B})
    # A fitted modality left out of a dict is absent (docs/missing_modalities.md).
    assert_array_equal(clf.predict({"fou": A}), clf.predict({"fou": A, "pix": None}))
    with pytest.raises(ValueError, match=rf"^X has modalities unseen at fit time: \['extra'\]\. {fitted}"):
        clf.predict({"fou": A, "pix": B, "extra": B})


def test_dict_for_a_model_fitted_on_a_list(data):
    X1, X2, y = data
    clf = OMIBClassifier(**PARAMS).fit([X1, X2], y)
    assert_array_equal(clf.predict_proba({"m1": X2, "m0": X1}), clf.predict_proba([X1, X2]))
    with pytest.raises(ValueError, match=r"unseen at fit time: \['a', 'b'\]"):
        clf.predict({"a": X1, "b": X2})
