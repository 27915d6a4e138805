"""requirements.lock, from which production installs, matches pyproject.toml: every runtime
dependency pinned within its bounds and with hashes, and no development tool in it. Offline
and quick: it compares the two files; `make lock` regenerates the lock from pyproject.toml."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)", re.MULTILINE)


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def test_every_runtime_dependency_is_pinned_within_its_bounds():
    locked = pins()
    stale = []
    for line in project()["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name not in locked:
            stale.append(f"{requirement.name} is not in the lock")
        elif not requirement.specifier.contains(locked[name], prereleases=True):
            stale.append(f"{requirement.name}=={locked[name]} is outside {requirement.specifier}")
        for extra in requirement.extras:  # redis[hiredis] needs hiredis pinned too
            if extra == "hiredis" and "hiredis" not in locked:
                stale.append("hiredis (redis[hiredis]) is not in the lock")
    assert not stale, "requirements.lock is stale; run `make lock`: " + "; ".join(stale)


def test_the_lock_holds_no_development_tool():
    runtime = {canonicalize_name(Requirement(d).name) for d in project()["dependencies"]}
    dev_only = {
        canonicalize_name(Requirement(d).name) for d in project()["optional-dependencies"]["dev"]
    } - runtime
    assert not dev_only & set(pins()), "requirements.lock is stale; run `make lock`"


def test_every_pin_has_a_hash():
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 6)[-1])
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_no_dependency_dropped_from_pyproject_lingers_in_the_lock():
    """pip-compile marks what pyproject.toml asks for directly: exactly its runtime list."""
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    direct = {
        canonicalize_name(match[1])
        for block in blocks
        if (match := PIN.match(block)) and "labbet (pyproject.toml)" in block
    }
    wanted = {canonicalize_name(Requirement(d).name) for d in project()["dependencies"]}
    assert direct == wanted, "requirements.lock is stale; run `make lock`"
