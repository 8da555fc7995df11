"""Two adjustments to Rasa 3.6's custom-action calls, applied by the REST channel.

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
