"""Adjustments to Rasa 3.6, applied by the REST channel when the server starts.

- Rasa waits up to 5 minutes for the action server and has no setting for it;
  the clinic setting action_timeout_seconds bounds the wait, after which the
  channel answers without the actions (channels/fallback.py).
- Rasa checks every action server reply with `jsonschema.validate`, which
  re-checks the schema itself on every call (about a tenth of the server's CPU
  per message here). The same schema is compiled once and used the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

import rasa.core.actions.action as rasa_actions
from jsonschema import ValidationError
from jsonschema.validators import validator_for


def limit_action_server_wait(seconds: float) -> None:
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = seconds


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    schema = rasa_actions.RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure "
            "your response from the Action endpoint is valid."
        )
        raise error


def compile_action_response_schema() -> None:
    rasa_actions.RemoteAction._validate_action_result = _validate_action_result


def _load_without_tracing_training(
    cls: Any,
    model_file_name: Text,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """RasaModel.load, with the weight-building step run eagerly."""
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    config = kwargs.get("config", {})
    model = cls(*args, **kwargs)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
        run_eagerly=True,
    )
    model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
    model.load_weights(model_file_name)
    model.run_eagerly = bool(config.get(RUN_EAGERLY))
    if not finetune_mode and predict_data_example:
        model.run_inference(predict_data_example)
    return model


def load_models_without_tracing_training() -> None:
    from rasa.utils.tensorflow.models import RasaModel

    if _ORIGINAL_LOAD:
        return
    _ORIGINAL_LOAD.append(RasaModel.load)
    RasaModel.load = classmethod(_load_without_tracing_training)


_ORIGINAL_LOAD: list = []
