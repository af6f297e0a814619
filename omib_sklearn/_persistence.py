"""Model files that load without running code: :func:`save_model` and
:func:`load_model`.

A model file is a zip archive of three members:

``meta.json``
    The format (``"format": "omib_sklearn-model"``, ``"format_version"``),
    the versions of omib_sklearn and torch that wrote it, the estimator's
    class name (one of the three OMIB estimators), its parameters
    (``get_params()``), its fitted attributes, and the number of networks.
``model.safetensors``
    The module's ``state_dict`` (every parameter and buffer: weights,
    standardization, Deep SVDD centres), written from CPU copies.
``arrays.safetensors``
    The numeric arrays among the fitted attributes (``classes_`` of
    integers, ``y_mean_``, ``decision_scores_``, ...), bit for bit.

Why JSON and safetensors rather than ``skops.io``: the fitted estimator
holds a skorch net, a torch module, an optimizer and callbacks, whose types
skops would have to be told to trust one by one (and whose reconstruction
still runs their ``__setstate__``); the state that prediction needs is
plain data, a state_dict and a few arrays and numbers, which safetensors
and JSON store with no code at all. Loading rebuilds the network from the
parameters exactly as ``fit`` builds it (:meth:`BaseOMIB._make_module`,
:meth:`BaseOMIB._make_net`) and loads the weights into it.

JSON values are tagged where JSON has no type of its own: ``{"__tuple__":
[...]}``, ``{"__dict__": [[key, value], ...]}`` (keys of any type),
``{"__float__": "nan"}``, ``{"__scalar__": dtype, "value": v}`` (numpy
scalars), ``{"__ndarray__": name}`` (an array of ``arrays.safetensors``),
``{"__array__": {"dtype", "shape", "data"}}`` (arrays of strings or
objects), ``{"__random_state__": [...]}`` (a ``RandomState``'s state), ``{"__factory__": {"path", "args", "kwargs"}}`` (an encoder
factory, by import path). Nothing else is accepted on load.

User encoders (the ``encoders`` parameter) are code: they are recorded by
their import path (a class or function, or a ``functools.partial`` of one
with JSON-safe arguments), never pickled, and imported on load only when
the caller names them in ``trusted=``. See ``docs/persistence.md``.
"""

import functools
import importlib
import inspect
import json
import math
import os
import warnings
import zipfile

import numpy as np
import torch

from ._anomaly import OMIBAnomalyDetector
from ._callbacks import PhaseRecorder
from ._classifier import OMIBClassifier
from ._phase import Phase
from ._regressor import OMIBRegressor

__all__ = ["FORMAT_VERSION", "load_model", "save_model"]

#: Version of the file layout; :func:`load_model` reads this version only.
FORMAT_VERSION = 1

#: The value of ``meta.json``'s ``"format"`` key.
FORMAT_NAME = "omib_sklearn-model"

#: The estimators a model file may hold, by class name.
ESTIMATORS = {
    cls.__name__: cls for cls in (OMIBClassifier, OMIBRegressor, OMIBAnomalyDetector)
}

META = "meta.json"
WEIGHTS = "model.safetensors"
ARRAYS = "arrays.safetensors"

#: Attributes of a fitted estimator that are rebuilt, not stored.
_REBUILT = {"net_", "module_"}

#: Parameters that hold objects and are not stored (the loaded estimator
#: gets the value on the right, with a warning when the saved one differed).
_NOT_STORED = {"callbacks": None}

#: numpy dtype kinds stored in ``arrays.safetensors``: bool, int, uint, float.
_NUMERIC_KINDS = "biuf"


# -- saving ----------------------------------------------------------------------
def save_model(estimator, path):
    """Save a fitted OMIB estimator to a model file that loads without
    running code.

    The file holds the estimator's parameters, its fitted attributes and
    its networks' weights (see ``docs/persistence.md``); :func:`load_model`
    reads it back. Weights are written from CPU copies, so a model fitted
    on a GPU loads on a machine without one.

    Parameters
    ----------
    estimator : OMIBClassifier, OMIBRegressor or OMIBAnomalyDetector
        A fitted estimator.
    path : str, path-like or binary file object
        Where to write the file (by convention with the suffix ``.omib``).

    Raises
    ------
    TypeError
        If ``estimator`` is not one of the three OMIB estimators, or a
        parameter or fitted attribute cannot be stored as data: an encoder
        given as a lambda or a class or function defined inside a function
        (which cannot be imported by path).
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from omib_sklearn import OMIBClassifier, load_model, save_model
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(40, 3)), rng.normal(size=(40, 2))]
    >>> y = rng.integers(0, 2, 40)
    >>> clf = OMIBClassifier(n_estimators=1, max_epochs=2, beta=1e-3, early_stopping=False,
    ...                      encoder_hidden=(8,), embedding_dim=8, latent_dim=4,
    ...                      n_heads=2, random_state=0).fit(X, y)
    >>> buffer = io.BytesIO()
    >>> save_model(clf, buffer)
    >>> loaded = load_model(io.BytesIO(buffer.getvalue()))
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):
        raise TypeError(
            "save_model saves an OMIBClassifier, OMIBRegressor or OMIBAnomalyDetector, "
            f"got {type(estimator).__name__}."
        )
    check_is_fitted(estimator, "net_")
    arrays = {}
    params = {}
    for key, value in estimator.get_params(deep=False).items():
        if key in _NOT_STORED:
            if value not in (None, []):
                warnings.warn(
                    f"The {key} parameter is not stored in model files (it holds objects); "
                    f"the loaded model has {key}={_NOT_STORED[key]!r}.",
                    UserWarning, stacklevel=2,
                )
            value = _NOT_STORED[key]
        elif key == "encoders":
            params[key] = _encode(value, f"parameter {key}", arrays, factories=True)
            continue
        params[key] = _encode(value, f"parameter {key}", arrays)
    fitted = {
        key: _encode(value, f"fitted attribute {key}", arrays)
        for key, value in vars(estimator).items()
        if key not in params and key not in _NOT_STORED and key not in _REBUILT
    }
    module = estimator.net_.module_
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "omib_sklearn_version": __version__,
        "torch_version": torch.__version__,
        "estimator": name,
        "params": params,
        "fitted": fitted,
        "n_members": int(module.n_members),
    }
    weights = _cpu_state(module)
    from safetensors.numpy import save as save_arrays
    from safetensors.torch import save as save_tensors

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(META, json.dumps(meta, indent=1, allow_nan=False))
        archive.writestr(WEIGHTS, save_tensors(weights))
        archive.writestr(ARRAYS, save_arrays(arrays))


def _cpu_state(module):
    """The module's state_dict as contiguous CPU tensors (copies, whatever
    the device the module lives on)."""
    return {
        key: value.detach().to("cpu", copy=True).contiguous()
        for key, value in module.state_dict().items()
    }


def _encode(value, where, arrays, factories=False):
    """``value`` as JSON data (see the module docstring); numeric arrays go
    into ``arrays`` under a new name. ``factories``: callables are encoder
    factories, recorded by import path."""
    # numpy scalars first: np.float64 is also a float
    if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
        return {"__scalar__": value.dtype.str, "value": _encode(value.item(), where, arrays)}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)  # the text of a str enum, not its name
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"__float__": repr(float(value))}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in _NUMERIC_KINDS:
            key = f"a{len(arrays)}"
            arrays[key] = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
            return {"__ndarray__": key}
        if value.dtype.kind in "UO":
            return {"__array__": {
                "dtype": value.dtype.str, "shape": list(value.shape),
                "data": [_encode(v, where, arrays) for v in value.ravel().tolist()],
            }}
    if isinstance(value, list):
        return [_encode(v, where, arrays, factories) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where, arrays, factories) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [
            [_encode(k, where, arrays), _encode(v, where, arrays, factories)]
            for k, v in value.items()
        ]}
    if isinstance(value, np.random.RandomState):
        # random_state=RandomState(...): its state is data (MT19937's keys and position)
        return {"__random_state__": [_encode(v, where, arrays) for v in value.get_state()]}
    if factories and callable(value):
        return {"__factory__": _factory_record(value, where, arrays)}
    raise TypeError(
        f"save_model cannot store the {where}: a {type(value).__name__} is not data "
        "(numbers, strings, arrays, lists, tuples and dicts of them)."
    )


def _factory_record(factory, where, arrays):
    """The import path and arguments of an encoder factory (a class or a
    function, or a functools.partial of one)."""
    args, kwargs = (), {}
    if isinstance(factory, functools.partial):
        args, kwargs = factory.args, factory.keywords
        factory = factory.func
    path = _import_path(factory, where)
    try:
        encoded_args = [_encode(a, where, arrays) for a in args]
        encoded_kwargs = {str(k): _encode(v, where, arrays) for k, v in kwargs.items()}
    except TypeError as e:
        raise TypeError(
            f"save_model cannot store the encoder {path} of the {where}: the arguments of "
            f"its functools.partial must be data (numbers, strings, lists, tuples, dicts). {e}"
        ) from e
    return {"path": path, "args": encoded_args, "kwargs": encoded_kwargs}


def _import_path(obj, where):
    """``module.qualname`` of a class or function that importing that
    path gives back; a TypeError otherwise (lambdas, local classes)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not module or not qualname:
        raise TypeError(
            f"save_model cannot store the encoder {obj!r} of the {where} by import path: "
            "give a class or a function defined at the top level of a module (or a "
            "functools.partial of one)."
        )
    path = f"{module}.{qualname}"
    if "<lambda>" in qualname or "<locals>" in qualname or module == "__main__":
        raise TypeError(
            f"save_model cannot store the encoder {path} of the {where}: a "
            f"{'lambda' if '<lambda>' in qualname else 'class or function defined in __main__ or inside a function'} "
            "cannot be imported by path when the model is loaded. Define it at the top "
            "level of an importable module."
        )
    if _resolve(path) is not obj:
        raise TypeError(
            f"save_model cannot store the encoder {path} of the {where}: importing that "
            "path does not give back the same object."
        )
    return path


def _resolve(path):
    """Import ``module.qualname``, trying the longest module prefix first."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


# -- loading ---------------------------------------------------------------------
def load_model(path, *, trusted=None, device=None):
    """Load an OMIB estimator saved by :func:`save_model`, without running
    code from the file.

    The file is read as data only (JSON and safetensors); a file that is
    not an omib_sklearn model file (a pickle, a joblib file, anything else)
    raises a ValueError before anything in it is interpreted. The estimator
    is rebuilt from its parameters, its networks exactly as ``fit`` builds
    them, and its weights loaded.

    Parameters
    ----------
    path : str, path-like or binary file object
        The model file.
    trusted : list of str, default=None
        Import paths of the encoder factories (``encoders``) that may be
        imported to rebuild the networks, e.g. ``["mypackage.PixCNN"]``.
        A file whose encoders are not all trusted raises a ValueError that
        names them; importing a module runs its code, hence the opt-in.
    device : str, default=None
        Where the networks are placed. None: the ``device`` parameter of
        the saved estimator where that device is available, the CPU
        otherwise (with a warning; the parameter is kept, as with pickle).
        A device given here also becomes the ``device`` parameter.

    Returns
    -------
    estimator : OMIBClassifier, OMIBRegressor or OMIBAnomalyDetector
        The fitted estimator, whose predictions equal those of the saved one.

    Raises
    ------
    ValueError
        If the file is not an omib_sklearn model file, was written in a
        format version this release does not read, does not match the
        networks its parameters describe, or needs untrusted encoders.
    """
    import safetensors
    from safetensors.numpy import load as load_arrays
    from safetensors.torch import load as load_tensors

    from . import __version__

    meta, weight_bytes, array_bytes = _read_archive(path)
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"The model file has format version {version!r}; this omib_sklearn "
            f"({__version__}) reads format version {FORMAT_VERSION}. It was written by "
            f"omib_sklearn {meta.get('omib_sklearn_version', 'of unknown version')}: "
            "load it with a release that reads its format."
        )
    name = meta.get("estimator")
    if name not in ESTIMATORS:
        raise ValueError(
            f"The model file holds an estimator {name!r}; model files hold one of "
            f"{sorted(ESTIMATORS)}."
        )
    saved_version = meta.get("omib_sklearn_version")
    if saved_version != __version__:
        warnings.warn(
            f"The model file was written by omib_sklearn {saved_version}; this is "
            f"{__version__}. Check its predictions.",
            UserWarning, stacklevel=2,
        )
    try:
        arrays = load_arrays(array_bytes)
        state = load_tensors(weight_bytes)
    except (getattr(safetensors, "SafetensorError", ValueError), ValueError) as e:
        raise ValueError(f"The model file's tensors cannot be read: {e}") from e
    cls = ESTIMATORS[name]
    try:
        params = {
            k: _decode(v, arrays) for k, v in _expect(meta, "params", dict).items()
        }
        fitted = {
            k: _decode(v, arrays) for k, v in _expect(meta, "fitted", dict).items()
        }
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"The model file's meta.json is malformed: {e}") from e
    unknown = set(params) - set(cls().get_params(deep=False))
    if unknown:
        raise ValueError(
            f"The model file has parameters {sorted(unknown)} that {name} does not take."
        )
    params["encoders"] = _rebuild_factories(params.get("encoders"), trusted)
    estimator = cls().set_params(**params)
    estimator._validate_params()
    for key, value in fitted.items():
        if (not key.isidentifier() or key.startswith("__") or key in params
                or key in _REBUILT or hasattr(cls, key)):
            raise ValueError(f"The model file has a fitted attribute of invalid name {key!r}.")
        setattr(estimator, key, value)
    if device is not None:
        estimator.set_params(device=device)
    n_members = meta.get("n_members")
    if not isinstance(n_members, int) or isinstance(n_members, bool) or n_members < 1:
        raise ValueError(f"The model file's meta.json is malformed: n_members={n_members!r}.")
    _rebuild_net(estimator, state, n_members, _usable_device(estimator.device))
    return estimator


def _read_archive(path):
    """``(meta, weights, arrays)`` of a model file: the parsed meta.json and
    the bytes of the two safetensors members. Raises a ValueError for any
    file that is not one."""
    not_ours = (
        "is not an omib_sklearn model file (written by omib_sklearn.save_model); "
        "pickle and joblib files are loaded with pickle.load / joblib.load, which "
        "run code from the file: only load those from sources you trust."
    )
    where = "The file" if not isinstance(path, (str, os.PathLike)) else f"{os.fspath(path)!r}"
    try:
        with zipfile.ZipFile(path, "r") as archive:
            names = set(archive.namelist())
            if not {META, WEIGHTS, ARRAYS} <= names:
                raise ValueError(f"{where} {not_ours}")
            meta = json.loads(archive.read(META).decode("utf-8"), parse_constant=_no_constant)
            weights = archive.read(WEIGHTS)
            arrays = archive.read(ARRAYS)
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{where} {not_ours}") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ValueError(f"{where} {not_ours}")
    return meta, weights, arrays


def _no_constant(name):
    raise ValueError(f"meta.json holds {name}, which model files write as {{'__float__': ...}}")


def _expect(meta, key, kind):
    value = meta[key]
    if not isinstance(value, kind):
        raise TypeError(f"{key!r} must be a {kind.__name__}")
    return value


def _decode(value, arrays):
    """Inverse of :func:`_encode`; encoder factories stay records until
    :func:`_rebuild_factories`."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise TypeError(f"unexpected value {value!r}")
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["__dict__"]}
    if "__float__" in value:
        text = value["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise ValueError(f"unexpected float {text!r}")
        return float(text)
    if "__scalar__" in value:
        dtype = np.dtype(value["__scalar__"])
        if dtype.kind not in _NUMERIC_KINDS:
            raise ValueError(f"unexpected scalar type {dtype}")
        return dtype.type(_decode(value["value"], arrays))
    if "__ndarray__" in value:
        return arrays[value["__ndarray__"]]
    if "__array__" in value:
        spec = value["__array__"]
        dtype = np.dtype(spec["dtype"])
        if dtype.kind not in "UO":
            raise ValueError(f"unexpected array type {dtype}")
        data = [_decode(v, arrays) for v in spec["data"]]
        out = np.empty(len(data), dtype=dtype)
        out[:] = data if dtype.kind == "U" else _object_sequence(data)
        return out.reshape([int(s) for s in spec["shape"]])
    if "__random_state__" in value:
        state = tuple(_decode(v, arrays) for v in value["__random_state__"])
        if not state or state[0] != "MT19937":
            raise ValueError("unexpected random state")
        random_state = np.random.RandomState()
        random_state.set_state(state)
        return random_state
    if "__factory__" in value:
        record = value["__factory__"]
        return _FactoryRecord(
            str(record["path"]),
            tuple(_decode(a, arrays) for a in record["args"]),
            {str(k): _decode(v, arrays) for k, v in record["kwargs"].items()},
        )
    raise TypeError(f"unexpected value {value!r}")


def _object_sequence(data):
    """A 1-D object array of ``data`` (numpy would nest sequences)."""
    out = np.empty(len(data), dtype=object)
    for i, v in enumerate(data):
        out[i] = v
    return out


class _FactoryRecord:
    """An encoder factory as read from a file: its import path and the
    arguments of its functools.partial, not imported yet."""

    def __init__(self, path, args, kwargs):
        self.path, self.args, self.kwargs = path, args, kwargs


def _factory_records(encoders):
    if isinstance(encoders, dict):
        return [v for v in encoders.values() if isinstance(v, _FactoryRecord)]
    if isinstance(encoders, (list, tuple)):
        return [v for v in encoders if isinstance(v, _FactoryRecord)]
    return []


def _rebuild_factories(encoders, trusted):
    """The ``encoders`` parameter with each factory record imported, once
    all of their paths are in ``trusted``; a ValueError naming the others."""
    records = _factory_records(encoders)
    if not records:
        return encoders
    if isinstance(trusted, str):
        trusted = [trusted]
    trusted = set(trusted or ())
    untrusted = sorted({r.path for r in records} - trusted)
    if untrusted:
        raise ValueError(
            f"The model file's encoders are built by {untrusted}, which load_model would "
            "have to import (running their module's code). Pass "
            f"trusted={untrusted!r} to load_model if you trust them."
        )

    def build(record):
        if not isinstance(record, _FactoryRecord):
            return record
        factory = _resolve(record.path)
        if factory is None or not callable(factory):
            raise ValueError(f"The encoder {record.path} of the model file cannot be imported.")
        if record.args or record.kwargs:
            factory = functools.partial(factory, *record.args, **record.kwargs)
        return factory

    if isinstance(encoders, dict):
        return {k: build(v) for k, v in encoders.items()}
    return type(encoders)(build(v) for v in encoders)


def _usable_device(device):
    """``device`` where torch can use it, else ``"cpu"`` with a warning."""
    kind = torch.device(device).type
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None
        and torch.backends.mps.is_available(),
    }.get(kind)
    if available is None:
        try:
            torch.empty(0, device=device)
            available = True
        except (RuntimeError, AssertionError):
            available = False
    if available:
        return device
    warnings.warn(
        f"The model was fitted on device={device!r}, which is not available here: its "
        "networks are loaded on the CPU. Pass device= to load_model to choose.",
        UserWarning, stacklevel=3,
    )
    return "cpu"


def _rebuild_net(estimator, state, n_members, device):
    """The estimator's net and module, built as ``fit`` builds them, with
    the weights of ``state``; torch's global random state is left as it was
    (building initializes weights that are then overwritten)."""
    task = estimator._make_task()
    shapes = [s[0] if len(s) == 1 else tuple(s) for s in estimator.modality_shapes_]
    with torch.random.fork_rng(devices=[]):
        module = estimator._make_module(task, shapes, n_members)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ValueError(
            "The weights of the model file do not match the networks its parameters "
            f"describe: {e}"
        ) from e
    net = estimator._make_net(
        module, task, [("phase", PhaseRecorder())], None, 0, log=False, device=device
    )
    net.phase = Phase.MAIN
    estimator.net_ = net
    estimator.module_ = net.module_
