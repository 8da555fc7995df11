"""Only this project's models, trained with Rasa 3.6.21, are served."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from scripts import check_model


def model_archive(path, version="3.6.21"):
    data = json.dumps({"rasa_open_source_version": version}).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def models(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setattr(check_model, "MODELS", folder)
    return folder


def test_a_model_of_ours_is_accepted(models):
    assert check_model.check(model_archive(models / "m.tar.gz")) == ""


def test_an_older_rasa_model_is_refused(models):
    error = check_model.check(model_archive(models / "old.tar.gz", "3.6.20"))
    assert "3.6.20" in error


def test_a_model_from_elsewhere_is_refused(models, tmp_path):
    error = check_model.check(model_archive(tmp_path / "downloaded.tar.gz"))
    assert "not inside" in error


def test_a_path_escaping_models_is_refused(models):
    model_archive(models.parent / "evil.tar.gz")
    assert "not inside" in check_model.check(models / ".." / "evil.tar.gz")


def test_something_that_is_not_a_model_is_refused(models):
    junk = models / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    assert "not a Rasa model" in check_model.check(junk)
