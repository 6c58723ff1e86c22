"""Where farm keeps what is derived (never committed): FARM_HOME."""

from __future__ import annotations

import os
from pathlib import Path


def farm_home() -> Path:
    """FARM_HOME if set, else the platform's user data dir for farm."""
    env = os.environ.get("FARM_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("farm", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


def repo_state_dir(repo_root: Path) -> Path:
    """A folder under FARM_HOME for one farm repo's derived state (its index)."""
    import hashlib  # here, not at the top: the hooks find FARM_HOME without loading OpenSSL

    resolved = str(repo_root.resolve())
    key = hashlib.sha256(resolved.encode()).hexdigest()[:16]
    path = farm_home() / "repos" / f"{repo_root.resolve().name}-{key}"
    path.mkdir(parents=True, exist_ok=True)
    return path
