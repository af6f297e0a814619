"""The two training phases of OMIB."""

from enum import Enum


class Phase(str, Enum):
    """A training phase: the warm-up (encoders and task-relevance heads) or
    the main phase (the whole network).

    A ``str`` enum: ``Phase.MAIN == "main"``, and the phases hash as their
    names, so that dictionaries keyed by ``"warmup"`` and ``"main"`` (the
    estimators' ``history_``, ``best_epochs_``, ``n_epochs_``) are read with
    either. The history records the plain strings (``phase.value``).
    """

    WARMUP = "warmup"
    MAIN = "main"

    def __str__(self):
        return self.value
