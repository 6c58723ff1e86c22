"""`farm sync`: this farm's prompt rules and skills, written into this repo's agent files.

farm owns two things here and nothing else: its marked block in AGENTS.md and
CLAUDE.md (plus GEMINI.md, .github/copilot-instructions.md, .cursor/rules/farm.mdc
when config enables them), and the files listed in `.farm/manifest.json`. When the
repo uses ruler (`.ruler/`) or rulesync (`.rulesync/`), the rules go into their
source folder instead, and the user's generator writes the agent files.

Sync works in two steps, the way `seed` does too: `plan_agent_files` says what the
files should hold, `reconcile` compares that with the disk and the manifest and
decides, per file, create / update / remove / adopt or conflict. A file a person
edited after farm wrote it is never overwritten: it is a conflict, left as it is,
unless `--merge` can merge farm's change into the person's text without a clash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from farm import manifest as mf
from farm.block import find_block, newline_of, replace_block
from farm.errors import InvalidCorrection, InvalidInput
from farm.fsutil import atomic_write, inside, is_git_part
from farm.manifest import Entry, Manifest
from farm.model import Correction
from farm.project import Farm

GENERATORS = {
    # name: (the folder that says the tool is in use, farm's rules file, its skills folder)
    "ruler": (".ruler", ".ruler/farm.md", ".ruler/skills"),
    "rulesync": (".rulesync", ".rulesync/rules/farm.md", ".rulesync/skills"),
}
EXTRA_AGENT_FILES = ("GEMINI.md", ".github/copilot-instructions.md", ".cursor/rules/farm.mdc")
_DESCRIPTION = "Rules kept by farm: corrections from agent sessions that went wrong"
_STATE_FILE = "sync-state.json"


# --- what the agent files should hold ---------------------------------------


@dataclass(frozen=True)
class Layout:
    generator: str | None  # "ruler", "rulesync" or None
    prompt: list[tuple[str, str]]  # (path, style): block, ruler, rulesync or cursor
    skill_dirs: list[str]  # where farm writes skills
    skill_name_dirs: list[str]  # where a skill's name must be free (a generator's outputs too)
    generated_prompt_files: list[str]  # written by the generator: farm's block must leave them


def layout(farm: Farm) -> Layout:
    config, root = farm.config, farm.root
    choice = config.get("rules_generator", "auto")
    if choice not in ("auto", "none", *GENERATORS):
        raise InvalidInput(f"rules_generator: {choice!r} is not one of auto, none, ruler, rulesync")
    generator = choice if choice in GENERATORS else None
    if choice == "auto":
        generator = next((name for name, (folder, _, _) in GENERATORS.items() if (root / folder).is_dir()), None)
    skill_dirs = [d.rstrip("/") for d in _str_list(config, "skill_dirs")]
    block_files = _str_list(config, "prompt_files")
    extras = _str_list(config, "extra_agent_files")
    prompt = [(p, "block") for p in block_files] + [(p, "cursor" if p.endswith(".mdc") else "block") for p in extras]
    if generator:
        _, rules_file, skills = GENERATORS[generator]
        return Layout(generator, [(rules_file, generator)], [skills], [skills, *skill_dirs],
                      [p for p, style in prompt if style == "block"])
    return Layout(None, prompt, skill_dirs, skill_dirs, [])


def _str_list(config: dict, key: str) -> list[str]:
    value = config.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidInput(f"{key}: expected a list of paths")
    return list(dict.fromkeys(value))


@dataclass
class Desired:
    path: str
    content: str | None  # the whole file, or the inner text of farm's block; None: farm's copy must go
    owner: str = "sync"
    correction: str | None = None
    block: bool = False
    farm_lines: frozenset[str] | None = None  # a text made only of these lines was written by farm


@dataclass
class AgentPlan:
    desired: list[Desired]
    artifacts: dict[str, list[str]]  # correction id -> the agent files that carry it
    notes: list[str]
    block_lines: frozenset[str]
    layout: Layout | None = None
    root: Path | None = None

    def may_remove(self, path: str) -> bool:
        """Whether `path` is a file farm's own sync rules write here, so one it no longer wants may go.
        The manifest is input, not authority: a path it names that these rules cannot produce
        (README.md, .git/HEAD, an agent file not enabled, a skill farm did not write) is never
        removed, whatever its entry says."""
        return self.layout is not None and self.root is not None and farm_writes(self.root, self.layout, path)


def farm_writes(root: Path, lay: Layout, path: str) -> bool:
    """Whether sync's rules produce `path` under this layout: an enabled prompt file or the
    generator's rules file (farm removes only its block from a block file), or
    `<skills folder>/<name>/SKILL.md` that carries farm's `farm-correction:` mark."""
    if path in {p for p, _ in lay.prompt} | set(lay.generated_prompt_files):
        return True
    parts = PurePosixPath(path)
    if parts.name != "SKILL.md" or parts.parent.parent.as_posix() not in {*lay.skill_dirs, *lay.skill_name_dirs}:
        return False
    try:
        text = read_text(root, path) or ""
    except InvalidInput:
        return False
    return re.search(r"^\s*farm-correction:\s*\S", text, re.M) is not None


def plan_agent_files(farm: Farm, corrections: list[Correction], manifest: Manifest) -> AgentPlan:
    """What farm's blocks, rules files and skills should hold for these corrections."""
    lay = layout(farm)
    prompts = [c for c in corrections if c.kind == "prompt"]
    active = [c for c in prompts if c.status == "active"]
    artifacts: dict[str, list[str]] = {}
    desired: list[Desired] = []
    block_lines = _farm_lines(farm, "block", prompts)
    for path, style in lay.prompt:
        lines = block_lines if style == "block" else _farm_lines(farm, style, prompts)
        if not active and not (style == "block" and (path in manifest.entries or _has_block(farm.root, path))):
            continue  # nothing to say, and no block of farm's to keep up to date
        desired.append(Desired(path, prompt_text(farm, style, active), block=style == "block", farm_lines=lines))
        for c in active:
            artifacts.setdefault(c.id, []).append(path)
    for path in lay.generated_prompt_files:
        if _has_block(farm.root, path):
            desired.append(Desired(path, None, block=True, farm_lines=block_lines))
    skills = [c for c in corrections if c.kind == "skill" and c.status == "active"]
    names, notes = skill_names(farm, lay, skills, manifest)
    desired += _skill_files(farm, lay, skills, names, artifacts)
    return AgentPlan(desired, artifacts, notes, block_lines, lay, farm.root)


def prompt_text(farm: Farm, style: str, corrections: list[Correction]) -> str:
    from farm.artifacts import render

    inner = mf.lf(render(farm, "prompt_block.md.j2", corrections=corrections)).strip("\n")
    if style == "block":
        return inner
    source = farm.config["corrections_dir"]
    note = f"<!-- Written by `farm sync` from {source}/: change a rule there (or `farm retire` it), not here. -->"
    heads = {
        "ruler": "",
        "rulesync": f'---\nroot: false\ntargets: ["*"]\ndescription: "{_DESCRIPTION}"\nglobs: ["**/*"]\n---\n\n',
        "cursor": f"---\ndescription: {_DESCRIPTION}\nalwaysApply: true\n---\n\n",
    }
    return f"{heads[style]}{note}\n\n{inner}\n"


def _farm_lines(farm: Farm, style: str, prompts: list[Correction]) -> frozenset[str]:
    """Every line farm could have written in this file: capture and retire rewrite the
    block without the manifest, so a block made only of these lines is still farm's."""
    lines = set(prompt_text(farm, style, prompts).split("\n")) | set(prompt_text(farm, style, []).split("\n"))
    return frozenset(lines | {""})


def _has_block(root: Path, rel: str) -> bool:
    try:
        text = read_text(root, rel)
        return text is not None and find_block(text, rel) is not None
    except InvalidInput:
        return True  # broken markers or an unreadable file: let reconcile report it


def skill_names(farm: Farm, lay: Layout, skills: list[Correction], manifest: Manifest) -> tuple[dict[str, str], list[str]]:
    """The folder name of each skill: its id, unless a folder of that name is someone else's."""
    from farm.artifacts.skill import skill_name

    owned: dict[str, str] = {}
    for path, entry in sorted(manifest.entries.items()):
        if entry.owner == "sync" and entry.correction and path.endswith("/SKILL.md"):
            owned.setdefault(entry.correction, PurePosixPath(path).parent.name)
    taken: set[str] = set()
    names, notes = {}, []
    for c in skills:
        base = skill_name(c.id)
        for candidate in _candidates(owned.get(c.id), base):
            if candidate not in taken and all(_free_or_ours(farm.root, d, candidate, c, manifest) for d in lay.skill_name_dirs):
                break
        names[c.id] = candidate
        taken.add(candidate)
        if candidate not in (base, owned.get(c.id)):
            theirs = [f"{d}/{base}/" for d in lay.skill_name_dirs if not _free_or_ours(farm.root, d, base, c, manifest)]
            notes.append(f"skill {c.id}: {', '.join(theirs) or base} is not farm's, so farm's skill is named {candidate}")
    return names, notes


def _candidates(owned: str | None, base: str):
    from farm.artifacts.skill import NAME_MAX

    if owned:
        yield owned
    yield base
    for n in range(1, 1000):
        suffix = "-farm" if n == 1 else f"-farm-{n}"
        yield base[: NAME_MAX - len(suffix)].rstrip("-") + suffix
    raise InvalidInput(f"no free skill name for {base}")


def _free_or_ours(root: Path, skills_dir: str, name: str, c: Correction, manifest: Manifest) -> bool:
    folder = f"{skills_dir}/{name}"
    if not (root / folder).exists():
        return True
    skill_md = f"{folder}/SKILL.md"
    if skill_md in c.artifacts or manifest.entries.get(skill_md, Entry("", "sync")).correction == c.id:
        return True
    try:
        return f"farm-correction: {c.id}\n" in (read_text(root, skill_md) or "")
    except (OSError, UnicodeDecodeError, InvalidInput):
        return False


def _skill_files(farm: Farm, lay: Layout, skills: list[Correction], names: dict[str, str],
                 artifacts: dict[str, list[str]]) -> list[Desired]:
    from farm.artifacts.skill import render_skill

    desired = []
    for c in skills:
        content = render_skill(farm, c, names[c.id])
        for skills_dir in lay.skill_dirs:
            path = f"{skills_dir}/{names[c.id]}/SKILL.md"
            desired.append(Desired(path, content, correction=c.id))
            artifacts.setdefault(c.id, []).append(path)
    return desired


# --- comparing with the disk -----------------------------------------------


@dataclass
class Change:
    path: str
    action: str  # create, update, remove, merge, adopt (record only: the file is already right)
    correction: str | None = None
    note: str | None = None
    before: str | None = None  # the file now (None: absent)
    after: str | None = None  # the file as farm leaves it (None: deleted)

    def as_json(self) -> dict:
        return {"path": self.path, "action": self.action, "correction": self.correction, "note": self.note}


@dataclass
class Conflict:
    path: str
    reason: str
    correction: str | None = None
    before: str | None = None
    after: str | None = None  # what farm would have written

    def as_json(self) -> dict:
        return {"path": self.path, "reason": self.reason, "correction": self.correction}


@dataclass
class Plan:
    manifest: Manifest  # as it will be after the changes
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bases: dict[str, str] = field(default_factory=dict)  # hash -> text to keep under .farm/base/

    @property
    def drift(self) -> bool:
        """True when the files differ from what farm would write (adopting changes nothing on disk)."""
        return bool(self.conflicts) or any(c.action != "adopt" for c in self.changes)


MAX_AGENT_FILE = 200_000_000  # the fingerprint reads templates and the manifest with the same cap


def read_text(root: Path, rel: str) -> str | None:
    """The text of `rel`, or None when it is not there (see `fsutil.read_repo_text`)."""
    from farm.fsutil import read_repo_text

    return read_repo_text(root, rel, MAX_AGENT_FILE)


def block_inner(text: str, rel: str) -> str | None:
    """The lines between farm's markers (LF), or None when the file has no block."""
    span = find_block(text, rel)
    if span is None:
        return None
    lines = mf.lf(text[span[0]:span[1]]).split("\n")
    return "\n".join(lines[1:-1])


def without_block(text: str, rel: str) -> str:
    start, end = find_block(text, rel) or (len(text), len(text))
    nl = newline_of(text)
    before, after = text[:start], text[end:]
    if after.startswith(nl):
        after = after[len(nl):]
    elif after.startswith("\n"):
        after = after[1:]
    if not after and before.endswith(nl + nl):
        before = before[: -len(nl)]
    return before + after


def reconcile(root: Path, desired: list[Desired], manifest: Manifest, *, merge: bool = False,
              release: tuple[str, ...] = ("sync",), block_lines: frozenset[str] = frozenset(),
              may_remove=lambda path: False) -> Plan:
    """Decide, file by file, what farm may do; entries of `release` owners no longer desired go,
    when `may_remove` says farm's rules write such a path (other entries are dropped, the file kept)."""
    plan = Plan(manifest=manifest.copy())
    for path in list(plan.manifest.entries):
        if is_git_part(path) or not may_remove(path) and path not in {d.path for d in desired} \
                and manifest.entries[path].owner in release:
            plan.manifest.entries.pop(path)
            plan.notes.append(f"{mf.MANIFEST}: {path} is not a file farm writes; its entry is dropped, the file left alone")
    manifest = plan.manifest.copy()
    wanted = set()
    for item in desired:
        if item.path in wanted:
            continue  # the same file named twice in the settings
        wanted.add(item.path)
        _judge(root, item, manifest.entries.get(item.path), merge, plan)
    for path, entry in sorted(manifest.entries.items()):
        if path not in wanted and entry.owner in release:
            gone = Desired(path, None, owner=entry.owner, correction=entry.correction, block=entry.block,
                           farm_lines=block_lines if entry.block else None)
            _judge(root, gone, entry, merge, plan)
    return plan


def _judge(root: Path, d: Desired, entry: Entry | None, merge: bool, plan: Plan) -> None:
    try:
        text = read_text(root, d.path)
        current = block_inner(text, d.path) if d.block and text is not None else text
    except InvalidInput as exc:
        plan.conflicts.append(Conflict(d.path, f"{exc}; left as is", d.correction))
        return
    if d.content is None:
        _judge_removal(d, entry, text, current, plan)
        return
    want = d.content
    if d.block:
        plan.bases[mf.text_hash(want)] = want
    after = _file_with(d, text, want)
    if current is None:
        note = "it was deleted since farm wrote it" if entry and not d.block else None
        _record(plan, d, entry, want)
        plan.changes.append(Change(d.path, "create" if text is None else "update", d.correction, note, text, after))
        return
    if mf.lf(current) == mf.lf(want):
        if entry is None or entry.hash != mf.text_hash(want) or entry.base or entry.owner != d.owner:
            _record(plan, d, entry, want)
            if entry is None:
                plan.changes.append(Change(d.path, "adopt", d.correction, "already right; now farm's", text, text))
        return
    current_hash = mf.text_hash(current)
    if entry and current_hash == entry.hash:
        if entry.farm_version == mf.text_hash(want):
            return  # it holds a merge of farm's version and yours, and farm has nothing new
        if entry.base is None:
            _record(plan, d, entry, want)
            plan.changes.append(Change(d.path, "update", d.correction, None, text, after))
            return
        reason = "holds your edits merged with farm's earlier version"
    elif d.farm_lines is not None and _only_farm_lines(current, d.farm_lines):
        _record(plan, d, entry, want)
        plan.changes.append(Change(d.path, "update", d.correction, None, text, after))
        return
    elif entry is None:
        reason = "exists, and farm has no record of writing it"
    else:
        reason = "edited by hand since farm wrote it"
    if merge:
        _merge(root, d, entry, text, current, reason, plan)
    else:
        hint = " (--merge merges farm's change into yours)" if entry else ""
        plan.conflicts.append(Conflict(d.path, f"{reason}; left as is{hint}", d.correction, text, after))


def _judge_removal(d: Desired, entry: Entry | None, text: str | None, current: str | None, plan: Plan) -> None:
    if current is None:
        plan.manifest.entries.pop(d.path, None)
        return
    unchanged = entry is not None and mf.text_hash(current) == entry.hash and entry.base is None
    if unchanged or (d.farm_lines is not None and _only_farm_lines(current, d.farm_lines)):
        after = without_block(text, d.path) if d.block else None
        if after is not None and not after.strip():
            after = None  # the file held nothing but farm's block
        plan.manifest.entries.pop(d.path, None)
        note = "farm's block" if d.block else None
        plan.changes.append(Change(d.path, "remove", d.correction, note, text, after))
        return
    plan.manifest.entries.pop(d.path, None)
    plan.conflicts.append(Conflict(
        d.path, "farm no longer writes it, but it holds your edits: left as is, and it is yours now", d.correction, text, text,
    ))


def _merge(root: Path, d: Desired, entry: Entry | None, text: str | None, current: str, reason: str, plan: Plan) -> None:
    from farm import git

    base = mf.read_base(root, entry.farm_version) if entry else None
    if base is None:
        plan.conflicts.append(Conflict(d.path, f"{reason}; no earlier version of farm's to merge against, left as is",
                                       d.correction, text, _file_with(d, text, d.content)))
        return
    merged, clean = git.merge_file(root, mf.lf(current), mf.lf(base), mf.lf(d.content))
    if not clean:
        plan.conflicts.append(Conflict(d.path, f"{reason}; merging farm's change would clash with yours, left as is",
                                       d.correction, text, _file_with(d, text, d.content)))
        return
    want_hash = mf.text_hash(d.content)
    plan.bases[want_hash] = d.content
    merged = merged.strip("\n") if d.block else merged
    plan.manifest.entries[d.path] = mf.with_hash(entry, merged, owner=d.owner, correction=d.correction,
                                                 block=d.block, base=None if mf.text_hash(merged) == want_hash else want_hash)
    note = ("farm's change merged into your edits" if want_hash != entry.farm_version
            else "farm has no change here; your edits are kept as they are")
    plan.changes.append(Change(d.path, "merge", d.correction, note, text, _file_with(d, text, merged)))


def _file_with(d: Desired, text: str | None, content: str) -> str:
    if d.block:
        return replace_block(text or "", content, d.path)
    if text and "\r\n" in text:
        return mf.lf(content).replace("\n", "\r\n")  # keep the file's own line endings
    return content


def _record(plan: Plan, d: Desired, entry: Entry | None, want: str) -> None:
    plan.manifest.entries[d.path] = mf.with_hash(entry, want, owner=d.owner, correction=d.correction, block=d.block)


def _only_farm_lines(text: str, lines: frozenset[str]) -> bool:
    return all(line in lines for line in mf.lf(text).split("\n"))


# --- writing ----------------------------------------------------------------


def apply(farm: Farm, plan: Plan, message: str, *, commit: bool = True, first: list[tuple[str, str]] = ()):
    """Write the plan's files, the manifest and the kept bases through one write-door Change;
    commit exactly them. `first` are more files for the same change (`farm seed` puts the
    target's `farm init` files there, so a seed lands whole or not at all)."""
    from farm.writer import Change

    writes, removes = _file_operations(farm.root, plan)
    change = Change(farm, bulk=True)
    for rel, text in first:
        change.write(rel, text)
    for rel, text in writes.items():
        change.write(rel, text)
    for rel in removes:
        change.remove(rel)
    change.apply()
    _keep_merge_bases(farm.root, plan, writes, commit)
    return change.commit(message, commit=commit)


def _file_operations(root: Path, plan: Plan) -> tuple[dict[str, str], list[str]]:
    writes: dict[str, str] = {}
    removes: list[str] = []
    for change in plan.changes:
        if change.action == "adopt":
            continue
        if change.after is None:
            removes.append(change.path)
        else:
            writes[change.path] = change.after
    old = read_text(root, mf.MANIFEST)
    new = plan.manifest.dump()
    if (old is not None or plan.manifest.entries) and (old is None or mf.lf(old) != new):
        writes[mf.MANIFEST] = new
    needed = plan.manifest.base_hashes()
    for digest in sorted(needed):
        if digest in plan.bases and not (root / mf.base_path(digest)).exists():
            writes[mf.base_path(digest)] = plan.bases[digest]
    base_dir = root / mf.BASE_DIR
    if base_dir.is_dir():
        removes += [mf.base_path(p.name) for p in sorted(base_dir.iterdir()) if p.is_file() and p.name not in needed]
    return writes, removes


def _keep_merge_bases(root: Path, plan: Plan, writes: dict[str, str], committed: bool) -> None:
    """Make sure git can give back what farm wrote, for a later --merge: a commit keeps the
    file's bytes, but not when they had CRLF or were not committed."""
    from farm import git

    for change in plan.changes:
        entry = plan.manifest.entries.get(change.path)
        text = writes.get(change.path)
        if entry is None or entry.block or text is None:
            continue
        if "\r\n" in text or not committed:
            git.store_blob(root, mf.lf(text).encode("utf-8"))


# --- the sync use case ------------------------------------------------------


@dataclass
class SyncResult:
    plan: Plan
    written: object | None = None  # farm.writer.Written when files were written
    warnings: list[str] = field(default_factory=list)
    quick: bool = False  # --check answered from the last clean run's fingerprint


def load_corrections(farm: Farm, kinds: tuple[str, ...] | None = ("prompt", "skill")) -> tuple[list[Correction], list[str]]:
    """The farm's corrections of `kinds` (None: all), oldest first, and the index's warnings."""
    from farm import model
    from farm.capture import row_to_correction

    with farm.index() as (index, refresh):
        rows = [r for r in index.corrections() if kinds is None or r.kind in kinds]
    warnings = list(refresh.warnings)
    corrections = []
    for row in rows:
        if row.kind == "skill" and row.status == "active":
            try:  # the whole file: a skill renders from fields the index does not keep
                corrections.append(model.load_correction(farm.root / row.path))
            except InvalidCorrection as exc:
                warnings.append(str(exc))
        else:
            corrections.append(row_to_correction(row))
    return sorted(corrections, key=oldest_first), warnings


def oldest_first(c: Correction) -> tuple:
    from datetime import timezone

    created = c.created if c.created.tzinfo is None else c.created.astimezone(timezone.utc).replace(tzinfo=None)
    return created, c.id


def sync(farm: Farm, *, check: bool = False, dry_run: bool = False, merge: bool = False, commit: bool = True) -> SyncResult:
    from farm.writer import farm_lock

    if check and not merge and quick_check(farm):
        return SyncResult(Plan(manifest=mf.load_manifest(farm.root)), quick=True)
    if check or dry_run:
        result = _plan_sync(farm, merge)
        if check and not result.plan.drift and result.plan.manifest.entries == mf.load_manifest(farm.root).entries:
            remember_clean(farm)
        return result
    with farm_lock(farm) as recovered:
        result = _plan_sync(farm, merge)
        result.warnings[:0] = [recovered] if recovered else []
        result.written = apply(farm, result.plan, "farm: sync", commit=commit)
    if not result.plan.conflicts:
        remember_clean(farm)
    return result


def _plan_sync(farm: Farm, merge: bool) -> SyncResult:
    corrections, warnings = load_corrections(farm)
    manifest = mf.load_manifest(farm.root)
    agents = plan_agent_files(farm, corrections, manifest)
    plan = reconcile(farm.root, agents.desired, manifest, merge=merge, block_lines=agents.block_lines,
                     may_remove=agents.may_remove)
    plan.notes += agents.notes
    return SyncResult(plan, warnings=warnings)


# --- a fast `--check` -------------------------------------------------------
# A synced repo must answer `sync --check` in well under a second, with thousands of
# corrections. When nothing sync reads has changed since a clean run (same correction
# files, templates, settings, manifest) and every file farm manages still hashes to
# what farm wrote, the answer is known without the index or a single template render.
# The fingerprint lives under FARM_HOME: derived state, never committed.


def quick_check(farm: Farm) -> bool:
    state = _state_path(farm)
    try:
        remembered = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(remembered, dict) or remembered.get("inputs") != _inputs_fingerprint(farm):
        return False
    try:
        return _managed_files_intact(farm.root, mf.load_manifest(farm.root))
    except InvalidInput:
        return False


def remember_clean(farm: Farm) -> None:
    atomic_write(_state_path(farm), json.dumps({"inputs": _inputs_fingerprint(farm)}) + "\n", fsync=False)


def _state_path(farm: Farm) -> Path:
    from farm.paths import repo_state_dir

    return repo_state_dir(farm.root) / _STATE_FILE


def _inputs_fingerprint(farm: Farm) -> str:
    import farm as farm_package

    digest = hashlib.sha256(farm_package.__version__.encode())
    settings = {k: farm.config.get(k) for k in (
        "corrections_dir", "templates_dir", "prompt_files", "skill_dirs", "extra_agent_files", "rules_generator")}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(repr([(farm.root / folder).is_dir() for folder, _, _ in GENERATORS.values()]).encode())
    folders = [Path(farm_package.__file__).parent / "templates", farm.templates_dir, farm.corrections_dir]
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            digest.update(entry.name.encode() + b"\0" + _bytes_or_mark(Path(entry.path)) + b"\0")
    digest.update(_bytes_or_mark(farm.root / mf.MANIFEST))
    return digest.hexdigest()


def _bytes_or_mark(path: Path) -> bytes:
    """A fingerprint's view of a file: its bytes, or a mark for what is not a readable regular
    file (a loop, a pipe, a folder, a missing file), so a hostile entry never stops `--check`."""
    from farm.errors import UnreadableFile
    from farm.fsutil import read_bytes_bounded

    try:
        return read_bytes_bounded(path, MAX_AGENT_FILE, path.name)
    except (UnreadableFile, OSError) as exc:
        return f"<unreadable: {type(exc).__name__}>".encode()


def _managed_files_intact(root: Path, manifest: Manifest) -> bool:
    for path, entry in manifest.entries.items():
        if entry.owner != "sync":
            continue
        text = read_text(root, path)
        current = block_inner(text, path) if entry.block and text is not None else text
        if current is None or mf.text_hash(current) != entry.hash:
            return False
    return True
