"""The inbox: correction moments that no correction covers, grouped when they look like the same
failure, the costliest group first, each with the one command that captures it."""

from __future__ import annotations

from dataclasses import dataclass, field

from farm.moments import Moment

LOOK_ALIKE = 70  # rapidfuzz token-set similarity (0-100) at which two moments are one group
COMPARED = 300  # characters of each moment compared
GROUPED = 1000  # the costliest moments grouped; grouping is quadratic, and the inbox is read from the top


@dataclass
class Group:
    moments: list[Moment] = field(default_factory=list)
    cost_usd: float | None = 0.0  # None when a moment's price is unknown
    sessions: int = 0

    @property
    def lead(self) -> Moment:
        """The costliest moment: the one the capture command prefills from."""
        return max(self.moments, key=lambda m: (m.cost_usd or 0.0, m.score))

    @property
    def capture_command(self) -> str:
        return f"farm capture --moment {self.lead.id}"

    def as_json(self) -> dict:
        lead = self.lead
        return {
            "id": lead.id, "text": lead.text, "cue": lead.cue, "count": len(self.moments),
            "sessions": self.sessions, "cost_usd": self.cost_usd, "capture": self.capture_command,
            "moments": [m.as_json() for m in self.moments],
        }


def inbox(farm) -> list[Group]:
    """Uncovered moments of the sessions that ran in this farm's repo, grouped, by cost."""
    from farm.moments import stored_moments
    from farm.moments.evidence import match_moments

    moments = stored_moments(farm.root)
    if not moments:
        return []
    with farm.index() as (index, _refresh):
        rows = index.corrections()
    uncovered = [mm.moment for mm in match_moments(farm, rows, moments) if mm.correction is None]
    groups = group_moments(uncovered)
    return sorted(groups, key=lambda g: (-(g.cost_usd if g.cost_usd is not None else float("inf")), -len(g.moments)))


def group_moments(moments: list[Moment]) -> list[Group]:
    """Greedy grouping, costliest first: a moment joins the first group whose lead text looks like
    it (rapidfuzz compares against every lead in C, so thousands of moments group in a blink)."""
    from rapidfuzz import fuzz, process, utils

    leads: list[str] = []
    groups: list[Group] = []
    for m in sorted(moments, key=lambda m: -(m.cost_usd or 0.0))[:GROUPED]:
        text = utils.default_process(m.text[:COMPARED])
        best = process.extractOne(text, leads, scorer=fuzz.token_set_ratio, score_cutoff=LOOK_ALIKE) if text else None
        if best is None:
            leads.append(text)
            groups.append(Group())
            home = groups[-1]
        else:
            home = groups[best[2]]
        home.moments.append(m)
    for g in groups:
        costs = [m.cost_usd for m in g.moments]
        g.cost_usd = None if None in costs else round(sum(costs), 6)
        g.sessions = len({(m.agent, m.session_id) for m in g.moments})
    return groups
