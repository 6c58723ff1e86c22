import sys

import click

from farm.output import echo_json, safe

KIND_HELP = "test: a pytest test; grader: a rule `farm check` enforces; prompt: a line in AGENTS.md/CLAUDE.md; skill: a SKILL.md; guard: a tool call the agent's hook stops."
KINDS = ["test", "grader", "prompt", "skill", "guard"]


@click.command()
@click.option("--title", help="The miss in a few words.")
@click.option("--what", help="What went wrong (secrets are redacted before anything is written).")
@click.option("--rule", help="The rule that prevents it next time.")
@click.option("--kind", type=click.Choice(KINDS), help=KIND_HELP)
@click.option("--task-type", help="bug fix, refactor, docs, …: scopes the correction.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--signature", multiple=True, help="A phrase that identifies the failure in a transcript (repeatable; proposed from --what when omitted).")
@click.option("--check-cmd", help="test/grader: a command; exit status decides (test: must exit --expect-exit).")
@click.option("--expect-exit", type=int, default=0, show_default=True, help="test: the exit status the check must give.")
@click.option("--expect-output", help="test: text the check's output must contain.")
@click.option("--test-file", help="test: link a regression test you already wrote instead of generating one.")
@click.option("--must-match", multiple=True, help="grader: a regex the file must match.")
@click.option("--must-not-match", multiple=True, help="grader: a regex the file must not match.")
@click.option("--must-preserve", multiple=True, help="grader: a statement the file must keep (fuzzy).")
@click.option("--preserve-threshold", type=click.IntRange(1, 100), help="grader: similarity 1-100 that counts as kept (default from config, 85).")
@click.option("--require-heading", multiple=True, help="grader: a markdown heading the file must have.")
@click.option("--guard-tool", multiple=True, help="guard: the tool whose calls it stops: Bash, Edit, Write, Read, WebFetch, … or a glob (repeatable, paired with --guard-pattern).")
@click.option("--guard-pattern", multiple=True, help="guard: an RE2 pattern for the call's command, file path or URL (repeatable).")
@click.option("--guard-decision", type=click.Choice(["deny", "ask"]), help="guard: deny the call (default) or ask the user.")
@click.option("--applies-to", multiple=True, help="grader/skill: a glob of the files the rule is for (repeatable).")
@click.option("--session", "session_path", type=click.Path(dir_okay=False), help="The transcript (.jsonl) of the session that went wrong: its usage and cost go on the miss.")
@click.option("--session-id", help="An imported session's id (or unique prefix) instead of --session.")
@click.option("--from-hook", is_flag=True, help="Read a Claude Code hook's JSON on stdin (session_id, transcript_path, cwd).")
@click.option("--moment", "moment_id", help="A correction moment's id (see `farm inbox`): prefills title, what, session and cost.")
@click.option("--new", "force_new", is_flag=True, help="A new correction even if it matches an earlier one.")
@click.option("--yes", "-y", is_flag=True, help="No questions: accept farm's recurrence verdict.")
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit them.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "recurrence_of", "files", "commit", "not_committed", "skipped", "note"}.')
def capture(as_json: bool, yes: bool, force_new: bool, no_commit: bool, **fields) -> None:
    """Record a miss: a new correction with its artifact, committed — or, when it
    repeats an earlier correction, a recurrence of that one.

    \b
    Interactive:  farm capture
    With flags:   farm capture --title "Draft drops the stated takeaway" \\
                    --what "The rewrite turned the point into a generic lesson." \\
                    --rule "A draft must keep the takeaway sentence the author stated." \\
                    --kind grader --must-preserve "The extra spend should ..." \\
                    --applies-to "posts/*.md" --task-type docs --yes --json

    Only the files farm writes are committed; whatever you had staged stays staged.
    """
    from farm.capture import capture as run_capture
    from farm.project import open_farm

    farm = open_farm()
    ask = not yes and not fields.get("from_hook")
    origin, started, prefill = _origin(farm, fields, ask)
    miss = _miss_from(fields, ask, prefill)
    miss.origin, miss.at = origin, started

    def confirm(match) -> bool:
        if not ask:
            return True
        question = f"This looks like a recurrence of {match.id} “{safe(match.title)}” (score {match.score:.0f}). Record it as one?"
        return click.confirm(question, default=True, err=True)

    result = run_capture(farm, miss, force_new=force_new, confirm=confirm, commit=not no_commit)
    for warning in result.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    if as_json:
        echo_json(result.as_json())
        return
    _report(result)


def _miss_from(fields: dict, ask: bool, prefill: dict):
    from farm.capture import Miss
    from farm.errors import InvalidInput

    def need(key: str, prompt: str, **kwargs):
        if fields.get(key) is not None:
            return fields[key]
        if key in prefill:  # drafted from a moment: shown for review, kept as it is with --yes
            return click.prompt(prompt, err=True, default=prefill[key], **kwargs) if ask else prefill[key]
        if not ask:
            raise InvalidInput(f"--{key.replace('_', '-')} is required with --yes")
        return click.prompt(prompt, err=True, **kwargs)

    title = need("title", "Title (the miss in a few words)")
    if fields.get("what") is None and "what" not in prefill and ask:
        fields["what"] = _ask_what() or None
    what = need("what", "What went wrong")
    rule = need("rule", "The rule that prevents it")
    kind = need("kind", "Kind", type=click.Choice(KINDS), default="prompt")
    not_options = ("title", "what", "rule", "kind", "task_type", "tags", "signature", "session_path", "session_id",
                   "from_hook", "moment_id")
    options = {k: v for k, v in fields.items() if k not in not_options and v not in (None, (), False)}
    if ask:
        _ask_kind_options(kind, options)
    return Miss(
        title=title, what=what, rule=rule, kind=kind, task_type=fields.get("task_type"),
        tags=list(fields.get("tags") or ()), signature=list(fields.get("signature") or ()), options=options,
    )


def _origin(farm, fields: dict, ask: bool):
    """(Origin, when its session started, fields prefilled from a moment): the session named by a
    flag, or (asked) the latest one in this repo."""
    from farm import origin
    from farm.model import Origin

    if fields.get("moment_id"):
        return origin.from_moment(fields["moment_id"])
    record = None
    if fields.get("from_hook"):
        record = origin.record_from_hook(sys.stdin.read())
    elif fields.get("session_path"):
        record = origin.record_from_path(fields["session_path"])
    elif fields.get("session_id"):
        record = origin.record_from_id(fields["session_id"])
    elif ask:
        latest = origin.latest_in_repo(farm.root)
        if latest is not None:
            cost = f"${latest.cost_usd:.2f}" if latest.cost_usd is not None else "price unknown"
            question = f"Attach the latest session here, {latest.agent} {latest.session_id[:12]} ({cost})?"
            if click.confirm(question, default=True, err=True):
                record = latest
    if record is None:
        return Origin(), None, {}
    return origin.origin_of(record), record.start, {}


def _ask_what() -> str:
    text = click.prompt("What went wrong (empty: open $EDITOR)", default="", show_default=False, err=True)
    if text.strip():
        return text
    edited = click.edit("\n# Describe what went wrong. Lines starting with # are dropped.\n")
    return "\n".join(line for line in (edited or "").splitlines() if not line.startswith("#")).strip()


def _ask_kind_options(kind: str, options: dict) -> None:
    checks = ("check_cmd", "must_match", "must_not_match", "must_preserve", "require_heading", "test_file", "guard_pattern")
    if any(options.get(k) for k in checks):
        return
    if kind == "test":
        options["check_cmd"] = click.prompt("Command that passes once the miss is fixed", err=True)
    elif kind == "grader":
        options["must_preserve"] = [click.prompt("A statement the files must keep", err=True)]
        glob = click.prompt("Files it applies to (glob)", default="**", err=True)
        options["applies_to"] = [glob]
    elif kind == "guard":
        options["guard_tool"] = [click.prompt("The tool it stops (Bash, Edit, Write, WebFetch, …)", default="Bash", err=True)]
        options["guard_pattern"] = [click.prompt("An RE2 pattern for the command, file path or URL", err=True)]


def _report(result) -> None:
    if result.recurrence_of:
        click.echo(f"Recorded a recurrence of {result.id} (match score {result.match_score:.0f}).")
    else:
        click.echo(f"Captured {result.id}.")
    for path in result.written.files:
        click.echo(f"  wrote {path}")
    if result.written.commit:
        click.echo(f"Committed {result.written.commit[:10]}.")
    if result.written.note:
        click.echo(f"Note: {result.written.note}")
