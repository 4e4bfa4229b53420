"""Comments and documents name only repository paths that exist.

Every text file of the repository is scanned for words that look like a
path inside it (starting with one of its top-level directories, ending in
a file name or a slash); each must exist in the tree. A comment that says
"see tools/gdb/neuron_trace.py" after that file was renamed is a stale
pointer a maintainer follows into nothing.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("kernel", "percpu", "trace", "tools", "tests", "docs", "bench", "cmake")
# A path: a top-level directory, then /segments; stops at characters that
# cannot be in our file names. Globs, placeholders and build outputs are
# not paths in the tree.
PATH = re.compile(r"(?<![\w./-])((?:%s)/[\w./-]*[\w/])" % "|".join(TOP))
FOREIGN = re.compile(r"\b(?:QEMU|Linux|OpenSBI|Perfetto|Zircon|seL4|xv6)'s\b")
NOT_A_FILE = re.compile(r"[*{}<>]|/(?:PRESET|NAME|CASE|FLAVOUR|X|N)\b|\.\.\.")
TEXT_SUFFIXES = {".c", ".h", ".S", ".py", ".md", ".txt", ".cmake", ".json", ".in", ".ld", ".proto",
                 ".pml", ".def", ".sh", ""}


def tracked_files() -> list[Path]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    paths = [ROOT / name for name in listing.stdout.decode().split("\0") if name]
    this = Path(__file__).resolve()   # its examples name missing paths on purpose
    return [p for p in paths if p.suffix in TEXT_SUFFIXES and p.is_file() and p != this]


def stale_paths() -> list[str]:
    found = []
    for path in tracked_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#include") or FOREIGN.search(line):
                continue   # the compiler checks includes; other projects' paths are theirs
            for match in PATH.finditer(line):
                name = match.group(1).rstrip(".")
                if NOT_A_FILE.search(name) or line[match.end():match.end() + 1] == "\\":
                    continue   # a pattern, not a path
                if not (ROOT / name).exists() and not (path.parent / name).exists():
                    found.append(f"{path.relative_to(ROOT)}:{number}: {name} does not exist")
    return found


def test_every_named_path_exists():
    stale = stale_paths()
    assert not stale, "stale path(s):\n" + "\n".join(stale)


def test_the_check_sees_a_stale_path(tmp_path, monkeypatch):
    """Counterfactual: a file naming a missing path is reported."""
    bad = ROOT / "docs" / "_stale_path_probe.md"
    monkeypatch.setattr(__import__(__name__), "tracked_files", lambda: [bad])
    bad.write_text("see tools/gdb/no_such_module.py for details\n")
    try:
        assert stale_paths() == [
            "docs/_stale_path_probe.md:1: tools/gdb/no_such_module.py does not exist"]
    finally:
        bad.unlink()
