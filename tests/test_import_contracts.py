"""`make lint`'s import contracts (pyproject.toml: [tool.importlinter]): the code keeps them,
and they fail on what they are there to catch, an import circle (a lazy one too) and a domain
import into live/."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

CONFIG = """
[importlinter]
root_packages =
    live
    workshops
contract_types =
    acyclic_modules: scripts.import_contracts.AcyclicModulesContract

[importlinter:contract:no-circles]
name = No import circles
type = acyclic_modules

[importlinter:contract:live-below-the-domain]
name = live imports nothing from workshops
type = forbidden
source_modules =
    live
forbidden_modules =
    workshops
"""


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": f"{cwd}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_the_code_keeps_its_import_contracts():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No import circles among the modules" in done.stdout
    assert "live imports nothing from workshops, insights or challenges KEPT" in done.stdout


def test_a_lazy_import_circle_and_a_domain_import_into_live_break_the_contracts(tmp_path):
    write(
        tmp_path,
        {
            "setup.cfg": CONFIG,
            "live/__init__.py": "",
            "live/events.py": "from workshops import regions\n",
            "workshops/__init__.py": "",
            "workshops/regions.py": "from workshops import actions\n",
            # The circle closes inside a function: still a circle.
            "workshops/actions.py": """
                def publish():
                    from workshops import regions
                    return regions
            """,
        },
    )
    done = lint(tmp_path, "--config", "setup.cfg")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Import circle among 2 modules: workshops.actions, workshops.regions" in done.stdout
    assert "live.events -> workshops.regions" in done.stdout
    assert "Contracts: 0 kept, 2 broken." in done.stdout


def test_without_the_circle_and_the_domain_import_the_contracts_pass(tmp_path):
    write(
        tmp_path,
        {
            "setup.cfg": CONFIG,
            "live/__init__.py": "",
            "live/events.py": "import json\n",
            "workshops/__init__.py": "",
            "workshops/regions.py": "from live import events\n",
            "workshops/actions.py": "from workshops import regions\n",
        },
    )
    done = lint(tmp_path, "--config", "setup.cfg")
    assert done.returncode == 0, done.stdout + done.stderr
