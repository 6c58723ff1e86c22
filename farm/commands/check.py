import click

from farm.output import echo_json, safe


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help='Print {"violations":[{"path","line","correction","message"}],"checked":[…]}.')
def check(paths: tuple[str, ...], as_json: bool) -> None:
    """Run the farm's grader rules on PATHS (default: every tracked file a rule applies to).

    Prints each violation as `path:line: correction-id: message` and exits 1
    when there is one, 0 when every rule holds.
    """
    from pathlib import Path

    from farm import git
    from farm.check import check_paths, load_rules
    from farm.errors import InvalidInput
    from farm.project import open_farm

    farm = open_farm()
    with farm.index() as (index, _):
        retired = {r.id for r in index.corrections() if r.status == "retired"}
    rules, warnings = load_rules(farm, skip=retired)
    if paths:
        rels = []
        for raw in paths:
            path = Path(raw).resolve()
            if not path.is_file():
                raise InvalidInput(f"{raw}: no such file")
            if not path.is_relative_to(farm.root):
                raise InvalidInput(f"{raw}: outside the farm at {farm.root}")
            rels.append(farm.rel(path))
    else:
        rels = git.ls_files(farm.root)
    report = check_paths(farm, rules, rels)
    for warning in warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    if as_json:
        echo_json({
            "violations": [vars(v) for v in report.violations],
            "checked": report.checked,
            "rules": len(rules),
        })
    else:
        for violation in report.violations:
            click.echo(safe(violation))
        if not report.violations:
            click.echo(f"ok: {len(report.checked)} file(s) checked against {len(rules)} rule(s).", err=True)
    if report.violations:
        raise SystemExit(1)
