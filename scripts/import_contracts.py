"""Import-linter contracts of our own (pyproject.toml: [tool.importlinter] contract_types).

`acyclic_modules`: no module of the root packages reaches itself through imports, whichever
packages the way passes through. Import-linter's own `acyclic_siblings` compares the children
of one package, so a circle through two apps (insights.actions.posts -> workshops.regions ->
insights.actions.posts) has no common package for it to look in; this one looks at the whole graph.

Every import counts, as grimp sees it: an import inside a function is a dependency as real as
one at the top of the file (a lazy import that dodges a circle at import time is still one).
Imports under `if TYPE_CHECKING:` count too, unless the session sets
`exclude_type_checking_imports`."""

from __future__ import annotations

from itertools import pairwise

import grimp
from importlinter.application import contract_utils, output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """The graph's circles: each set of modules that all reach one another, sorted (Tarjan's
    algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or module in graph.find_modules_directly_imported_by(module):
                    found.append(sorted(component))
    return sorted(found)


def one_circle(graph: grimp.ImportGraph, component: list[str]) -> list[str]:
    """A shortest way from the component's first module back to itself, within it."""
    start, members = component[0], set(component)
    back = {start: start}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for step in sorted(graph.find_modules_directly_imported_by(module) & members):
                if step == start:
                    path = [module]
                    while path[-1] != start:
                        path.append(back[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if step not in back:
                    back[step] = module
                    following.append(step)
        frontier = following
    return component


class AcyclicModulesContract(Contract):
    """Fails when any module of the graph imports, through any others, back to itself."""

    type_name = "acyclic_modules"

    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=contract_utils.AlertLevel.ERROR,
        )
        circles = []
        for component in strongly_connected(graph):
            path = one_circle(graph, component)
            steps = []
            for importer, imported in pairwise(path):
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = sorted({d["line_number"] for d in details})
                steps.append((importer, imported, lines))
            circles.append({"modules": component, "steps": steps})
        return ContractCheck(
            kept=not circles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"circles": circles},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for circle in check.metadata["circles"]:
            modules = circle["modules"]
            output.print_error(f"Import circle among {len(modules)} modules: {', '.join(modules)}")
            output.print_error("For example:")
            for importer, imported, lines in circle["steps"]:
                where = ", ".join(f"l.{n}" for n in lines)
                output.print_error(f"  {importer} -> {imported} ({where})")
            output.new_line()
