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
    return _environment(farm.templates_dir).get_template(template).render(**values)


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


def _new_environment(templates_dir: Path):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(str(templates_dir)),
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


def _docstring_safe(text: str) -> str:
    return " ".join(str(text).split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _to_yaml(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
