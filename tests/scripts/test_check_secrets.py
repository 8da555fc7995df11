"""The repository secret check finds planted secrets and passes on the repo."""

from __future__ import annotations

from scripts import check_secrets


def test_the_repository_has_no_secret():
    assert check_secrets.scan(check_secrets.tracked_files()) == []


def test_planted_secrets_are_found(tmp_path, monkeypatch):
    monkeypatch.setattr(check_secrets, "ROOT", tmp_path)
    config = tmp_path / "credentials.yml"
    slack = "xox" + "b-1234567890-abcdefghij"  # split so this file stays clean
    config.write_text(
        f"slack:\n  slack_token: {slack}\n"
        "twilio:\n  auth_token: 9f8e7d6c5b4a39281706f5e4d3c2b1a0\n"
        "ok:\n  auth_token: ${TWILIO_AUTH_TOKEN}\n"
    )
    found = check_secrets.scan([config])
    assert any("Slack token" in f for f in found)
    assert any("literal auth_token" in f and ":4:" in f for f in found)
    assert not any(":6:" in f for f in found)
