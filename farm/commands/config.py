"""`farm config`: every setting, its value, and where the value came from."""

import click

from farm.output import echo_csv, echo_json, output_options, safe, table

SOURCES = ("farm.toml", "pyproject.toml [tool.farm]")


@click.command()
@output_options('Print {"settings":[{"key","value","source","default","type","help"}]} (docs/cli.md).')
def config(output: str | None) -> None:
    """Every setting: its value, where it came from (farm.toml, [tool.farm] in
    pyproject.toml, or the default), and what it does. farm.toml wins over
    pyproject.toml; the keys are listed in docs/cli.md."""
    from farm import git

    root = git.find_root()
    rows = settings(root)
    if output == "json":
        echo_json({"settings": rows})
        return
    if output == "csv":
        echo_csv(rows)
        return
    click.echo(table(["key", "value", "from"], [[r["key"], _shown(r["value"]), r["source"]] for r in rows]))
    unknown = [r for r in rows if r["source"] != "default" and r["help"] is None]
    if unknown:
        click.echo("\n" + "\n".join(f"{safe(r['key'])}: not a farm setting; it is ignored" for r in unknown))


def settings(root) -> list[dict]:
    """One row per setting (known ones first, then any unknown key a file sets)."""
    from farm.config import load_config

    values = load_config(root)
    sources = key_sources(root)
    table = setting_table()
    rows = [
        {"key": key, "value": values.get(key), "source": sources.get(key, "default"), "default": default,
         "type": kind, "help": help_text}
        for key, (default, kind, help_text) in table.items()
    ]
    rows += [{"key": key, "value": None, "source": where, "default": None, "type": None, "help": None}
             for key, where in sources.items() if key not in table]
    return rows


def setting_table() -> dict[str, tuple]:
    """{key: (default, type, help)} from config.py's key table (its defaults when it has no table)."""
    from farm import config

    known = getattr(config, "SETTINGS", None)
    if known:
        return {name: (s.default, s.type, s.help) for name, s in known.items()}
    return {name: (default, type(default).__name__ if default is not None else "any", "") for name, default in config.DEFAULTS.items()}


def key_sources(root) -> dict[str, str]:
    """Which file sets each key: farm.toml over pyproject.toml's [tool.farm]."""
    import tomllib

    found: dict[str, str] = {}
    for path, where in ((root / "pyproject.toml", SOURCES[1]), (root / "farm.toml", SOURCES[0])):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (OSError, ValueError):
            continue  # load_config has already said what is wrong with the file
        if where == SOURCES[1]:
            tool = data.get("tool", {})
            data = tool.get("farm", {}) if isinstance(tool, dict) else {}
        found.update({key: where for key in (data if isinstance(data, dict) else {})})
    return found


def _shown(value) -> str:
    import json

    return "(unset)" if value is None else json.dumps(value, ensure_ascii=False)
