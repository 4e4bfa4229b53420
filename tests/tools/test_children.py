"""children.start_child: a signal that lands while a child is being forked
is not lost, and the child does not outlive the interrupted start.

The race is made certain, not hoped for: a fresh interpreter registers an
at-fork callback that sends itself SIGINT in the parent right after the
fork, where Python drops a KeyboardInterrupt ("Exception ignored") and
the front door used to run on as if never interrupted."""
import subprocess
import sys
import textwrap
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / "tools"

SCRIPT = textwrap.dedent("""
    import os, signal, subprocess, sys, time
    sys.path.insert(0, sys.argv[1])
    from neuronlib.children import start_child
    os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGINT))
    start = start_child if sys.argv[2] == "start_child" else (
        lambda command, **kw: subprocess.Popen(command, start_new_session=True, **kw))
    try:
        child = start(["sleep", "30"], stdout=subprocess.DEVNULL)
    except KeyboardInterrupt:
        print("interrupted at the start", flush=True)
        sys.exit(0)
    print("ran on, child", child.pid, flush=True)
    child.kill()
    child.wait()
    sys.exit(1)
""")


def _start(how: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, str(TOOLS), how], capture_output=True,
                          text=True, timeout=60)


def _sleepers() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if command[:2] == [b"sleep", b"30"]:
                found.append(entry.name)
    return found


def test_a_signal_during_the_fork_interrupts_and_kills_the_child():
    before = set(_sleepers())
    result = _start("start_child")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "interrupted at the start" in result.stdout
    assert set(_sleepers()) - before == set()


def test_counterfactual_plain_popen_loses_the_signal():
    result = _start("popen")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ran on" in result.stdout       # the KeyboardInterrupt was dropped
