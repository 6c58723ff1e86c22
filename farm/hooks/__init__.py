"""farm inside the agent's loop: the hook entry point and what it serves and guards.

Modules on the hook's path import only the standard library and farm's leaves, so a hook
answers in tens of milliseconds: click, sqlmodel and gitpython load only when a cache
is rebuilt (after the corrections changed) or at SessionEnd.

fast.py     `farm hooks run` and `farm statusline` without click (farm/entry.py sends them)
runtime.py  the repo and its config without git, farm's hook log, per-session state
rules.py    the cached rule book: the matcher over active corrections, and the guards
guards.py   guard files (corrections/guards/) read and matched (RE2)
live.py     this session's cost, read from its transcript incrementally; rules served
budget.py   each task type's usual cost (p50/p90, per loop) and its cap
events.py   what each hook event answers (Claude Code's and Codex's JSON)
pending.py  guard catches kept locally until the repo's lock is free
status.py   the statusline segment
"""
