"""persistence/tuning.py and the SQLite settings keep Rasa's behaviour."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError

from persistence import tuning


def test_compiled_schema_accepts_and_rejects_like_rasa():
    import rasa.core.actions.action as rasa_actions

    tuning.compile_action_response_schema()
    action = rasa_actions.RemoteAction("action_answer_faq", None)
    good = {"events": [], "responses": [{"response": "utter_not_sure"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list", "responses": []})


def test_action_wait_is_bounded():
    import rasa.core.actions.action as rasa_actions

    tuning.limit_action_server_wait(3)
    assert rasa_actions.DEFAULT_REQUEST_TIMEOUT == 3


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


def _parse_with_fresh_agent(model: str, patched: bool) -> list:
    """Load the model in a fresh interpreter (the patch is process-wide)."""
    import json
    import subprocess
    import sys

    from tests.support.live import ROOT

    script = (
        "import asyncio, json, sys\n"
        "from rasa.core.agent import load_agent\n"
        "from rasa.utils.tensorflow.models import RasaModel\n"
        "import tensorflow as tf\n"
        "if sys.argv[2] == '1':\n"
        "    from persistence.tuning import load_models_without_tracing_training\n"
        "    load_models_without_tracing_training()\n"
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
    done = subprocess.run(
        [sys.executable, "-c", script, model, "1" if patched else "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, done.stderr[-3000:]
    return json.loads(line[0][len("RESULT ") :])


@pytest.mark.live
def test_fast_model_load_predicts_exactly_as_rasa_does():
    """Same intents, answers and confidences with and without the adjustment."""
    from tests.support.live import model_path

    model = str(model_path())
    assert _parse_with_fresh_agent(model, True) == _parse_with_fresh_agent(model, False)


def test_fast_model_load_replaces_rasas_load():
    from rasa.utils.tensorflow.models import RasaModel

    tuning.load_models_without_tracing_training()
    assert RasaModel.load.__func__ is tuning._load_without_tracing_training
    tuning.load_models_without_tracing_training()  # idempotent
    assert len(tuning._ORIGINAL_LOAD) == 1
