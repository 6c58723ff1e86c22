import click

from farm.output import echo_json, safe


@click.command()
@click.argument("sessions", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--no-commit", is_flag=True, help="Write the recurrence events but do not commit them.")
@click.option("--json", "as_json", is_flag=True, help='Print {"files","bytes","recurrences":[…],"before_landing":[…]}.')
def scan(sessions: tuple[str, ...], no_commit: bool, as_json: bool) -> None:
    """Look for known failure signatures in agent transcripts.

    SESSIONS are transcript files (.jsonl or .jsonl.zst); by default, the
    sessions imported with `farm sessions import` that ran in this repo and
    changed since the last scan. A signature found in a session after its
    correction landed is recorded as a recurrence, once per session, with the
    matching excerpt (secrets redacted). A hit before landing is shown, not
    counted: the fix was not there yet.
    """
    from pathlib import Path

    from farm.project import open_farm
    from farm.scan import run_scan

    farm = open_farm()
    result = run_scan(farm, [Path(s) for s in sessions] if sessions else None, commit=not no_commit)
    report = result.report
    if as_json:
        echo_json({
            "files": report.files, "bytes": report.bytes,
            "recurrences": [_hit(h) for h in result.recorded],
            "already_recorded": len(report.recurrences) - len(result.recorded),
            "before_landing": [_hit(h) for h in report.hits if not h.after_landing],
            "unreadable": report.unreadable,
            "commit": getattr(result.written, "commit", None),
        })
        return
    for problem in report.unreadable:
        click.echo(f"farm: warning: {safe(problem)}", err=True)
    click.echo(f"Scanned {report.files} transcript(s), {report.bytes / 1e6:.1f} MB.")
    for h in result.recorded:
        _say_hit("recurrence", h)
    before = [h for h in report.hits if not h.after_landing]
    if before:
        click.echo(f"{len(before)} hit(s) before their correction landed (not counted against it):")
        for h in before:
            _say_hit("before", h)
    if not result.recorded:
        click.echo("No new recurrences.")
        return
    commit = getattr(result.written, "commit", None)
    if commit:
        click.echo(f"Committed {commit[:10]}.")
    if result.written is not None and result.written.note:
        click.echo(f"Note: {result.written.note}")


def _say_hit(label: str, h) -> None:
    from farm.output import local_time

    when = f"  {local_time(h.at)}" if h.at else ""
    click.echo(f"{label}  {h.correction}  session {safe(h.session_id)}{when}")
    click.echo(f"    …{safe(h.excerpt)}…")


def _hit(h) -> dict:
    return {"correction": h.correction, "session_id": h.session_id, "transcript": h.transcript,
            "at": h.at.isoformat() if h.at else None, "excerpt": h.excerpt}
