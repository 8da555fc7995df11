"""Trained models kept in the Rasa model archive, for the trainable components."""

from __future__ import annotations

import pickle
from typing import Any, Text

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def save_models(
    model_storage: ModelStorage, resource: Resource, file_name: Text, models: Any
) -> Resource:
    """Write a component's trained models into its part of the archive."""
    with model_storage.write_to(resource) as directory:
        (directory / file_name).write_bytes(pickle.dumps(models))
    return resource


def load_models(
    model_storage: ModelStorage, resource: Resource, file_name: Text
) -> Any:
    """What save_models wrote: the archive's own file, from `rasa train`."""
    with model_storage.read_from(resource) as directory:
        return pickle.loads((directory / file_name).read_bytes())  # noqa: S301
