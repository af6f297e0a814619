"""The displays of omib_sklearn.plotting draw what the fitted estimators record."""

import importlib
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from omib_sklearn import OMIBClassifier, OMIBRegressor
from omib_sklearn.inspection import modality_importance

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from omib_sklearn.plotting import (  # noqa: E402
    InformationDisplay,
    ModalityImportanceDisplay,
    RTrajectoryDisplay,
    TrainingCurvesDisplay,
)

SMALL = dict(max_epochs=3, warmup_epochs=1, mine_steps=10, encoder_hidden=(16,),
             embedding_dim=16, latent_dim=8, n_heads=2, head_hidden=16, batch_size=32,
             random_state=0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 120)
    X = [y[:, None] + rng.normal(size=(120, 4)), 0.5 * y[:, None] + rng.normal(size=(120, 3))]
    return X, y


@pytest.fixture(scope="module")
def crossfit(data):
    """Two cross-fitted networks, each early-stopped on its own rows, dynamic r."""
    return OMIBClassifier(n_estimators=2, dynamic_r=True, **SMALL).fit(*data)


@pytest.fixture(scope="module")
def refit(data):
    """One network: a 5-fold cross-validation chooses the epochs, then a refit."""
    return OMIBClassifier(n_estimators=1, **SMALL).fit(*data)


@pytest.fixture(scope="module")
def fixed_beta(data):
    """A fixed beta, no early stopping: no information estimates, no validation."""
    return OMIBClassifier(n_estimators=2, beta=1e-3, early_stopping=False, **SMALL).fit(*data)


def _lines(ax):
    return [line for line in ax.get_lines()]


# -- TrainingCurvesDisplay -------------------------------------------------------
def test_training_curves_one_line_per_network_phase_and_curve(crossfit):
    display = TrainingCurvesDisplay.from_estimator(crossfit)
    assert display.phases_ == ["warmup", "main"]
    # 2 networks x 2 phases x (training, validation)
    assert display.lines_.shape == (2, 2, 2)
    assert all(isinstance(line, Line2D) for line in display.lines_.ravel())
    assert len(display.axes_) == 2
    assert [len(_lines(ax)) for ax in display.axes_] == [4, 4]
    assert display.figure_ is display.axes_[0].figure
    for p, phase in enumerate(["warmup", "main"]):
        epochs = crossfit.history_[phase]
        assert display.axes_[p].get_title() == {"warmup": "warm-up phase",
                                                 "main": "main phase"}[phase]
        for k in range(2):
            train = display.lines_[k, p, 0]
            np.testing.assert_array_equal(train.get_xdata(), np.arange(1, len(epochs) + 1))
            np.testing.assert_allclose(
                train.get_ydata(), [e["train_network_loss"][k] for e in epochs])
            np.testing.assert_allclose(
                display.lines_[k, p, 1].get_ydata(),
                [e["valid_network_loss"][k] for e in epochs])


def test_training_curves_mark_the_epoch_early_stopping_kept(crossfit):
    display = TrainingCurvesDisplay.from_estimator(crossfit)
    assert display.best_markers_.shape == (2, 2)
    for p, phase in enumerate(["warmup", "main"]):
        for k in range(2):
            marker = display.best_markers_[k, p]
            assert isinstance(marker, PathCollection)
            best = crossfit.best_epochs_[phase][k]
            (x, y), = marker.get_offsets()
            assert x == best
            assert y == pytest.approx(crossfit.history_[phase][best - 1]["valid_network_loss"][k])


def test_member_training_losses_average_to_the_training_loss(crossfit):
    for phase in ("warmup", "main"):
        for epoch in crossfit.history_[phase]:
            assert len(epoch["train_network_loss"]) == 2
            assert np.mean(epoch["train_network_loss"]) == pytest.approx(epoch["train_loss"],
                                                                        rel=1e-6)


def test_training_curves_of_a_refit_show_the_early_stopped_folds(refit):
    assert refit.validation_scheme_ == "cv"
    display = TrainingCurvesDisplay.from_estimator(refit)
    # the 5 folds of the early-stopped run, with their validation curves
    assert display.lines_.shape == (5, 2, 2)
    assert display.best_markers_.shape == (5, 2)
    # the refit itself: one network, trained on every row, nothing held out
    fitted = TrainingCurvesDisplay.from_estimator(refit, history="fitted")
    assert fitted.lines_.shape == (1, 2, 1)
    assert fitted.best_markers_ is None
    assert len(_lines(fitted.axes_[1])) == 1


def test_training_curves_without_validation_and_one_phase(fixed_beta):
    display = TrainingCurvesDisplay.from_estimator(fixed_beta)
    assert display.lines_.shape == (2, 2, 1)
    assert display.best_markers_ is None
    _, ax = plt.subplots()
    display = TrainingCurvesDisplay.from_estimator(fixed_beta, phases="main", ax=ax)
    assert display.lines_.shape == (2, 1, 1)
    assert display.axes_[0] is ax and len(_lines(ax)) == 2
    with pytest.raises(ValueError, match="early_stopping_history_ is None"):
        TrainingCurvesDisplay.from_estimator(fixed_beta, history="early_stopping")
    with pytest.raises(ValueError, match="2 Axes"):
        TrainingCurvesDisplay.from_estimator(fixed_beta, ax=ax)
    with pytest.raises(ValueError, match="phases"):
        TrainingCurvesDisplay.from_estimator(fixed_beta, phases="refit")


# -- InformationDisplay ----------------------------------------------------------
def test_information_display_draws_the_matrix_and_beta_in_its_bounds(crossfit):
    display = InformationDisplay.from_estimator(crossfit)
    assert isinstance(display.im_, AxesImage)
    assert display.im_.get_array().shape == crossfit.information_.shape == (2, 2)
    np.testing.assert_allclose(display.im_.get_array(), crossfit.information_)
    assert display.text_.shape == (2, 2)
    assert display.text_[0, 1].get_text() == format(crossfit.information_[0, 1], ".3g")
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == crossfit.modality_names_
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == crossfit.modality_names_
    lower, upper = crossfit.beta_bounds_
    np.testing.assert_allclose(display.bounds_line_.get_xdata(), [lower, upper])
    np.testing.assert_allclose(display.beta_marker_.get_xdata(), [crossfit.beta_])
    assert display.beta_ax_ is not display.ax_
    assert display.beta_ax_.figure is display.figure_ is display.ax_.figure
    assert display.colorbar_ is not None


def test_information_display_on_given_axes_without_values():
    _, ax = plt.subplots()
    display = InformationDisplay(
        information=np.array([[2.0, 0.5, 0.1], [0.5, 1.5, 0.2], [0.1, 0.2, 1.0]]),
        beta=0.05, beta_bounds=(0.04, np.inf), modality_names=["a", "b", "c"],
    ).plot(ax=ax, include_values=False, colorbar=False)
    assert display.ax_ is ax and display.text_ is None and display.colorbar_ is None
    assert display.im_.get_array().shape == (3, 3)
    # an infinite M_u: the interval beta was drawn from, [M_l, 2 M_l]
    np.testing.assert_allclose(display.bounds_line_.get_xdata(), [0.04, 0.08])
    assert "infty" in display.beta_ax_.get_title()


def test_information_display_needs_estimated_information(fixed_beta):
    assert fixed_beta.information_ is None
    with pytest.raises(ValueError, match="fixed beta=0.001.*beta='auto'"):
        InformationDisplay.from_estimator(fixed_beta)


# -- RTrajectoryDisplay ------------------------------------------------------------
def test_r_trajectory_mean_with_the_range_of_the_networks(crossfit):
    display = RTrajectoryDisplay.from_estimator(crossfit)
    n_epochs = crossfit.n_epochs_["main"]
    assert display.r.shape == (n_epochs, 2, 2)
    assert display.lines_.shape == (2,) and display.bands_.shape == (2,)
    assert len(_lines(display.ax_)) == 2
    assert all(isinstance(band, PolyCollection) for band in display.bands_)
    # the mean over the networks is r_history_
    for m in range(2):
        np.testing.assert_allclose(display.lines_[m].get_ydata(), crossfit.r_history_[:, m],
                                   rtol=1e-6)
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), 1.0)  # r_1 = 1
    assert display.r[-1].mean(0) == pytest.approx(crossfit.r_, rel=1e-6)
    # dynamic r moves the second modality's weight away from 1
    assert not np.allclose(display.r[:, :, 1], 1.0)


def test_r_trajectory_per_network(crossfit):
    _, ax = plt.subplots()
    display = RTrajectoryDisplay.from_estimator(crossfit, kind="networks", ax=ax)
    assert display.ax_ is ax and display.figure_ is ax.figure
    assert display.lines_.shape == (2, 2) and display.bands_ is None
    assert len(_lines(ax)) == 4
    network_r = np.array([e["network_r"] for e in crossfit.history_["main"]])
    np.testing.assert_allclose(display.lines_[1, 1].get_ydata(), network_r[:, 1, 1])
    with pytest.raises(ValueError, match="kind"):
        display.plot(kind="median")


def test_r_trajectory_of_one_network_has_no_band(refit):
    display = RTrajectoryDisplay.from_estimator(refit)
    assert display.lines_.shape == (2,) and display.bands_ is None
    np.testing.assert_array_equal(display.r, 1.0)  # dynamic_r=False: r stays 1


# -- ModalityImportanceDisplay -----------------------------------------------------
def test_modality_importance_bars_are_the_importances(crossfit, data):
    X, y = data
    display = ModalityImportanceDisplay.from_estimator(crossfit, X, y, n_repeats=3,
                                                       random_state=0)
    expected = modality_importance(crossfit, X, y, n_repeats=3, random_state=0)
    assert isinstance(display.bars_, BarContainer) and len(display.bars_) == 2
    np.testing.assert_allclose([bar.get_height() for bar in display.bars_],
                               expected.importances_mean)
    np.testing.assert_allclose(display.importances_std, expected.importances_std)
    assert display.importances.shape == (2, 3)
    assert display.baseline_score == expected.baseline_score
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["m0", "m1"]
    assert display.bars_.errorbar is not None


def test_modality_importance_of_a_pipeline_with_a_scorer(data):
    X, y = data
    target = X[0][:, 0] - X[1][:, 1]
    pipe = make_pipeline(
        FunctionTransformer(),
        OMIBRegressor(modalities=[4, 3], n_estimators=1, early_stopping=False, **SMALL),
    ).fit(np.hstack(X), target)
    _, ax = plt.subplots()
    display = ModalityImportanceDisplay.from_estimator(
        pipe, np.hstack(X), target, scoring="neg_mean_squared_error", n_repeats=2,
        random_state=0, ax=ax, bar_kw=dict(color="grey"),
    )
    assert display.ax_ is ax and len(display.bars_) == 2
    assert display.importances.shape == (2, 2)


# -- errors --------------------------------------------------------------------------
@pytest.mark.parametrize("Display", [TrainingCurvesDisplay, InformationDisplay,
                                     RTrajectoryDisplay])
def test_unfitted_estimator_raises_not_fitted(Display):
    with pytest.raises(NotFittedError):
        Display.from_estimator(OMIBClassifier())


def test_unfitted_estimator_raises_not_fitted_for_importances(data):
    with pytest.raises(NotFittedError):
        ModalityImportanceDisplay.from_estimator(OMIBClassifier(), *data)


def test_without_matplotlib_the_module_imports_and_plotting_names_the_extra(monkeypatch):
    import omib_sklearn.plotting as plotting

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises
    try:
        module = importlib.reload(plotting)
        display = module.ModalityImportanceDisplay(importances_mean=np.array([0.1, 0.2]))
        with pytest.raises(ImportError, match=r"pip install omib-sklearn\[plot\]"):
            display.plot()
        with pytest.raises(ImportError, match=r"pip install omib-sklearn\[plot\]"):
            module.TrainingCurvesDisplay.from_estimator(OMIBClassifier())
    finally:
        monkeypatch.undo()
        importlib.reload(plotting)


def test_displays_of_the_anomaly_detector(data):
    from omib_sklearn import OMIBAnomalyDetector

    X, _ = data
    det = OMIBAnomalyDetector(n_estimators=2, dynamic_r=True, **SMALL).fit(X)
    assert det.best_epochs_ is None  # the detector trains without early stopping by default
    curves = TrainingCurvesDisplay.from_estimator(det)
    assert curves.lines_.shape == (2, 2, 1) and curves.best_markers_ is None
    info = InformationDisplay.from_estimator(det)
    assert info.im_.get_array().shape == (2, 2)
    r = RTrajectoryDisplay.from_estimator(det)
    assert r.r.shape == (det.n_epochs_["main"], 2, 2)
