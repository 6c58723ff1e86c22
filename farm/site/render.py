"""The renderer: the one module that knows MkDocs and Material for MkDocs.

It turns the pages farm generated (a docs folder under FARM_HOME) into the static site,
with the repo's `mkdocs.yml` as the base config and farm's needs laid over it: docs_dir and
site_dir, the navigation, Material's `search`, `tags` and `offline` plugins, no CDN fonts,
a local copy of the iframe-worker shim (Material would fetch it from a CDN for file://
search). Moving to another renderer that reads mkdocs.yml (Zensical) means rewriting this
module: `link`, `page_source`, `static_files`, `repo_url` and `render`.

MkDocs 1.x is in maintenance; this module pins to its 1.6 API.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import posixpath
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's end-of-life banner, on every build

ASSETS = "assets/farm"
STATE = ".farm-render.json"  # in the docs folder: what the site in site_dir was built from
SITE_MARKER = ".farm-site"  # in site_dir: this folder holds a site farm built (MkDocs keeps dot files)
SEARCH_INDEX = "search/search_index.json"
REQUIRED_PLUGINS = ("search", "offline")


@dataclass
class RenderReport:
    mode: str  # "full", "dirty" (only changed pages) or "none" (nothing to do)
    seconds: float = 0.0
    pages: int = 0
    warnings: list[str] = field(default_factory=list)


def link(src: str, dest: str, fragment: str | None = None) -> str:
    """The relative URL from page `src` to page `dest` (docs-folder paths of .md files).

    The offline plugin turns directory URLs off, so `a/b.md` is served as `a/b.html`.
    """
    target = dest[:-3] + ".html" if dest.endswith(".md") else dest
    url = posixpath.relpath(target, posixpath.dirname(src) or ".")
    return url + (f"#{fragment}" if fragment else "")


def page_source(page) -> str:
    """A page as MkDocs reads it: YAML front matter (title, tags) and the markdown body."""
    import yaml

    meta = {"title": page.title}
    if page.nav:  # the top pages are tables and lists: their width goes to the table, not a table of contents
        meta["hide"] = ["toc"]
    if page.tags:
        meta["tags"] = list(page.tags)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n\n{page.body}"


def static_files() -> dict[str, bytes]:
    """Files the theme needs beside the pages, by docs-folder path."""
    folder = resources.files("farm.site") / "assets"
    return {f"{ASSETS}/{name}": (folder / name).read_bytes() for name in ("iframe-worker-shim.js", "farm.css")}


def repo_url(root: Path) -> str | None:
    """`repo_url` from the repo's mkdocs.yml, for links to the files."""
    value = _user_config(root).get("repo_url")
    return value if isinstance(value, str) else None


def render(root: Path, docs_dir: Path, site_dir: Path, nav: list[tuple[str, str]], changed: list[str]) -> RenderReport:
    """Build `site_dir` from `docs_dir`. `changed`: the docs files rewritten since the last render.

    When the site in `site_dir` was built from the same config and the same set of pages,
    only the changed pages are rendered again (MkDocs' dirty build, which goes by file times)
    and the search index is patched; anything else renders every page.
    """
    _check_site_dir(root, site_dir)
    overrides = _overrides(root, docs_dir, site_dir, nav)
    state = {"key": _key(root, overrides, site_dir), "pages": sorted(_docs(docs_dir))}
    same = (_read_state(docs_dir) == state and (site_dir / SEARCH_INDEX).exists()
            and all((site_dir / link("", page)).exists() for page in state["pages"]))  # a deleted page comes back
    report = RenderReport(mode="full", pages=len(state["pages"]))
    if same and not changed:
        report.mode = "none"
        return report
    if same and len(changed) <= max(20, len(state["pages"]) // 2):
        report.mode = "dirty"
    # Until this render succeeds, the site is not known to match the docs: a failed or
    # interrupted one leaves no state behind, so the next build renders every page.
    (docs_dir / STATE).unlink(missing_ok=True)
    started = time.perf_counter()
    with _captured_warnings() as warnings:
        try:
            config = _load_config(root, overrides)
            if report.mode == "dirty":
                _build_changed(config, site_dir)
            else:
                _build(config)
        except Exception as exc:
            raise _site_error(exc, warnings) from None
    report.seconds = time.perf_counter() - started
    report.warnings = [w for w in warnings if not w.startswith("A 'dirty' build is being performed")]
    (site_dir / SITE_MARKER).write_text("built by farm site build\n", encoding="utf-8")
    (docs_dir / STATE).write_text(json.dumps(state), encoding="utf-8")
    return report


# --- config -----------------------------------------------------------------


def _user_config(root: Path) -> dict:
    from mkdocs.utils.yaml import yaml_load

    path = root / "mkdocs.yml"
    if not path.exists():
        return {}
    with open(path, "rb") as fd:
        return yaml_load(fd) or {}


def _overrides(root: Path, docs_dir: Path, site_dir: Path, nav: list[tuple[str, str]]) -> dict:
    user = _user_config(root)
    theme = user.get("theme") or {}
    theme = dict(theme) if isinstance(theme, dict) else {"name": theme}
    theme.setdefault("name", "material")
    theme["font"] = False  # no Google Fonts: the site must not fetch anything when viewed
    extra = dict(user.get("extra") or {})
    extra["polyfills"] = [f"{ASSETS}/iframe-worker-shim.js"]
    return {
        "docs_dir": str(docs_dir),
        "site_dir": str(site_dir),
        "site_name": user.get("site_name") or f"{root.name} corrections",
        "theme": theme,
        "plugins": _plugins(user.get("plugins")),
        "nav": [{title: path} for path, title in nav],
        "extra": extra,
        "extra_css": [*(user.get("extra_css") or []), f"{ASSETS}/farm.css"],
        "markdown_extensions": _extensions(user.get("markdown_extensions")),
        "validation": {"nav": {"omitted_files": "ignore"}, "links": {"unrecognized_links": "ignore"}},
        "use_directory_urls": False,
    }


def _plugins(user: list | dict | None) -> list:
    """The user's plugins, with search and offline present. Tag pages are farm's own
    (pages.tags_page: they survive a change of renderer, and a partial rebuild cannot leave them
    stale), so the tags plugin that `farm init` configures only feeds tags to search."""
    items = list(user.items()) if isinstance(user, dict) else [
        next(iter(p.items())) if isinstance(p, dict) else (p, {}) for p in (user or [])
    ]
    plugins = {name: dict(options or {}) for name, options in items}
    for name in REQUIRED_PLUGINS:
        plugins.setdefault(name, {})
    if "tags" in plugins:
        plugins["tags"].update(tags=False, listings=False, export=False)
    return [{name: options} for name, options in plugins.items()]


def _extensions(user: list | dict | None) -> list:
    items = list(user.items()) if isinstance(user, dict) else [
        next(iter(e.items())) if isinstance(e, dict) else (e, {}) for e in (user or [])
    ]
    extensions = {name: options for name, options in items}
    for name in ("attr_list", "tables", "pymdownx.highlight", "pymdownx.superfences"):
        extensions.setdefault(name, {})
    return [{name: options} if options else name for name, options in extensions.items()]


def _load_config(root: Path, overrides: dict):
    from mkdocs.config import load_config

    path = root / "mkdocs.yml"
    if path.exists():
        return load_config(config_file=str(path), **overrides)
    from farm.project import MKDOCS_YML

    text = MKDOCS_YML.format(name=root.name).encode()
    return load_config(config_file=io.BytesIO(text), config_file_path=str(path), **overrides)


def _key(root: Path, overrides: dict, site_dir: Path) -> str:
    from importlib.metadata import version

    path = root / "mkdocs.yml"
    parts = [json.dumps(overrides, sort_keys=True, default=_name), path.read_text("utf-8") if path.exists() else "",
             version("mkdocs"), version("mkdocs-material"), str(site_dir.resolve())]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _name(value) -> str:
    """A stable stand-in for the Python objects a config may hold (`!!python/name:` tags)."""
    return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__name__)}"


def _read_state(docs_dir: Path) -> dict | None:
    try:
        return json.loads((docs_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _docs(docs_dir: Path) -> list[str]:
    out = []
    for dirpath, _dirs, files in os.walk(docs_dir):
        for name in files:
            if name.endswith(".md"):
                out.append(Path(dirpath, name).relative_to(docs_dir).as_posix())
    return out


# --- building -----------------------------------------------------------------


def _build(config) -> None:
    from mkdocs.commands.build import build

    build(config)


def _build_changed(config, site_dir: Path) -> None:
    """A dirty build, then the search index made whole: Material's search plugin indexes only
    the pages it rendered, so the previous entries of every other page are put back (and
    the offline plugin's inlined copy, search_index.js, is written again)."""
    from mkdocs.commands.build import build

    path = site_dir / SEARCH_INDEX
    previous = json.loads(path.read_text(encoding="utf-8"))
    build(config, dirty=True)
    fresh = json.loads(path.read_text(encoding="utf-8"))
    rendered = {doc["location"].split("#", 1)[0] for doc in fresh["docs"]}
    kept = [doc for doc in previous["docs"] if doc["location"].split("#", 1)[0] not in rendered]
    data = json.dumps({**fresh, "docs": kept + fresh["docs"]}, separators=(",", ":"), default=str)
    path.write_text(data, encoding="utf-8")
    path.with_suffix(".js").write_text(f"var __index = {data}", encoding="utf-8")


def _site_error(exc: Exception, logged: list[str]):
    """MkDocs reports a bad config or a failed build in its log, then raises: one line."""
    from mkdocs.exceptions import MkDocsException

    from farm.errors import FarmError

    if not isinstance(exc, MkDocsException):
        return exc
    detail = logged[-1] if logged else str(exc)
    return FarmError(f"the site did not build: {' '.join(detail.split())} (see mkdocs.yml)")


def _check_site_dir(root: Path, site_dir: Path) -> None:
    """MkDocs empties site_dir before a full build: refuse any folder that is not a site."""
    from farm.errors import InvalidInput

    site = site_dir.resolve()
    if site == root.resolve() or root.resolve().is_relative_to(site) or site == Path.home().resolve():
        raise InvalidInput(f"{site_dir} holds the repo itself: give the site its own folder (-d)")
    if site.is_dir() and any(site.iterdir()) and not (site / SITE_MARKER).exists():
        raise InvalidInput(f"{site_dir} is not empty and was not built by farm: empty it or choose another folder (-d)")


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]):
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


class _captured_warnings:
    """MkDocs logs to the `mkdocs` logger; keep its warnings for the report, print nothing."""

    def __enter__(self) -> list[str]:
        self.sink: list[str] = []
        self.logger = logging.getLogger("mkdocs")
        self.handler = _ListHandler(self.sink)
        self.propagate = self.logger.propagate
        self.logger.addHandler(self.handler)
        self.logger.propagate = False
        return self.sink

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate
