import click

from farm.output import echo_json, safe


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for raw in values for v in raw.split(",") if v.strip()))


@click.command()
@click.argument("target", required=False, type=click.Path(file_okay=False))
@click.option("--from", "source", metavar="SOURCE", help="Pull rules from SOURCE (a farm's folder or a git URL) into this repo instead.")
@click.option("--only", multiple=True, metavar="STATUS[,STATUS]",
              help="Statuses to carry: holding, improved, unproven, leaking (default: holding,improved,unproven; retired never).")
@click.option("--kind", multiple=True, metavar="KIND[,KIND]", help="Only these kinds: prompt, skill, grader, test.")
@click.option("--tag", multiple=True, help="Only corrections with one of these tags (repeatable or comma-separated).")
@click.option("--task-type", multiple=True, help="Only corrections of these task types (repeatable or comma-separated).")
@click.option("--dry-run", is_flag=True, help="Change nothing; list what seeding would do.")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 and show a diff when the target drifted from what seeding would write.")
@click.option("--merge", is_flag=True, help="Where the target's people edited a file farm wrote, merge farm's change in (3-way).")
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit them in the target.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"target","source":{"repo","commit"},"corrections":[…],"changes":[…],"conflicts":[…],"drift",…}.')
def seed(target: str | None, source: str | None, only, kind, tag, task_type, dry_run: bool, check: bool,
         merge: bool, no_commit: bool, as_json: bool) -> None:
    """Carry this farm's corrections that hold into another repo (TARGET), or pull
    another farm's into this one (--from SOURCE).

    \b
      farm seed ../new-repo                   holding, improved and unproven corrections
      farm seed ../new-repo --only holding --kind prompt,skill --dry-run
      farm seed ../new-repo --check           exit 1 when the target drifted
      farm seed --from ../old-repo            pull into this repo
      farm seed --from https://example.com/team/rules.git

    The target becomes a farm first (`farm init`) when it is not one. Each
    correction keeps its id and gets `seeded_from: {repo, commit}`; grader rules
    and generated tests come along, placed by the target's settings (test_dir,
    corrections_dir, and seed_paths = {"source/prefix" = "target/prefix"}).
    Then the target's agent files are written the way `farm sync` writes them.

    Nothing of the target's people is overwritten: a file farm wrote and someone
    edited is a conflict and is left (--merge merges instead); a skill folder farm
    did not create keeps its name and farm's skill takes another. The commit in
    the target holds exactly farm's files; whatever was staged stays staged.
    """
    from pathlib import Path

    from farm.errors import InvalidInput
    from farm.seed import DEFAULT_STATUSES, Selection, seed as run_seed, seed_from

    if bool(target) == bool(source):
        raise InvalidInput("give either TARGET (seed another repo) or --from SOURCE (seed this one), not both" if target
                           else "give TARGET (a repo to seed) or --from SOURCE (a farm to pull from); see `farm seed --help`")
    selection = Selection(statuses=_split(only) or DEFAULT_STATUSES, kinds=_split(kind),
                          tags=_split(tag), task_types=_split(task_type))
    options = {"dry_run": dry_run, "check": check, "merge": merge, "commit": not no_commit}
    if source:
        from farm import git

        result = seed_from(source, git.find_root(Path.cwd()), selection, **options)
    else:
        from farm.project import open_farm

        result = run_seed(open_farm(), Path(target), selection, **options)
    _print(result, as_json=as_json, check=check, dry_run=dry_run)
    if check and (result.plan.drift or result.initialized):
        raise SystemExit(1)


def _print(result, *, as_json: bool, check: bool, dry_run: bool) -> None:
    from farm.commands.sync import plan_json, report, report_check

    for warning in result.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    if as_json:
        echo_json({"target": str(result.target), "source": result.source, "corrections": result.selected,
                   "initialized": result.initialized, **plan_json(result.plan, result.written)})
        return
    source = f"{result.source['repo']}" + (f"@{result.source['commit'][:10]}" if result.source["commit"] else "")
    click.echo(f"{len(result.selected)} correction(s) from {safe(source)} -> {safe(result.target)}")
    if result.initialized:
        what = "would run farm init" if (dry_run or check) else "farm init: " + ", ".join(result.initialized)
        click.echo(f"  {'init':<14}{safe(what)}")
    if check:
        report_check(result.plan)
    else:
        report(result.plan, result.written, dry_run=dry_run, done="Seeded")
