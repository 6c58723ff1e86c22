"""`farm config`: every setting, its value and where it came from; the distribution's name."""

import tomllib
from pathlib import Path

from conftest import run_farm


def test_config_lists_every_key_its_value_and_source(farm):
    (farm / "farm.toml").write_text("min_exposure = 3\nmin_exposur = 4\n")
    (farm / "pyproject.toml").write_text("[tool.farm]\nrecord_sessions = true\nmin_exposure = 9\n")
    rows = {r["key"]: r for r in run_farm("config", "--json").json()["settings"]}
    assert rows["min_exposure"]["value"] == 3 and rows["min_exposure"]["source"] == "farm.toml"  # farm.toml wins
    assert rows["record_sessions"]["value"] is True and rows["record_sessions"]["source"] == "pyproject.toml [tool.farm]"
    assert rows["corrections_dir"]["source"] == "default" and rows["corrections_dir"]["value"] == "corrections"
    assert rows["min_exposur"]["source"] == "farm.toml" and rows["min_exposur"]["help"] is None
    from farm.config import DEFAULTS

    assert set(DEFAULTS) <= set(rows)
    text = run_farm("config").out
    assert "min_exposure" in text and "farm.toml" in text and "min_exposur: not a farm setting" in text
    assert run_farm("config", "--csv").out.startswith("key,value,source")


def test_every_setting_is_in_the_docs():
    from farm.config import DEFAULTS

    reference = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    settings = reference[reference.index("## Settings"):]
    for key in DEFAULTS:
        assert f"`{key}`" in settings, key


def test_the_distribution_is_not_pypis_other_farm_but_the_command_is_farm():
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert project["name"] == "correction-farm"  # `farm` on PyPI is deepset's FARM
    assert project["scripts"]["farm"].split(":")[0].split(".")[0] == "farm"  # the command is still `farm`
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "correction-farm" in readme and "_FARM_COMPLETE=" in readme
