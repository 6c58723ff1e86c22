import click

from farm.output import echo_json, safe


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--staged", is_flag=True, help="Check the staged content of staged files (for a pre-commit hook).")
@click.option("--record/--no-record", default=None,
              help="Record each violation as a catch event (default: on with --staged or in CI, off otherwise).")
@click.option("--json", "as_json", is_flag=True, help='Print {"violations":[{"path","line","correction","message"}],"checked":[…]}.')
def check(paths: tuple[str, ...], staged: bool, record: bool | None, as_json: bool) -> None:
    """Run the farm's grader rules on PATHS (default: every tracked file a rule applies to).

    Prints each violation as `path:line: correction-id: message` and exits 1
    when there is one, 0 when every rule holds. A recorded violation is a
    *catch*: the failure was stopped before it landed. The same violation of
    the same content is recorded once, however often it is checked.
    """
    import os

    from farm import git
    from farm.check import check_paths, load_rules, record_catches
    from farm.project import open_farm

    farm = open_farm()
    with farm.index() as (index, refresh):
        retired = {r.id for r in index.corrections() if r.status == "retired"}
        known = index.event_keys("catch")
    rules, warnings = load_rules(farm, skip=retired)
    if staged:
        rels, read = _not_farms(farm, git.staged_files(farm.root)), lambda rel: git.staged_bytes(farm.root, rel)
    else:
        rels, read = (_resolve(farm, paths) if paths else _not_farms(farm, git.ls_files(farm.root))), None
    report = check_paths(farm, rules, rels, read=read)
    if record is None:
        record = staged or bool(os.environ.get("CI"))
    written = record_catches(farm, report, known) if record else []
    for warning in [*refresh.warnings, *warnings, *report.warnings]:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    for rel in report.uncovered if paths and not staged else []:
        click.echo(f"farm: note: {safe(rel)}: no grader rule applies to this file", err=True)
    if as_json:
        echo_json({
            "violations": [vars(v) for v in report.violations],
            "checked": report.checked,
            "rules": len(rules),
            "catches_recorded": written,
        })
    else:
        for violation in report.violations:
            click.echo(safe(violation))
        if not report.violations:
            click.echo(f"ok: {len(report.checked)} file(s) checked against {len(rules)} rule(s).", err=True)
        elif written:
            click.echo(f"Recorded {len(written)} catch(es) in corrections/log/ (commit them with your fix).", err=True)
    if report.violations:
        raise SystemExit(1)


def _not_farms(farm, rels: list[str]) -> list[str]:
    """Without named paths, rules look at the project's files, not farm's own records."""
    own = (farm.config["corrections_dir"].rstrip("/") + "/", ".farm/")
    return [rel for rel in rels if not rel.startswith(own)]


def _resolve(farm, paths) -> list[str]:
    from pathlib import Path

    from farm.errors import InvalidInput

    rels = []
    for raw in paths:
        try:
            path = Path(raw).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            raise InvalidInput(f"{raw}: symlink loop") from None
        if not path.exists():
            raise InvalidInput(f"{raw}: no such file")
        if not path.is_relative_to(farm.root) or path.relative_to(farm.root).parts[:1] == (".git",):
            raise InvalidInput(f"{raw}: outside the farm at {farm.root}")
        if not path.is_file():
            raise InvalidInput(f"{raw}: not a regular file")
        rels.append(farm.rel(path))
    return rels
