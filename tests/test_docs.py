"""The README keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from contact.cli import build_parser
from contact.config import settings_table

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("option", "env"), [(o, e) for o, e, _, _ in settings_table()])
def test_every_setting_is_in_the_readme(option: str, env: str) -> None:
    assert f"`{option}`" in README and f"`{env}`" in README


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    assert re.search(rf"contact {command}\b", README), f"`contact {command}` is not documented"


def test_the_two_commands_of_a_fresh_machine_are_first() -> None:
    two = README.index("## Two commands")
    assert README.index("scripts/serve", two) < README.index("scripts/test", two) < README.index("\n## ", two + 5)


_ROOMS = sorted(p.parent.name for p in (Path(__file__).parent.parent / "contact").glob("*/__init__.py"))


@pytest.mark.parametrize("room", _ROOMS)
def test_every_room_of_contact_is_in_the_layout_and_the_architecture(room: str) -> None:
    """Each sub-package of contact/ is named in the README's Layout and drawn in docs/architecture.md."""
    architecture = (Path(__file__).parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    layout = README[README.index("## Layout"):]
    assert f"  {room}/" in layout, f"contact/{room}/ is missing from the README's Layout"
    assert f"contact/{room}/" in architecture, f"contact/{room}/ is missing from docs/architecture.md"


@pytest.mark.parametrize("room", _ROOMS)
def test_every_room_says_what_it_is_for(room: str) -> None:
    """Each sub-package's __init__.py has a docstring saying what the room is for."""
    module = importlib.import_module(f"contact.{room}")
    assert module.__doc__ and len(module.__doc__.strip()) > 40
