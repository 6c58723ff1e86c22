import click

from farm.output import echo_json, safe


@click.command()
@click.option("--check", is_flag=True, help="Change nothing; exit 1 and show a diff when the agent files drifted from the farm.")
@click.option("--dry-run", is_flag=True, help="Change nothing; list what a sync would do.")
@click.option("--merge", is_flag=True, help="Where you edited a file farm wrote, merge farm's change into your text (3-way) instead of leaving it.")
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit them.")
@click.option("--json", "as_json", is_flag=True, help='Print {"changes":[{"path","action","correction","note"}],"conflicts":[{"path","reason","correction"}],"drift",…}.')
def sync(check: bool, dry_run: bool, merge: bool, no_commit: bool, as_json: bool) -> None:
    """Write this farm's prompt rules and skills into this repo's agent files.

    \b
    What farm writes, and nothing else:
      - its block <!-- farm:begin --> … <!-- farm:end --> in AGENTS.md and CLAUDE.md
        (and GEMINI.md, .github/copilot-instructions.md, .cursor/rules/farm.mdc when
        listed in extra_agent_files in the farm's settings); every line outside the
        block stays as you wrote it, line endings included;
      - a SKILL.md per active skill correction in .claude/skills/ and .agents/skills/;
      - with ruler (.ruler/) or rulesync (.rulesync/): .ruler/farm.md or
        .rulesync/rules/farm.md and their skills folder instead, so your generator
        stays in charge of the agent files.

    farm lists what it wrote, with a hash of each, in .farm/manifest.json. A file
    you edited after farm wrote it is never overwritten: it is reported as a
    conflict and left (or merged with --merge). A skill folder farm did not
    create is never touched: farm picks another name and says so.

    \b
      farm sync            write and commit exactly farm's files
      farm sync --check    in CI: exit 1 with a diff when the files drifted
    """
    from farm.project import open_farm
    from farm.sync import sync as run_sync

    farm = open_farm()
    result = run_sync(farm, check=check, dry_run=dry_run, merge=merge, commit=not no_commit)
    for warning in result.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    data = plan_json(result.plan, result.written)
    if as_json:
        echo_json(data)
    elif check:
        report_check(result.plan, quick=result.quick)
    else:
        report(result.plan, result.written, dry_run=dry_run, done="Synced")
    if check and result.plan.drift:
        raise SystemExit(1)


def plan_json(plan, written) -> dict:
    return {
        "changes": [c.as_json() for c in plan.changes],
        "conflicts": [c.as_json() for c in plan.conflicts],
        "notes": plan.notes,
        "drift": plan.drift,
        "commit": getattr(written, "commit", None),
        "not_committed": getattr(written, "not_committed", []),
        "note": getattr(written, "note", None),
    }


def report(plan, written, *, dry_run: bool, done: str) -> None:
    for change in plan.changes:
        verb = f"would {change.action}" if dry_run else change.action
        extra = f"  ({safe(change.note)})" if change.note else ""
        click.echo(f"  {verb:<14}{safe(change.path)}{extra}")
    for conflict in plan.conflicts:
        click.echo(f"  {'conflict':<14}{safe(conflict.path)}: {safe(conflict.reason)}")
    for note in plan.notes:
        click.echo(f"  {'note':<14}{safe(note)}")
    click.echo(summary(plan, written, dry_run=dry_run, done=done))
    if written is not None and getattr(written, "note", None):
        click.echo(f"Note: {safe(written.note)}")


def summary(plan, written, *, dry_run: bool, done: str) -> str:
    counts: dict[str, int] = {}
    for change in plan.changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    done_words = {"create": "created", "update": "updated", "remove": "removed", "merge": "merged", "adopt": "adopted"}
    parts = [f"{n} to {a}" if dry_run else f"{n} {done_words.get(a, a)}" for a, n in counts.items()]
    if plan.conflicts:
        parts.append(f"{len(plan.conflicts)} conflict(s) left for you")
    tail = ""
    if written is not None and getattr(written, "commit", None):
        tail = f" Committed {written.commit[:10]}."
    if not parts:
        records = " farm's records (.farm/) brought up to date." if getattr(written, "files", None) else ""
        return "Nothing to do: the files match the farm." + records + tail
    head = "Would change: " if dry_run else f"{done}: "
    return head + ", ".join(parts) + "." + tail


def report_check(plan, *, quick: bool = False) -> None:
    import difflib

    if not plan.drift:
        click.echo("ok: the files farm manages match the farm." + (" (unchanged since the last clean check)" if quick else ""))
        return
    for item in [*plan.changes, *plan.conflicts]:
        if getattr(item, "action", None) == "adopt":
            continue
        before, after = (item.before or ""), (item.after or "")
        label = "farm" if hasattr(item, "action") else "farm would write"
        lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                     fromfile=f"a/{item.path}", tofile=f"b/{item.path} ({label})")
        for line in lines:
            click.echo(safe(line), nl=not line.endswith("\n"))
    for conflict in plan.conflicts:
        click.echo(f"conflict: {safe(conflict.path)}: {safe(conflict.reason)}")
    click.echo(f"drift: {len([c for c in plan.changes if c.action != 'adopt'])} file(s) to change, "
               f"{len(plan.conflicts)} conflict(s). Run `farm sync` (or `farm seed`) to bring them in line.")
