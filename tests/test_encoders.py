"""User encoders (the ``encoders`` parameter) and N-D modalities."""

import functools
import pickle

import numpy as np
import pytest
import torch
from conftest import FAST
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from torch import nn

from omib_sklearn import Modalities, OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor
from omib_sklearn.nn import MemberEncoder
from omib_sklearn.nn._modules import slice_networks


class SmallCNN(nn.Module):
    """A convolution, a pooling to 2x2 and a linear map to the embedding."""

    calls = []

    def __init__(self, input_shape, embedding_dim, width=4):
        super().__init__()
        SmallCNN.calls.append(tuple(input_shape))
        self.features = nn.Sequential(
            nn.Conv2d(input_shape[0], width, 3, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        )
        self.out = nn.Linear(4 * width, embedding_dim)

    def forward(self, x):
        return self.out(self.features(x))


class FrozenStemCNN(SmallCNN):
    """SmallCNN whose convolution is frozen (a pretrained stem, say)."""

    def __init__(self, input_shape, embedding_dim):
        super().__init__(input_shape, embedding_dim)
        for p in self.features.parameters():
            p.requires_grad_(False)


class WrongWidth(nn.Module):
    def __init__(self, input_shape, embedding_dim):
        super().__init__()
        self.lin = nn.Linear(int(np.prod(input_shape)), embedding_dim + 1)

    def forward(self, x):
        return self.lin(x.flatten(1))


def _data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    images = (rng.normal(size=(n, 1, 6, 5)) + y[:, None, None, None]).astype(np.float32)
    table = rng.normal(size=(n, 4)) + 0.5 * y[:, None]
    return images, table, y


@pytest.fixture(scope="module")
def fitted():
    images, table, y = _data()
    clf = OMIBClassifier(encoders=[SmallCNN, None], random_state=0, **FAST)
    return clf.fit([images, table], y), images, table, y


def _fit_capturing(clf, X, y=None):
    """Fit ``clf`` and return the initial state of the user encoders of every
    network built (one list of per-network state dicts per build)."""
    captured = []
    original = MemberEncoder.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        captured.append([
            {k: v.clone() for k, v in self.member(m).state_dict().items()}
            for m in range(self.n_members)
        ])

    MemberEncoder.__init__ = spy
    try:
        clf.fit(X, y)
    finally:
        MemberEncoder.__init__ = original
    return captured


def test_encoder_gets_row_shape_and_is_trained():
    images, table, y = _data()
    SmallCNN.calls.clear()
    clf = OMIBClassifier(encoders=[SmallCNN, None], random_state=0, **FAST)
    captured = _fit_capturing(clf, [images, table], y)
    assert SmallCNN.calls == [(1, 6, 5)]
    assert clf.modality_shapes_ == [(1, 6, 5), (4,)]
    assert clf.n_features_per_modality_ == [30, 4]
    assert clf.n_features_in_ == 34
    encoder = clf.module_.encoders[0]
    assert isinstance(encoder, MemberEncoder)
    initial, final = captured[-1][0], encoder.member(0).state_dict()
    for k in initial:
        assert not torch.equal(initial[k], final[k]), k
    assert clf.predict([images, table]).shape == (len(y),)


def test_predict_checks_row_shape(fitted):
    clf, images, table, _ = fitted
    with pytest.raises(ValueError, match=r"'m0'.*\(1, 5, 5\).*\(1, 6, 5\)"):
        clf.predict([images[:, :, :5], table])
    with pytest.raises(ValueError, match=r"'m0'.*\(30,\).*\(1, 6, 5\)"):
        clf.predict([images.reshape(len(images), -1), table])


def test_nd_modality_without_encoder_errors_before_training():
    images, table, y = _data()
    for encoders in (None, [None, None], {"m1": None}):
        clf = OMIBClassifier(encoders=encoders, **FAST)
        with pytest.raises(ValueError, match=r"'m0' has rows of shape \(1, 6, 5\).*flatten"):
            clf.fit([images, table], y)
        assert not hasattr(clf, "net_")


@pytest.mark.parametrize("encoders, match", [
    ([SmallCNN], "1 entries, but X has 2 modalities"),
    ({"img": SmallCNN}, r"keys \['img'\] that name no modality"),
    ([3, None], "encoder of modality 'm0' must be None or a callable"),
    ([WrongWidth, None], r"'m0' must map a batch .* \(2, 17\)"),
])
def test_bad_encoders_error_clearly(encoders, match):
    images, table, y = _data()
    with pytest.raises((ValueError, TypeError), match=match):
        OMIBClassifier(encoders=encoders, **FAST).fit([images, table], y)


@pytest.mark.parametrize("encoder", [SmallCNN, functools.partial(SmallCNN, width=3)])
def test_clone_and_pickle(encoder):
    images, table, y = _data()
    clf = OMIBClassifier(encoders=[encoder, None], random_state=0, **FAST)
    cloned = clone(clf)
    assert cloned.get_params()["encoders"][0] is encoder or (
        isinstance(encoder, functools.partial) and cloned.encoders[0].keywords == {"width": 3}
    )
    clf.fit([images, table], y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        restored.predict_proba([images, table]), clf.predict_proba([images, table])
    )
    # The clone fits to the same model (same seed).
    np.testing.assert_allclose(
        cloned.fit([images, table], y).predict_proba([images, table]),
        clf.predict_proba([images, table]), rtol=1e-5, atol=1e-6,
    )


@pytest.mark.parametrize("params", [
    dict(n_estimators=1, early_stopping=True, refit=True),
    dict(n_estimators=3, early_stopping=True),
    dict(n_estimators=2, early_stopping=False),
])
def test_frozen_part_stays_frozen(params):
    images, table, y = _data(n=120)
    settings = {**FAST, **params, "max_epochs": 3, "weight_decay": 0.1}
    clf = OMIBClassifier(encoders=[FrozenStemCNN, None], random_state=0, **settings)
    captured = _fit_capturing(clf, [images, table], y)
    encoder = clf.module_.encoders[0]
    assert encoder.n_members == clf.module_.n_members == params["n_estimators"]
    final = [encoder.member(k) for k in range(encoder.n_members)]
    # The last build is the fitted network (the refit's with one network).
    for initial, network in zip(captured[-1], final):
        state = network.state_dict()
        for k, v in initial.items():
            if k.startswith("features."):
                torch.testing.assert_close(state[k], v, rtol=0, atol=0)
            else:
                assert not torch.equal(state[k], v), k
    frozen = {k: p.requires_grad for k, p in encoder.stacked.named_parameters()}
    assert frozen == {
        "features__0__weight": False, "features__0__bias": False,
        "out__weight": True, "out__bias": True,
    }


def test_slice_networks_keeps_chosen_instances():
    images, table, y = _data()
    clf = OMIBClassifier(encoders=[SmallCNN, None], random_state=0, **{**FAST, "n_estimators": 3})
    clf.fit([images, table], y)
    module = clf.module_
    wrapper = module.encoders[0]
    kept = wrapper.member(2).state_dict()
    x = [torch.as_tensor(images), torch.as_tensor(table, dtype=torch.float32)]
    module.eval()
    with torch.no_grad():
        expected = module(x).y_hat[2]
        slice_networks(module, [2])
        got = module(x).y_hat[0]
    assert wrapper.n_members == 1
    for k, v in wrapper.member(0).state_dict().items():
        torch.testing.assert_close(v, kept[k], rtol=0, atol=0)
    torch.testing.assert_close(got, expected)


def test_dict_keyed_encoders_on_dict_input():
    images, table, y = _data()
    X = {"table": table, "image": images}
    clf = OMIBClassifier(encoders={"image": SmallCNN}, random_state=0, **FAST).fit(X, y)
    assert clf.modality_names_ == ["table", "image"]
    assert isinstance(clf.module_.encoders[1], MemberEncoder)
    assert not isinstance(clf.module_.encoders[0], MemberEncoder)
    # Matched by name at predict time, whatever the order.
    np.testing.assert_array_equal(
        clf.predict({"image": images, "table": table}), clf.predict(X)
    )


def test_modalities_container_with_images_cross_validates():
    images, table, y = _data(n=120)
    X = Modalities({"image": images, "table": table})
    assert X.shape == (120, 34)
    assert X[[0, 3, 5]].data[0].shape == (3, 1, 6, 5)
    clf = OMIBClassifier(encoders={"image": SmallCNN}, random_state=0, **FAST)
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_grid_search_over_encoders():
    images, table, y = _data(n=120)
    X = Modalities([images, table])
    grid = GridSearchCV(
        OMIBClassifier(random_state=0, **FAST),
        {"encoders": [[SmallCNN, None], [functools.partial(SmallCNN, width=2), None]]},
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 2
    assert grid.best_estimator_.modality_shapes_[0] == (1, 6, 5)


def test_nd_standardization_is_one_mean_and_std(fitted):
    clf, images, _, _ = fitted
    module = clf.module_
    assert module.shift0.shape == (1, 1, 1, 1, 1)
    np.testing.assert_allclose(module.shift0.item(), images.mean(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(module.scale0.item(), images.std(), rtol=1e-4)
    assert module.shift1.shape == (1, 1, 4)


def test_beta_bounds_of_images_equal_those_of_flat_rows():
    images, table, y = _data()
    flat = images.reshape(len(images), -1)
    settings = {**FAST, "max_epochs": 1}
    as_images = OMIBClassifier(encoders=[SmallCNN, None], random_state=0, **settings)
    as_flat = OMIBClassifier(encoders=[None, None], random_state=0, **settings)
    b_img = as_images.fit([images, table], y).beta_bounds_
    b_flat = as_flat.fit([flat, table], y).beta_bounds_
    np.testing.assert_allclose(b_img, b_flat)


def test_sequences_through_regressor_and_detector():
    rng = np.random.default_rng(1)
    seq = rng.normal(size=(80, 7, 3)).astype(np.float32)
    other = rng.normal(size=(80, 5))
    target = seq.sum(axis=(1, 2)) + other[:, 0]

    class GRUEncoder(nn.Module):
        def __init__(self, input_shape, embedding_dim):
            super().__init__()
            self.rnn = nn.GRU(input_shape[-1], embedding_dim, batch_first=True)

        def forward(self, x):
            return self.rnn(x)[1][-1]

    # Local classes do not pickle; they still fit and predict.
    reg = OMIBRegressor(encoders=[GRUEncoder, None], random_state=0, **FAST)
    assert reg.fit([seq, other], target).predict([seq, other]).shape == (80,)
    det = OMIBAnomalyDetector(encoders=[GRUEncoder, None], random_state=0, **FAST)
    assert det.fit([seq, other]).predict([seq, other]).shape == (80,)


class BatchNormCNN(SmallCNN):
    """SmallCNN with a BatchNorm after the convolution (running buffers)."""

    def __init__(self, input_shape, embedding_dim):
        super().__init__(input_shape, embedding_dim)
        self.features.insert(1, nn.BatchNorm2d(4))


def test_buffers_are_kept_per_network():
    images, table, y = _data()
    clf = OMIBClassifier(encoders=[BatchNormCNN, None], random_state=0, **{**FAST, "n_estimators": 2})
    clf.fit([images, table], y)
    running = clf.module_.encoders[0].stacked.features__1__running_mean
    assert running.shape == (2, 4)
    assert not torch.equal(running[0], running[1])
    assert torch.all(running != 0)
    np.testing.assert_array_equal(clf.predict([images, table]), clf.predict([images, table]))


def test_image_modality_may_be_absent_at_fit_and_predict():
    images, table, y = _data()
    images = images.copy()
    images[:10] = np.nan  # the first 10 rows have no image
    clf = OMIBClassifier(encoders=[SmallCNN, None], beta=1e-3, **FAST, random_state=0)
    clf.fit([images, table], y)
    np.testing.assert_array_equal(clf.n_samples_per_modality_, [80, 90])
    without_images = clf.predict_proba([None, table])
    assert without_images.shape == (90, 3)
    # an absent image is the same whatever the image array holds
    np.testing.assert_allclose(
        clf.predict_proba([np.full_like(images, np.nan), table]), without_images, rtol=1e-6)
    # and differs from the prediction with the images
    full = clf.predict_proba([np.nan_to_num(images), table])
    assert np.abs(full - without_images).max() > 1e-4
    assert clf.predict([np.nan_to_num(images), None]).shape == (90,)
