"""Every test runs in a temp HOME/FARM_HOME with real git repos; never the developer's own."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner


PROJECT = Path(__file__).resolve().parents[1]


def _project_farm_state() -> tuple:
    """What a farm command run here by mistake would change in farm's own checkout."""
    corrections = PROJECT / "corrections"
    listed = sorted(p.name for p in corrections.rglob("*")) if corrections.is_dir() else []
    return listed, (PROJECT / ".farm").exists(), (PROJECT / "AGENTS.md").read_bytes() if (PROJECT / "AGENTS.md").exists() else b""


@pytest.fixture(autouse=True, scope="session")
def project_checkout_untouched():
    """A test that runs farm in this checkout instead of a temp repo fails the run."""
    before = _project_farm_state()
    yield
    assert _project_farm_state() == before, "a test ran farm in farm's own checkout (check its cwd)"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("HOME", "."), ("FARM_HOME", "farm-home"), ("CLAUDE_CONFIG_DIR", ".claude"),
        ("CODEX_HOME", ".codex"), ("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables fit a terminal only when asked to
    monkeypatch.setenv("VISUAL", "true")
    return home


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A git repo with one commit, as the current directory."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# demo\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "first")
    monkeypatch.chdir(path)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_farm(*args: str, input: str | None = None) -> Result:
    """farm's real entry point (argument parsing, error handling) in-process."""
    from farm.cli import run

    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        code = run(list(args))
    return Result(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def farm(repo) -> Path:
    """A repo made a farm, with the init committed."""
    assert run_farm("init").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "farm init")
    return repo


def capture(*extra: str, title="Draft drops the stated takeaway", what="The rewrite turned the point into a generic lesson.",
            rule="A draft must keep the stated takeaway.", kind="prompt") -> Result:
    return run_farm("capture", "--title", title, "--what", what, "--rule", rule, "--kind", kind, "--yes", "--json", *extra)
