"""docs/security.md proves each OWASP API risk with named tests: every test it names exists, so
a renamed or deleted test cannot leave the document citing a proof that is gone."""

from __future__ import annotations

import importlib
import re

from app.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "security.md"


def cited() -> list[tuple[str, list[str]]]:
    """(module, [class, ..., test]) for each citation; ``::name`` continues the last module."""
    found = []
    module = None
    for text in re.findall(r"`(tests/[\w/]+\.py(?:::\w+)+|(?:::\w+)+)`", DOC.read_text()):
        if text.startswith("tests/"):
            module, _, rest = text.partition("::")
        else:
            rest = text[2:]
        assert module is not None, f"{text} continues no module"
        found.append((module, rest.split("::")))
    return found


def test_the_document_cites_tests_for_every_risk() -> None:
    text = DOC.read_text()
    for number in range(1, 11):
        section = text.split(f"## API{number} ", 1)[1].split("\n## ", 1)[0]
        assert "tests/test_" in section, f"API{number} cites no test"


def test_every_cited_test_exists() -> None:
    citations = cited()
    assert len(citations) > 50
    missing = []
    for module, names in citations:
        target: object = importlib.import_module(module.removesuffix(".py").replace("/", "."))
        for name in names:
            target = getattr(target, name, None)
            if target is None:
                missing.append(f"{module}::{'::'.join(names)}")
                break
    assert not missing, "docs/security.md cites tests that do not exist:\n" + "\n".join(missing)
