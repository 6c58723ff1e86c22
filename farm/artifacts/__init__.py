"""The five kinds of artifact a correction becomes, each rendered from a Jinja2 template.

A kind is one module with `plan(ctx) -> list[Planned]`: the files to write, with
their full new content, so capture can check and write them all at once. A repo
overrides a template by putting a file of the same name in its `templates/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farm.model import Correction
from farm.project import Farm


@dataclass(frozen=True)
class Planned:
    path: str  # relative to the repo root
    content: str
    whole_file: bool = True  # False: farm owns only a block inside a person's file


@dataclass
class Context:
    farm: Farm
    correction: Correction
    options: dict[str, Any] = field(default_factory=dict)
    # every active correction of the same kind, the new one included (prompt blocks list them all)
    peers: list[Correction] = field(default_factory=list)


def kinds() -> dict[str, Any]:
    from farm.artifacts import guard, grader, prompt, skill, test

    return {"test": test, "grader": grader, "prompt": prompt, "skill": skill, "guard": guard}


def plan(ctx: Context) -> list[Planned]:
    return kinds()[ctx.correction.kind].plan(ctx)


def render(farm: Farm, template: str, **values: Any) -> str:
    """`template` rendered with `values`; a broken or unsafe override is one InvalidInput line."""
    import jinja2

    from farm.errors import InvalidInput

    try:
        return _environment(farm.templates_dir).get_template(template).render(**values)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:  # SecurityError is a TemplateError
        raise InvalidInput(_render_error(exc, template)) from None


_ENVIRONMENTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _environment(templates_dir: Path):
    """One environment per templates folder and set of overrides: building one costs
    milliseconds, and sync renders a template per correction. Jinja reloads a changed file."""
    try:
        overrides = tuple(sorted(entry.name for entry in os.scandir(templates_dir)))
    except OSError:
        overrides = ()
    key = (str(templates_dir), overrides)
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = _new_environment(templates_dir)
    return _ENVIRONMENTS[key]


MAX_TEMPLATE_BYTES = 1_000_000


def _new_environment(templates_dir: Path):
    """A sandboxed environment: a committed template is data, so `{{ cycler.__init__... }}`
    raises SecurityError instead of running code (attack S5)."""
    import jinja2

    env = _sandbox_class()(
        loader=jinja2.ChoiceLoader([
            _bounded_loader(templates_dir),
            jinja2.PackageLoader("farm", "templates"),
        ]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - renders code and markdown, never HTML
    )
    env.filters.update(
        pyrepr=repr,
        pystr_body=_docstring_safe,
        oneline=lambda text: " ".join(str(text).split()),
        to_yaml=_to_yaml,
        to_yaml_scalar=lambda v: _to_yaml(v).strip(),
    )
    return env


MAX_RENDERED = 10_000_000  # a template's `"a" * 10**10` is refused, not a 10 GB string


def _sandbox_class():
    """The sandbox, with `*` and `**` checked too: they are how a template exhausts memory."""
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    class BoundedSandbox(SandboxedEnvironment):
        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context, operator, left, right):
            if operator == "**" and isinstance(right, int) and abs(right) > 1000:
                raise SecurityError("exponent too large in a template")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_RENDERED:
                        raise SecurityError("a repeated string or list too large in a template")
            return super().call_binop(context, operator, left, right)

    return BoundedSandbox


def _bounded_loader(templates_dir: Path):
    """The repo's template overrides, read like every other file farm reads: a FIFO, device,
    symlink loop or huge file is one error line naming it, never a hang."""
    import jinja2

    from farm.errors import InvalidInput, UnreadableFile
    from farm.fsutil import read_text_bounded

    class BoundedLoader(jinja2.BaseLoader):
        def get_source(self, environment, template: str):
            path = templates_dir / template
            if "/" in template or template.startswith(".") or not (path.exists() or path.is_symlink()):
                raise jinja2.TemplateNotFound(template)
            try:
                source = read_text_bounded(path, MAX_TEMPLATE_BYTES, f"{templates_dir.name}/{template}")
            except UnreadableFile as exc:
                raise InvalidInput(f"{exc} (a template override)") from None
            mtime = _mtime(path)
            return source, str(path), lambda: _mtime(path) == mtime

    return BoundedLoader()


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _render_error(exc: Exception, template: str) -> str:
    return f"templates/{template}: cannot be rendered ({type(exc).__name__}: {exc})"


def _docstring_safe(text: str) -> str:
    return " ".join(str(text).split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _to_yaml(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
