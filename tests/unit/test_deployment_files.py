"""docker-compose.yml, the Dockerfile and .ci/run say what the README promises.

No Docker engine runs here, so the compose file is parsed and checked instead of started.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_has_the_four_services_with_their_images_and_commands() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", "migrate", "api", "worker"}
    assert services["db"]["image"] == "pgvector/pgvector:pg17"
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    app_images = {services[name]["image"] for name in ("migrate", "api", "worker")}
    assert app_images == {"jobmatch:latest"}, "api, worker and migrate share one image"
    assert services["migrate"]["build"] == "."
    assert services["migrate"]["command"] == ["jobmatch", "migrate"]
    assert services["api"]["command"][:2] == ["jobmatch", "serve"]
    assert services["worker"]["command"] == ["jobmatch", "worker"]


def test_compose_orders_startup_db_then_migrate_then_api_and_worker() -> None:
    services = _compose()["services"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert services["migrate"]["restart"] == "no"


def test_worker_stops_with_sigint_and_a_grace_period() -> None:
    worker = _compose()["services"]["worker"]
    assert worker["stop_signal"] == "SIGINT"
    assert re.fullmatch(r"\d+[sm]", worker["stop_grace_period"])


def test_every_app_service_gets_the_database_url_of_the_db_service() -> None:
    services = _compose()["services"]
    for name in ("migrate", "api", "worker"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert "@db:5432/" in url


def test_dockerfile_installs_the_cpu_torch_and_the_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in dockerfile
    assert re.search(r"pip install \.", dockerfile)
    assert 'CMD ["jobmatch", "serve"' in dockerfile


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert "make run" in readme
    assert ci.strip().splitlines()[-1] == "exec make test"
