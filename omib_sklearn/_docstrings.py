"""Parameter and attribute text shared by the three estimators' docstrings."""

import re

PARAMETERS = """\
    modalities : list or None, default=None
        How to split one 2-D array ``X`` into modalities: a list of block
        widths (``[76, 240]``), a list of column-index lists, or (for
        DataFrames) a list of column-name lists. ``None`` treats a single
        array as one modality. Must be ``None`` when ``X`` is already a list,
        dict or :class:`Modalities`.
    n_estimators : int, default=5
        Number of OMIB networks, trained at once (one batched pass) and
        averaged: class probabilities, predictions or anomaly scores are the
        mean over the networks, and ``transform`` returns their embeddings
        side by side. With ``early_stopping``, the rows are split into
        ``n_estimators`` folds (stratified by class for classifiers) and
        network k trains on all folds but the k-th, which early-stops it
        (cross-fitting): every row trains all networks but one and
        early-stops one, so no row is wasted and no refit is needed.
        ``n_estimators=1`` trains one network, early-stopped on
        ``validation_fraction`` of the rows and then retrained on every row
        (``refit``).
    beta : "auto" or float, default="auto"
        Weight of the KL (bottleneck) term. ``"auto"`` estimates the
        information of the modalities with MINE, computes OMIB's bounds
        ``[M_l, M_u]`` and draws beta inside them; a float skips MINE.
    information : {"channels", "raw"}, default="channels"
        What MINE estimates for ``beta="auto"``. "channels": information
        through a Gaussian noise channel of std ``info_noise`` on standardized
        features, summed over decorrelated 1-D channels (finite and stable).
        "raw": the paper's MINE(v_i, v_i) on whole vectors (ill-posed for
        continuous data; kept for comparison).
    info_noise : float, default=0.1
        Resolution of the noise channel, in feature standard deviations: the
        information is that of the features measured to about a tenth of
        their spread. Finer resolution means more nats and a smaller beta.
    mine_steps : int, default=50
        Optimization steps of MINE. Its statistics start at the Gaussian
        solution, so few steps suffice (``docs/beta_selection.md``).
    warmup_epochs : int, default=1
        Epochs of phase 1 (encoders and task-relevance heads with noise), at
        most (early stopping may end it sooner). A long warm-up lets each
        encoder fit the labels alone and can memorize the training set; the
        measurements behind the default are in ``docs/beta_selection.md``.
    max_epochs : int, default=100
        Epochs of phase 2 (the whole network), at most.
    batch_size : int, default=128
        Mini-batch size of both phases.
    lr : float, default=3e-4
        Learning rate of the optimizer (AdamW). A training loss that
        becomes non-finite (the training diverged, e.g. with too large a
        ``lr``) ends ``fit`` at once with a ValueError naming the phase and
        the epoch.
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW) of all parameters except the encoders'
        input layers (see ``input_weight_decay``). Each step shrinks a weight
        by the factor ``1 - lr * weight_decay``.
    input_weight_decay : float, default=10.0
        Decoupled weight decay (AdamW) of the input-layer weights of each
        default MLP encoder: the layer with most parameters (``n_features_i x hidden``),
        which overfits wide modalities. It acts like the L2 penalty that
        lets a tuned logistic regression generalize on such data. Each step
        shrinks these weights by ``lr * input_weight_decay`` (3e-3 at the
        defaults), so scale it down when raising ``lr``. It is separate from
        ``weight_decay`` because decaying every layer as strongly shrinks
        the variational heads and the fusion too (``docs/beta_selection.md``).
    averaging_epochs : float, default=8
        Horizon, in epochs, of the average of the weights over the training
        steps (tail averaging: an exponential moving average over half the
        steps of the phase so far, at most ``averaging_epochs`` epochs).
        Validation, early stopping and the fitted network use the averaged
        weights; 0 turns averaging off. Averaging cancels much of the noise
        of the last epochs of a run (``docs/beta_selection.md``). It lags
        behind in runs of only a few epochs: turn it off there.
    encoder_hidden : tuple of int, default=(256,)
        Hidden widths of each modality encoder.
    encoders : list, dict or None, default=None
        Encoders of the modalities: None gives every modality the default
        MLP encoder (``encoder_hidden``, then GELU). Otherwise a list aligned
        with the modalities, or a dict keyed by modality name (missing names
        get the default), whose entries are None (the default MLP) or a
        callable ``f(input_shape, embedding_dim)`` returning a
        :class:`torch.nn.Module`, typically a Module subclass or a
        ``functools.partial`` of one. ``input_shape`` is the shape of one row
        of the modality (``(1, 16, 15)`` for one-channel 16x15 images,
        ``(n_features,)`` for a 2-D modality); the module maps a batch
        ``(batch, *input_shape)`` to ``(batch, embedding_dim)``, and its
        output is z_i as it is (no activation is added). It is called in
        ``fit``, once per network, so ``clone``, ``set_params``, grid
        searches and pickling work as with the default. A modality with an
        encoder may be an N-D array ``(n_samples, ...)`` (images, sequences);
        it is standardized with one mean and one std over all its entries,
        and flattened for the information estimates of ``beta="auto"``
        (evenly spaced entries beyond 1024). Parameters with
        ``requires_grad=False`` stay frozen. ``input_weight_decay`` and
        ``input_dropout`` apply to the default MLP encoders only. See
        ``docs/encoders.md``.
    head_hidden : int or tuple of int, default=256
        Hidden widths of the task heads: the fusion head ``Dec_hat`` on xi
        and the task-relevance heads ``Dec_i`` on ``[z_i, xi]``, each an MLP
        with GELU, as the paper's heads are (App. H). ``0`` or ``()`` makes
        them single linear layers, which leave the attention softmax as the
        only nonlinearity that mixes modalities (``docs/benchmarks.md``).
    linear_path : bool, default=False
        Add to each default MLP encoder a bias-free linear map of its
        standardized inputs, ``z_i = GELU(MLP(v_i)) + W_i v_i`` (as in
        wide-and-deep models), decayed like the input layer
        (``input_weight_decay``). Not in the paper. No effect on user
        ``encoders``. Off by default: it helps mid-sized data whose label
        is close to a linear rule of the features, and costs accuracy on
        very small data and on some targets that lie across modalities
        (``docs/benchmarks.md``). Worth trying where a linear model on
        the concatenated modalities is already strong and there are more
        than a few hundred rows.
    embedding_dim : int, default=256
        Width of the encodings z_i.
    latent_dim : int, default=64
        Width of the bottleneck zeta_i and of the embedding xi.
    n_heads : int, default=4
        Attention heads of the fusion block; must divide ``latent_dim``.
    dropout : float, default=0.0
        Dropout after the hidden layers of the (default MLP) encoders.
    input_dropout : float, default=0.0
        Dropout on the standardized inputs of the (default MLP) encoders;
        for the first layer it acts as an adaptive L2 penalty (Wager et al.,
        2013).
    modality_dropout : float, default=0.0
        Probability, per row and modality, of masking a modality during the
        main phase's training (modality dropout), so that the networks learn
        to predict from any subset of the modalities: set it (e.g. 0.3) when
        modalities will be absent at predict time. A row never loses all its
        modalities (one drawn at random is kept). 0 trains on the modalities
        as given; with one modality it has no effect. It is off by default
        because it costs accuracy where the modalities only predict
        together (a label that depends on a product of modalities); the
        measurements are in ``docs/missing_modalities.md``.
    dynamic_r : bool, default=False
        Reweight the KL terms of modalities 2..M by r_i (Eq. 11), from a
        moving average of the divergences D_i, clipped to [0.05, 1.95];
        False fixes r_i = 1. Off by default: it did not improve accuracy
        where it was measured (``docs/differences.md``).
    standardize : bool, default=True
        Standardize each feature with the training mean and std inside the
        network.
    early_stopping : bool, default=True
        Stop each phase when the validation loss on held-out rows (of the
        fusion head in the main phase: cross-entropy for classification,
        squared error for regression, the SVDD distance), computed with the
        averaged weights, has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the phase's best epoch. Which
        rows are held out: see ``n_estimators`` (cross-fitting) and, for one
        network, ``validation_fraction``; the scheme used is
        ``validation_scheme_``. False trains on all rows for exactly
        ``warmup_epochs`` and ``max_epochs``.
    refit : bool, default=True
        With one network (``n_estimators=1``) and ``early_stopping=True``:
        once early stopping has chosen each phase's number of epochs
        (``best_epochs_``), train a new network from scratch on every row
        for that many epochs ([3]_, Algorithm 7.2), so that the held-out
        rows also train the final model, as
        ``LogisticRegressionCV(refit=True)`` refits on all rows with the C
        it chose. It doubles the training time. False keeps the
        early-stopped network (of the first fold when cross-validation chose
        the epochs). Cross-fitted networks (``n_estimators >= 2``) need no
        refit and ignore it.
    validation_fraction : float, default=0.1
        With one network: the share of rows held out for early stopping.
        When that holds out fewer than 100 rows or misses a class, 5-fold
        cross-validation chooses the epochs instead (the median over the
        folds; ``validation_scheme_ == "cv"``). A class with a single row is
        never held out.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs. A phase also waits for at
        least 50 optimizer steps without improvement before it stops (on
        small data an epoch is only a few steps). A network whose validation
        loss has not yet fallen 2% below that of a constant prediction (the
        class prior's cross-entropy, or 1 for standardized targets) does not
        stop early: it trains on to the phase's last epoch, since a label
        that lies across modalities keeps the loss on that plateau for many
        epochs; and once it has spent 50 optimizer steps there, it trains at
        five times ``lr`` until it leaves the plateau (the refit replays
        those epochs).
    tol : float, default=1e-4
        Least decrease of the validation loss that counts.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (or ``(name, callback)`` pairs) for the private
        net (``net_``); they are deep-copied at fit and run after the
        package's own. Each phase is one skorch training run: a callback
        sees ``on_train_begin``, the phase's epochs and ``on_train_end``
        for the warm-up, then again for the main phase (a phase of 0
        epochs is not run), and reads the phase from ``net.phase``
        (``"warmup"`` or ``"main"``, a ``str`` enum). ``on_train_end``
        comes after the phase's final weights are loaded. skorch's
        ``EarlyStopping`` ends the current phase; ``LRScheduler`` counts
        the epochs of both phases, as over skorch ``partial_fit`` calls.
        ``EpochScoring`` scores each network on its own training rows
        (``on_train=True``) or held-out rows, the networks' rows pooled, with
        the weights a validation epoch scores (the running average), from a
        fresh prediction (the net sets ``use_caching=False``); ``y`` and
        the predictions are in the units the networks train on: class
        indices (``predict``) and probabilities (``predict_proba``), the
        standardized targets of the regressor, minus the squared distance
        to the centre for the anomaly detector (whose ``y`` is None: use a
        callable ``scoring(net, X, y)``). The warm-up does not train the
        fusion head that is scored. Sample weights are not applied. With a
        refit (one network, ``early_stopping=True`` and ``refit=True``, the
        defaults), the callbacks run on the network early stopping trains,
        then on the refit, which has no held-out rows and no
        ``valid_loss``: callbacks that monitor it (the defaults of
        ``EarlyStopping`` and ``Checkpoint``) end the fit with a ValueError
        there; monitor ``train_loss`` or pass ``refit=False``.
    device : str, default="cpu"
        Torch device, e.g. "cuda".
    random_state : int, RandomState instance or None, default=None
        Seed of MINE, the draw of beta, the initialisation, the batches and
        the noise. The same seed gives identical results on CPU.
    verbose : int, default=0
        0 is silent. 1 shows the fit's progress through its stages: the beta
        selection (the MINE estimates, the bounds and beta), the rows that
        train and validate each network, then for the warm-up and the main
        phase one line per epoch on standard output and a progress bar over
        the phase's epochs on standard error (tqdm), and the refit, if any,
        with a progress bar per phase and a closing line."""

ATTRIBUTES = """\
    beta_ : float
        The beta used in the main phase.
    beta_bounds_ : tuple of float or None
        ``(M_l, M_u)`` from the MINE estimates (None for a fixed beta).
    information_ : ndarray of shape (n_modalities, n_modalities) or None
        MINE estimates in nats after repair: H_i on the diagonal, I_ij off it.
    information_raw_ : ndarray of shape (n_modalities, n_modalities)
        The same before repair (only with ``beta="auto"``).
    r_ : ndarray of shape (n_modalities,)
        Final modality weights r_i (r_1 = 1), averaged over the networks.
    r_history_ : ndarray of shape (n_main_epochs, n_modalities)
        r at the end of each main-phase epoch.
    history_ : dict
        ``{"warmup": [...], "main": [...]}``: one dict per epoch (numbered
        within its phase) of the fitted networks' training, with the losses
        averaged over the networks and ``train_network_loss`` per network
        (and r and the KL per modality in the main phase, with ``network_r``,
        r per network and modality; the validation loss and score,
        ``valid_network_loss`` per network and, for the classifier and the
        regressor, ``network_on_plateau`` (whether each network's loss is
        still near a constant prediction's), when they were early-stopped).
    n_epochs_ : dict
        Epochs run in each phase by the fitted networks.
    validation_scheme_ : {"cross-fit", "holdout", "cv", "none"}
        Which rows early-stopped the networks: each network its own fold
        (``n_estimators >= 2``), one held-out split, a 5-fold
        cross-validation on small data (then a refit), or none
        (``early_stopping=False``).
    best_epochs_ : dict of ndarray of int, or None
        Epochs of each phase up to its least validation loss, one per
        network (cross-fit) or per fold (cv), as chosen by early stopping
        (None with ``early_stopping=False``).
    early_stopping_history_ : dict or None
        When a refit followed (one network), the ``history_`` of the
        early-stopped run, with the validation loss and score (accuracy, or
        minus the squared error) per epoch; None otherwise.
    fit_times_ : dict
        Wall time in seconds of each stage of fit: "beta" (MINE and the
        choice of beta), "warmup" and "main" (of the early-stopped run when
        there is a refit), and "refit" (both phases of the refit).
    n_modalities_ : int
        Number of modalities seen in fit.
    modality_names_ : list of str
        Names of the modalities (dict keys, or "m0", "m1", ...); named
        modalities given at predict time are matched with them by name, a
        list by position.
    n_features_per_modality_ : list of int
        Width of each modality (the number of entries of a row of an N-D
        modality).
    modality_shapes_ : list of tuple of int
        Shape of one row of each modality, ``(n_features,)`` for a 2-D one;
        checked at predict time.
    modality_sparse_ : list of bool
        Whether each modality was a ``scipy.sparse`` matrix at fit (kept
        sparse, scaled without centring; see ``docs/sparse.md``).
    n_samples_per_modality_ : ndarray of shape (n_modalities,)
        Number of training rows in which each modality was present (not
        entirely NaN).
    modality_feature_names_ : list of (ndarray of str or None)
        String column names of each modality (of a DataFrame modality, or of
        its block of one DataFrame split by ``modalities``), else None;
        checked at predict time as scikit-learn checks ``feature_names_in_``.
    n_features_in_ : int
        Total number of features over all modalities.
    feature_names_in_ : ndarray of str
        Column names of a single DataFrame input (only then).
    module_ : OMIBModule
        The trained torch networks (one module, ``n_estimators`` networks;
        one with ``refit=False`` after cross-validation).
    net_ : skorch.NeuralNet
        The private skorch net that trained it."""

REFERENCES = """\
    .. [1] Wu, Shao, Wang, Sun. "Learning Optimal Multimodal Information
       Bottleneck Representations." ICML 2025 (PMLR 267). arXiv:2505.19996.
    .. [2] Belghazi et al. "Mutual Information Neural Estimation." ICML 2018.
    .. [3] Goodfellow, Bengio, Courville. "Deep Learning." MIT Press, 2016,
       Section 7.8 (early stopping, then retraining on all the data)."""



def parameters_doc(defaults=None, notes=None, extra=None, after=None):
    """PARAMETERS with other defaults and extra notes for some parameters.

    ``defaults`` maps a parameter name to the text after ``default=``;
    ``notes`` maps a name to a sentence appended to its description;
    ``extra`` maps names to whole entries of the estimator's own parameters,
    inserted after the entry of ``after``. A name missing from PARAMETERS
    raises, so the text cannot drift silently.
    """
    text = PARAMETERS
    if extra:
        match = re.search(rf"^(    {after} : [^\n]*\n(?:        [^\n]*\n?)*)", text, flags=re.M)
        if match is None:
            raise ValueError(f"no parameter {after!r} in PARAMETERS")
        block = match.group(1).rstrip("\n")
        text = text.replace(block, block + "\n" + "\n".join(extra.values()), 1)
    for name, value in (defaults or {}).items():
        text, count = re.subn(
            rf"^(    {name} : [^\n]*default=)[^\n]*$", rf"\g<1>{value}", text, flags=re.M
        )
        if count != 1:
            raise ValueError(f"no parameter {name!r} with a default in PARAMETERS")
    for name, note in (notes or {}).items():
        pattern = rf"^(    {name} : [^\n]*\n(?:        [^\n]*\n?)*)"
        match = re.search(pattern, text, flags=re.M)
        if match is None:
            raise ValueError(f"no parameter {name!r} in PARAMETERS")
        block = match.group(1).rstrip("\n")
        text = text.replace(block, block + "\n        " + note, 1)
    return text
