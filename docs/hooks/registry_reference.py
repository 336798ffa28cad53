"""mkdocs hook: one reference page per reward family, generated from the registry at
build time, so the parameter tables cannot drift from the code.

For every registered reward: its task, range, components, tags, summary, and a table of
its parameters (name, default, allowed values from ``Literal`` annotations and the frame
names, meaning from the docstring; see :func:`rewardkit.registry.describe_params`). A
family is the module that defines the reward (``rewardkit.rewards.detection`` ->
"detection"); a reward added on any branch appears without editing the docs. The pages
live under ``reference/`` and the "Reference" section of the navigation is filled here.

Tests: ``tests/test_docs.py`` renders the pages and checks that every registered reward
and every parameter appears.
"""

from __future__ import annotations

import inspect
import json
from collections import defaultdict
from typing import Any

SECTION = "Reference"
FOLDER = "reference"


def _families() -> dict[str, list[str]]:
    from rewardkit.registry import get_spec, list_rewards

    out: dict[str, list[str]] = defaultdict(list)
    for name in list_rewards():
        module = inspect.unwrap(get_spec(name).fn).__module__
        out[module.rsplit(".", 1)[-1].lstrip("_")].append(name)
    return dict(sorted(out.items()))


def _md(text: str) -> str:
    """Docstring text for a table cell: RST double backquotes to Markdown, pipes escaped."""
    return " ".join(str(text).replace("``", "`").split()).replace("|", "\\|")


def _value(v: Any) -> str:
    from rewardkit.io import to_jsonable

    try:
        return "`" + json.dumps(to_jsonable(v)) + "`"
    except (TypeError, ValueError):
        return "`" + repr(v) + "`"


def _family_title(family: str, names: list[str]) -> str:
    from rewardkit.registry import get_spec

    module = inspect.getmodule(inspect.unwrap(get_spec(names[0]).fn))
    doc = (inspect.getdoc(module) or "").strip().splitlines()
    return _md(doc[0]) if doc else family


def render_family(family: str, names: list[str]) -> str:
    """The Markdown of one family's reference page."""
    from rewardkit.registry import describe_params, get_spec

    lines = [
        f"# Reference: {family}",
        "",
        f"{_family_title(family, names)}",
        "",
        "Generated from the registry when the site is built (`docs/hooks/registry_reference.py`):",
        "names, defaults and allowed values come from the code itself.",
        "",
    ]
    for name in names:
        s = get_spec(name)
        lines += [f"## `{name}`", ""]
        if s.summary:
            lines += [_md(s.summary), ""]
        lines += [
            f"task `{s.task}` · range [{s.range[0]:g}, {s.range[1]:g}]"
            + (f" · components {', '.join(f'`{c}`' for c in s.components)}" if s.components else "")
            + (f" · tags {', '.join(f'`{t}`' for t in sorted(s.tags))}" if s.tags else "")
            + (" · scheduled (`step`, `max_steps`)" if s.scheduled else ""),
            "",
        ]
        params = describe_params(name)
        if params:
            lines += ["| parameter | default | allowed values | meaning |", "| --- | --- | --- | --- |"]
            for p in params:
                allowed = ", ".join(_value(c) for c in p.choices) if p.choices else ""
                lines.append(f"| `{p.name}` | {_value(p.default)} | {allowed} | {_md(p.meaning)} |")
            lines.append("")
        else:
            lines += ["No parameters.", ""]
    return "\n".join(lines)


def render_index(families: dict[str, list[str]]) -> str:
    from rewardkit.registry import get_spec

    lines = [
        "# Reward reference",
        "",
        "Every registered reward, by family, generated from the registry when the site is built.",
        "`rewardkit list` prints the same from the command line.",
        "",
        "| reward | task | range | summary |",
        "| --- | --- | --- | --- |",
    ]
    for family, names in families.items():
        for name in names:
            s = get_spec(name)
            lines.append(f"| [`{name}`]({family}.md#{name.replace('.', '')}) | {s.task} | [{s.range[0]:g}, {s.range[1]:g}] | {_md(s.summary)} |")
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """``{path under docs/: Markdown}`` of every generated page."""
    families = _families()
    out = {f"{FOLDER}/index.md": render_index(families)}
    for family, names in families.items():
        out[f"{FOLDER}/{family}.md"] = render_family(family, names)
    return out


def on_config(config: Any) -> Any:
    """Fill the "Reference" section of the navigation with the generated pages."""
    entries = [{"All rewards": f"{FOLDER}/index.md"}] + [{family: f"{FOLDER}/{family}.md"} for family in _families()]
    nav = config.nav or []
    for item in nav:
        if isinstance(item, dict) and SECTION in item:
            item[SECTION] = entries
            break
    else:
        nav.append({SECTION: entries})
    config.nav = nav
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, text in pages().items():
        files.append(File.generated(config, path, content=text))
    return files
