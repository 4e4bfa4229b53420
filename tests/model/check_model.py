#!/usr/bin/python3
"""Model-check tests/model/trace_ring.pml with spin and judge pan's verdict.

    check_model.py MODEL.pml {holds|violated} WORKDIR [-DNAME[=VALUE] ...]

holds:    the exhaustive search completed and found no error ("errors: 0",
          no "Search not completed").
violated: pan found at least one assertion violation (a counterfactual
          model whose broken step spin must catch).
Prints pan's summary either way; exit 0 when the verdict is as expected.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path


def run(command, cwd):
    done = subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0 and command[0] != "./pan":
        sys.exit(f"check_model: {' '.join(command)} failed ({done.returncode}): "
                 f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return done.stdout + done.stderr


def main(argv):
    if len(argv) < 3 or argv[1] not in ("holds", "violated"):
        sys.exit(__doc__.strip().splitlines()[2])
    model, expect, workdir, defines = Path(argv[0]).resolve(), argv[1], Path(argv[2]), argv[3:]
    if shutil.which("spin") is None:
        sys.exit("check_model: spin not found (Debian package spin; tools/neuron setup installs it)")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    run(["spin", *defines, "-a", str(model)], workdir)
    # SAFETY: assertions and invalid end states (deadlock), no liveness;
    # -O0: the state spaces are small, compiling pan.c is the slow part.
    run(["gcc", "-O0", "-DSAFETY", "-DVECTORSZ=2048", "-o", "pan", "pan.c"], workdir)
    output = run(["./pan", "-m10000000"], workdir)
    summary = [line for line in output.splitlines()
               if re.search(r"errors:|states, stored|assertion violated|Search not completed|"
                            r"invalid end state", line)]
    print(f"check_model: {model.name} {' '.join(defines) or '(as built)'}")
    print("\n".join("  " + line.strip() for line in summary))
    match = re.search(r"errors: (\d+)", output)
    if match is None:
        sys.exit("check_model: pan printed no error count")
    errors = int(match.group(1))
    if expect == "holds":
        if errors != 0 or "Search not completed" in output:
            sys.exit(f"check_model: expected the properties to hold, pan found {errors} error(s)")
    elif errors == 0 or "assertion violated" not in output:
        sys.exit("check_model: expected spin to find the violation, it found none")
    print(f"check_model: ok ({expect}, errors: {errors})")


if __name__ == "__main__":
    main(sys.argv[1:])
