"""Kind `grader`: a rule file under corrections/graders/ that `farm check` enforces."""

from __future__ import annotations

from farm.artifacts import Context, Planned, render
from farm.errors import InvalidInput
from farm.patterns import check_glob, compile_regex

GRADER_DIR = "graders"
_CHECKS = ("must_match", "must_not_match", "must_preserve", "require_heading", "check_cmd")


def plan(ctx: Context) -> list[Planned]:
    c = ctx.correction
    rule = rule_data(c.id, c.rule, ctx.options, ctx.farm.config["preserve_threshold"])
    path = f"{ctx.farm.config['corrections_dir']}/{GRADER_DIR}/{c.id}.yml"
    c.artifacts.append(path)
    return [Planned(path, render(ctx.farm, "grader.yml.j2", id=c.id, rule_data=rule))]


def rule_data(correction_id: str, message: str, options: dict, threshold: int) -> dict:
    """The rule as stored: only the checks given, validated now so `farm check` can trust it."""
    data: dict = {"correction": correction_id, "message": " ".join(message.split())}
    data["applies_to"] = list(options.get("applies_to") or ["**"])
    for key in _CHECKS:
        value = options.get(key)
        if value:
            data[key] = list(value) if isinstance(value, (list, tuple)) else value
    if not any(key in data for key in _CHECKS):
        raise InvalidInput(
            "kind grader needs at least one check: --must-match, --must-not-match, "
            "--must-preserve, --require-heading or --check-cmd"
        )
    for glob in data["applies_to"]:
        if reason := check_glob(glob):
            raise InvalidInput(f"--applies-to {glob!r} {reason}")
    for key in ("must_match", "must_not_match"):
        for pattern in data.get(key, []):
            try:
                compile_regex(pattern)  # farm check runs it on RE2: refuse now what it could not run
            except ValueError as exc:
                raise InvalidInput(f"--{key.replace('_', '-')} {pattern!r}: {exc}") from None
    if "must_preserve" in data:
        data["preserve_threshold"] = int(options.get("preserve_threshold") or threshold)
    return data
