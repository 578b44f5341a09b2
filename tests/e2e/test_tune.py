"""`jobmatch tune` end to end with a tiny real model and a tiny pair set: the folder and
its card are written, the model is registered as a shadow (never active), and each bad
input is one line and exit 2 with nothing written or registered."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schema.database import Connection
from schema.queries.applications import apply
from schema.queries.cvs import replace_active_cv
from schema.queries.feedback import record_feedback
from schema.queries.jobs import JobRecord, upsert_jobs
from schema.queries.models import list_models
from schema.queries.saved_jobs import save_job
from schema.queries.users import create_user
from server.cli.main import main
from tests.tiny_model import make_tiny_model
from workers.pipelines.tune_pairs import is_held_out

FIELDS = ("Data engineer", "Nurse", "Accountant", "Welder")
SKILLS = {
    "Data engineer": "Spark, Airflow, SQL pipelines",
    "Nurse": "patient care on a cardiology ward",
    "Accountant": "ledgers, VAT returns, audits",
    "Welder": "MIG and TIG welding of steel frames",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


def _job(n: int, field: str) -> JobRecord:
    return JobRecord(
        source="test",
        source_id=str(n),
        title=f"{field} {n}",
        company=f"Company {n}",
        location="Berlin",
        remote=False,
        salary_min=None,
        salary_max=None,
        salary_currency=None,
        tags=(),
        category=None,
        description=f"We are growing.\nRequirements:\n{SKILLS[field]}.\nBenefits:\nLunch.",
        url=f"https://jobs.example.com/{n}",
        posted_at=datetime.now(UTC) - timedelta(hours=n),
    )


def _seed(conn: Connection) -> None:
    """Eight jobs, two users who applied, saved and voted."""
    upsert_jobs(conn, [_job(n, FIELDS[n % 4]) for n in range(8)])
    ids = [int(str(r[0])) for r in conn.execute("SELECT id FROM jobs ORDER BY source_id")]
    for email, cv, liked, disliked in (
        ("ada@example.com", "Data engineer: Spark and Airflow.", ids[0], ids[1]),
        ("bo@example.com", "Nurse on a cardiology ward.", ids[1], ids[2]),
    ):
        user = create_user(conn, email)
        assert user is not None
        replace_active_cv(conn, user.id, cv)
        apply(conn, user.id, liked, "")
        save_job(conn, user.id, ids[4] if liked == ids[0] else ids[5])
        record_feedback(conn, user.id, disliked, "down", "not my field")


def _cv_texts(held_out: bool, count: int) -> list[str]:
    """`count` CV texts of one split (the split is decided by the text)."""
    texts = (f"{FIELDS[n % 4]} with {SKILLS[FIELDS[n % 4]]}, profile {n}." for n in range(500))
    return [t for t in texts if is_held_out(t) == held_out][:count]


def _write_set(path: Path, cvs: list[str]) -> Path:
    """A labelled set: each CV's own field graded 3, another field 0."""
    documents = [
        {"id": f"job-{n}", "title": f"{field} {n}", "description": SKILLS[field]}
        for n, field in enumerate(FIELDS * 2)
    ]
    queries = [{"id": f"cv-{n}", "text": text} for n, text in enumerate(cvs)]
    judgments = {
        f"cv-{n}": {
            d["id"]: (3 if d["title"].startswith(text.split(" with ")[0]) else 0) for d in documents
        }
        for n, text in enumerate(cvs)
    }
    payload = {
        "name": path.stem,
        "queries": queries,
        "documents": documents,
        "judgments": judgments,
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def _tune(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["tune", "--backend", "torch", "--batch-size", "4", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.usefixtures("cli_env")
def test_tune_writes_a_folder_and_card_and_registers_a_shadow_model(
    conn: Connection, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(conn)
    assert main(["embed", "--model", str(tiny), "--backend", "torch", "--json"]) == 0
    graded = _write_set(tmp_path / "graded.json", _cv_texts(False, 4) + _cv_texts(True, 4))
    scored = _write_set(tmp_path / "scored.json", _cv_texts(False, 3)[1:])
    out = tmp_path / "tuned"
    code, said, err = _tune(
        capsys,
        "--base",
        str(tiny),
        "--out",
        str(out),
        "--set",
        str(graded),
        "--eval-set",
        str(scored),
        "--json",
    )
    assert code == 0, err
    report = json.loads(said)

    assert (out / "modules.json").is_file()
    assert (out / "model.safetensors").exists()
    assert not list(tmp_path.glob(".tuned*"))  # no scratch folder left behind
    pairs = report["pairs"]
    # 2 users × 2 liked jobs; 8 jobs' requirements; of the 4 train CVs, 2 are also in the
    # eval set, so never trained on: 2 CVs × the 2 jobs of their field.
    assert (pairs["feedback"], pairs["graded"], pairs["sections"]) == (4, 4, 8)
    assert pairs["duplicate"] == 0
    assert pairs["with_hard_negative"] == 8
    assert report["steps"] > 0

    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"- base: `{tiny}`" in card
    assert "feedback 4, graded 4, duplicate 0, sections 8, with_hard_negative 8" in card
    assert f"{report['steps']} steps" in card
    facts = json.loads((out / "tune.json").read_text(encoding="utf-8"))
    roles = [(c["set_name"], c["role"], c["queries"]) for c in facts["comparisons"]]
    assert roles == [
        ("graded", "held-out split", 4),
        ("scored", "eval set, not trained on", 2),
    ]
    for comparison in facts["comparisons"]:
        assert all(0 <= share <= 1 for share in comparison["judged_at_10"])
        for metric in ("ndcg@10", "map"):
            low, high = (comparison["difference"][metric][k] for k in ("low", "high"))
            assert low <= comparison["difference"][metric]["mean"] <= high
            assert f"| {comparison['set_name']}, {comparison['role']} |" in card

    base, tuned = list_models(conn)
    assert (base.name, base.is_active) == (str(tiny), True)
    assert (tuned.name, tuned.is_active) == (str(out), False)
    assert report["shadow_set"]["jobs_embedded"] == 8
    assert report["shadow_set"]["activated"] is False


@pytest.mark.usefixtures("cli_env")
def test_on_an_empty_registry_the_tuned_model_stays_a_shadow(
    conn: Connection, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(conn)
    code, said, err = _tune(capsys, "--base", str(tiny), "--out", str(tmp_path / "t"))
    assert code == 0, err
    assert "registered as a shadow model (not active)" in " ".join(said.split())
    (tuned,) = list_models(conn)
    assert not tuned.is_active


def _refused(capsys: pytest.CaptureFixture[str], conn: Connection, out: Path, *args: str) -> str:
    code, _, err = _tune(capsys, "--out", str(out), *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*"))
    assert list_models(conn) == []
    return err


@pytest.mark.usefixtures("cli_env")
def test_bad_inputs_are_one_line_and_exit_2_with_nothing_written_or_registered(
    conn: Connection, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    not_a_model = tmp_path / "plain-folder"
    not_a_model.mkdir()
    (not_a_model / "notes.txt").write_text("hello", encoding="utf-8")
    base = ("--base", str(tiny))
    err = _refused(capsys, conn, out, "--base", str(not_a_model))
    assert "holds no sentence-transformers model" in err
    (not_a_model / "config.json").write_text("{}", encoding="utf-8")
    assert "not a sentence-transformers model folder" in _refused(
        capsys, conn, out, "--base", str(not_a_model)
    )
    assert "no training pairs" in _refused(capsys, conn, out, *base)  # empty database
    one_cv = _write_set(tmp_path / "one.json", _cv_texts(True, 1))
    assert "train split" in _refused(capsys, conn, out, *base, "--set", str(one_cv))
    assert "CPU only" in _refused(capsys, conn, out, *base, "--device", "cuda")
    assert "--fp16 needs a CUDA GPU" in _refused(capsys, conn, out, *base, "--fp16")


@pytest.mark.usefixtures("cli_env")
def test_a_disk_too_full_for_the_output_is_refused_before_training(
    conn: Connection, tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = tmp_path / "small-disk"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a 64 KB tmpfs here to fill a disk: {mounted.stderr!r}")
    try:
        _seed(conn)
        err = _refused(capsys, conn, small / "tuned", "--base", str(tiny))
        assert f"not enough free space at {small}" in err
    finally:
        subprocess.run(["umount", str(small)], check=True)
        shutil.rmtree(small, ignore_errors=True)
