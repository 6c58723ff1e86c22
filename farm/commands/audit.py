import click

from farm.output import echo_json, safe, table


@click.command()
@click.option("--idle-days", default=30, show_default=True, type=click.IntRange(1), help="A landed correction with no session for this long is 'never exercised'.")
@click.option("--json", "as_json", is_flag=True, help='Print {"findings":[{"kind","title","evidence","next_step"}]}.')
def audit(idle_days: int, as_json: bool) -> None:
    """What keeps failing, and where the money goes.

    \b
    leaking            corrections the miss came back through, by cost since landing
    recurring          misses that were repeated several times before their fix landed
    look-alike         two corrections for what looks like the same miss
    rising-loop-cost   task types whose cost per completed loop is rising
    runaway-context    sessions whose context grew far past where it started
    never-exercised    corrections no session has tested since they landed
    """
    from farm.audit import audit as run_audit
    from farm.project import open_farm
    from farm.tracker import track

    farm = open_farm()
    with farm.index() as (index, refresh):
        findings = run_audit(farm, index, track(farm, index), idle_days=idle_days)
    for warning in refresh.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    from farm.redact import redact

    for f in findings:  # titles come from files anyone can commit
        f.title = redact(f.title)
    if as_json:
        echo_json({"findings": [f.as_json() for f in findings]})
        return
    if not findings:
        click.echo("Nothing to report: no leaks, repeats, look-alikes, rising loop costs or runaway sessions.")
        return
    click.echo(table(["kind", "finding", "next step"], [[f.kind, f.title, f.next_step] for f in findings]))
