"""The mutation score per module, read from mutmut's result files (bench/mutation.md).

    python3 bench/mutation_score.py /tmp/mutwork                 # every module with a result
    python3 bench/mutation_score.py /tmp/mutwork tui.core.runid  # some modules (name prefixes)
    python3 bench/mutation_score.py /tmp/mutwork --list 0 33     # names with those exit codes

``mutmut results`` lists only the mutants that were not killed; this counts every status per
module from ``mutants/**/*.py.meta`` (plain JSON), so a score can be given for a partial run:
killed and timed out count as caught, over the mutants checked. It only reads those files: it
never loads mutmut, whose other commands (``print-time-estimates``) rewrite the stats file.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# mutmut 3's exit codes (mutmut/stats.py: status_by_exit_code)
STATUS = {
    None: "not checked",
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    2: "interrupted",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "type check",
    -9: "segfault",
    -11: "segfault",
}
CAUGHT = ("killed", "timeout")


def results(workdir: Path) -> dict[str, dict[str, int | None]]:
    """``{module: {mutant name: exit code}}`` for every mutated module."""
    found = {}
    root = workdir / "mutants"
    for meta in sorted(root.rglob("*.py.meta")):
        module = ".".join(meta.relative_to(root).with_suffix("").with_suffix("").parts)
        found[module] = json.loads(meta.read_text())["exit_code_by_key"]
    return found


def main(argv: list[str]) -> int:
    workdir, rest = Path(argv[0]), argv[1:]
    if rest[:1] == ["--list"]:
        codes = {int(code) for code in rest[1:]} or {0, 5, 33}
        for codes_by_name in results(workdir).values():
            for name, code in codes_by_name.items():
                if code in codes:
                    print(name)
        return 0
    total: Counter[str] = Counter()
    print(f"{'module':28} {'checked':>9} {'killed':>6} {'timeout':>7} {'survived':>8} {'no tests':>8} {'score':>7}")
    for module, codes_by_name in results(workdir).items():
        if rest and not module.startswith(tuple(rest)):
            continue
        counts = Counter(STATUS.get(code, "suspicious") for code in codes_by_name.values())
        checked = sum(counts.values()) - counts["not checked"]
        if not checked:
            continue
        total.update(counts)
        caught = sum(counts[s] for s in CAUGHT)
        print(
            f"{module:28} {checked:>4}/{len(codes_by_name):<4} {counts['killed']:>6} {counts['timeout']:>7}"
            f" {counts['survived']:>8} {counts['no tests']:>8} {100 * caught / checked:>6.1f}%"
        )
    checked = sum(total.values()) - total["not checked"]
    caught = sum(total[s] for s in CAUGHT)
    print(
        f"{'all of the above':28} {checked:>9} {total['killed']:>6} {total['timeout']:>7} {total['survived']:>8}",
        end="",
    )
    print(f" {total['no tests']:>8} {100 * caught / max(1, checked):>6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
