import click

from farm.output import echo_json, page, safe


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
    page("\n\n".join(_finding(f) for f in findings))


def _finding(f) -> str:
    """One finding as a short block that wraps to the terminal: what, the evidence, the next step."""
    import textwrap

    from farm.output import terminal_width

    width = min(terminal_width(), 100)
    evidence = " · ".join(f"{_label(k)} {_value(k, v)}" for k, v in f.evidence.items() if v not in (None, [], {}, ""))
    lines = [textwrap.fill(f"{f.kind}: {safe(f.title)}", width, subsequent_indent="  ")]
    if evidence:
        lines.append(textwrap.fill(safe(evidence), width, initial_indent="  evidence: ", subsequent_indent="    "))
    if f.next_step:
        lines.append(textwrap.fill(safe(f.next_step), width, initial_indent="  next: ", subsequent_indent="    "))
    return "\n".join(lines)


def _label(key: str) -> str:
    return " ".join(w for w in key.split("_") if w != "usd")


def _value(key: str, value) -> str:
    from datetime import datetime

    from farm.output import local_time, money

    if "usd" in key.split("_") and isinstance(value, (int, float)):
        return money(value)
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:3])
        return shown + (f", … ({len(value) - 3} more)" if len(value) > 3 else "")
    if isinstance(value, str) and key.endswith("_at"):
        try:
            return local_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
