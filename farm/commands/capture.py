"""`farm capture`: flags, or a flow that reads like `git commit`.

Interactive order: the session it came from (this repo's latest, imported first), the
miss, then the corrections it may repeat with their rules, and only for a new
correction the rule, kind, the kind's options, task type and tags; last, a review of
the files to be written. Without a terminal, a question farm cannot ask is an error
naming the flags that answer it.
"""

import sys
from dataclasses import dataclass, field
from typing import Any

import click

from farm.output import echo_json, safe

KIND_HELP = "test: a pytest test; grader: a rule `farm check` enforces; prompt: a line in AGENTS.md/CLAUDE.md; skill: a SKILL.md; guard: a tool call the agent's hook stops."
KIND_CHOICES = {
    "prompt": "a line in AGENTS.md / CLAUDE.md that every agent session reads",
    "grader": "a rule `farm check` (and the pre-commit hook) enforces on files",
    "test": "a pytest test that fails on the miss and passes once it is fixed",
    "skill": "a SKILL.md the agent loads for matching work",
    "guard": "a tool call the agent's hook stops before it runs",
}
KINDS = ["test", "grader", "prompt", "skill", "guard"]
# grader checks a person can pick: option key, what to ask, is it a regex
GRADER_CHECKS = [
    ("must_preserve", "a statement the files must keep (fuzzy)", False),
    ("must_not_match", "a regex the files must not match", True),
    ("must_match", "a regex the files must match", True),
    ("require_heading", "a markdown heading the files must have", False),
    ("check_cmd", "a command run on each file; its exit status decides", False),
]
TASK_TYPES = ("bug fix", "refactor", "test repair", "spike", "upgrade", "docs", "feature")
RECENT_SESSIONS = 5
MISS_FLAGS = "--title, --what, --rule, --kind"


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
@click.option("--cost", "cost_usd", type=click.FloatRange(min=0), help="What the miss cost in USD, for an agent farm cannot read or a session with no log (a session's own cost wins).")
@click.option("--last", is_flag=True, help="Attach this repo's latest session (new agent logs are imported first).")
@click.option("--from-hook", is_flag=True, help="Read a Claude Code hook's JSON on stdin (session_id, transcript_path, cwd); implies --yes.")
@click.option("--moment", "moment_id", help="A correction moment's id (see `farm inbox`): prefills title, what, session and cost.")
@click.option("--new", "force_new", is_flag=True, help="A new correction even if it matches an earlier one.")
@click.option("--yes", "-y", is_flag=True, help="No questions: accept farm's recurrence verdict, skip the review.")
@click.option("--dry-run", is_flag=True, help="Show the files capture would write, and write nothing.")
@click.option("--no-commit", is_flag=True, help="Write the files but do not commit them.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "recurrence_of", "files", "commit", "not_committed", "skipped", "note", "dry_run", "test_fails_now"}.')
def capture(as_json: bool, yes: bool, force_new: bool, no_commit: bool, dry_run: bool, last: bool,
            cost_usd: float | None, **fields) -> None:
    """Record a miss: a new correction with its artifact, committed — or, when it
    repeats an earlier correction, a recurrence of that one.

    \b
    Interactive:  farm capture
    With flags:   farm capture --title "Draft drops the stated takeaway" \\
                    --what "The rewrite turned the point into a generic lesson." \\
                    --rule "A draft must keep the takeaway sentence the author stated." \\
                    --kind grader --must-preserve "The extra spend should ..." \\
                    --applies-to "posts/*.md" --task-type docs --yes --json

    Asked, it goes like `git commit`: the session it came from, the miss, the
    corrections it may repeat (with their rules), then the rule, kind and scope,
    and a review of the files before anything is written. For --kind test, the
    new check runs once and farm says whether it fails now (it should).

    Only the files farm writes are committed; whatever you had staged stays staged.
    """
    from farm.project import open_farm

    farm = open_farm()
    asker = Asker(enabled=not yes and not fields.get("from_hook"))
    miss, record = _gather(farm, fields, asker, last, cost_usd)
    chosen = None if force_new or not asker.enabled else _choose_match(farm, miss, asker)
    if chosen is not None:
        _as_recurrence(miss, chosen, fields)
    else:
        _complete_new(farm, miss, fields, asker, record)
    # Asked, the person decided (a recurrence of the one picked, or new); else farm's verdict holds.
    decision = {"force_new": force_new or (asker.enabled and chosen is None),
                "recurrence_of": chosen.id if chosen is not None else None}
    reviewed = asker.asked or dry_run
    test_verdict = None
    if reviewed:
        planned, test_verdict = _review(farm, miss, decision, quiet=as_json and dry_run)
        if dry_run:
            _say_dry_run(planned, as_json, test_verdict)
            return
        question = "Write and commit these files?" if not no_commit else "Write these files?"
        if not asker.confirm(question, "--yes (skip the review)", default=True):
            click.echo("Nothing written.", err=True)
            return
    _write(farm, miss, decision, no_commit, as_json, test_verdict if reviewed else None, run_test=not reviewed)


def _gather(farm, fields: dict, asker: "Asker", last: bool, cost_usd: float | None):
    """The miss as given or asked, with the session it came from (and that session's record)."""
    source = _origin(farm, fields, asker, last)
    miss = _miss_from(fields, asker, draft_path(farm), source.prefill)
    # Dated by its session, so the tracker puts it before or after landing by when it happened.
    miss.origin, miss.at = source.origin, source.started
    if source.origin.cost_usd is None:
        attached = source.record is not None or bool(source.prefill)
        miss.origin.cost_usd = cost_usd if cost_usd is not None or attached else _ask_cost(asker)
    return miss, source.record


def _review(farm, miss, decision: dict, quiet: bool):
    """Plan the capture without writing, show it, and run a new test once; fixes the id to write.
    Returns the planned result and whether the new test fails now."""
    from farm.capture import capture as run_capture

    planned = run_capture(farm, miss, dry_run=True, **decision)
    miss.id = None if planned.recurrence_of else planned.id  # the id reviewed is the id written
    test_verdict = _run_new_test(farm, miss, planned)
    if not quiet:
        _print_review(farm, planned, test_verdict)
    return planned, test_verdict


def _say_dry_run(planned, as_json: bool, test_verdict: bool | None) -> None:
    if as_json:
        echo_json({**planned.as_json(), "dry_run": True, "test_fails_now": test_verdict})
    else:
        click.echo("Dry run: nothing written.")


def _write(farm, miss, decision: dict, no_commit: bool, as_json: bool, test_verdict: bool | None, run_test: bool) -> None:
    from farm.capture import capture as run_capture

    result = run_capture(farm, miss, commit=not no_commit, **decision)
    draft_path(farm).unlink(missing_ok=True)  # the description is in the farm now
    if run_test:  # not reviewed (all by flags): the new test runs once it is written
        test_verdict = _run_new_test(farm, miss, result)
    for warning in result.warnings:
        click.echo(f"farm: warning: {safe(warning)}", err=True)
    if as_json:
        echo_json({**result.as_json(), "dry_run": False, "test_fails_now": test_verdict})
        return
    _report(result)
    if run_test:
        _say_test_verdict(test_verdict)


class Asker:
    """Questions on stderr; without a terminal, one farm cannot ask names the flags to pass."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.asked = False

    def prompt(self, text: str, flags: str, **kwargs):
        self.asked = True
        try:
            return click.prompt(text, err=True, **kwargs)
        except click.exceptions.Abort:
            self._cannot_ask(text, flags)

    def confirm(self, text: str, flags: str, default: bool = True) -> bool:
        self.asked = True
        try:
            return click.confirm(text, default=default, err=True)
        except click.exceptions.Abort:
            self._cannot_ask(text, flags)

    def _cannot_ask(self, text: str, flags: str):
        from farm.errors import InvalidInput

        if sys.stdin.isatty():
            raise click.exceptions.Abort()  # Ctrl-C / Ctrl-D at a real prompt
        click.echo("", err=True)  # end the prompt's line
        raise InvalidInput(f"cannot ask “{text.rstrip('?:')}”: stdin is not a terminal; pass {flags}") from None


def _miss_from(fields: dict, asker: Asker, draft, prefill: dict):
    from farm.capture import Miss

    title = _need(fields, asker, "title", "Title (the miss in a few words)", prefill)
    what = fields.get("what")
    if what is None and "what" in prefill:
        what = _need(fields, asker, "what", "What went wrong", prefill)
    elif what is None:
        what = _ask_what(asker, draft) if asker.enabled else _need(fields, asker, "what", "")
    return Miss(title=title, what=what, rule=fields.get("rule") or "", kind=fields.get("kind") or "",
                task_type=fields.get("task_type"), tags=list(fields.get("tags") or ()),
                signature=list(fields.get("signature") or ()), options=_kind_options(fields))


def _need(fields: dict, asker: Asker, key: str, prompt: str, prefill: dict | None = None, **kwargs):
    from farm.errors import InvalidInput

    flag = f"--{key.replace('_', '-')}"
    if fields.get(key) is not None:
        return fields[key]
    if prefill and key in prefill:  # drafted from a moment: offered for review, kept as it is with --yes
        if not asker.enabled:
            return prefill[key]
        return asker.prompt(prompt, f"{flag} or --yes", default=prefill[key], **kwargs)
    if not asker.enabled:
        raise InvalidInput(f"{flag} is required with --yes")
    return asker.prompt(prompt, f"{flag} ({MISS_FLAGS} and --yes ask nothing)", **kwargs)


def _kind_options(fields: dict) -> dict:
    not_options = ("title", "what", "rule", "kind", "task_type", "tags", "signature", "session_path", "session_id",
                   "from_hook", "moment_id")
    return {k: v for k, v in fields.items() if k not in not_options and v not in (None, (), False)}


# --- the session it came from ---------------------------------------------------------


@dataclass
class _Source:
    """Where the miss came from: its Origin, the session's record when farm has it, when that
    session started, and the fields a correction moment drafts."""

    origin: Any
    record: Any = None
    started: Any = None
    prefill: dict = field(default_factory=dict)


def _origin(farm, fields: dict, asker: Asker, last: bool) -> _Source:
    from farm import origin
    from farm.model import Origin

    if fields.get("moment_id"):
        found, started, prefill = origin.from_moment(fields["moment_id"])
        return _Source(found, None, started, prefill)
    if fields.get("from_hook"):
        return _attached(origin.record_from_hook(sys.stdin.read()))
    if fields.get("session_path"):
        return _attached(origin.record_from_path(fields["session_path"]))
    if fields.get("session_id"):
        return _attached(origin.record_from_id(fields["session_id"]))
    if not (last or asker.enabled):
        return _Source(Origin())
    records = _recent_sessions(farm, RECENT_SESSIONS)
    if last:
        if not records:
            from farm.errors import InvalidInput

            raise InvalidInput("--last: no agent session imported for this repo (run `farm sessions import`)")
        return _attached(records[0])
    if not records:
        return _Source(Origin())
    click.echo("Sessions in this repo, newest first:", err=True)
    for n, record in enumerate(records, 1):
        click.echo(f"  {n}) {session_line(record)}", err=True)
    pick = asker.prompt("Attach which session (0: none)", "--last, --session-id ID, or --yes",
                        type=click.IntRange(0, len(records)), default=1)
    return _attached(records[pick - 1]) if pick else _Source(Origin())


def _attached(record) -> _Source:
    from farm import origin

    return _Source(origin.origin_of(record), record, record.start)


def _recent_sessions(farm, limit: int) -> list:
    """This repo's newest sessions, after importing any new agent logs (a session the hook missed counts)."""
    from datetime import datetime, timezone

    from farm.errors import FarmError
    from farm.sessions.importer import refresh_store
    from farm.sessions.store import connect, inside_clause, session_records

    try:
        refresh_store()  # the store only: no session summary is written into the repo here
    except FarmError as exc:
        click.echo(f"farm: warning: could not import new sessions: {safe(exc)}", err=True)
    db = connect()
    try:
        where, params = inside_clause(farm.root)
        records = session_records(db, f"WHERE {where}", params)
    finally:
        db.close()
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    records.sort(key=lambda r: r.end or r.start or oldest, reverse=True)
    return records[:limit]


def session_line(record) -> str:
    """One line a person recognises a session by: when it ended, agent and id, branch, first prompt, cost."""
    from farm.output import ago, money, truncate

    cost = "price unknown" if record.cost_usd is None else money(record.cost_usd)
    prompt = " ".join((record.first_prompt or "").split())
    parts = [ago(record.end or record.start), f"{record.agent} {record.session_id[:8]}",
             record.git_branch or "-", f"“{truncate(prompt, 40)}”" if prompt else "-", cost]
    return safe(" · ".join(parts))


# --- match first ----------------------------------------------------------------------


def _choose_match(farm, miss, asker: Asker):
    """Show the corrections this miss may repeat, with their rules; the person picks one or a new one."""
    from farm.matchcache import load_matcher
    from farm.output import truncate

    with farm.index() as (index, _):
        rows = [r for r in index.corrections() if r.status == "active"]
    if not rows:
        return None
    matcher = load_matcher(farm.root, rows, farm.config.get("match_threshold"))
    shown = [m for m in matcher.match(f"{miss.title}\n{miss.what}", limit=3) if m.score >= matcher.threshold / 2]
    if not shown:
        return None
    from farm.ids import short_correction_ids

    by_id = {r.id: r for r in rows}
    short = short_correction_ids(by_id)
    click.echo("Corrections this may repeat, with their rules (score out of 100;", err=True)
    click.echo(f"{matcher.threshold:.0f} or more, well ahead of the next, is a recurrence):", err=True)
    for n, m in enumerate(shown, 1):
        verdict = "  ← a recurrence" if m.recurrence else ""
        click.echo(f"  {n}) {m.score:3.0f}  {short[m.id]}  {safe(truncate(m.title, 44))}{verdict}", err=True)
        click.echo(f"       rule: {safe(truncate(' '.join(by_id[m.id].rule.split()), 66))}", err=True)
    choices = [str(n) for n in range(1, len(shown) + 1)] + ["n"]
    default = "1" if shown[0].recurrence else "n"
    answer = asker.prompt(f"A recurrence of {'/'.join(choices[:-1])}, or n for a new correction",
                          "--yes (farm's verdict) or --new", type=click.Choice(choices), default=default)
    return None if answer == "n" else by_id[shown[int(answer) - 1].id]


def _as_recurrence(miss, row, fields: dict) -> None:
    """A recurrence keeps the earlier correction's rule and kind; say so if one was typed."""
    if fields.get("rule") and " ".join(fields["rule"].split()) != " ".join(row.rule.split()):
        click.echo(f"Note: a recurrence keeps {row.id}'s own rule; to change it, edit its file "
                   f"or capture with --new.", err=True)
    miss.rule, miss.kind = row.rule, row.kind


# --- a new correction: rule, kind, options, scope ---------------------------------------


def _complete_new(farm, miss, fields: dict, asker: Asker, record) -> None:
    miss.rule = _need(fields, asker, "rule", "The rule that prevents it next time")
    if not fields.get("kind") and asker.enabled:
        click.echo("Kinds:", err=True)
        for kind, text in KIND_CHOICES.items():
            click.echo(f"  {kind:7} {text}", err=True)
    miss.kind = _need(fields, asker, "kind", "Kind", type=click.Choice(list(KIND_CHOICES)), default="prompt")
    if not asker.enabled:
        return
    _ask_kind_options(miss.kind, miss.options, asker)
    if not asker.asked:  # everything came by flags: task type and tags stay as given
        return
    if fields.get("task_type") is None:
        known = sorted({*TASK_TYPES, *farm.config.get("task_types", {})})
        suggested = (record.task_type if record is not None else None) or ""
        answer = asker.prompt(f"Task type ({', '.join(known)}; empty: every session)", "--task-type or --yes",
                              default=suggested, show_default=bool(suggested))
        miss.task_type = " ".join(answer.split()) or None
    if not fields.get("tags"):
        answer = asker.prompt("Tags (comma-separated; empty: none)", "--tag or --yes", default="", show_default=False)
        miss.tags = [t.strip() for t in answer.split(",") if t.strip()]


def _ask_cost(asker: Asker) -> float | None:
    """Asked only when no session was attached: a person's estimate beats "cost unknown" for ever."""
    if not asker.asked:  # everything came by flags, as with `git commit -m`: no optional questions
        return None
    while True:
        answer = asker.prompt("What did the miss cost, in USD (empty: unknown)", "--cost USD or --yes",
                              default="", show_default=False).strip().lstrip("$")
        if not answer:
            return None
        try:
            value = float(answer)
        except ValueError:
            value = -1.0
        if value >= 0:
            return round(value, 6)
        click.echo("a number of dollars, like 3.50", err=True)


EDITOR_HINT = "\n# Describe what went wrong. Lines starting with # are dropped.\n"


def _ask_what(asker: Asker, draft) -> str:
    """Typed, or written in $EDITOR; what the editor gave is kept as a draft (like git's
    COMMIT_EDITMSG) until a capture uses it, so an interrupted capture loses nothing."""
    text = asker.prompt("What went wrong (empty: open $EDITOR)", "--what", default="", show_default=False)
    if text.strip():
        return text
    kept = draft.read_text(encoding="utf-8") if draft.is_file() else ""
    if kept:
        click.echo(f"(the description from an unfinished capture is in the editor: {draft})", err=True)
    edited = click.edit(kept or EDITOR_HINT, extension=".md", require_save=False)  # a draft kept as it is counts
    if edited and edited.strip() and edited != EDITOR_HINT:
        from farm.fsutil import atomic_write

        atomic_write(draft, edited, fsync=False)
    what = "\n".join(line for line in (edited or "").splitlines() if not line.startswith("#")).strip()
    if what:
        from farm.output import truncate

        click.echo(f"What went wrong: {safe(truncate(' '.join(what.split()), 70))}", err=True)
    return what


def draft_path(farm):
    """Where an edited description waits under FARM_HOME (never in the repo) until a capture uses it."""
    from farm.paths import repo_state_dir

    return repo_state_dir(farm.root) / "capture-draft.md"


def _ask_kind_options(kind: str, options: dict, asker: Asker) -> None:
    checks = ("check_cmd", "must_match", "must_not_match", "must_preserve", "require_heading", "test_file", "guard_pattern")
    if any(options.get(k) for k in checks):
        return
    if kind == "test":
        command = asker.prompt("Command that passes once the miss is fixed (empty: link a test you wrote)",
                               "--check-cmd or --test-file", default="", show_default=False)
        if command.strip():
            options["check_cmd"] = command.strip()
        else:
            options["test_file"] = asker.prompt("Your test file (path in this repo)", "--test-file")
    elif kind == "grader":
        _ask_grader(options, asker)
    elif kind == "guard":
        options["guard_tool"] = [asker.prompt("The tool it stops (Bash, Edit, Write, WebFetch, …)", "--guard-tool",
                                              default="Bash")]
        options["guard_pattern"] = [asker.prompt("An RE2 pattern for the command, file path or URL", "--guard-pattern")]
    elif kind == "skill" and not options.get("applies_to"):
        glob = asker.prompt("Files the skill is for (glob; empty: any work)", "--applies-to", default="", show_default=False)
        if glob.strip():
            options["applies_to"] = [glob.strip()]


def _ask_grader(options: dict, asker: Asker) -> None:
    import re

    click.echo("What should the rule check?", err=True)
    for n, (_, text, _) in enumerate(GRADER_CHECKS, 1):
        click.echo(f"  {n}) {text}", err=True)
    pick = asker.prompt("Check", "--must-preserve, --must-not-match, --must-match, --require-heading or --check-cmd",
                        type=click.IntRange(1, len(GRADER_CHECKS)), default=1)
    key, text, is_regex = GRADER_CHECKS[pick - 1]
    while True:
        value = asker.prompt(text[0].upper() + text[1:], f"--{key.replace('_', '-')}").strip()
        try:
            if is_regex:
                re.compile(value)
            break
        except re.error as exc:
            click.echo(f"not a valid regex: {exc}", err=True)
    options[key] = value if key == "check_cmd" else [value]
    if not options.get("applies_to"):
        options["applies_to"] = [asker.prompt("Files it applies to (glob)", "--applies-to", default="**")]


# --- review, the new test, the report ------------------------------------------------------


def _print_review(farm, planned, test_verdict) -> None:
    """What would be written, like `git commit -v`: new files in full, changed ones as a diff."""
    import difflib

    if planned.recurrence_of:
        click.echo(f"\nA recurrence of {planned.recurrence_of}: one event file.", err=True)
    else:
        click.echo(f"\nA new correction {planned.id}; files to write:", err=True)
    for item in planned.planned:
        target = farm.root / item.path
        old = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else None
        click.echo(f"  {'changed' if old is not None else 'new':8} {safe(item.path)}", err=True)
        if item.path.endswith(".json"):
            continue  # the event: the miss again, as data
        lines = (list(difflib.unified_diff(old.splitlines(), item.content.splitlines(), lineterm="", n=1))[2:]
                 if old is not None else ["+" + line for line in item.content.splitlines()])
        for line in lines[:40]:
            click.echo(f"      {safe(line)}", err=True)
        if len(lines) > 40:
            click.echo(f"      … {len(lines) - 40} more line(s)", err=True)
    _say_test_verdict(test_verdict, err=True)


def _run_new_test(farm, miss, result) -> bool | None:
    """Run a new test's check once, as the generated test will: True when it fails now (as it should)."""
    import subprocess

    command = miss.options.get("check_cmd")
    if result.recurrence_of or miss.kind != "test" or not command:
        return None
    try:
        done = subprocess.run(command, shell=True, cwd=farm.root, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return True
    passes = done.returncode == int(miss.options.get("expect_exit") or 0)
    if miss.options.get("expect_output"):
        passes = passes and miss.options["expect_output"] in done.stdout + done.stderr
    return not passes


def _say_test_verdict(verdict: bool | None, err: bool = False) -> None:
    if verdict is True:
        click.echo("The new test fails now, as it should until the miss is fixed.", err=err)
    elif verdict is False:
        click.echo("Warning: the new test passes already, so it may not catch the miss.", err=err)


def _report(result) -> None:
    if result.recurrence_of:
        score = f" (match score {result.match_score:.0f} of 100)" if result.match_score is not None else ""
        click.echo(f"Recorded a recurrence of {result.id}{score}.")
    else:
        click.echo(f"Captured {result.id}.")
    for path in result.written.files:
        click.echo(f"  wrote {path}")
    if result.written.commit:
        click.echo(f"Committed {result.written.commit[:10]}.")
    if result.written.note:
        click.echo(f"Note: {result.written.note}")
