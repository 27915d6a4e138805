"""The obstacles each workshop's screens and posts read, kept in this process under the
workshop's challenges_version (workshops/regions.py: workshop_obstacles reads them through it;
challenges/models.py forgets a workshop's on every change of its challenges or obstacles)."""

from __future__ import annotations

from typing import Any

# (workshop pk, created_at): (its challenges_version then, its obstacles). Read-only once
# here: every request shares them.
OBSTACLES: dict[tuple[int, Any], tuple[int, tuple[Any, ...]]] = {}
KEPT = 1000


def forget(workshop_id: int) -> None:
    # list() copies the keys in one step: another thread may add one meanwhile.
    for key in list(OBSTACLES):
        if key[0] == workshop_id:
            OBSTACLES.pop(key, None)
