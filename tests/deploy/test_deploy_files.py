"""The production recipe in deploy/, checked statically (Docker isn't needed).

The files parse; images are pinned to exact versions (never latest) that match
requirements.txt; the Helm chart's unsafe defaults are overridden; CORS is
never "*"; the configuration every file passes around is consistent.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)")
# name:tag with a version of at least major.minor, e.g. postgres:15.10, rasa/rasa:3.6.21-full
PINNED = re.compile(r"^[a-z0-9./_-]+:\d+\.\d+[\w.-]*$")
OUR_TRACKER_STORE = "persistence.redacting.RedactingSQLTrackerStore"
OUR_LOCK_STORE = "persistence.locks.ResilientRedisLockStore"
OUR_CHANNEL = "channels.rest.ResilientRestInput"


def load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def variables(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(VARIABLE.findall(value))
    if isinstance(value, dict):
        return set().union(set(), *(variables(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(variables(v) for v in value))
    return set()


def requirement(name: str) -> str:
    text = (ROOT / "requirements.txt").read_text()
    match = re.search(rf"^{re.escape(name)}(?:\[[^\]]*\])?==([\w.]+)", text, re.M)
    assert match, name
    return match.group(1)


def class_exists(path: str) -> bool:
    module, _, name = path.rpartition(".")
    return hasattr(importlib.import_module(module), name)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load("docker-compose.yml")


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return load("helm/values.yml")


@pytest.fixture(scope="module")
def endpoints() -> dict[str, Any]:
    return load("endpoints.production.yml")


# --- every file ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "docker-compose.yml",
        "endpoints.production.yml",
        "credentials.production.yml",
        "helm/values.yml",
    ],
)
def test_yaml_files_parse_to_mappings(name: str) -> None:
    assert isinstance(load(name), dict)


def test_nginx_conf_is_well_formed_and_exposes_only_the_chat() -> None:
    text = (DEPLOY / "nginx.conf").read_text()
    code = re.sub(r"#.*", "", text)
    assert code.count("{") == code.count("}")
    assert re.search(r"upstream rasa \{[^}]*rasa-1:5005[^}]*rasa-2:5005", code)
    assert "location = /webhooks/rest/webhook" in code
    assert "proxy_pass http://rasa;" in code
    assert "listen 443 ssl" in code
    # A POST must not be replayed on the other replica once it was sent.
    assert "non_idempotent" not in code
    assert re.search(r"location / \{\s*return 404;", code)


def dockerfile_bases(name: str) -> list[str]:
    text = (DEPLOY / name).read_text()
    return re.findall(r"^FROM\s+(\S+)", text, re.M)


def test_dockerfiles_are_pinned_to_the_required_versions() -> None:
    assert dockerfile_bases("Dockerfile.rasa") == [
        f"rasa/rasa:{requirement('rasa')}-full"
    ]
    assert dockerfile_bases("Dockerfile.actions") == [
        f"rasa/rasa-sdk:{requirement('rasa-sdk')}"
    ]
    for name in ("Dockerfile.rasa", "Dockerfile.actions"):
        text = (DEPLOY / name).read_text()
        for base in dockerfile_bases(name):
            assert PINNED.match(base), base
        for package in re.findall(r"pip install[^\n]*?\"([^\"]+)\"", text):
            assert "==" in package, f"{name}: unpinned {package}"
        instructions = re.sub(r"^\s*#.*$", "", text, flags=re.M)
        assert "--enable-api" not in instructions


# --- docker compose -------------------------------------------------------------------
def test_compose_has_the_single_host_topology(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        "nginx",
        "rasa-1",
        "rasa-2",
        "actions",
        "postgres",
        "redis",
    }
    # Only nginx is reachable from outside.
    assert [name for name, s in services.items() if s.get("ports")] == ["nginx"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    for name in ("rasa-1", "rasa-2", "actions"):
        dockerfile = services[name]["build"]["dockerfile"]
        assert (ROOT / dockerfile).is_file(), dockerfile


def test_compose_images_are_pinned(compose: dict[str, Any]) -> None:
    images = {name: s["image"] for name, s in compose["services"].items()}
    for name, image in images.items():
        assert PINNED.match(image), f"{name}: {image} is not pinned to a version"
        assert not image.endswith(":latest")
    assert re.match(r"nginx:1\.\d+\.\d+", images["nginx"])
    assert re.match(r"postgres:15\.\d+", images["postgres"])
    assert re.match(r"redis:7\.\d+\.\d+", images["redis"])


def test_compose_rasa_is_safe_and_configured(
    compose: dict[str, Any], endpoints: dict[str, Any]
) -> None:
    for name in ("rasa-1", "rasa-2"):
        rasa = compose["services"][name]
        command = rasa["command"]
        assert "--enable-api" not in command
        cors = command[command.index("--cors") + 1]
        assert "*" not in cors and cors.startswith("${CLINIC_SITE_ORIGIN:?")
        environment = rasa["environment"]
        assert environment["RASA_TELEMETRY_ENABLED"] == "false"
        # Every ${VAR} the production endpoints read is set.
        assert variables(endpoints) <= set(environment)
        # Secrets come from deploy/.env and must be set (":?"), never defaults.
        for secret in ("DB_PASSWORD", "REDIS_PASSWORD"):
            assert environment[secret].startswith("${" + secret + ":?")
    example = (DEPLOY / "env.example").read_text()
    origin = re.search(r"^CLINIC_SITE_ORIGIN=(.*)$", example, re.M)
    assert origin and origin.group(1).startswith("https://")


# --- production endpoints and credentials -------------------------------------------
def test_production_stores_are_postgres_and_redis(endpoints: dict[str, Any]) -> None:
    tracker, lock = endpoints["tracker_store"], endpoints["lock_store"]
    assert tracker["type"] == OUR_TRACKER_STORE and tracker["dialect"] == "postgresql"
    assert tracker["url"] == "${DB_HOST}" and tracker["password"] == "${DB_PASSWORD}"
    assert lock["type"] == OUR_LOCK_STORE and lock["url"] == "${REDIS_HOST}"
    assert endpoints["action_endpoint"]["url"] == "${ACTION_SERVER_URL}"
    assert class_exists(OUR_TRACKER_STORE) and class_exists(OUR_LOCK_STORE)
    credentials = load("credentials.production.yml")
    assert list(credentials)[0] == OUR_CHANNEL
    assert all(class_exists(channel) for channel in credentials)
    # The messaging channels are switched on by their variables, as in development.
    development = yaml.safe_load((ROOT / "credentials.yml").read_text())
    messaging = [c for c in development if variables(development[c])]
    assert messaging and set(messaging) <= set(credentials)


# --- Helm values ----------------------------------------------------------------------
def test_helm_overrides_the_charts_unsafe_defaults(values: dict[str, Any]) -> None:
    settings = values["applicationSettings"]
    assert settings["enableAPI"] is False  # chart default: true
    assert settings["token"] != "rasaToken"  # chart default token
    assert settings["cors"] and "*" not in settings["cors"]  # chart default: "*"
    assert settings["telemetry"]["enabled"] is False  # chart default: true
    assert settings["debugMode"] is False
    assert not settings["initialModel"]  # chart default: a demo model from GitHub
    assert values["postgresql"]["install"] is False  # bundled, password "password"
    assert values["global"]["postgresql"]["existingSecret"]
    assert values["global"]["postgresql"]["postgresqlPassword"] != "password"
    assert values["redis"]["install"] is False and values["redis"]["existingSecret"]
    assert values["nginx"]["enabled"] is False  # sidecar image nginx:1.20
    assert values["rabbitmq"]["install"] is False


def test_helm_images_are_pinned(values: dict[str, Any]) -> None:
    for image in (values["image"], values["rasa-action-server"]["image"]):
        tag = str(image["tag"])
        assert re.fullmatch(r"\d+\.\d+\.\d+[\w.-]*", tag), tag
        assert image["repository"]


def test_helm_scales_out_with_our_stores(
    values: dict[str, Any], endpoints: dict[str, Any]
) -> None:
    assert values["replicaCount"] >= 2
    assert values["rasa-action-server"]["install"] is True
    assert values["rasa-action-server"]["replicaCount"] >= 2
    store = values["applicationSettings"]["endpoints"]["trackerStore"]
    lock = values["applicationSettings"]["endpoints"]["lockStore"]
    assert store["enabled"] and lock["enabled"]
    # Same settings as deploy/endpoints.production.yml (which compose uses).
    for key, value in endpoints["tracker_store"].items():
        assert str(store[key]) == str(value), key
    for key, value in endpoints["lock_store"].items():
        assert str(lock[key]) == str(value), key
    channels = values["applicationSettings"]["credentials"]
    assert list(channels["additionalChannelCredentials"]) == [OUR_CHANNEL]
    assert values["ingress"]["path"] == "/webhooks/rest/"
    assert values["ingress"]["tls"]


def test_deployment_guide_covers_both_recipes() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    for needle in (
        "docker compose -f deploy/docker-compose.yml",
        "helm upgrade --install",
        "deploy/helm/values.yml",
        "applicationSettings.token",
        "python -m persistence.purge",
    ):
        assert needle in guide, needle


def test_retention_cronjob_uses_the_deployed_image(values: dict[str, Any]) -> None:
    job = load("helm/purge-cronjob.yml")
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    image = values["image"]
    assert container["image"] == f"{image['repository']}:{image['tag']}"
    assert container["command"][:3] == ["python", "-m", "persistence.purge"]
    assert "--days" in container["command"]
    assert (
        "COPY persistence /app/persistence" in (DEPLOY / "Dockerfile.rasa").read_text()
    )


def test_action_server_calls_carry_the_token_everywhere(
    endpoints: dict[str, Any], compose: dict[str, Any], values: dict[str, Any]
) -> None:
    headers = endpoints["action_endpoint"]["headers"]
    assert headers == {"X-Action-Token": "${ACTION_SERVER_TOKEN}"}
    assert "ACTION_SERVER_TOKEN" in compose["services"]["actions"]["environment"]
    for service in ("rasa-1", "rasa-2"):
        assert "ACTION_SERVER_TOKEN" in compose["services"][service]["environment"]
    names = {e["name"] for e in values["extraEnv"]}
    assert "ACTION_SERVER_TOKEN" in names
    action_env = {e["name"] for e in values["rasa-action-server"]["extraEnv"]}
    assert "ACTION_SERVER_TOKEN" in action_env
    dockerfile = (DEPLOY / "Dockerfile.actions").read_text()
    assert 'ENTRYPOINT ["python", "-m", "actions"]' in dockerfile
