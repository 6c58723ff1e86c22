from conftest import git, run_farm


def test_init_creates_the_farm_layout(repo):
    result = run_farm("init")
    assert result.code == 0, result.err
    for path in ("corrections/log/.gitkeep", "templates/README.md", "mkdocs.yml", "farm.toml", ".gitignore"):
        assert (repo / path).exists(), path
    assert "record_sessions = true" in (repo / "farm.toml").read_text()
    assert "/site/" in (repo / ".gitignore").read_text().splitlines()


def test_init_twice_changes_nothing(repo):
    run_farm("init")
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    second = run_farm("init", "--json")
    assert second.code == 0
    assert second.json()["created"] == [] and second.json()["changed"] == []
    after = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert before == after


def test_init_uses_pyproject_when_present_and_keeps_its_text(repo):
    original = '[project]\nname = "demo"\n'
    (repo / "pyproject.toml").write_text(original)
    (repo / ".gitignore").write_text("node_modules/")
    assert run_farm("init").code == 0
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith(original) and "[tool.farm]" in text
    assert not (repo / "farm.toml").exists()
    assert (repo / ".gitignore").read_text().startswith("node_modules/\n")
    run_farm("init")
    assert (repo / "pyproject.toml").read_text() == text


def test_init_outside_git_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_farm("init")
    assert result.code == 2
    assert result.err.strip().count("\n") == 0
    assert "not inside a git repository" in result.err
    assert "Traceback" not in result.err


def test_commands_need_a_farm(repo):
    result = run_farm("status")
    assert result.code == 2 and "farm init" in result.err


def test_help_lists_every_command():
    result = run_farm("--help")
    assert result.code == 0
    for name in ("init", "capture", "match", "check", "status", "reindex"):
        assert name in result.out
    assert run_farm("capture", "--help").code == 0


def test_init_is_not_committed_by_farm(repo):
    run_farm("init")
    assert git(repo, "log", "--oneline").count("\n") == 1
