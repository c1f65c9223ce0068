"""The manual keeps up with the code: the README (the front door) and the docs/ pages document every setting, every
command and every script, list every page, and every link between them resolves."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

import pytest

from contact.cli import build_parser
from contact.config import settings_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))}
MANUAL = {"README.md": README, **{f"docs/{name}": text for name, text in PAGES.items()}}
ALL = "\n".join(MANUAL.values())


@pytest.mark.parametrize(("option", "env"), [(o, e) for o, e, _, _ in settings_table()])
def test_every_setting_is_a_row_of_a_settings_table(option: str, env: str) -> None:
    """Each setting of `contact serve` is a row `| --option | CONTACT_… |` of a table in the manual."""
    assert re.search(rf"^\| `{re.escape(option)}` \| `{re.escape(env)}` \|", ALL, re.MULTILINE), (
        f"{option} / {env} is not a row of a settings table in the README or docs/")


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(" ".join((*prefix, name)))
                found += _commands(sub, (*prefix, name))
    return found


@pytest.mark.parametrize("command", sorted(_commands(build_parser())))
def test_every_command_is_documented(command: str) -> None:
    """Each command and sub-command (`contact kb check`, `contact users enable` …) is shown in the manual."""
    assert re.search(rf"contact {re.escape(command)}\b", ALL), f"`contact {command}` is not documented"


_SCRIPTS = sorted(p.name for p in (ROOT / "scripts").iterdir() if p.is_file())


@pytest.mark.parametrize("script", _SCRIPTS)
def test_every_script_is_documented(script: str) -> None:
    """Each script in scripts/ is named in the manual (the table of Running contact lists them all)."""
    assert f"`scripts/{script}`" in PAGES["operations.md"], f"scripts/{script} is missing from docs/operations.md"


def test_the_readme_is_a_short_front_door() -> None:
    """The README: what it is, the two commands first, a first question, who starts where, the manual's contents."""
    assert len(README.splitlines()) <= 150
    two = README.index("## Two commands")
    assert README.index("scripts/serve", two) < README.index("scripts/test", two) < README.index("\n## ", two + 5)
    for heading in ("## Ask a question", "## Who starts where", "## The manual"):
        assert heading in README
    assert "scripts/contact" in README and "(docs/README.md)" in README


def test_every_page_is_in_the_contents() -> None:
    """docs/README.md links every page of docs/, and the README links docs/README.md."""
    contents = PAGES["README.md"]
    missing = [name for name in PAGES if name != "README.md" and f"]({name})" not in contents]
    assert not missing, f"not in docs/README.md: {missing}"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    body = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return {_anchor(m) for m in re.findall(r"^#+ (.+)$", body, re.MULTILINE)}


@pytest.mark.parametrize("page", sorted(MANUAL))
def test_every_link_resolves(page: str) -> None:
    """Each relative link of the page names a file that exists and, with #anchor, a heading of that file."""
    base = (ROOT / page).parent
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", MANUAL[page]):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (base / path).resolve() if path else ROOT / page
        if not file.exists() or (anchor and file.suffix == ".md"
                                 and anchor not in _anchors(file.read_text(encoding="utf-8"))):
            broken.append(target)
    assert not broken, f"{page}: broken links {broken}"


@pytest.mark.parametrize("page", sorted(name for name, text in PAGES.items() if "\nContents:\n" in text))
def test_a_pages_contents_lists_its_sections(page: str) -> None:
    """A page that opens with `Contents:` lists exactly its `## ` sections, in order."""
    text = PAGES[page]
    listed = re.findall(r"^- \[(.+?)\]\(#", text.split("\nContents:\n", 1)[1].strip().split("\n\n", 1)[0], re.MULTILINE)
    body = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    assert listed == re.findall(r"^## (.+)$", body, re.MULTILINE)


_ROOMS = sorted(p.parent.name for p in (ROOT / "contact").glob("*/__init__.py"))


@pytest.mark.parametrize("room", _ROOMS)
def test_every_room_of_contact_is_in_the_layout_and_the_architecture(room: str) -> None:
    """Each sub-package of contact/ is named in the Layout and drawn in docs/architecture.md."""
    architecture = PAGES["architecture.md"]
    layout = architecture[architecture.index("## Layout"):]
    assert f"  {room}/" in layout, f"contact/{room}/ is missing from the Layout in docs/architecture.md"
    assert f"contact/{room}/" in architecture, f"contact/{room}/ is missing from docs/architecture.md"


@pytest.mark.parametrize("room", _ROOMS)
def test_every_room_says_what_it_is_for(room: str) -> None:
    """Each sub-package's __init__.py has a docstring saying what the room is for."""
    module = importlib.import_module(f"contact.{room}")
    assert module.__doc__ and len(module.__doc__.strip()) > 40
