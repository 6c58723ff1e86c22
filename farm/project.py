"""A farm: a git work tree with a corrections folder, its settings, and `farm init`."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farm import git
from farm.config import load_config
from farm.errors import NotAFarm
from farm.fsutil import atomic_write

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
    """Make the git work tree at `path` a farm. Running it again changes nothing."""
    root = git.find_root(path)
    result = InitResult(root=root)
    config = load_config(root)
    corrections = root / config["corrections_dir"]
    _ensure_file(root, corrections / "log" / ".gitkeep", "", result)
    _ensure_file(root, root / config["templates_dir"] / "README.md", TEMPLATES_README, result)
    _ensure_file(root, root / "mkdocs.yml", MKDOCS_YML.format(name=root.name), result)
    _ensure_config(root, result)
    _ensure_gitignore(root, result)
    return result


def _ensure_file(root: Path, path: Path, content: str, result: InitResult) -> None:
    if not path.exists():
        atomic_write(path, content)
        result.created.append(path.relative_to(root).as_posix())


def _ensure_config(root: Path, result: InitResult) -> None:
    pyproject = root / "pyproject.toml"
    if (root / "farm.toml").exists():
        return
    if pyproject.exists():
        text = pyproject.read_text(encoding="utf-8")
        if "[tool.farm]" in text:
            return
        nl = "\r\n" if "\r\n" in text else "\n"
        sep = "" if not text or text.endswith(nl) else nl
        block = FARM_TOML.replace("\n", nl)
        atomic_write(pyproject, text + sep + nl + "[tool.farm]" + nl + block)
        result.changed.append("pyproject.toml")
        return
    _ensure_file(root, root / "farm.toml", FARM_TOML, result)


def _ensure_gitignore(root: Path, result: InitResult) -> None:
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = set(text.splitlines())
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return
    sep = "" if not text or text.endswith("\n") else "\n"
    atomic_write(path, text + sep + "\n".join(missing) + "\n")
    (result.changed if text else result.created).append(".gitignore")
