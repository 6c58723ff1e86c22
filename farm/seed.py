"""`farm seed`: carry the corrections that hold from one farm into another repo.

The seeded corrections land in the target's corrections folder with their ids and
a `seeded_from: {repo, commit}`, together with the files they need (grader rules,
generated tests; paths mapped to the target's layout). Then the target's agent
files are planned exactly as `farm sync` there would plan them, so a sync after a
seed changes nothing. Every file goes through the same rules as sync: a file
farm wrote and a person then edited is a conflict and stays as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from farm import git, model
from farm import manifest as mf
from farm.config import load_config
from farm.errors import InvalidCorrection, InvalidInput, NotAFarm, NotAGitRepo
from farm.model import Correction
from farm.project import Farm
from farm.sync import Desired, Plan, apply, oldest_first, plan_agent_files, read_text, reconcile, remember_clean

STATUSES = ("holding", "improved", "unproven", "leaking")
DEFAULT_STATUSES = ("holding", "improved", "unproven")
_TEST_ROOT_LINE = re.compile(r"^(ROOT = Path\(__file__\)\.resolve\(\)\.parents\[)\d+(\])$", re.M)


@dataclass
class Selection:
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if "retired" in self.statuses:
            raise InvalidInput("--only retired: retired corrections are never seeded")
        for value in self.statuses:
            if value not in STATUSES:
                raise InvalidInput(f"--only {value!r} is not one of {', '.join(STATUSES)}")
        for value in self.kinds:
            if value not in model.KINDS:
                raise InvalidInput(f"--kind {value!r} is not one of {', '.join(model.KINDS)}")

    def wants(self, row, status: str) -> bool:
        return (
            status in self.statuses
            and (not self.kinds or row.kind in self.kinds)
            and (not self.tags or bool(set(self.tags) & set(row.tag_list())))
            and (not self.task_types or row.task_type in self.task_types)
        )


@dataclass
class SeedResult:
    source: dict  # {"repo", "commit"}
    target: Path
    selected: list[str]
    plan: Plan
    initialized: list[str] = field(default_factory=list)  # what `farm init` created or changed (or would)
    written: object | None = None  # farm.writer.Written
    warnings: list[str] = field(default_factory=list)


def seed(source: Farm, target: Path, selection: Selection, *, dry_run: bool = False, check: bool = False,
         merge: bool = False, commit: bool = True, source_name: str | None = None) -> SeedResult:
    """Seed `target` (the top of a git work tree) with `source`'s corrections."""
    from farm.project import init_plan
    from farm.writer import farm_lock

    target_root = _target_root(target, source.root)
    origin = {"repo": source_name or _repo_name(source.root), "commit": git.head_sha(source.root)}
    corrections, warnings = _select(source, selection)
    is_farm = (target_root / load_config(target_root)["corrections_dir"]).is_dir()
    if dry_run or check:
        target_farm = Farm(target_root, load_config(target_root))
        plan, more = _plan(source, target_farm, corrections, origin, merge, is_farm)
        initialized = [] if is_farm else ["farm init"]
        return SeedResult(origin, target_root, [c.id for c in corrections], plan, initialized, None, warnings + more)
    target_farm = Farm(target_root, load_config(target_root))
    with farm_lock(target_farm) as recovered:
        init = [] if is_farm else init_plan(target_farm)
        plan, more = _plan(source, target_farm, corrections, origin, merge, is_farm)
        more[:0] = [f"{target_root}: {recovered}"] if recovered else []
        message = _message(len(corrections), origin)
        written = apply(target_farm, plan, message, commit=commit, first=[(rel, new) for rel, _, new in init])
    initialized = [rel for rel, _, _ in init]
    if not plan.conflicts:
        remember_clean(target_farm)  # the target's agent files are now what its own sync would write
    return SeedResult(origin, target_root, [c.id for c in corrections], plan, initialized, written, warnings + more)


def seed_from(spec: str, target: Path, selection: Selection, **options) -> SeedResult:
    """Seed `target` from SPEC: a path to a farm, or a git URL cloned into a temp folder."""
    import shutil
    import tempfile

    from farm.paths import repo_state_dir
    from farm.project import open_farm

    path = Path(spec).expanduser()
    if path.exists():
        return seed(_open_source(path, open_farm), target, selection, **options)
    if not _looks_like_url(spec):
        raise InvalidInput(f"--from {spec}: no such folder, and not a git URL")
    tmp = Path(tempfile.mkdtemp(prefix="farm-seed-"))
    clone = tmp / "source"
    try:
        git.clone(spec, clone)
        return seed(_open_source(clone, open_farm), target, selection, source_name=_without_credentials(spec), **options)
    finally:
        shutil.rmtree(repo_state_dir(clone), ignore_errors=True)  # the temp clone's index
        shutil.rmtree(tmp, ignore_errors=True)


def _open_source(path: Path, open_farm) -> Farm:
    try:
        return open_farm(path)
    except NotAFarm:
        raise NotAFarm(f"{path} is not a farm (no corrections folder): nothing to seed from") from None


def _looks_like_url(spec: str) -> bool:
    return "://" in spec or bool(re.match(r"^[\w.-]+@[\w.-]+:", spec))


def _without_credentials(url: str) -> str:
    return git.shown_url(url)


def _repo_name(root: Path) -> str:
    url = git.remote_url(root)
    return _without_credentials(url) if url else str(root.resolve())


def _message(count: int, origin: dict) -> str:
    at = f"@{origin['commit'][:10]}" if origin["commit"] else ""
    return f"farm: seed {count} correction(s) from {origin['repo']}{at}"


def _target_root(target: Path, source_root: Path) -> Path:
    target = target.expanduser()
    if not target.is_dir():
        raise InvalidInput(f"{target}: no such folder")
    try:
        root = git.find_root(target)
    except NotAGitRepo:
        raise NotAGitRepo(f"{target} is not a git repository (run `git init` there first)") from None
    if root.resolve() != target.resolve():
        raise InvalidInput(f"{target} is inside the git repository at {root}; seed the top of a repository")
    if root.resolve() == source_root.resolve():
        raise InvalidInput(f"{target} is this farm itself; use `farm sync` to update its own agent files")
    return root


# --- choosing ---------------------------------------------------------------


def _select(source: Farm, selection: Selection) -> tuple[list[Correction], list[str]]:
    from farm.tracker import track

    with source.index() as (index, refresh):
        rows = index.corrections()
        statuses = {t.id: t.status for t in track(source, index)}
    warnings = list(refresh.warnings)
    chosen = []
    for row in rows:
        if row.status == "retired" or not selection.wants(row, statuses.get(row.id, "unproven")):
            continue
        try:
            chosen.append(_whole_correction(source.root / row.path, row))
        except InvalidCorrection as exc:
            warnings.append(str(exc))
    return chosen, warnings


def _whole_correction(path: Path, row) -> Correction:
    """The correction in `path`, every field of it. The index row has all but unknown fields
    and extra notes: when writing the row back gives the file exactly, the row is the whole
    correction and the file needs no second YAML parse (the slow part of seeding)."""
    from datetime import timezone

    created = row.created if row.created.tzinfo else row.created.replace(tzinfo=timezone.utc)
    quick = Correction(
        id=row.id, title=row.title, kind=row.kind, created=created, what=row.what, rule=row.rule,
        status=row.status, task_type=row.task_type, tags=row.tag_list(), artifacts=row.artifact_list(),
        signature=row.signature_list(), origin=model.Origin(**row.origin_dict()),
    )
    if model.dump_correction(quick) == model.read_text(path, path.name):
        return quick
    return model.load_correction(path)


# --- planning ---------------------------------------------------------------


def _plan(source: Farm, target: Farm, chosen: list[Correction], origin: dict, merge: bool,
          is_farm: bool) -> tuple[Plan, list[str]]:
    manifest = mf.load_manifest(target.root)
    existing, warnings = _target_corrections(target) if is_farm else ({}, [])
    carried: dict[str, list[Desired]] = {}
    sources: dict[str, list[str]] = {}
    notes = []
    for c in chosen:
        mine = existing.get(c.id)
        if mine is not None and mine.status == "retired":
            notes.append(f"{c.id}: retired in the target; not seeded again")
            continue
        carried[c.id], sources[c.id], missing = _carried_files(source, target, c)
        warnings += missing
    commits = _commits(source, sources)
    seeded = {c.id: _seeded_copy(c, origin["repo"], commits.get(c.id) or origin["commit"])
              for c in chosen if c.id in carried}
    corrections_path = {cid: f"{target.config['corrections_dir']}/{cid}.md" for cid in seeded}
    # The target's agent files are planned from its corrections as they will be on disk:
    # a seeded correction the person edited there keeps the person's version.
    keep_theirs = {cid for cid in seeded if cid in existing and _edited_there(target.root, corrections_path[cid], manifest)}
    pool = {**existing, **{cid: c for cid, c in seeded.items() if cid not in keep_theirs}}
    agents = plan_agent_files(target, sorted(pool.values(), key=oldest_first), manifest)
    desired = []
    for cid, c in seeded.items():
        c.artifacts = [d.path for d in carried[cid]] + agents.artifacts.get(cid, [])
        desired.append(Desired(corrections_path[cid], model.dump_correction(c), owner="seed", correction=cid))
        desired += carried[cid]
    plan = reconcile(target.root, desired + agents.desired, manifest, merge=merge, block_lines=agents.block_lines,
                     may_remove=agents.may_remove)
    plan.notes += notes + agents.notes
    return plan, warnings


def _target_corrections(target: Farm) -> tuple[dict[str, Correction], list[str]]:
    from farm.sync import load_corrections

    corrections, warnings = load_corrections(target, kinds=None)
    return {c.id: c for c in corrections}, warnings


def _edited_there(root: Path, rel: str, manifest: mf.Manifest) -> bool:
    text = read_text(root, rel)
    entry = manifest.entries.get(rel)
    return text is not None and (entry is None or mf.text_hash(text) != entry.hash)


def _commits(source: Farm, sources: dict[str, list[str]]) -> dict[str, str]:
    """Per correction, the newest source commit that touched its file or a file it carries:
    stable while the correction does not change, so seeding again changes nothing."""
    newest = git.newest_commits(source.root, sorted({p for paths in sources.values() for p in paths}))
    out = {}
    for cid, paths in sources.items():
        seen = [newest[p] for p in paths if p in newest]
        if seen:
            out[cid] = min(seen)[1]
    return out


def _seeded_copy(c: Correction, repo: str, commit: str | None) -> Correction:
    extra = {k: v for k, v in c.extra.items() if k != "seeded_from"}
    extra["seeded_from"] = {"repo": repo, "commit": commit}
    return replace(c, status="active", artifacts=[], extra=extra)


def _agent_path(source: Farm, path: str) -> bool:
    """Whether `path` is an agent file (sync writes those in the target, its own way)."""
    from farm.sync import EXTRA_AGENT_FILES, GENERATORS

    known = {*source.config.get("prompt_files", []), *EXTRA_AGENT_FILES, *(g[1] for g in GENERATORS.values())}
    return path in known or path.endswith("/SKILL.md")


def _carried_files(source: Farm, target: Farm, c: Correction) -> tuple[list[Desired], list[str], list[str]]:
    """The files correction `c` needs besides agent files (grader rule, test), mapped to the
    target; the source paths it comes from (its own file first); warnings."""
    files, paths, warnings = [], [f"{source.config['corrections_dir']}/{c.id}.md"], []
    for path in c.artifacts:
        if _agent_path(source, path):
            continue
        if not _seedable(source, c, path):
            warnings.append(f"{c.id}: {path} is not a grader rule, test or skill of farm's; not carried")
            continue
        try:
            text = read_text(source.root, path)
        except InvalidInput as exc:
            warnings.append(f"{c.id}: {exc}; not carried")
            continue
        if text is None:
            warnings.append(f"{c.id}: {path} is missing in the source; not carried")
            continue
        mapped = map_path(source, target, path)
        files.append(Desired(mapped, _adjusted(target, path, mapped, text), owner="seed", correction=c.id))
        paths.append(path)
    return files, paths, warnings


def _seedable(source: Farm, c: Correction, path: str) -> bool:
    """Only what farm's own kinds produce travels: this correction's rule files under the
    corrections folder (graders/<id>.yml, …) and test files. A correction's artifact list is
    input, not authority: it cannot carry a CI workflow, a conftest.py or a Makefile."""
    from farm.fsutil import is_git_part

    p = PurePosixPath(path)
    if is_git_part(path) or ".." in p.parts:
        return False
    corrections = PurePosixPath(source.config["corrections_dir"])
    if p.is_relative_to(corrections) and p.stem == c.id and p.suffix in (".yml", ".yaml"):
        return True
    return c.kind == "test" and p.suffix == ".py" and (p.name.startswith("test_") or p.stem.endswith("_test"))


def map_path(source: Farm, target: Farm, path: str) -> str:
    """`path` in the source, placed in the target's layout: `seed_paths` (target config:
    source prefix -> target prefix) first, then the corrections and test folders."""
    mapping = target.config.get("seed_paths") or {}
    if not isinstance(mapping, dict):
        raise InvalidInput("seed_paths: expected a table of source prefix = target prefix")
    folders = [(source.config["corrections_dir"], target.config["corrections_dir"]),
               (source.config["test_dir"], target.config["test_dir"])]
    for old, new in [*sorted(mapping.items(), key=lambda kv: -len(kv[0])), *folders]:
        old, new = str(old).rstrip("/"), str(new).rstrip("/")
        if path == old or path.startswith(old + "/"):
            return (new + path[len(old):]).lstrip("/")
    return path


def _adjusted(target: Farm, old: str, new: str, text: str) -> str:
    """A generated test finds the repo root by its depth; a grader rule names its files by glob."""
    if new.endswith(".py") and PurePosixPath(old).parent != PurePosixPath(new).parent:
        depth = len(PurePosixPath(new).parent.parts)
        return _TEST_ROOT_LINE.sub(rf"\g<1>{depth}\g<2>", text)
    if new.endswith((".yml", ".yaml")) and target.config.get("seed_paths"):
        return _mapped_globs(target, text)
    return text


def _mapped_globs(target: Farm, text: str) -> str:
    mapping = target.config.get("seed_paths") or {}

    def mapped(match: re.Match) -> str:
        glob = match.group(2)
        for old, new in sorted(mapping.items(), key=lambda kv: -len(kv[0])):
            old, new = str(old).rstrip("/"), str(new).rstrip("/")
            if glob.startswith(old + "/"):
                return match.group(1) + new + glob[len(old):]
        return match.group(0)

    head, sep, rest = text.partition("applies_to:\n")
    if not sep:
        return text
    items = re.match(r"((?:- .*\n)*)", rest).group(1)
    return head + sep + re.sub(r"^(- )(.*)$", mapped, items, flags=re.M) + rest[len(items):]
