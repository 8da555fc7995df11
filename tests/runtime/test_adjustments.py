"""runtime/adjustments.py and the SQLite settings keep Rasa's behaviour."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import rasa
from jsonschema import ValidationError

from runtime import adjustments
from runtime.adjustments import ADJUSTMENTS, Adjustment, AdjustmentError, check

BY_NAME = {adjustment.name: adjustment for adjustment in ADJUSTMENTS}


def applied(name: str, monkeypatch: pytest.MonkeyPatch, timeout: float = 3) -> Any:
    """Apply one adjustment for this test only (monkeypatch restores Rasa)."""
    adjustment = BY_NAME[name]
    owner, original = check(adjustment, rasa.__version__)
    monkeypatch.setattr(owner, adjustment.attribute.split(".")[-1], original)
    adjustment.apply(owner, original, timeout)
    return owner


def test_every_adjustment_fits_the_installed_rasa() -> None:
    assert rasa.__version__.startswith(adjustments.SUPPORTED_RASA)
    for adjustment in ADJUSTMENTS:
        check(adjustment, rasa.__version__)


def test_another_rasa_release_is_refused() -> None:
    for adjustment in ADJUSTMENTS:
        with pytest.raises(AdjustmentError, match="written for Rasa 3.6"):
            check(adjustment, "3.7.0")


def test_a_vanished_name_is_refused() -> None:
    gone = Adjustment("gone", "rasa.core.run", "configure_the_app", lambda *a: None)
    with pytest.raises(AdjustmentError, match="is gone"):
        check(gone, rasa.__version__)
    moved = Adjustment("moved", "rasa.core.no_such_module", "x", lambda *a: None)
    with pytest.raises(AdjustmentError):
        check(moved, rasa.__version__)


def test_apply_all_refuses_before_changing_anything(monkeypatch) -> None:
    import rasa.core.actions.action as rasa_actions

    before = rasa_actions.DEFAULT_REQUEST_TIMEOUT
    monkeypatch.setattr(adjustments, "_APPLIED", [])
    with pytest.raises(AdjustmentError):
        adjustments.apply_all(3, version="3.7.0")
    assert before == rasa_actions.DEFAULT_REQUEST_TIMEOUT
    assert adjustments._APPLIED == []


def _remote_action_timeout() -> tuple[float, dict]:
    """The timeout RemoteAction.run passes to the action endpoint."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    seen: dict = {}

    class Endpoint(EndpointConfig):
        async def request(self, *args: Any, **kwargs: Any) -> Any:
            seen.update(kwargs)
            return {"events": [], "responses": []}

    action = RemoteAction("action_answer_faq", Endpoint("http://127.0.0.1:1"))
    tracker = DialogueStateTracker("s", [])
    asyncio.run(action.run(CollectingOutputChannel(), None, tracker, Domain.empty()))
    return seen["timeout"], seen


def test_action_server_wait_reaches_rasas_call(monkeypatch) -> None:
    assert _remote_action_timeout()[0] == 300  # Rasa's own five minutes
    applied("action_server_wait", monkeypatch, timeout=7)
    assert _remote_action_timeout()[0] == 7


def test_compiled_schema_stops_rechecking_the_schema(monkeypatch) -> None:
    import jsonschema
    import rasa.core.actions.action as rasa_actions

    calls = []
    real_validate = jsonschema.validate

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(jsonschema, "validate", counting_validate)
    action = rasa_actions.RemoteAction("action_answer_faq", None)
    good = {"events": [], "responses": [{"response": "utter_not_sure"}]}
    assert action._validate_action_result(good) is True
    assert len(calls) == 1  # Rasa: jsonschema.validate, schema check included
    applied("compiled_action_schema", monkeypatch)
    for _ in range(3):
        assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list", "responses": []})
    assert len(calls) == 1  # the compiled validator instead


def test_strict_tracker_store_keeps_failures_visible(tmp_path, monkeypatch) -> None:
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    from persistence.redacting import RedactingSQLTrackerStore

    ours = RedactingSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "c.db"))
    domain = Domain.empty()
    assert isinstance(Agent._create_tracker_store(ours, domain), FailSafeTrackerStore)
    applied("strict_tracker_store", monkeypatch)
    assert Agent._create_tracker_store(ours, domain) is ours
    assert ours.domain is domain
    # Stores that don't report failures keep Rasa's wrapper.
    other = Agent._create_tracker_store(InMemoryTrackerStore(domain), domain)
    assert isinstance(other, FailSafeTrackerStore)
    agent = Agent(domain=domain, tracker_store=ours)
    assert agent.tracker_store is ours


def test_server_hooks_reach_the_app_whatever_the_channels(monkeypatch) -> None:
    """The listeners and /ready go on the app Rasa builds, with no channel at all.

    (What they do on a running server: tests/live/test_hardening_live.py and
    tests/live/test_security_live.py, which start it through `python -m runtime`.)
    """
    import rasa.core.run as rasa_run
    from sanic import Sanic

    from channels.guard import remember_payloads
    from runtime import http_limits, readiness

    registered: list = []
    real_register = Sanic.register_listener

    def spy(app: Any, listener: Any, event: str) -> Any:
        registered.append((listener, event))
        return real_register(app, listener, event)

    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process
    monkeypatch.setattr(Sanic, "register_listener", spy)
    plain = rasa_run.configure_app(input_channels=[], enable_api=False)
    assert (http_limits.apply_limits, "before_server_start") not in registered
    assert adjustments.READY_PATH.strip("/") not in {
        route.path for route in plain.router.routes
    }
    applied("server_hooks", monkeypatch)
    app = rasa_run.configure_app(input_channels=[], enable_api=False)
    assert (http_limits.apply_limits, "before_server_start") in registered
    assert (readiness.warm_up, "after_server_start") in registered
    assert (remember_payloads, "after_server_start") in registered
    paths = {route.path for route in app.router.routes}
    assert adjustments.READY_PATH.strip("/") in paths, paths


def test_embedded_store_uses_the_write_ahead_log(tmp_path):
    from persistence.redacting import RedactingSQLTrackerStore

    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "c.db"))
    with store.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"


MESSAGES = [
    "hello",
    "how long does pt take to work",
    "what is tens",
    "my face is drooping",
]


def _parse_with_fresh_agent(model: str, patched: bool) -> Any:
    """Load the model in a fresh interpreter (the patch is process-wide); started,
    not awaited: `_result` reads what it parsed."""
    import subprocess
    import sys

    from tests.support.live import ROOT

    script = (
        "import asyncio, json, sys\n"
        "from rasa.core.agent import load_agent\n"
        "from rasa.utils.tensorflow.models import RasaModel\n"
        "import tensorflow as tf\n"
        "if sys.argv[2] == '1':\n"
        "    from rasa.utils.tensorflow.models import RasaModel as M\n"
        "    from runtime.adjustments import load_without_tracing_training as f\n"
        "    M.load = classmethod(f)\n"
        "async def main():\n"
        "    agent = await load_agent(model_path=sys.argv[1])\n"
        "    out = []\n"
        f"    for text in {MESSAGES!r}:\n"
        "        p = await agent.parse_message(text)\n"
        "        sel = (p.get('response_selector') or {}).get('faq') or {}\n"
        "        out.append([p['intent']['name'], round(p['intent']['confidence'], 4),\n"
        "                    (sel.get('response') or {}).get('intent_response_key'),\n"
        "                    round((sel.get('response') or {}).get('confidence', 0), 4)])\n"
        "    print('RESULT', json.dumps(out))\n"
        "asyncio.run(main())\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script, model, "1" if patched else "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: Any) -> list:
    out, err = process.communicate(timeout=600)
    line = [x for x in out.splitlines() if x.startswith("RESULT ")]
    assert line, err[-3000:]
    return json.loads(line[0][len("RESULT ") :])


@pytest.mark.live
def test_fast_model_load_predicts_exactly_as_rasa_does():
    """Same intents, answers and confidences with and without the adjustment."""
    from tests.support.live import model_path

    model = str(model_path())
    # Both interpreters at once: each spends ~14 s loading the model.
    patched, plain = (_parse_with_fresh_agent(model, p) for p in (True, False))
    assert _result(patched) == _result(plain)


def test_eager_model_load_replaces_rasas_load(monkeypatch) -> None:
    from rasa.utils.tensorflow.models import RasaModel

    applied("eager_model_load", monkeypatch)
    assert RasaModel.load.__func__ is adjustments.load_without_tracing_training
