"""`farm sessions`: import agent transcripts, list sessions, tag a session's task type."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from farm.errors import FarmError, InvalidInput
from farm.output import echo_csv, echo_json, money, output_options, page, safe, table


@click.group()
def sessions() -> None:
    """Import and list agent sessions (Claude Code, Codex)."""


@sessions.command("import")
@click.option("--claude-dir", "claude_dirs", multiple=True, type=click.Path(path_type=Path),
              help="A Claude Code projects folder (repeatable). Default: CLAUDE_CONFIG_DIR or ~/.claude.")
@click.option("--codex-dir", "codex_dirs", multiple=True, type=click.Path(path_type=Path),
              help="A Codex sessions folder (repeatable). Default: $CODEX_HOME/sessions and archived_sessions.")
@click.option("--from-hook", is_flag=True,
              help="Read a Claude Code hook's JSON on stdin and import that session. Always exits 0.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_(claude_dirs: tuple[Path, ...], codex_dirs: tuple[Path, ...], from_hook: bool, as_json: bool) -> None:
    """Import token usage from agent transcripts (incremental: unchanged files are skipped).

    With a --claude-dir or --codex-dir, only the folders given are read.
    """
    if from_hook:
        from farm.commands.hooks import run_session_end_hook

        run_session_end_hook(sys.stdin)  # always exits 0: never fails a session
        return
    from farm.sessions.importer import discover_sources, import_into_store, import_report, record_evidence

    explicit = bool(claude_dirs or codex_dirs)
    sources = discover_sources(
        list(claude_dirs) if explicit else None,
        list(codex_dirs) if explicit else None,
    )
    with _progress(enabled=not as_json and sys.stderr.isatty()) as progress:
        summary, written = import_into_store(sources, farm_root=_farm_root(), progress=progress)
    report = import_report(summary, written)
    report["evidence_events"] = record_evidence(_farm_root())
    if as_json:
        echo_json(report)
        return
    _print_report(report)
    if not summary.files:
        looked = ", ".join(str(path) for path in (*claude_dirs, *codex_dirs)) if explicit else (
            "CLAUDE_CONFIG_DIR or ~/.config/claude/projects and ~/.claude/projects; $CODEX_HOME or ~/.codex")
        click.echo(f"No agent logs found (looked in {looked}).", err=True)


def _farm_root() -> Path | None:
    from farm.paths import work_tree_root

    return work_tree_root()


class _progress:
    """A progress bar on stderr for long imports; nothing when disabled."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self.bar = Progress("importing", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("import", total=None)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


def _print_report(report: dict) -> None:
    click.echo(
        f"{report['files']} files ({report['files_read']} read, {report['files_unchanged']} unchanged), "
        f"{report['lines']:,} lines, {report['responses_new']:,} new responses, "
        f"{report['sessions']} sessions updated ({report['sessions_total']} in store), {report['seconds']:.2f}s"
    )
    if report["duplicates"] or report["ignored_lines"]:
        click.echo(f"counted once: {report['duplicates']:,} repeated responses; "
                   f"not counted: {report['ignored_lines']:,} mirror/synthetic/re-emitted lines")
    for reason, n in sorted(report["skipped_lines"].items()):
        click.echo(f"skipped {n:,} line(s): {reason}")
    for reason, n in sorted(report["unreadable_files"].items()):
        click.echo(f"skipped {n:,} file(s): {reason}")
    for reason, n in sorted(report["warnings"].items()):
        click.echo(f"warning: {n:,} file(s): {reason}", err=True)
    if report["moments"] or report["evidence_events"]:
        click.echo(f"{report['moments']} correction moment(s) in the sessions read; "
                   f"{report['evidence_events']} recorded as evidence (see `farm sessions moments`, `farm inbox`)")
    if report["summaries_written"]:
        click.echo(f"wrote {report['summaries_written']} session summaries under corrections/log/sessions/; "
                   "they count for the team once committed: git add corrections/log/sessions && "
                   "git commit -m 'farm: session summaries'")
    if report["models"]:
        click.echo("\nEvery session in the store, by model:")
        rows = [
            (m, f"{r['input_tokens']:,}", f"{r['output_tokens']:,}", f"{r['cache_creation_tokens']:,}",
             f"{r['cache_read_tokens']:,}", f"{r['reasoning_tokens']:,}",
             "price unknown" if r["price_unknown"] else money(r["cost_usd"]))
            for m, r in report["models"].items()
        ]
        click.echo(table(["model", "input", "output", "cache write", "cache read", "reasoning", "cost"], rows))
        for model, r in report["models"].items():
            if r["price_basis"]:
                click.echo(f"{safe(model)}: priced at the {r['price_basis']}")


@sessions.command("list")
@click.option("--since", help="Only sessions active since: 7d, 12h, 2w, YYYY-MM-DD or an ISO time.")
@click.option("--until", help="Only sessions that started before this time.")
@click.option("--repo", type=click.Path(path_type=Path), help="Only sessions whose cwd is inside this folder.")
@click.option("--agent", type=click.Choice(["claude", "codex"]))
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many (0: all).")
@output_options('Print {"sessions":[{"agent","session_id","start",…}]} (docs/cli.md).')
def list_(since, until, repo, agent, limit, output) -> None:
    """Imported sessions, newest first."""
    from farm.sessions.store import connect, inside_clause, session_records
    from farm.spend import local_tz, parse_when

    tz = local_tz()
    where, params = [], []
    if (start := parse_when(since, tz)) is not None:
        where.append("end >= ?")
        params.append(start.timestamp())
    if (stop := parse_when(until, tz, end=True)) is not None:
        where.append("start < ?")
        params.append(stop.timestamp())
    if agent:
        where.append("agent = ?")
        params.append(agent)
    if repo is not None:
        clause, extra = inside_clause(repo)
        where.append(clause)
        params.extend(extra)
    db = connect()
    try:
        records = session_records(db, ("WHERE " + " AND ".join(where)) if where else "", tuple(params))
    finally:
        db.close()
    if limit:
        records = records[:limit]
    if output == "json":
        echo_json({"sessions": [_session_json(r) for r in records]})
        return
    if output == "csv":
        echo_csv([_session_json(r) for r in records])
        return
    if not records:
        click.echo("no sessions imported yet (run `farm sessions import`)" if not where else "no sessions match")
        return
    from farm.ids import short_ids

    short = short_ids(r.session_id for r in records)
    rows = [
        (short[r.session_id], r.agent, _local(r.start, tz), _duration(r.duration_seconds), _models(r.models),
         f"{r.usage.total_tokens:,}", "price unknown" if r.cost_usd is None else money(r.cost_usd),
         r.task_type or "-", len(r.commits), r.cwd or "-")
        for r in records
    ]
    from farm.output import fit, fits_terminal

    headers = ["id", "agent", f"start ({_zone(tz)})", "duration", "models", "tokens", "cost", "task type", "commits", "cwd"]
    page(table(headers, fit(headers, rows, shrink=len(headers) - 1, wide=not fits_terminal())))


def _zone(tz) -> str:
    from datetime import datetime

    return datetime.now(tz).tzname() or str(tz)


def _models(models: list[str]) -> str:
    """The first model whole, and how many more (never a name cut in the middle)."""
    if not models:
        return "-"
    return models[0] + (f" +{len(models) - 1}" if len(models) > 1 else "")


def _session_json(r) -> dict:
    return {
        "agent": r.agent,
        "session_id": r.session_id,
        "models": r.models,
        "start": r.start.isoformat() if r.start else None,
        "end": r.end.isoformat() if r.end else None,
        "duration_seconds": r.duration_seconds,
        "cwd": r.cwd,
        "git_branch": r.git_branch,
        **r.usage.as_dict(),
        "usage_by_model": {m: u.as_dict() for m, u in r.usage_by_model.items()},
        "cost_usd": r.cost_usd,
        "price_unknown": r.cost_usd is None,
        "turns": r.turns,
        "tool_calls": r.tool_calls,
        "calls": r.calls,
        "task_type": r.task_type,
        "commits": r.commits,
        "completed_loop": bool(r.commits),
        "resent_share": r.resent_share,
        "context_first": r.context_first,
        "context_peak": r.context_peak,
        "context_last": r.context_last,
        "compactions": r.compactions,
        "subagents": r.subagents,
        "harness": r.harness,
        "path": r.path,
    }


def _local(when, tz) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else "-"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


@sessions.command("show")
@click.argument("session_id")
@click.option("--json", "as_json", is_flag=True)
def show(session_id: str, as_json: bool) -> None:
    """One imported session in full (SESSION_ID may be a unique prefix)."""
    record = _find(session_id)
    data = _session_json(record)
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        if key == "usage_by_model":
            for model, usage in value.items():
                click.echo(f"  {safe(model)}: " + ", ".join(f"{k} {v:,}" for k, v in usage.items() if v))
            continue
        if key == "harness":
            if value:
                shown = "price unknown" if value["cost_usd"] is None else money(value["cost_usd"])
                click.echo(f"harness: Claude Code's own cost-state says {shown} over {value['runs']} run(s)"
                           + (f"; added from it: {', '.join(map(safe, value['added_models']))}"
                              if value["added_models"] else ""))
            continue
        click.echo(f"{key}: {safe(_plain(value))}")


def _plain(value) -> str:
    """A value as a person reads it: lists joined, yes/no, never a Python repr."""
    if value is None or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


@sessions.command("tag")
@click.argument("session_id")
@click.argument("task_type")
def tag(session_id: str, task_type: str) -> None:
    """Set a session's task type by hand (TASK_TYPE "auto" goes back to the rules)."""
    from farm.sessions.tags import set_tag

    record = _find(session_id)
    from farm.redact import redact

    task_type = " ".join(task_type.split())
    if not task_type or len(task_type) > 60:
        raise InvalidInput("a task type is 1–60 characters, e.g. 'bug fix'")
    if redact(task_type) != task_type:
        raise InvalidInput("that task type holds what looks like a secret; give a plain name, e.g. 'bug fix'")
    set_tag(record.agent, record.session_id, None if task_type == "auto" else task_type)
    shown = "the rules' choice" if task_type == "auto" else repr(task_type)
    click.echo(safe(f"{record.agent} session {record.session_id}: task type set to {shown}"))


def _find(session_id: str):
    """The imported session a unique prefix names; an ambiguous one is an error listing the candidates."""
    from farm.ids import resolve
    from farm.sessions.store import connect, find_session, session_ids

    record = find_session(session_id)
    if record is not None and record.session_id == session_id:
        return record
    db = connect()
    try:
        ids = session_ids(db, session_id)
    finally:
        db.close()
    wanted = resolve(session_id, ids, what="imported session", hint="run `farm sessions import`, or see `farm sessions list`")
    return find_session(wanted)


@sessions.command("moments")
@click.option("--repo", type=click.Path(path_type=Path), help="Only moments of sessions whose cwd is inside this folder.")
@output_options('Print {"moments": [{"session_id", "turn_id", "at", "text", "cue", "cost_usd", "correction", "score"}]}.')
def moments(repo: Path | None, output: str | None) -> None:
    """Correction moments: user turns that reject, undo or repair what the agent just did.

    Found while importing. `correction` is the correction farm's matcher says the moment
    repeats (in the farm you are in), `score` the detector's confidence.
    """
    from farm.moments import stored_moments

    found = stored_moments(repo)
    matched = _matched(found)
    rows = [{**m.as_json(), "correction": matched.get(m.id, (None, 0.0))[0],
             "match_score": matched.get(m.id, (None, 0.0))[1]} for m in found]
    if output == "json":
        echo_json({"moments": rows})
        return
    if output == "csv":
        echo_csv(rows)
        return
    if not rows:
        click.echo("no correction moments found (run `farm sessions import`)")
        return
    from farm.output import fit, fits_terminal

    headers = ["id", "session", "at (UTC)", "cue", "cost", "correction", "turn"]
    body = [(r["id"], r["session_id"][:8], (r["at"] or "-")[:16].replace("T", " "), r["cue"] or "-",
             money(r["cost_usd"]) if r["cost_usd"] is not None else "price unknown", r["correction"] or "-",
             " ".join(r["text"].split())) for r in rows]
    page(table(headers, fit(headers, body, shrink=len(headers) - 1, wide=not fits_terminal())))


def _matched(found) -> dict:
    """{moment id: (correction id, match score)} in the farm here; {} outside a farm."""
    from farm.project import open_farm

    if not found:
        return {}
    try:
        farm = open_farm()
    except FarmError:
        return {}
    from farm.moments.evidence import match_moments

    with farm.index() as (index, _refresh):
        rows = index.corrections()
    return {mm.moment.id: (mm.correction, mm.score) for mm in match_moments(farm, rows, found)}
