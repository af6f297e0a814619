"""Visualizations of fitted OMIB estimators, as scikit-learn Displays.

Each display follows scikit-learn's visualization API (as
:class:`sklearn.metrics.ConfusionMatrixDisplay` does): the class holds the
data to plot, ``from_estimator`` reads it from a fitted estimator and
calls ``plot``, and ``plot`` draws it (on new axes, or on the ``ax`` it is
given), keeps the figure, the axes and the artists as attributes ending in
``_`` and returns the display.

- :class:`TrainingCurvesDisplay`: training and validation loss of each
  network in the warm-up and the main phase, with the epoch early stopping
  kept.
- :class:`InformationDisplay`: the MINE estimates (``information_``) and
  beta within its bounds ``(M_l, M_u)``.
- :class:`RTrajectoryDisplay`: the modality weights r over the main phase's
  epochs.
- :class:`ModalityImportanceDisplay`: the drop in score when a modality is
  absent (:func:`omib_sklearn.inspection.modality_importance`).

matplotlib is an optional dependency (``pip install omib-sklearn[plot]``),
imported when a display plots: this module imports without it.
"""

from itertools import product

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .inspection import modality_importance

__all__ = [
    "InformationDisplay",
    "ModalityImportanceDisplay",
    "RTrajectoryDisplay",
    "TrainingCurvesDisplay",
]

#: The phases in training order, and their titles.
PHASES = ("warmup", "main")
PHASE_TITLES = {"warmup": "warm-up phase", "main": "main phase"}


def _pyplot(caller):
    """matplotlib's pyplot, or an ImportError that names the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed: "
            "pip install omib-sklearn[plot]"
        ) from e
    return plt


def _fitted_omib(estimator):
    """The OMIB estimator (the last step of a Pipeline), checked fitted."""
    check_is_fitted(estimator)
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def _style(defaults, kw):
    """``defaults`` updated with the caller's keywords ``kw`` (or None)."""
    return {**defaults, **(kw or {})}


def _names(names, n):
    return [str(v) for v in names] if names is not None else [f"m{i}" for i in range(n)]


def _axes_for(ax, n, plt, figsize):
    """``(figure, ndarray of n Axes)``: new ones when ``ax`` is None, else
    ``ax`` (one Axes when n is 1, or n of them)."""
    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False, layout="constrained")
        return fig, axes[0]
    axes = np.ravel(np.asarray(ax, dtype=object))
    if len(axes) != n:
        raise ValueError(f"ax must hold {n} Axes, one per phase shown, got {len(axes)}.")
    return axes[0].figure, axes


class TrainingCurvesDisplay:
    """Training and validation loss of each network, per phase.

    One panel per phase (the warm-up, then the main phase), one colour per
    network: its training loss (solid), its validation loss on its
    held-out rows (dashed, when it was early-stopped) and a marker at the
    epoch whose weights early stopping kept. The warm-up's loss is the sum
    of the task-relevance heads' task losses; the main phase trains on
    Eq. 10 (the fusion head's task loss, the KL terms weighted by beta and
    r, and the task-relevance heads' losses) and is validated on the fusion
    head's task loss, the loss that early stopping monitors.

    It is recommended to create the display with
    :meth:`TrainingCurvesDisplay.from_estimator`. All parameters are stored
    as attributes.

    Parameters
    ----------
    train_loss : dict of str to ndarray of shape (n_epochs, n_networks)
        Training loss of each network per epoch, by phase (``"warmup"``,
        ``"main"``). A phase with no epochs is not drawn.
    valid_loss : dict of str to ndarray of shape (n_epochs, n_networks), default=None
        Validation loss of each network per epoch, by phase (None: no
        validation curves).
    best_epochs : dict of str to ndarray of int of shape (n_networks,), default=None
        The epoch of each network that early stopping kept (1-based within
        its phase; 0 for none), by phase (None: no markers).

    Attributes
    ----------
    phases_ : list of str
        The phases drawn, in the order of the panels.
    lines_ : ndarray of matplotlib Line2D of shape (n_networks, n_phases, n_curves)
        ``lines_[k, p, 0]`` is network k's training loss in phase
        ``phases_[p]`` and, with validation losses (``n_curves`` 2),
        ``lines_[k, p, 1]`` its validation loss.
    best_markers_ : ndarray of matplotlib PathCollection of shape (n_networks, n_phases) or None
        The marker of each network's kept epoch on its validation curve
        (None where it has no such epoch); None without ``best_epochs``.
    axes_ : ndarray of matplotlib Axes of shape (n_phases,)
        The panel of each phase.
    figure_ : matplotlib Figure
        The figure of the panels.

    See Also
    --------
    RTrajectoryDisplay : The weights r over the main phase's epochs.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn.plotting import TrainingCurvesDisplay
    >>> display = TrainingCurvesDisplay(
    ...     train_loss={"warmup": np.array([[1.4]]), "main": np.array([[2.1], [1.9]])})
    >>> display.train_loss["main"].shape
    (2, 1)
    """

    def __init__(self, *, train_loss, valid_loss=None, best_epochs=None):
        self.train_loss = train_loss
        self.valid_loss = valid_loss
        self.best_epochs = best_epochs

    @classmethod
    def from_estimator(cls, estimator, *, history="auto", phases=None, ax=None, **kwargs):
        """Plot the training curves of a fitted OMIB estimator.

        Parameters
        ----------
        estimator : estimator
            A fitted OMIB estimator, or a fitted
            :class:`~sklearn.pipeline.Pipeline` whose last step is one.
        history : {"auto", "fitted", "early_stopping"}, default="auto"
            Which training to plot. ``"fitted"``: the fitted networks'
            (``history_``). ``"early_stopping"``: the early-stopped run that
            chose the epochs of a refit (``early_stopping_history_``, one
            network per fold or held-out split). ``"auto"``: the
            early-stopped run when a refit followed it, else the fitted
            networks. The kept epochs (``best_epochs_``) are marked on the
            run early stopping watched.
        phases : str or list of str, default=None
            The phases to draw (``"warmup"``, ``"main"``); None draws each
            phase that ran.
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per phase drawn; None creates a figure with them.
        **kwargs : dict
            Keywords of :meth:`plot`.

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, plotted.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        est = _fitted_omib(estimator)
        if history not in ("auto", "fitted", "early_stopping"):
            raise ValueError(
                f"history must be 'auto', 'fitted' or 'early_stopping', got {history!r}."
            )
        refit_run = getattr(est, "early_stopping_history_", None)
        if history == "early_stopping" and refit_run is None:
            raise ValueError(
                "history='early_stopping' plots the early-stopped run of a refit, and "
                "this estimator has none (early_stopping_history_ is None): it was fitted "
                "without a refit; use history='fitted'."
            )
        use_refit_run = refit_run is not None and history != "fitted"
        records = refit_run if use_refit_run else est.history_
        # The kept epochs belong to the run that early stopping watched: the
        # fitted networks' unless a refit followed.
        watched = use_refit_run or refit_run is None
        best = est.best_epochs_ if watched and est.best_epochs_ is not None else None
        train_loss, valid_loss = {}, {}
        for phase in PHASES:
            epochs = records.get(phase, [])
            if epochs and "train_network_loss" not in epochs[0]:
                raise ValueError(
                    "The estimator's history_ does not record the training loss of each "
                    "network (train_network_loss); fit it again to plot its training curves."
                )
            train_loss[phase] = np.asarray(
                [e["train_network_loss"] for e in epochs], dtype=float
            ).reshape(len(epochs), -1)
            if epochs and "valid_network_loss" in epochs[0]:
                valid_loss[phase] = np.asarray(
                    [e["valid_network_loss"] for e in epochs], dtype=float
                ).reshape(len(epochs), -1)
        display = cls(
            train_loss=train_loss,
            valid_loss=valid_loss or None,
            best_epochs=None if best is None else {k: np.asarray(v) for k, v in best.items()},
        )
        return display.plot(phases=phases, ax=ax, **kwargs)

    def plot(self, *, phases=None, ax=None, train_kw=None, valid_kw=None, best_kw=None):
        """Plot the training curves.

        Parameters
        ----------
        phases : str or list of str, default=None
            The phases to draw (``"warmup"``, ``"main"``); None draws each
            phase with epochs.
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per phase drawn; None creates a figure with them.
        train_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.plot` for the training
            curves.
        valid_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.plot` for the validation
            curves.
        best_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.scatter` for the markers
            of the kept epochs.

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, with the figure and artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        if phases is None:
            phases = [p for p in PHASES if len(self.train_loss.get(p, ()))]
        elif isinstance(phases, str):
            phases = [phases]
        phases = list(phases)
        unknown = [p for p in phases if p not in PHASES]
        if unknown or not phases:
            raise ValueError(
                f"phases must name 'warmup' and/or 'main', got {phases!r}."
                if unknown else "No phase has epochs to plot."
            )
        train = [np.asarray(self.train_loss[p], dtype=float) for p in phases]
        n_networks = max(t.shape[1] for t in train)
        valid = None
        if self.valid_loss is not None:
            valid = [
                np.asarray(self.valid_loss[p], dtype=float) if p in self.valid_loss else None
                for p in phases
            ]
        n_curves = 1 if valid is None else 2
        fig, axes = _axes_for(ax, len(phases), plt, figsize=(5.0 * len(phases), 3.8))

        self.lines_ = np.full((n_networks, len(phases), n_curves), None, dtype=object)
        has_best = self.best_epochs is not None and valid is not None
        self.best_markers_ = (
            np.full((n_networks, len(phases)), None, dtype=object) if has_best else None
        )
        for p, (phase, ax_p) in enumerate(zip(phases, axes)):
            for k in range(train[p].shape[1]):
                color = f"C{k % 10}"
                epochs = np.arange(1, train[p].shape[0] + 1)
                # A phase of one epoch is a point: drawn with a marker.
                point = dict(marker="." if len(epochs) == 1 else None)
                self.lines_[k, p, 0] = ax_p.plot(
                    epochs, train[p][:, k], **_style(dict(color=color, **point), train_kw)
                )[0]
                if valid is None or valid[p] is None:
                    continue
                self.lines_[k, p, 1] = ax_p.plot(
                    epochs, valid[p][:, k],
                    **_style(dict(color=color, linestyle="--", **point), valid_kw),
                )[0]
                best = None if not has_best else self.best_epochs.get(phase)
                if best is not None and k < len(best) and 0 < best[k] <= len(epochs):
                    self.best_markers_[k, p] = ax_p.scatter(
                        [best[k]], [valid[p][best[k] - 1, k]],
                        **_style(dict(color=color, marker="o", s=40, zorder=3,
                                      edgecolors="black"), best_kw),
                    )
            ax_p.set(title=PHASE_TITLES[phase], xlabel="epoch", ylabel="loss")
            ax_p.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            if train[p].shape[0] == 1:
                ax_p.set_xticks([1])
        handles = [Line2D([], [], color="grey", label="training")]
        if valid is not None:
            handles.append(Line2D([], [], color="grey", linestyle="--", label="validation"))
        if has_best:
            handles.append(Line2D([], [], color="grey", marker="o", markeredgecolor="black",
                                  linestyle="none", label="epoch kept"))
        if n_networks > 1:
            handles += [
                Line2D([], [], color=f"C{k % 10}", label=f"network {k + 1}")
                for k in range(n_networks)
            ]
        axes[-1].legend(handles=handles, fontsize="small")
        self.phases_ = phases
        self.axes_ = axes
        self.figure_ = fig
        return self


class InformationDisplay:
    """The MINE estimates that chose beta, and beta within its bounds.

    An image of the information matrix (H_i on the diagonal, I_ij off it, in
    nats) with its values and the modalities' names, and below it the
    interval ``[M_l, M_u]`` of OMIB's bounds with the beta drawn from it.

    It is recommended to create the display with
    :meth:`InformationDisplay.from_estimator`. All parameters are stored as
    attributes.

    Parameters
    ----------
    information : ndarray of shape (n_modalities, n_modalities)
        The information estimates (``information_``).
    beta : float
        The beta of the main phase (``beta_``).
    beta_bounds : tuple of float
        ``(M_l, M_u)`` (``beta_bounds_``); an infinite M_u is drawn as the
        interval beta was drawn from, ``[M_l, 2 M_l]``.
    modality_names : list of str, default=None
        Labels of the modalities (None: ``m0``, ``m1``, ...).

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The image of the information matrix.
    text_ : ndarray of matplotlib Text of shape (n_modalities, n_modalities) or None
        The values written on the image (None with ``include_values=False``).
    colorbar_ : matplotlib Colorbar or None
        The colour scale (None with ``colorbar=False``).
    bounds_line_ : matplotlib Line2D
        The interval ``[M_l, M_u]``.
    beta_marker_ : matplotlib Line2D
        The marker of beta.
    ax_ : matplotlib Axes
        The Axes of the image.
    beta_ax_ : matplotlib Axes
        The Axes of the bounds and beta, below the image.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    omib_sklearn.beta_bounds : The bounds from the information estimates.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn.plotting import InformationDisplay
    >>> display = InformationDisplay(
    ...     information=np.array([[2.0, 0.5], [0.5, 1.5]]), beta=0.1, beta_bounds=(0.095, 0.111))
    >>> display.information.shape
    (2, 2)
    """

    def __init__(self, *, information, beta, beta_bounds, modality_names=None):
        self.information = information
        self.beta = beta
        self.beta_bounds = beta_bounds
        self.modality_names = modality_names

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **kwargs):
        """Plot the information estimates and beta of a fitted OMIB estimator.

        Parameters
        ----------
        estimator : estimator
            An OMIB estimator fitted with ``beta="auto"`` (a fixed beta has no
            information estimates), or a fitted
            :class:`~sklearn.pipeline.Pipeline` whose last step is one.
        ax : matplotlib Axes, default=None
            Axes of the image (the bounds go below it); None creates a
            figure.
        **kwargs : dict
            Keywords of :meth:`plot`.

        Returns
        -------
        display : InformationDisplay
            The display, plotted.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        est = _fitted_omib(estimator)
        if est.information_ is None:
            raise ValueError(
                f"The estimator was fitted with a fixed beta={est.beta_:g}, so there are no "
                "information estimates (information_ is None) to plot; fit it with "
                "beta='auto'."
            )
        display = cls(
            information=np.asarray(est.information_, dtype=float),
            beta=float(est.beta_),
            beta_bounds=tuple(float(b) for b in est.beta_bounds_),
            modality_names=list(est.modality_names_),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, cmap="viridis", include_values=True, values_format=".3g",
             colorbar=True, im_kw=None, text_kw=None):
        """Plot the information matrix and the bounds of beta.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes of the image (the bounds go below it); None creates a
            figure.
        cmap : str or matplotlib Colormap, default="viridis"
            Colour map of the image.
        include_values : bool, default=True
            Whether to write the values on the image.
        values_format : str, default=".3g"
            Format of the values written.
        colorbar : bool, default=True
            Whether to add a colour scale.
        im_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.imshow`.
        text_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.text` for the values.

        Returns
        -------
        display : InformationDisplay
            The display, with the figure and artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        from mpl_toolkits.axes_grid1 import make_axes_locatable

        info = np.asarray(self.information, dtype=float)
        if info.ndim != 2 or info.shape[0] != info.shape[1]:
            raise ValueError(f"information must be a square matrix, got shape {info.shape}.")
        n = info.shape[0]
        names = _names(self.modality_names, n)
        if ax is None:
            fig, ax = plt.subplots(figsize=(5.2, 5.4))
        else:
            fig = ax.figure
        self.im_ = ax.imshow(info, **_style(dict(interpolation="nearest", cmap=cmap), im_kw))
        self.text_ = None
        if include_values:
            self.text_ = np.empty(info.shape, dtype=object)
            threshold = (np.nanmax(info) + np.nanmin(info)) / 2.0
            low, high = self.im_.cmap(0.0), self.im_.cmap(1.0)
            for i, j in product(range(n), range(n)):
                color = high if info[i, j] < threshold else low
                self.text_[i, j] = ax.text(
                    j, i, format(info[i, j], values_format),
                    **_style(dict(ha="center", va="center", color=color), text_kw),
                )
        ax.set(
            xticks=np.arange(n), yticks=np.arange(n), xticklabels=names, yticklabels=names,
            title="MINE estimates (nats): $H_i$ on the diagonal, $I_{ij}$ off it",
        )
        ax.title.set_fontsize("medium")
        divider = make_axes_locatable(ax)
        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = fig.colorbar(
                self.im_, cax=divider.append_axes("right", size="5%", pad=0.1)
            )
        self.beta_ax_ = divider.append_axes("bottom", size="10%", pad=0.8)
        self._plot_bounds(self.beta_ax_)
        self.ax_ = ax
        self.figure_ = fig
        return self

    def _plot_bounds(self, ax):
        lower, upper = (float(b) for b in self.beta_bounds)
        finite = np.isfinite(upper)
        top = upper if finite else 2.0 * lower
        span = top - lower if top > lower else max(abs(lower), 1e-12)
        self.bounds_line_ = ax.plot(
            [lower, top], [0, 0], color="grey", linewidth=3,
            linestyle="-" if finite else ":", marker="|", markersize=14,
        )[0]
        self.beta_marker_ = ax.plot(
            [self.beta], [0], marker="v", markersize=11, color="C3", linestyle="none",
        )[0]
        fmt = _distinct_format(lower, top, self.beta)
        upper_text = format(upper, fmt) if finite else r"$\infty$"
        ax.set_title(
            rf"$\beta$ = {self.beta:{fmt}}, drawn from [$M_l$, $M_u$] = "
            f"[{lower:{fmt}}, {upper_text}]",
            fontsize="medium",
        )
        ax.set_xlim(lower - 0.15 * span, top + 0.15 * span)
        ax.set_ylim(-1, 1)
        ax.set_yticks([])
        ax.set_xticks([lower, top] if top > lower else [lower])
        ax.set_xticklabels(
            ["$M_l$", "$M_u$" if finite else r"$2 M_l$ ($M_u = \infty$)"][:2 if top > lower else 1]
        )
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)


def _distinct_format(*values):
    """The shortest ``g`` format (3 to 8 digits) that tells the values apart."""
    for digits in range(3, 9):
        fmt = f".{digits}g"
        if len({format(v, fmt) for v in values}) == len(set(values)):
            return fmt
    return ".8g"


class RTrajectoryDisplay:
    """The modality weights r over the main phase's epochs.

    r_i weighs the KL term of modality i in the main phase (Eq. 11 of the
    paper); r_1 is 1 by definition. r is 1 for every modality unless the
    estimator was fitted with ``dynamic_r=True``. Drawn as the mean over
    the networks with their range (``kind="mean"``), or one line per
    network (``kind="networks"``).

    It is recommended to create the display with
    :meth:`RTrajectoryDisplay.from_estimator`. All parameters are stored as
    attributes.

    Parameters
    ----------
    r : ndarray of shape (n_epochs, n_networks, n_modalities)
        r at the end of each main-phase epoch, per network and modality.
    modality_names : list of str, default=None
        Labels of the modalities (None: ``m0``, ``m1``, ...).

    Attributes
    ----------
    lines_ : ndarray of matplotlib Line2D
        Of shape (n_modalities,) with ``kind="mean"`` (the mean over the
        networks), (n_networks, n_modalities) with ``kind="networks"``.
    bands_ : ndarray of matplotlib PolyCollection of shape (n_modalities,) or None
        The range over the networks of each modality (``kind="mean"``
        with two networks or more; None otherwise).
    ax_ : matplotlib Axes
        The Axes of the plot.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    TrainingCurvesDisplay : The losses of both phases.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn.plotting import RTrajectoryDisplay
    >>> display = RTrajectoryDisplay(r=np.ones((3, 2, 2)), modality_names=["a", "b"])
    >>> display.r.shape
    (3, 2, 2)
    """

    def __init__(self, *, r, modality_names=None):
        self.r = r
        self.modality_names = modality_names

    @classmethod
    def from_estimator(cls, estimator, *, kind="mean", ax=None, **kwargs):
        """Plot r over the main phase of a fitted OMIB estimator.

        Parameters
        ----------
        estimator : estimator
            A fitted OMIB estimator, or a fitted
            :class:`~sklearn.pipeline.Pipeline` whose last step is one.
        kind : {"mean", "networks"}, default="mean"
            The mean over the networks with their range, or each network.
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a figure.
        **kwargs : dict
            Keywords of :meth:`plot`.

        Returns
        -------
        display : RTrajectoryDisplay
            The display, plotted.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        est = _fitted_omib(estimator)
        epochs = est.history_["main"]
        if not epochs:
            raise ValueError("The fitted networks ran no main-phase epoch: there is no r to plot.")
        n_modalities = est.n_modalities_
        if "network_r" in epochs[0]:
            r = np.asarray([e["network_r"] for e in epochs], dtype=float)
        else:  # only the mean over the networks was recorded
            r = np.asarray([e["r"] for e in epochs], dtype=float)[:, None, :]
        display = cls(
            r=r.reshape(len(epochs), -1, n_modalities),
            modality_names=list(est.modality_names_),
        )
        return display.plot(kind=kind, ax=ax, **kwargs)

    def plot(self, *, kind="mean", ax=None, line_kw=None, band_kw=None):
        """Plot r per modality.

        Parameters
        ----------
        kind : {"mean", "networks"}, default="mean"
            The mean over the networks with their range (min to max), or
            one line per network and modality.
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a figure.
        line_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.plot` for the lines.
        band_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.fill_between` for the
            ranges.

        Returns
        -------
        display : RTrajectoryDisplay
            The display, with the figure and artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        from matplotlib.ticker import MaxNLocator

        if kind not in ("mean", "networks"):
            raise ValueError(f"kind must be 'mean' or 'networks', got {kind!r}.")
        r = np.asarray(self.r, dtype=float)
        if r.ndim != 3:
            raise ValueError(
                f"r must have shape (n_epochs, n_networks, n_modalities), got {r.shape}."
            )
        n_epochs, n_networks, n_modalities = r.shape
        names = _names(self.modality_names, n_modalities)
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.0, 3.8), layout="constrained")
        else:
            fig = ax.figure
        epochs = np.arange(1, n_epochs + 1)
        self.bands_ = None
        if kind == "mean":
            self.lines_ = np.empty(n_modalities, dtype=object)
            if n_networks > 1:
                self.bands_ = np.empty(n_modalities, dtype=object)
            for m in range(n_modalities):
                color = f"C{m % 10}"
                self.lines_[m] = ax.plot(
                    epochs, r[:, :, m].mean(1),
                    **_style(dict(color=color, label=names[m]), line_kw),
                )[0]
                if self.bands_ is not None:
                    self.bands_[m] = ax.fill_between(
                        epochs, r[:, :, m].min(1), r[:, :, m].max(1),
                        **_style(dict(color=color, alpha=0.2, linewidth=0), band_kw),
                    )
            title = "r per modality: mean over the networks" + (
                " (band: their range)" if n_networks > 1 else ""
            )
        else:
            self.lines_ = np.empty((n_networks, n_modalities), dtype=object)
            for k, m in product(range(n_networks), range(n_modalities)):
                self.lines_[k, m] = ax.plot(
                    epochs, r[:, k, m],
                    **_style(dict(color=f"C{m % 10}", alpha=0.8,
                                  label=names[m] if k == 0 else None), line_kw),
                )[0]
            title = f"r per modality, each of the {n_networks} network(s)"
        ax.set(title=title, xlabel="main-phase epoch", ylabel="r")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.title.set_fontsize("medium")
        ax.legend(fontsize="small")
        self.ax_ = ax
        self.figure_ = fig
        return self


class ModalityImportanceDisplay:
    """The importance of each modality: the drop in score when it is absent.

    Bars of the mean drop over bootstrap resamples of the rows, with their
    standard deviation as error bars, computed by
    :func:`omib_sklearn.inspection.modality_importance`.

    It is recommended to create the display with
    :meth:`ModalityImportanceDisplay.from_estimator`. All parameters are
    stored as attributes.

    Parameters
    ----------
    importances_mean : ndarray of shape (n_modalities,)
        Mean drop in score per modality.
    importances_std : ndarray of shape (n_modalities,), default=None
        Its standard deviation over the resamples (None: no error bars).
    importances : ndarray of shape (n_modalities, n_repeats), default=None
        The drop on each resample.
    modality_names : list of str, default=None
        Labels of the modalities (None: ``m0``, ``m1``, ...).
    baseline_score : float, default=None
        The score with every modality.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The bars, one per modality (their error bars in ``bars_.errorbar``).
    ax_ : matplotlib Axes
        The Axes of the plot.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    omib_sklearn.inspection.modality_importance : The importances drawn.

    Examples
    --------
    >>> import numpy as np
    >>> from omib_sklearn.plotting import ModalityImportanceDisplay
    >>> display = ModalityImportanceDisplay(
    ...     importances_mean=np.array([0.3, 0.05]), modality_names=["a", "b"])
    >>> display.importances_mean.shape
    (2,)
    """

    def __init__(self, *, importances_mean, importances_std=None, importances=None,
                 modality_names=None, baseline_score=None):
        self.importances_mean = importances_mean
        self.importances_std = importances_std
        self.importances = importances
        self.modality_names = modality_names
        self.baseline_score = baseline_score

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, scoring=None, n_repeats=5,
                       random_state=None, ax=None, **kwargs):
        """Compute and plot the modality importances of a fitted estimator.

        Parameters
        ----------
        estimator : estimator
            A fitted OMIB estimator, or a fitted
            :class:`~sklearn.pipeline.Pipeline` whose last step is one.
        X : list, tuple or dict of array-like, Modalities, or array-like
            The modalities, laid out as in ``fit`` (at least two).
        y : array-like of shape (n_samples,) or None, default=None
            Targets (None for scorers that take none).
        scoring : str, callable or None, default=None
            Scorer; None uses the estimator's ``score``.
        n_repeats : int, default=5
            Number of bootstrap resamples of the rows.
        random_state : int, RandomState instance or None, default=None
            Seed of the resampling.
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a figure.
        **kwargs : dict
            Keywords of :meth:`plot`.

        Returns
        -------
        display : ModalityImportanceDisplay
            The display, plotted.
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        result = modality_importance(
            estimator, X, y, scoring=scoring, n_repeats=n_repeats, random_state=random_state,
        )
        display = cls(
            importances_mean=result.importances_mean,
            importances_std=result.importances_std,
            importances=result.importances,
            modality_names=list(result.modality_names),
            baseline_score=result.baseline_score,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, bar_kw=None):
        """Plot the importances as bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; None creates a figure.
        bar_kw : dict, default=None
            Keywords of :meth:`matplotlib.axes.Axes.bar`.

        Returns
        -------
        display : ModalityImportanceDisplay
            The display, with the figure and artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        mean = np.asarray(self.importances_mean, dtype=float)
        names = _names(self.modality_names, len(mean))
        if ax is None:
            fig, ax = plt.subplots(figsize=(max(3.5, 1.2 * len(mean) + 2.0), 3.8),
                                   layout="constrained")
        else:
            fig = ax.figure
        defaults = dict(color=[f"C{m % 10}" for m in range(len(mean))], capsize=4)
        if self.importances_std is not None:
            defaults["yerr"] = np.asarray(self.importances_std, dtype=float)
        self.bars_ = ax.bar(np.arange(len(mean)), mean, **_style(defaults, bar_kw))
        ax.axhline(0.0, color="black", linewidth=0.8)
        title = "Drop in score when a modality is absent"
        if self.baseline_score is not None:
            title += f"\n(score with every modality: {self.baseline_score:.3g})"
        ax.set(xticks=np.arange(len(mean)), xticklabels=names, xlabel="modality",
               ylabel="importance", title=title)
        ax.title.set_fontsize("medium")
        self.ax_ = ax
        self.figure_ = fig
        return self
