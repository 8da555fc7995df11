"""Every change this project makes to Rasa's own code, in one place.

Applied once, by `python -m runtime` (runtime/__main__.py) before Rasa's
command line starts, whatever channels are configured. Each adjustment names
the Rasa attribute it replaces and is refused, loudly, when the installed Rasa
is not the release it was written for or the attribute is gone: an upgrade
must fail at start, not turn a patch into a silent no-op.

| adjustment | replaces | why |
|---|---|---|
| action_server_wait | rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT | Rasa waits 5 minutes for the action server and has no setting; clinic.yml's action_timeout_seconds bounds it, then the channel answers without the actions |
| compiled_action_schema | RemoteAction._validate_action_result | Rasa re-checks the JSON schema itself on every action reply (about a tenth of the server's CPU per message); the schema is compiled once |
| eager_model_load | RasaModel.load | loading a model traced TensorFlow's training graph (seconds of start-up, hundreds of MB); the weights are built eagerly instead |
| strict_tracker_store | Agent._create_tracker_store | Rasa wraps every tracker store in FailSafeTrackerStore, which turns a failed read into a blank conversation; stores that report failures themselves (reports_failures = True) are used as they are |
| server_hooks | rasa.core.run.configure_app | HTTP limits and the root route (runtime/http_limits.py), the warm-up, the button payloads and GET /webhooks/rest/ready, on the app whatever the channels |
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for

logger = logging.getLogger(__name__)

SUPPORTED_RASA = "3.6."
# What `make run` and the deployments poll (the REST channel's prefix, as before).
READY_PATH = "/webhooks/rest/ready"


class AdjustmentError(RuntimeError):
    """The installed Rasa is not the one an adjustment was written for."""


@dataclass(frozen=True)
class Adjustment:
    name: str
    module: str
    attribute: str  # "Class.method" or a module-level name
    apply: Callable[[Any, Any, float], None]  # (owner, original, timeout)


def _owner_of(module: str, attribute: str) -> tuple[Any, str]:
    owner: Any = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name


def check(adjustment: Adjustment, version: str) -> tuple[Any, Any]:
    """(owner, original) of the attribute, or AdjustmentError."""
    if not version.startswith(SUPPORTED_RASA):
        raise AdjustmentError(
            f"{adjustment.name}: written for Rasa {SUPPORTED_RASA}x, found {version}"
        )
    try:
        owner, name = _owner_of(adjustment.module, adjustment.attribute)
    except (ImportError, AttributeError) as error:
        raise AdjustmentError(f"{adjustment.name}: {error}") from error
    if name not in vars(owner):
        raise AdjustmentError(
            f"{adjustment.name}: {adjustment.module}.{adjustment.attribute} is gone"
        )
    return owner, vars(owner)[name]


# --- action_server_wait ------------------------------------------------------


def _limit_action_server_wait(owner: Any, original: Any, timeout: float) -> None:
    owner.DEFAULT_REQUEST_TIMEOUT = timeout


# --- compiled_action_schema --------------------------------------------------


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the schema compiled once."""
    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure "
            "your response from the Action endpoint is valid."
        )
        raise error


def _compile_action_schema(owner: Any, original: Any, timeout: float) -> None:
    owner._validate_action_result = validate_action_result


# --- eager_model_load --------------------------------------------------------


def load_without_tracing_training(
    cls: Any,
    model_file_name: str,
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


def _load_eagerly(owner: Any, original: Any, timeout: float) -> None:
    owner.load = classmethod(load_without_tracing_training)


# --- strict_tracker_store ----------------------------------------------------


def _strict_tracker_store(owner: Any, original: Any, timeout: float) -> None:
    wrap = original.__func__

    def create_tracker_store(store: Any, domain: Any) -> Any:
        if getattr(store, "reports_failures", False):
            store.domain = domain
            return store
        return wrap(store, domain)

    owner._create_tracker_store = staticmethod(create_tracker_store)


# --- server_hooks --------------------------------------------------------------


def _hook_server(owner: Any, original: Any, timeout: float) -> None:
    def configure_app(*args: Any, **kwargs: Any) -> Any:
        from channels.guard import remember_payloads
        from runtime import http_limits, readiness

        readiness.mark("imports")
        app = original(*args, **kwargs)
        app.register_listener(http_limits.apply_limits, "before_server_start")
        # Trace the model's graphs before the first patient, and log the split.
        app.register_listener(readiness.warm_up, "after_server_start")
        # The served model's button payloads, for every channel's guard.
        app.register_listener(remember_payloads, "after_server_start")
        app.add_route(readiness.ready, READY_PATH, methods=["GET"], name="ready")
        return app

    owner.configure_app = configure_app


ADJUSTMENTS = (
    Adjustment(
        "action_server_wait",
        "rasa.core.actions.action",
        "DEFAULT_REQUEST_TIMEOUT",
        _limit_action_server_wait,
    ),
    Adjustment(
        "compiled_action_schema",
        "rasa.core.actions.action",
        "RemoteAction._validate_action_result",
        _compile_action_schema,
    ),
    Adjustment(
        "eager_model_load",
        "rasa.utils.tensorflow.models",
        "RasaModel.load",
        _load_eagerly,
    ),
    Adjustment(
        "strict_tracker_store",
        "rasa.core.agent",
        "Agent._create_tracker_store",
        _strict_tracker_store,
    ),
    Adjustment("server_hooks", "rasa.core.run", "configure_app", _hook_server),
)

_APPLIED: list[str] = []


def apply_all(action_timeout_seconds: float, version: str = "") -> list[str]:
    """Check every adjustment, then apply them all (once per process)."""
    if _APPLIED:
        return list(_APPLIED)
    if not version:
        import rasa

        version = rasa.__version__
    checked = [(adjustment, check(adjustment, version)) for adjustment in ADJUSTMENTS]
    for adjustment, (owner, original) in checked:
        adjustment.apply(owner, original, action_timeout_seconds)
        _APPLIED.append(adjustment.name)
    logger.info("Rasa %s adjusted: %s", version, ", ".join(_APPLIED))
    return list(_APPLIED)
