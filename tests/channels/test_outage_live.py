"""Every messaging channel while the conversation database is down.

One assistant with every channel on and its conversations in a throw-away
PostgreSQL. PostgreSQL is stopped: each channel must answer its provider as
usual (no 500 that makes the provider retry) and send the patient the clinic's
apology (clinic/replies.py) through the channel itself, never silence. Then
PostgreSQL comes back and the same patients get answers again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinic.replies import apology
from clinic.settings import load_settings
from tests.channels.conftest import ENV, channel_credentials
from tests.channels.fake_providers import FakeProviders
from tests.channels.test_channels_live import CHANNELS, FAQ, Patient, say
from tests.support.services import PG_MISSING, PostgresServer, find_pg_bin

pytestmark = pytest.mark.live

APOLOGY = apology(load_settings(environ={}))


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = find_pg_bin()
    assert bin_dir is not None, PG_MISSING
    server = PostgresServer(bin_dir).init()
    try:
        server.start()
        server.create_database("rasa")
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory, fake_api: FakeProviders, postgres: PostgresServer):
    from tests.support.live import LiveAssistant

    assistant = LiveAssistant(
        tmp_path_factory.mktemp("outage"),
        credentials=channel_credentials(fake_api.url),
        env=ENV,
        tracker_store=(
            "tracker_store:\n"
            "  type: persistence.redacting.RedactingSQLTrackerStore\n"
            "  dialect: postgresql\n"
            "  url: 127.0.0.1\n"
            f"  port: {postgres.port}\n"
            "  username: postgres\n"
            "  db: rasa\n"
        ),
    )
    try:
        assistant.start()
        yield assistant
    finally:
        assistant.stop()


def test_every_channel_apologises_while_the_database_is_down(
    on_postgres, fake_api: FakeProviders, postgres: PostgresServer
) -> None:
    patients = {channel: Patient(channel) for channel in CHANNELS}
    for patient in patients.values():
        first = say(on_postgres, fake_api, patient, "hello", lambda s: bool(s))
        assert APOLOGY not in [m.text for m in first]

    postgres.stop("fast")
    try:
        for channel, patient in patients.items():
            # say() also checks the provider got its usual 200.
            sent = say(
                on_postgres,
                fake_api,
                patient,
                "what is tens?",
                lambda s: any(m.text == APOLOGY for m in s),
            )
            assert [m.text for m in sent if m.text == APOLOGY], channel
    finally:
        postgres.start()

    for channel, patient in patients.items():
        sent = say(
            on_postgres,
            fake_api,
            patient,
            FAQ,
            lambda s: any("Sources:" in m.text for m in s),
        )
        assert all(m.text != APOLOGY for m in sent), channel
    rasa_log = (on_postgres.workdir / "rasa.log").read_text(errors="replace")
    assert "conversation store unavailable" in rasa_log
