"""Read and edit the NLU training data in `data/nlu/*.yml` so every change is a one-line diff a reviewer can read.

Each file is loaded with ruamel.yaml's round-trip loader and written back with the same indentation; before any
write the new text is compared with the old line by line, and the write is refused unless exactly the intended
line was added, changed or removed (so comments, order, blank lines and quoting always survive). Writes go to a
temporary file that replaces the original, under a lock on the folder, so two trainers saving at once cannot lose
each other's example and a crash never leaves half a file.

An example is refused when it is already there (ignoring case, punctuation and spacing), when the same words
belong to another intent, when its entity markup is broken or names an entity the domain does not have, and when
its intent is not one the training data already has (new intents need a developer: the domain and stories too).
"""

from __future__ import annotations

import difflib
import fcntl
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.training_data.markup import ParsedExample, normalised, parse, tidy

INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 2), (4, 6, 4))
"""(mapping, sequence, offset) settings tried in turn to find the one that writes a file back unchanged."""


class TrainingDataError(Exception):
    """Raised when an edit to the training data is refused; the message says why in plain words."""


class AlreadyPresent(TrainingDataError):
    """Raised when the intent already has the example (ignoring case, punctuation and spacing)."""


class ClaimedByOtherIntent(TrainingDataError):
    """Raised when the example's words are already an example of another intent."""


class UnknownIntent(TrainingDataError):
    """Raised when no training data file has the intent."""


@dataclass(frozen=True)
class Example:
    """One training example as it stands in a file."""

    intent: str
    text: str
    plain: str
    path: Path


@dataclass(frozen=True)
class Edit:
    """A change written to a training data file."""

    path: Path
    diff: str
    line: int


def _yaml(indent: tuple[int, int, int] = (2, 2, 0)) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True  # type: ignore[assignment]
    yaml.width = 100_000  # type: ignore[assignment]  # never fold a long example over two lines
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


def _example_lines(block: str) -> list[str]:
    """Return the examples in a literal block (`- text` lines), as Rasa reads them."""
    found = []
    for line in block.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            found.append(stripped[2:].strip())
        elif stripped == "-":
            found.append("")
    return found


class NluData:
    """The NLU training data in one folder (the project's `data/`, or a copy of it in tests).

    Args:
        data_dir: The folder holding `nlu/*.yml`.
        domain_dir: The Rasa domain folder, for the entity and intent names; `data_dir`'s sibling `domain/`
            when None.
    """

    def __init__(self, data_dir: Path, domain_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.nlu_dir = self.data_dir / "nlu"
        self.domain_dir = Path(domain_dir) if domain_dir is not None else self.data_dir.parent / "domain"
        self._cache: dict[Path, tuple[tuple[int, int], Any]] = {}

    # --- reading ---

    def files(self) -> list[Path]:
        """Return the NLU files, sorted by name."""
        return sorted(self.nlu_dir.glob("*.yml"))

    def _load(self, path: Path) -> Any:
        """Return a file's content for reading (parsed once per version of the file; never edit the result)."""
        try:
            stat = path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(path)
            if cached is not None and cached[0] == version:
                return cached[1]
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        except (OSError, YAMLError) as error:
            raise TrainingDataError(f"{path.name} cannot be read: {error}") from error
        self._cache[path] = (version, data)
        return data

    def examples(self) -> dict[str, list[Example]]:
        """Return every intent's examples, in file order."""
        found: dict[str, list[Example]] = {}
        for path in self.files():
            data = self._load(path) or {}
            for item in data.get("nlu") or []:
                if not isinstance(item, dict) or "intent" not in item:
                    continue
                intent = str(item["intent"])
                block = str(item.get("examples") or "")
                entries = found.setdefault(intent, [])
                for text in _example_lines(block):
                    entries.append(Example(intent, text, parse(text, frozenset()).plain, path))
        return found

    def known_entities(self) -> frozenset[str]:
        """Return the entity names the domain declares, plus those named by regexes and lookups in the data."""
        names: set[str] = set()
        for path in sorted(self.domain_dir.glob("*.yml")):
            data = self._load(path) or {}
            for entity in data.get("entities") or []:
                names.add(str(next(iter(entity))) if isinstance(entity, dict) else str(entity))
        for path in self.files():
            data = self._load(path) or {}
            for item in data.get("nlu") or []:
                if isinstance(item, dict):
                    for key in ("regex", "lookup"):
                        if key in item:
                            names.add(str(item[key]))
        return frozenset(names)

    def file_for(self, intent: str) -> Path:
        """Return the file that holds `intent`'s examples.

        Raises:
            TrainingDataError: If no file has the intent.
        """
        for path in self.files():
            data = self._load(path) or {}
            for item in data.get("nlu") or []:
                if isinstance(item, dict) and str(item.get("intent")) == intent:
                    return path
        raise UnknownIntent(
            f"there is no intent called {intent!r} in the training data; new intents are added by a developer"
        )

    def check_example(self, intent: str, text: str, *, replacing: str | None = None) -> ParsedExample:
        """Return the example parsed, or refuse it in plain words.

        Args:
            intent: The intent it would be filed under.
            text: The example, with any entity markup.
            replacing: The example it replaces (so it does not count as a duplicate of itself).

        Raises:
            TrainingDataError: If the markup is broken or the words are already in this or another intent.
        """
        examples = self.examples()
        if intent not in examples:
            raise UnknownIntent(
                f"there is no intent called {intent!r} in the training data; new intents are added by a developer"
            )
        parsed = parse(text, self.known_entities())
        if parsed.problems:
            raise TrainingDataError("This example cannot be saved: " + "; ".join(parsed.problems) + ".")
        key = normalised(parsed.plain)
        if not key:
            raise TrainingDataError("This example has no words in it.")
        skip = normalised(parse(replacing, frozenset()).plain) if replacing is not None else None
        for other_intent, entries in examples.items():
            for example in entries:
                if normalised(example.plain) != key or (other_intent == intent and key == skip):
                    continue
                if other_intent == intent:
                    raise AlreadyPresent(
                        f"{intent} already has this example ({example.text!r} in {example.path.name})."
                    )
                raise ClaimedByOtherIntent(
                    f"These words are already an example of {other_intent} ({example.text!r} in "
                    f"{example.path.name}). One message cannot teach two intents: change or remove that one first."
                )
        return parsed

    # --- writing ---

    def add(self, intent: str, text: str) -> Edit:
        """Append an example to the end of `intent`'s examples.

        Raises:
            TrainingDataError: If the example is refused or the file could not be edited cleanly.
        """
        example = tidy(text)
        self.check_example(intent, example)
        return self._edit(intent, lambda lines: [*lines, example], expect=(0, 1))

    def replace(self, intent: str, old: str, new: str) -> Edit:
        """Change one of `intent`'s examples in place.

        Raises:
            TrainingDataError: If `old` is not there, or `new` is refused.
        """
        example = tidy(new)
        target = tidy(old)
        self.check_example(intent, example, replacing=target)

        def change(lines: list[str]) -> list[str]:
            if target not in lines:
                raise TrainingDataError(f"{intent} has no example {old!r}; it may have been changed already.")
            index = lines.index(target)
            return [*lines[:index], example, *lines[index + 1 :]]

        return self._edit(intent, change, expect=(1, 1))

    def remove(self, intent: str, text: str) -> Edit:
        """Remove one of `intent`'s examples.

        Raises:
            TrainingDataError: If it is not there.
        """
        target = tidy(text)

        def drop(lines: list[str]) -> list[str]:
            if target not in lines:
                raise TrainingDataError(f"{intent} has no example {text!r}; it may have been removed already.")
            index = lines.index(target)
            return [*lines[:index], *lines[index + 1 :]]

        return self._edit(intent, drop, expect=(1, 0))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        handle = os.open(self.nlu_dir, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)

    def _edit(self, intent: str, change: Any, *, expect: tuple[int, int]) -> Edit:
        with self._locked():
            path = self.file_for(intent)
            before = path.read_text(encoding="utf-8")
            indent = _round_trip_indent(before, path)
            yaml = _yaml(indent)
            data = yaml.load(before)
            item = next(i for i in data["nlu"] if isinstance(i, dict) and str(i.get("intent")) == intent)
            lines = _example_lines(str(item.get("examples") or ""))
            updated = change(lines)
            item["examples"] = LiteralScalarString("".join(f"- {line}\n" for line in updated))
            out = io.StringIO()
            yaml.dump(data, out)
            after = out.getvalue()
            diff, line = _check_diff(before, after, path, expect)
            _check_reads_back(after, intent, updated, path)
            _write_atomically(path, after)
        return Edit(path=path, diff=diff, line=line)


def _round_trip_indent(text: str, path: Path) -> tuple[int, int, int]:
    """Return the indentation with which ruamel.yaml writes `text` back byte for byte.

    Raises:
        TrainingDataError: If no setting does (the file would be reformatted).
    """
    for indent in INDENTS:
        yaml = _yaml(indent)
        out = io.StringIO()
        try:
            yaml.dump(yaml.load(text), out)
        except YAMLError as error:
            raise TrainingDataError(f"{path.name} is not valid YAML: {error}") from error
        if out.getvalue() == text:
            return indent
    raise TrainingDataError(
        f"{path.name} is laid out in a way this editor cannot keep exactly; edit it by hand, or ask a developer"
    )


def _check_diff(before: str, after: str, path: Path, expect: tuple[int, int]) -> tuple[str, int]:
    """Return the unified diff and the 1-based line changed, refusing anything but the expected one-line edit."""
    old_lines = before.splitlines(keepends=True)
    new_lines = after.splitlines(keepends=True)
    removed = added = 0
    line = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        removed += i2 - i1
        added += j2 - j1
        line = j1 + 1 if j2 > j1 else i1 + 1
    if (removed, added) != expect:
        raise TrainingDataError(
            f"{path.name} would change in more places than the one example ({removed} lines out, {added} in); "
            "nothing was written"
        )
    diff = "".join(difflib.unified_diff(old_lines, new_lines, f"a/{path.name}", f"b/{path.name}", n=1))
    return diff, line


def _check_reads_back(text: str, intent: str, expected: list[str], path: Path) -> None:
    data = YAML(typ="safe").load(text) or {}
    for item in data.get("nlu") or []:
        matches = isinstance(item, dict) and str(item.get("intent")) == intent
        if matches and _example_lines(str(item.get("examples") or "")) == expected:
            return
    raise TrainingDataError(f"{path.name} would not read back as intended; nothing was written")


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
