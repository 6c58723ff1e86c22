import os

from conftest import capture, run_farm

from farm.index import index_path
from farm.project import open_farm


def test_refresh_reads_only_changed_files_and_drops_removed_ones(farm):
    ids = [capture("--new", title=f"miss number {n}", what=f"thing {n} broke").json()["id"] for n in range(3)]
    f = open_farm(farm)
    with f.index() as (index, report):
        assert len(index.corrections()) == 3
    with f.index() as (_, report):
        assert report.parsed == 0  # nothing changed
    path = farm / "corrections" / f"{ids[0]}.md"
    path.write_text(path.read_text().replace("title: miss number 0", "title: renamed by hand"))
    os.utime(path, ns=(1, 1))
    (farm / "corrections" / f"{ids[1]}.md").unlink()
    with f.index() as (index, report):
        assert report.parsed == 1 and report.removed == 1
        titles = {c.title for c in index.corrections()}
    assert "renamed by hand" in titles and "miss number 1" not in titles


def test_schema_change_rebuilds(farm, monkeypatch):
    capture()
    f = open_farm(farm)
    with f.index():
        pass
    import farm.index as index_module

    monkeypatch.setattr(index_module, "SCHEMA_VERSION", "999")
    with f.index() as (index, report):
        assert report.parsed >= 2 and len(index.corrections()) == 1
    assert index_path(farm).exists()


def test_reindex_matches_status(farm):
    capture()
    (farm / "corrections" / "log" / "junk.json").write_text("[1, 2]")
    result = run_farm("reindex", "--json")
    assert result.code == 0
    data = result.json()
    assert data["corrections"] == 1 and data["events"] == 1
    assert any("junk.json" in e for e in data["errors"])


def test_duplicate_id_in_two_files_is_named(farm):
    data = capture().json()
    source = farm / "corrections" / f"{data['id']}.md"
    (farm / "corrections" / "copy.md").write_text(source.read_text())
    result = run_farm("status", "--json")
    assert result.code == 0 and "corrections/copy.md" in result.err
    assert len(result.json()["corrections"]) == 1


def test_log_folders_added_and_removed_are_seen(farm):
    import json
    import shutil

    data = capture().json()
    f = open_farm(farm)
    with f.index() as (index, _):
        assert len(index.events()) == 1
    old = farm / "corrections" / "log" / "2020-01"
    old.mkdir(parents=True)
    (old / "e1.json").write_text(json.dumps({"type": "catch", "correction": data["id"], "at": "2020-01-02T00:00:00Z"}))
    with f.index() as (index, report):
        assert report.parsed == 1 and len(index.events()) == 2
    (old / "e2.json").write_text(json.dumps({"type": "catch", "correction": data["id"], "at": "2020-01-03T00:00:00Z"}))
    with f.index() as (index, report):
        assert report.parsed == 1 and len(index.events()) == 3
    shutil.rmtree(old)
    with f.index() as (index, report):
        assert report.removed == 2 and len(index.events()) == 1


def test_the_sqlite3_columns_are_the_sqlmodel_schemas():
    from farm.index import TABLE_COLUMNS
    from farm.index_schema import CorrectionRow, EventRow, FileRow, SessionRow

    tables = {"corrections": CorrectionRow, "events": EventRow, "sessions": SessionRow, "files": FileRow}
    assert {name: tuple(c.name for c in t.__table__.columns) for name, t in tables.items()} == TABLE_COLUMNS


def test_commands_on_an_existing_index_never_import_sqlmodel(farm):
    import subprocess
    import sys

    capture()
    probe = ("import sys\nfrom farm.cli import run\ncode = run(['capture', '--title', 'Second miss of a kind', '--what', "
             "'w two', '--rule', 'r two', '--kind', 'prompt', '--yes', '--new'])\n"
             "print(code, 'sqlmodel' in sys.modules, 'sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=farm, capture_output=True, text=True, check=True).stdout
    assert out.split()[-3:] == ["0", "False", "False"], out
    assert index_path(farm).exists()
