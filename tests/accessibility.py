"""Accessibility checks in the headless browser with axe-core (Deque's
engine, from the npm registry; scripts/setup.sh puts it in .cache/).

``violations(driver)`` runs axe on the page loaded: the WCAG 2.0/2.1 A and
AA rules (labels, contrast, names of links and buttons, language …) and,
from axe's best practices, the ones on headings and landmarks. Each
violation comes back with the rule, its help text and the elements."""
from __future__ import annotations

import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: best-practice rules checked besides the WCAG A/AA ones
BEST_PRACTICES = ["page-has-heading-one", "heading-order", "empty-heading", "landmark-one-main",
                  "landmark-no-duplicate-main", "duplicate-id-aria"]


def axe_source() -> str:
    found = sorted(glob.glob(os.path.join(ROOT, ".cache", "axe-core-*", "axe.min.js")))
    if not found:
        raise RuntimeError("axe-core is missing from .cache/: run scripts/setup.sh")
    with open(found[-1], encoding="utf-8") as f:
        return f.read()


def violations(driver) -> list[dict]:
    """axe's violations on the page the driver shows (an empty list: none)."""
    driver.execute_script(axe_source())
    driver.set_script_timeout(60)
    result = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
          .then(wcag => axe.run(document, {runOnly: {type: 'rule', values: arguments[0]}})
            .then(best => done(wcag.violations.concat(best.violations))))
          .catch(err => done([{id: 'axe-error', help: String(err), nodes: []}]));
    """, BEST_PRACTICES)
    return [{"rule": v["id"], "impact": v.get("impact"), "help": v["help"],
             "nodes": [" ".join(n.get("target", [])) + ": " + (n.get("failureSummary") or "")[:300]
                       for n in v["nodes"][:5]]} for v in result]


def describe(found: list[dict]) -> str:
    return "\n".join(f"{v['rule']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
                     for v in found)
