"""The admin and research page: task runs, row counts, models, the last evaluation.

Admins only (`users.is_admin`; `jobmatch users add EMAIL --admin`). The data comes from
the queries behind `GET /api/v1/admin/status` and `jobmatch models list`; the report and
chart are the newest ones `jobmatch eval` wrote under `JOBMATCH_HOME/eval/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Controller, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import File, Template

from schema.database import Connection
from schema.queries.model_sets import coverage
from schema.queries.models import list_models
from schema.queries.runs import recent_runs
from schema.queries.status import table_row_counts
from server.routes.common import Db
from server.web.auth import Person, require_admin_person
from server.web.common import page
from workers.settings import Settings

RUNS_SHOWN = 30


def latest_report(home: Path) -> Path | None:
    """The newest `report.json` under `home/eval/`, or None."""
    reports = sorted((home / "eval").glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    return reports[-1] if reports else None


def _report_context(home: Path) -> dict[str, Any] | None:
    """The report's set, systems and metrics as the page's table shows them."""
    path = latest_report(home)
    if path is None:
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"error": f"{path} could not be read"}
    return {
        "path": str(path),
        "generated_at": report.get("generated_at", ""),
        "set": report.get("labelled_set", {}),
        "metrics": report.get("metrics", []),
        "systems": report.get("systems", []),
        "has_chart": (path.parent / "chart.png").exists(),
    }


def _status(db: Connection) -> dict[str, Any]:
    covered = coverage(db)
    return {
        "runs": recent_runs(db, RUNS_SHOWN),
        "counts": table_row_counts(db),
        "models": [(model, covered.get(model.id)) for model in list_models(db)],
    }


class AdminPageController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/", name="admin")
    async def admin_page(self, db: Db, state: State, person: Person) -> Template:
        require_admin_person(person)
        settings: Settings = state.settings
        status = await anyio.to_thread.run_sync(_status, db)
        report = await anyio.to_thread.run_sync(_report_context, settings.home)
        return page("admin.html", person=person, active="admin", report=report, **status)

    @get("/eval-chart.png", name="eval_chart")
    async def eval_chart(self, state: State, person: Person) -> File:
        require_admin_person(person)
        settings: Settings = state.settings
        report = latest_report(settings.home)
        chart = report.parent / "chart.png" if report is not None else None
        if chart is None or not chart.exists():
            raise NotFoundException("no evaluation chart yet: run `jobmatch eval`")
        return File(chart, media_type="image/png", content_disposition_type="inline")
