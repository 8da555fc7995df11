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
