"""A farm: a git work tree with a corrections folder, its settings, and `farm init`."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farm import git
from farm.config import load_config
from farm.errors import NotAFarm

GITIGNORE_LINES = ["# farm: the built corrections site", "/site/"]

MKDOCS_YML = """\
# The corrections site, built by `farm site build` (farm generates the pages).
site_name: {name} corrections
theme:
  name: material
  features:
    - search.highlight
plugins:
  - search
  - tags
  - offline
"""

FARM_TOML = """\
# farm settings (see `farm --help`). The same keys work under [tool.farm] in pyproject.toml.
# Import a summary of each agent session in this repo into corrections/log/sessions/
# so the tracker counts everyone's sessions (no prompt text is kept).
record_sessions = true
"""

TEMPLATES_README = """\
# Templates

farm renders each artifact from a Jinja2 template. The defaults ship inside farm;
put a file with the same name here to override one for this repo:

- `test.py.j2` (kind test), `grader.yml.j2` (kind grader),
- `prompt_block.md.j2` (the managed block in AGENTS.md / CLAUDE.md), `skill.md.j2` (kind skill).
"""


@dataclass
class Farm:
    root: Path
    config: dict[str, Any]

    @property
    def corrections_dir(self) -> Path:
        return self.root / self.config["corrections_dir"]

    @property
    def templates_dir(self) -> Path:
        return self.root / self.config["templates_dir"]

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @contextmanager
    def index(self, *, rebuild: bool = False):
        from farm.index import open_index

        with open_index(self.root, self.corrections_dir, rebuild=rebuild) as (index, report):
            yield index, report


def open_farm(path: Path | None = None) -> Farm:
    root = git.find_root(path)
    config = load_config(root)
    farm = Farm(root=root, config=config)
    if not farm.corrections_dir.is_dir():
        raise NotAFarm(f"{root} is not a farm yet: run `farm init` there first")
    return farm


@dataclass
class InitResult:
    root: Path
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def init_farm(path: Path | None = None) -> InitResult:
    """Make the git work tree at `path` a farm. Running it again changes nothing.

    The files are written through the write door (lock, guarded paths, kept modes), not
    committed: `farm init` shows them, and the person commits them."""
    from farm.writer import Change, farm_lock

    root = git.find_root(path)
    farm = Farm(root=root, config=load_config(root))
    result = InitResult(root=root)
    with farm_lock(farm):
        change = Change(farm)
        for rel, old, new in init_plan(farm):
            change.write(rel, new)
            (result.changed if old is not None else result.created).append(rel)
        written = change.commit("farm init", commit=False)
    gone = set(written.skipped)
    result.created = [p for p in result.created if p not in gone]
    result.changed = [p for p in result.changed if p not in gone]
    return result


def init_plan(farm: Farm) -> list[tuple[str, str | None, str]]:
    """What `farm init` writes here: (path, its text now or None, its new text), only what changes.
    `farm seed` puts these in its own change, so a target is seeded whole or not at all."""
    planned = [
        *_missing(farm, f"{farm.config['corrections_dir']}/log/.gitkeep", ""),
        *_missing(farm, f"{farm.config['templates_dir']}/README.md", TEMPLATES_README),
        *_missing(farm, "mkdocs.yml", MKDOCS_YML.format(name=farm.root.name)),
        *_config_file(farm),
        _gitignore(farm),
    ]
    return [(rel, old, new) for rel, old, new in planned if new is not None and new != old]


def _missing(farm: Farm, rel: str, content: str) -> list[tuple[str, None, str]]:
    """`rel` to be created with `content`, unless something is there already (a person's file is kept)."""
    from farm.fsutil import inside

    path = inside(farm.root, rel)
    return [] if path.exists() or path.is_symlink() else [(rel, None, content)]


def _read(farm: Farm, rel: str) -> str | None:
    from farm.fsutil import inside

    path = inside(farm.root, rel)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _config_file(farm: Farm) -> list[tuple[str, str | None, str | None]]:
    if (farm.root / "farm.toml").exists():
        return []
    text = _read(farm, "pyproject.toml")
    if text is None:
        return [("farm.toml", None, FARM_TOML)]
    if "[tool.farm]" in text:
        return []
    nl = "\r\n" if "\r\n" in text else "\n"
    sep = "" if not text or text.endswith(nl) else nl
    return [("pyproject.toml", text, text + sep + nl + "[tool.farm]" + nl + FARM_TOML.replace("\n", nl))]


def _gitignore(farm: Farm) -> tuple[str, str | None, str | None]:
    text = _read(farm, ".gitignore")
    present = set((text or "").splitlines())
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return (".gitignore", text, text)
    sep = "" if not text or text.endswith("\n") else "\n"
    return (".gitignore", text, (text or "") + sep + "\n".join(missing) + "\n")
