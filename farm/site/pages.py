"""The site's pages as text: markdown for structure, HTML built with `safe` for anything a
user wrote. Knows nothing about the renderer: links come from a `link` function it is given.

`site_pages(data, link)` returns every `Page` (and chart `Asset`) the site has; a page's
text depends only on the data, so an unchanged correction gives byte-identical text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from farm.output import money
from farm.site.data import CorrectionView, SiteData
from farm.site.safe import anchor, code_fence, esc, href, label, prose

STATUSES = ("leaking", "improved", "unproven", "holding", "retired")
STATUS_HELP = {
    "leaking": "it recurred after it landed, not clearly less often than before: it needs a better correction",
    "improved": "it recurred after it landed, but clearly less often than before",
    "unproven": "no recurrence yet, but too few sessions since to tell (or not committed yet)",
    "holding": "no recurrence in enough sessions that, at the old miss rate, one was likely",
    "retired": "closed by a person",
}
KIND_HELP = {
    "test": "a test in the repo's suite that fails on the miss",
    "grader": "a rule that farm check runs on files or text; its hits are catches",
    "prompt": "a constraint line in farm's block of AGENTS.md and CLAUDE.md",
    "skill": "an Agent Skills SKILL.md the agents load when it applies",
    "guard": "a rule the PreToolUse hook enforces: it denies (or asks about) a known-bad tool call; its hits are catches",
}
UNCLASSIFIED = "unclassified"
RECENT = 10

Link = Callable[[str, str, str | None], str]  # (from page, to page, fragment) -> escaped URL


@dataclass(frozen=True)
class Page:
    path: str  # in the docs folder, e.g. "corrections/<id>.md"
    title: str  # plain text (see safe.label)
    body: str  # markdown; user text only inside HTML built by `safe`
    tags: tuple[str, ...] = ()
    nav: str | None = None  # the navigation entry, for the few top pages


@dataclass(frozen=True)
class Asset:
    path: str
    content: str


NAV = (("index.md", "Home"), ("corrections/index.md", "Corrections"), ("spend.md", "Spend"),
       ("audit.md", "Audit"), ("inbox.md", "Inbox"), ("tags.md", "Tags"), ("kinds.md", "Kinds"), ("task-types.md", "Task types"))


def site_pages(data: SiteData, link: Link) -> list[Page | Asset]:
    from farm.site import charts

    series = cost_series(data.corrections)
    out: list[Page | Asset] = [
        home_page(data, link, series),
        corrections_page(data, link),
        spend_page(data, link),
        audit_page(data.audit, link),
        inbox_page(data.inbox),
        tags_page(data, link),
        kinds_page(data, link),
        task_types_page(data, link),
        Asset("charts/cost.svg", charts.cost_chart(series)),
        Asset("charts/cost-small.svg", charts.cost_chart(series, small=True)),
    ]
    if data.spend and data.spend.by_day:
        out.append(Asset("charts/spend-by-day.svg", charts.spend_chart(data.spend.by_day)))
        out.append(Asset("charts/spend-by-day-small.svg", charts.spend_chart(data.spend.by_day, small=True)))
    out += [correction_page(c, data, link) for c in data.corrections]
    return out


# --- home -------------------------------------------------------------------


def home_page(data: SiteData, link: Link, series: list[tuple[str, float, float]]) -> Page:
    src = "index.md"
    if not data.corrections:
        return _welcome_page(data)
    counts = Counter(c.tracked.status for c in data.corrections)
    missed = sum(_miss_cost(c) for c in data.corrections)
    avoided = [c.tracked.est_cost_avoided_usd for c in data.corrections if _avoided(c) is not None]
    parts = [
        _html(f'<h1 id="home">{esc(data.name)} corrections</h1>'),
        _html('<div class="farm-counts">' + "".join(
            f'<a class="farm-count farm-status-{s}" href="{link(src, "corrections/index.md", s)}" title="{esc(STATUS_HELP[s])}">'
            f'<span class="farm-count-n">{counts.get(s, 0)}</span> <span>{s}</span></a>'
            for s in STATUSES
        ) + f'<span class="farm-count"><span class="farm-count-n">{len(data.corrections)}</span> <span>in all</span></span></div>'),
        "## Cost of misses vs cost avoided",
        _chart("cost", "Cost of misses and estimated cost avoided over time") if len(series) >= 2 else
        _p("Too little history for a chart yet: it needs costs from two weeks or more.") if series else
        "_No costs recorded yet._",
        _html(f"<p>Misses with a known cost: <strong>{money(missed)}</strong>. Estimated cost avoided: "
              f"<strong>{money(sum(avoided))}</strong> (90% interval {money(sum(_avoided_low(c) for c in data.corrections))}"
              f"–{money(sum(_avoided_high(c) for c in data.corrections))}) from {len(avoided)} holding or improved "
              "correction(s) (miss rate before landing × sessions since − recurrences since, × the median cost of the "
              "miss; nothing is claimed for unproven, leaking or retired ones; the chart spreads each estimate evenly "
              "from its landing to today).</p>"),
        "## Leaking",
        _leaking(data.corrections, link, src),
        "## Recent captures",
        _p("The improvement log: the newest corrections, each a change to how the agents work here."),
        _correction_table(sorted(data.corrections, key=lambda c: c.tracked.created, reverse=True)[:RECENT],
                          link, src, ("created", "title", "kind", "status")),
        _p(f'<a href="{link(src, "corrections/index.md", None)}">All {len(data.corrections)} corrections</a>'),
    ]
    if data.warnings:
        parts += ["## Files farm could not read", _html("<ul>" + "".join(f"<li>{esc(w)}</li>" for w in data.warnings) + "</ul>")]
    return Page(src, "Home", _join(parts), nav="Home")


def _chart(name: str, alt: str) -> str:
    """A chart that stays readable: a narrow drawing with larger labels on a phone."""
    return _html(f'<picture><source media="(max-width: 44.9375em)" srcset="charts/{name}-small.svg">'
                 f'<img class="farm-chart" src="charts/{name}.svg" alt="{esc(alt)}"></picture>')


def _welcome_page(data: SiteData) -> Page:
    """A farm with no correction yet: how to start, instead of empty tables and $0.00."""
    steps = [
        ("After an agent session that went wrong, record the miss and the rule that prevents it:",
         "farm capture"),
        ("See which corrections hold and which leak:", "farm status"),
        ("Bring in the sessions' tokens and cost (Claude Code, Codex):", "farm sessions import"),
        ("Build this site again:", "farm site build"),
    ]
    items = "".join(f"<li>{esc(text)} <code>{esc(command)}</code></li>" for text, command in steps)
    body = _join([
        _html(f'<h1 id="home">{esc(data.name)} corrections</h1>'),
        _p("No corrections yet. A correction is a miss an agent made, turned into something durable: "
           "a test, a grader rule, a line in AGENTS.md / CLAUDE.md, or a skill."),
        "## Get started",
        _html(f'<ol class="farm-steps">{items}</ol>'),
    ])
    return Page("index.md", "Home", body, nav="Home")


def _leaking(corrections: list[CorrectionView], link: Link, src: str) -> str:
    leaking = [c for c in corrections if c.tracked.status == "leaking"]
    if not leaking:
        return _p("No correction is leaking.")
    leaking.sort(key=lambda c: (-(getattr(c.tracked, "recurrence_cost_usd", 0.0) or 0.0), -c.tracked.recurrences_after))
    return _correction_table(leaking, link, src, ("title", "kind", "recurred", "recurrence cost", "landed"))


# --- corrections ------------------------------------------------------------


def corrections_page(data: SiteData, link: Link) -> Page:
    src = "corrections/index.md"
    parts = ["# Corrections", _p(f"{len(data.corrections)} corrections, leaking first.")]
    for status in STATUSES:
        group = [c for c in data.corrections if c.tracked.status == status]
        group.sort(key=lambda c: c.tracked.created, reverse=True)
        parts += [f"## {status.capitalize()} {{ #{status} }}", _p(f"{len(group)} — {esc(STATUS_HELP[status])}.")]
        if group:
            parts.append(_correction_table(group, link, src, (
                "title", "kind", "task type", "landed", "misses", "sessions", "recurred", "catches", "before", "after",
                "cost", "avoided")))
    return Page(src, "Corrections", _join(parts), nav="Corrections")


def correction_page(c: CorrectionView, data: SiteData, link: Link) -> Page:
    src = f"corrections/{c.id}.md"
    t = c.tracked
    meta = [f'<span class="farm-badge farm-status-{t.status}">{t.status}</span>',
            f'<a href="{link(src, "kinds.md", c.kind)}">{c.kind}</a>']
    if c.task_type:
        meta.append(f'<a href="{link(src, "task-types.md", anchor("task", c.task_type))}">{esc(c.task_type)}</a>')
    meta.append(f"captured {t.created:%Y-%m-%d}")
    meta.append(f"<code>{esc(c.id)}</code>")
    parts = [
        _html(f'<h1 id="correction">{esc(c.title)}</h1><p class="farm-meta">{" · ".join(meta)}</p>' + _tag_links(c.tags, link, src)),
        "## What went wrong", _html(f'<div class="farm-prose">{prose(c.what)}</div>'),
        "## Rule", _html(f'<div class="farm-prose">{prose(c.rule)}</div>'),
        "## Artifact", _p(esc(KIND_HELP.get(c.kind, c.kind)) + "."),
        *_artifacts(c.artifacts, data.repo_url),
        "## Status and evidence", _p(f"<strong>{t.status}</strong>: {esc(STATUS_HELP[t.status])}."),
        _figures(c), "### Events", _events(t.events, data.repo_url),
    ]
    if c.notes.strip():
        parts += ["## Notes", _html(f'<div class="farm-prose">{prose(c.notes)}</div>')]
    parts += ["## Files", _files(c, data.repo_url)]
    return Page(src, label(c.title), _join(parts), tags=tuple(label(tag, 60) for tag in c.tags))


def _tag_links(tags: list[str], link: Link, src: str) -> str:
    if not tags:
        return ""
    items = ", ".join(f'<a href="{link(src, "tags.md", anchor("tag", tag))}">{esc(tag)}</a>' for tag in tags)
    return f'<p class="farm-tags">Tags: {items}</p>'


def _artifacts(artifacts, repo_url: str | None) -> list[str]:
    """Each artifact with its text, but a copy of one already shown (a skill's SKILL.md in both
    .claude/ and .agents/) as its path only."""
    out, seen = [], set()
    for a in artifacts:
        if a.text is not None and a.text in seen:
            out.append(_html(f'<p class="farm-file">{_file_link(a.path, repo_url)} (the same text as above)</p>'))
            continue
        seen.add(a.text)
        out.append(_artifact(a, repo_url))
    return out


def _artifact(a, repo_url: str | None) -> str:
    head = _html(f'<p class="farm-file">{_file_link(a.path, repo_url)}'
                 + (" (this correction's line)" if a.excerpt else "") + "</p>")
    if a.text is None:
        return head + "\n\n" + _p("Not found in the repo.")
    fence = code_fence(a.text)
    return f"{head}\n\n{fence}{a.language}\n{a.text.rstrip()}\n{fence}"


def _figures(c: CorrectionView) -> str:
    t = c.tracked
    g = lambda name, default=None: getattr(t, name, default)  # noqa: E731 - tracker fields grow
    rows = [
        ("Landed", f"{t.landed_at:%Y-%m-%d %H:%M} UTC" if t.landed_at else "not committed yet"),
        ("Verdict", g("verdict") or None),
        ("Before it landed", f"{g('before_k')} in {g('before_n')} sessions had the miss" if t.landed_at else None),
        ("Since it landed", f"{g('after_k')} in {g('after_n')} sessions" if t.landed_at else None),
        ("Misses before it landed", t.misses_before),
        ("Sessions before it landed", g("sessions_before")),
        ("Sessions since it landed (exposure)", t.exposure_sessions),
        ("Completed loops since", g("exposure_loops")),
        ("Recurrences since it landed", t.recurrences_after),
        ("Catches", t.catches),
        ("Cost of the original miss", money(t.origin_cost_usd)),
        ("Cost of recurrences", money(g("recurrence_cost_usd")) if g("recurrence_cost_usd") else None),
        ("Median cost of a miss", money(g("median_miss_cost_usd")) if g("median_miss_cost_usd") is not None else None),
        ("Expected repeats without it", g("expected_repeats")),
        ("Estimated cost avoided", money(t.est_cost_avoided_usd)),
        ("Cost avoided, 90% interval", f"{money(_avoided_low(c))}–{money(_avoided_high(c))}"
         if g("est_cost_avoided_low_usd") is not None else None),
    ]
    origin = c.origin
    if origin:
        who = " · ".join(esc(origin[k]) for k in ("agent", "model", "session_id") if origin.get(k))
        tokens = ", ".join(f"{esc(k)} {int(v):,}" for k, v in sorted((origin.get("tokens") or {}).items()))
        rows.append(("Original session", " — ".join(x for x in (who, tokens) if x) or None))
    body = " ".join(f"<tr><th>{name}</th> <td>{value if isinstance(value, str) else esc(value)}</td></tr>"
                   for name, value in rows if value is not None)
    return _html(f'<table class="farm-figures"><tbody>{body}</tbody></table>')


def _events(events: list, repo_url: str | None) -> str:
    if not events:
        return _p("No events recorded.")
    rows = (
        [f"{e.at:%Y-%m-%d %H:%M}", f'<span class="farm-event farm-event-{esc(e.type)}">{esc(e.type)}</span>',
         f'<span class="farm-id">{esc(e.session_id or "")}</span>', money(e.cost_usd) if e.cost_usd is not None else "",
         f'<span class="farm-detail">{esc(e.text or "")}</span>', _file_link(e.path, repo_url, "file")]
        for e in sorted(events, key=lambda e: e.at)
    )
    return _table(["when (UTC)", "event", "session", "cost", "detail", "file"], rows, NUMERIC)


def _files(c: CorrectionView, repo_url: str | None) -> str:
    paths = [c.path] + [a.path for a in c.artifacts]
    items = "".join(f"<li>{_file_link(p, repo_url)}</li>" for p in dict.fromkeys(paths))
    note = "" if repo_url else "<p>Set <code>repo_url</code> in mkdocs.yml to link these to your repository.</p>"
    return _html(f"<ul>{items}</ul>{note}")


def _file_link(path: str, repo_url: str | None, text: str | None = None) -> str:
    shown = esc(text) if text else f"<code>{esc(path)}</code>"
    url = href(f"{repo_url.rstrip('/')}/blob/HEAD/{path}") if repo_url else None
    if url:
        return f'<a href="{url}" rel="nofollow noopener">{shown}</a>'
    return "" if text else shown


# --- spend ------------------------------------------------------------------


def spend_page(data: SiteData, link: Link) -> Page:
    s = data.spend
    parts = ["# Spend"]
    if s is None:
        parts.append(_p("No sessions imported yet. Run <code>farm sessions import</code> (or turn on "
                        "<code>record_sessions</code> so session summaries are committed), then build the site again."))
        return Page("spend.md", "Spend", _join(parts), nav="Spend")
    source = ("this repo's sessions imported on this machine (<code>farm sessions import</code>; "
              "<code>farm spend --repo .</code> gives the same figures, <code>farm spend</code> every repo's)"
              if s.source == "store"
              else "the session summaries committed in <code>corrections/log/sessions/</code>, the whole team's "
                   "(cost only; <code>farm spend</code> reads this machine's imported sessions instead)")
    parts += [
        _p(f"From {source}: {s.total.get('sessions', 0)} sessions, {_cost(s.total)} in all."),
        "## By day",
        _chart("spend-by-day", "Cost by day") if s.by_day else "",
        "## By task type", _spend_table(s.by_task_type, "task type"),
        "## Per completed loop",
        _p("A completed loop is a session that ended in a commit. Cost per loop divides all the spend of a "
           "task type, failed sessions too, by its loops: what a landed change really costs."),
        _loops_table(s.loops, s.loops_total),
    ]
    if s.by_model:
        parts += ["## By model", _spend_table(s.by_model, "model")]
    if s.growth:
        parts += ["## Context growth outliers",
                  _p("Sessions whose context grew the most from first to last call: each turn re-sends it all."),
                  _growth_table(s.growth)]
    parts += ["## Days", _spend_table(list(reversed(s.by_day)), "day")]
    return Page("spend.md", "Spend", _join(parts), nav="Spend")


def _cost(row: dict) -> str:
    cost = row.get("cost_usd")
    text = money(cost) if cost is not None else "price unknown"
    return text + (" + unpriced" if row.get("price_unknown") and cost else "")


def _tokens(row: dict) -> str:
    keys = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens")
    if not any(k in row for k in keys):
        return ""
    return f"{sum(int(row.get(k) or 0) for k in keys):,}"


def _spend_table(rows: list[dict], key: str) -> str:
    if not rows:
        return _p("None.")
    tokens = any(_tokens(r) for r in rows)  # committed summaries carry cost only
    headers = [key, "sessions", *(["tokens"] if tokens else []), "cost"]
    return _table(headers, ([esc(r["key"]), str(r.get("sessions", "")), *([_tokens(r)] if tokens else []), _cost(r)]
                            for r in rows), NUMERIC)


def _loops_table(rows: list[dict], total: dict) -> str:
    def row(r: dict, name: str) -> list[str]:
        per_loop = r.get("cost_per_loop_usd")
        tokens = r.get("tokens_per_loop")
        return [name, str(r.get("sessions", 0)), str(r.get("loops", 0)), f"{tokens:,}" if tokens else "",
                money(per_loop) if per_loop is not None else "no loops"]

    body = [row(r, esc(r["key"])) for r in rows] + [row(total, "<strong>all</strong>")]
    if not any(r[3] for r in body):  # committed summaries carry no tokens: no empty column
        return _table(["task type", "sessions", "loops", "cost per loop"], ([r[0], r[1], r[2], r[4]] for r in body), NUMERIC)
    return _table(["task type", "sessions", "loops", "tokens per loop", "cost per loop"], body, NUMERIC)


def _growth_table(rows: list[dict]) -> str:
    body = ([f'<code class="farm-id">{esc(r["key"])}</code>', esc(r.get("task_type") or ""),
             f"{int(r.get('context_first') or 0):,}", f"{int(r.get('context_peak') or 0):,}",
             f"{esc(r.get('context_growth'))}×", _cost(r)] for r in rows)
    return _table(["session", "task type", "first context", "peak context", "growth", "cost"], body, NUMERIC)


# --- audit ------------------------------------------------------------------


def audit_page(findings: list[dict] | None, link: Link) -> Page:
    parts = ["# Audit"]
    if not findings:
        parts.append(_p("No audit findings yet." if findings is None else "The audit found nothing to act on."))
        return Page("audit.md", "Audit", _join(parts), nav="Audit")
    parts.append(_p("What keeps failing and where the money goes, most pressing first (<code>farm audit</code>)."))
    items = []
    for f in findings:
        evidence = " ".join(f"<li><strong>{esc(_words(k))}</strong>: {esc(_plain(v, k))}</li>"
                            for k, v in (f.get("evidence") or {}).items())
        corrections = [f["evidence"]["correction"]] if "correction" in (f.get("evidence") or {}) else []
        corrections += list((f.get("evidence") or {}).get("corrections") or [])
        links = ", ".join(f'<a href="{link("audit.md", f"corrections/{cid}.md", None)}">{esc(cid)}</a>'
                          for cid in corrections if isinstance(cid, str) and _is_id(cid))
        items.append(f'<div class="farm-finding"><p><span class="farm-badge">{esc(f.get("kind", ""))}</span> '
                     f'<strong>{esc(f.get("title", ""))}</strong></p><ul>{evidence}</ul>'
                     + (f"<p>Corrections: {links}</p>" if links else "")
                     + (f'<p>Next step: {esc(f["next_step"])}</p>' if f.get("next_step") else "") + "</div>")
    parts.append(_html("".join(items)))
    return Page("audit.md", "Audit", _join(parts), nav="Audit")


def inbox_page(groups: list[dict]) -> Page:
    """`farm inbox` as a page: correction moments no correction covers, costliest first."""
    parts = ["# Inbox"]
    if not groups:
        parts.append(_p("No uncovered correction moments in the sessions imported on this machine "
                        "(<code>farm sessions import</code> finds them)."))
        return Page("inbox.md", "Inbox", _join(parts), nav="Inbox")
    parts.append(_p("Moments in which a person rejected, undid or repaired what the agent did, that no "
                    "correction covers yet: the costliest first, look-alikes grouped. Capture one with the "
                    "command under it."))
    items = []
    for g in groups:
        cost = "price unknown" if g.get("cost_usd") is None else money(g["cost_usd"])
        items.append(f'<div class="farm-finding"><p><span class="farm-badge">{esc(g.get("cue") or "moment")}</span> '
                     f'<strong>{esc(cost)}</strong> · {int(g.get("count", 0))} time(s) in '
                     f'{int(g.get("sessions", 0))} session(s)</p><blockquote>{esc(g.get("text", ""))}</blockquote>'
                     f'<p><code>{esc(g.get("capture", ""))}</code></p></div>')
    parts.append(_html("".join(items)))
    return Page("inbox.md", "Inbox", _join(parts), nav="Inbox")


def _plain(value, key: str = "") -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if "usd" in key.split("_") and isinstance(value, (int, float)):
        return money(value)
    return str(value)


def _words(key: str) -> str:
    """A field name as words: `cost_of_recurrences_usd` → "cost of recurrences"."""
    return " ".join(w for w in key.split("_") if w != "usd")


def _is_id(text: str) -> bool:
    from farm.model import ID_PATTERN

    return bool(ID_PATTERN.match(text))


# --- tags, kinds, task types --------------------------------------------------


def tags_page(data: SiteData, link: Link) -> Page:
    groups: dict[str, list[CorrectionView]] = {}
    for c in data.corrections:
        for tag in dict.fromkeys(c.tags):
            groups.setdefault(tag, []).append(c)
    parts = ["# Tags"]
    if not groups:
        parts.append(_p("No correction has tags yet (add <code>tags:</code> to a correction's frontmatter)."))
    for tag in sorted(groups, key=str.lower):
        parts += [_html(f'<h2 id="{anchor("tag", tag)}">{esc(tag)}</h2>'),
                  _correction_table(groups[tag], link, "tags.md", ("title", "kind", "status"))]
    return Page("tags.md", "Tags", _join(parts), nav="Tags")


def kinds_page(data: SiteData, link: Link) -> Page:
    parts = ["# Kinds", _p("What each correction became.")]
    for kind in KIND_HELP:
        group = [c for c in data.corrections if c.kind == kind]
        summary = f" Status: {_status_summary(group)}." if group else ""
        parts += [f"## {kind} {{ #{kind} }}", _p(f"{len(group)} — {esc(KIND_HELP[kind])}.{summary}")]
        if group:
            parts.append(_correction_table(group, link, "kinds.md", ("title", "task type", "status")))
    return Page("kinds.md", "Kinds", _join(parts), nav="Kinds")


def task_types_page(data: SiteData, link: Link) -> Page:
    groups: dict[str, list[CorrectionView]] = {}
    for c in data.corrections:
        groups.setdefault(c.task_type or UNCLASSIFIED, []).append(c)
    spend = {r["key"]: r for r in (data.spend.loops if data.spend else [])}
    parts = ["# Task types", _p("Corrections by the kind of work that went wrong" +
                                (", with what that work costs per completed loop." if spend else "."))]
    for task in sorted(groups, key=lambda k: (k == UNCLASSIFIED, k.lower())):
        group = groups[task]
        cost = spend.get(task, {}).get("cost_per_loop_usd")
        extra = f" Cost per completed loop: {money(cost)}." if cost is not None else ""
        parts += [_html(f'<h2 id="{anchor("task", task) if task != UNCLASSIFIED else "task-unclassified"}">{esc(task)}</h2>'),
                  _p(f"{len(group)} correction(s): {_status_summary(group)}.{extra}"),
                  _correction_table(group, link, "task-types.md", ("title", "kind", "status"))]
    return Page("task-types.md", "Task types", _join(parts), nav="Task types")


def _status_summary(group: list[CorrectionView]) -> str:
    counts = Counter(c.tracked.status for c in group)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


# --- tables and helpers ---------------------------------------------------------


def _correction_table(group: Iterable[CorrectionView], link: Link, src: str, columns: tuple[str, ...]) -> str:
    cells: dict[str, Callable[[CorrectionView], str]] = {
        "title": lambda c: f'<a href="{link(src, f"corrections/{c.id}.md", None)}">{esc(c.title)}</a>',
        "kind": lambda c: c.kind,
        "task type": lambda c: esc(c.task_type or ""),
        "status": lambda c: f'<span class="farm-badge farm-status-{c.tracked.status}">{c.tracked.status}</span>',
        "created": lambda c: f"{c.tracked.created:%Y-%m-%d}",
        "landed": lambda c: f"{c.tracked.landed_at:%Y-%m-%d}" if c.tracked.landed_at else "",
        "misses": lambda c: str(c.tracked.misses_before),
        "sessions": lambda c: str(c.tracked.exposure_sessions),
        "recurred": lambda c: str(c.tracked.recurrences_after),
        "recurrence cost": lambda c: money(_recurrence_cost(c)),
        "catches": lambda c: str(c.tracked.catches),
        "cost": lambda c: money(c.tracked.origin_cost_usd),
        "avoided": lambda c: money(c.tracked.est_cost_avoided_usd),
        "before": lambda c: f"{getattr(c.tracked, 'before_k', 0)}/{getattr(c.tracked, 'before_n', 0)}",
        "after": lambda c: f"{getattr(c.tracked, 'after_k', 0)}/{getattr(c.tracked, 'after_n', 0)}",
    }
    return _table(columns, ([cells[name](c) for name in columns] for c in group), NUMERIC)


def cost_series(corrections: list[CorrectionView], today: datetime | None = None) -> list[tuple[str, float, float]]:
    """(period, cumulative cost of misses, cumulative estimated cost avoided), by week or month."""
    from datetime import timedelta

    # The end of today, not this second: the chart (and its file) changes once a day at most.
    today = today or datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    costs: list[tuple[datetime, float]] = []
    accruals: list[tuple[datetime, float]] = []
    for c in corrections:
        costs += [(e.at, e.cost_usd) for e in c.tracked.events if e.type in ("miss", "recurrence") and e.cost_usd]
        if _avoided(c) and c.tracked.landed_at:
            accruals.append((c.tracked.landed_at, c.tracked.est_cost_avoided_usd))
    if not costs and not accruals:
        return []
    start = min(when for when, _ in costs + accruals)
    weekly = (today - start).days <= 180
    periods = _periods(start, today, weekly)
    out = []
    for name, end in periods:
        missed = sum(cost for when, cost in costs if when < end)
        avoided = sum(_accrued(landed, value, end, today) for landed, value in accruals)
        out.append((name, round(missed, 2), round(avoided, 2)))
    return out


def _periods(start: datetime, today: datetime, weekly: bool) -> list[tuple[str, datetime]]:
    from datetime import timedelta

    periods = []
    if weekly:
        cursor = (start - timedelta(days=start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        while cursor < today:
            periods.append((cursor.strftime("%Y-%m-%d"), min(cursor + timedelta(days=7), today + timedelta(seconds=1))))
            cursor += timedelta(days=7)
        return periods
    cursor = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while cursor < today:
        nxt = cursor.replace(year=cursor.year + (cursor.month == 12), month=cursor.month % 12 + 1)
        periods.append((cursor.strftime("%Y-%m"), min(nxt, today + timedelta(seconds=1))))
        cursor = nxt
    return periods


def _accrued(landed: datetime, value: float, end: datetime, today: datetime) -> float:
    if end <= landed:
        return 0.0
    span = (today - landed).total_seconds()
    return value if span <= 0 else value * min(1.0, (end - landed).total_seconds() / span)


def _recurrence_cost(c: CorrectionView) -> float | None:
    """What its recurrences cost, or None ("unknown", as the CLI says) when none carries a cost."""
    costs = [e.cost_usd for e in c.tracked.events if e.type == "recurrence" and e.cost_usd is not None]
    return getattr(c.tracked, "recurrence_cost_usd", None) if costs else None


def _miss_cost(c: CorrectionView) -> float:
    return sum(e.cost_usd or 0.0 for e in c.tracked.events if e.type in ("miss", "recurrence"))


def _avoided(c: CorrectionView) -> float | None:
    return c.tracked.est_cost_avoided_usd


def _avoided_low(c: CorrectionView) -> float:
    return getattr(c.tracked, "est_cost_avoided_low_usd", None) or 0.0


def _avoided_high(c: CorrectionView) -> float:
    return getattr(c.tracked, "est_cost_avoided_high_usd", None) or 0.0


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric: Iterable[str] = ()) -> str:
    """A table of trusted HTML cells. Cells are spaced so search snippets keep words apart;
    each cell carries its column's name, so a phone shows a row as a labelled card."""
    headers, numeric = list(headers), set(numeric)
    head = " ".join(f"<th>{h}</th>" for h in headers)

    def cell(name: str, value: str) -> str:
        cls = ' class="farm-num"' if name in numeric else ""
        return f'<td data-label="{esc(name)}"{cls}>{value}</td>'

    body = " ".join("<tr>" + " ".join(cell(h, v) for h, v in zip(headers, row)) + "</tr>" for row in rows)
    return _html(f'<div class="farm-table"><table><thead><tr>{head}</tr></thead> <tbody>{body}</tbody></table></div>')


NUMERIC = ("misses", "sessions", "recurred", "recurrence cost", "catches", "cost", "avoided", "before", "after",
           "tokens", "loops", "tokens per loop", "cost per loop", "first context", "peak context", "growth")


def _html(text: str) -> str:
    """A raw HTML block on one line (newlines as `&#10;`, the same text inside `<pre>`), so no
    markdown renderer ever looks inside it."""
    text = text.replace("\n", "&#10;")
    return f'<div class="farm-block">{text}</div>'


def _p(text: str) -> str:
    return _html(f"<p>{text}</p>")


def _join(parts: list[str]) -> str:
    return "\n\n".join(p for p in parts if p) + "\n"
