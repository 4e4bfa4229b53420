"""The contract headers read the same in C and in Python.

The C side expands the list macros into enums; contract.py reads the same
lines. This test compiles a program that prints every enumerator Python
knows by its C name, so a list the reader misparses, or a C expansion that
numbers differently, fails here.
"""

import re
import shutil
import subprocess

import pytest

from neuronlib import contract
from neuronlib.perfetto import records as R
from neuronlib.tracefmt import records as T

REPO = contract.TRACE_CONTRACT.parents[3]
INCLUDES = [REPO / "trace" / "include", REPO / "percpu" / "include"]


def c_values(tmp_path, expressions):
    cc = shutil.which("cc") or shutil.which("gcc")
    lines = "\n".join(f'\tprintf("%ld\\n", (long)({e}));' for e in expressions)
    source = tmp_path / "values.c"
    source.write_text("#include <stdio.h>\n#include <neuron/trace_record.h>\n"
                      "#include <neuron/percpu.h>\n"
                      "#define IPI__KIND(name, number, meaning) IPI_##name = number,\n"
                      "enum ipi_kind { IPI_KIND_LIST(IPI__KIND) };\n"
                      f"int main(void)\n{{\n{lines}\n\treturn 0;\n}}\n")
    program = tmp_path / "values"
    subprocess.run([cc, "-std=gnu11", "-DNEURON_AUDIT=1", "-DNEURON_MAX_HARTS=8", "-DNEURON_PERCPU_HOST=1",
                    *(f"-I{i}" for i in INCLUDES), f"-I{REPO / 'percpu' / 'host'}",
                    "-o", program, source], check=True)
    out = subprocess.run([program], check=True, capture_output=True, text=True).stdout
    return [int(v) for v in out.split()]


def test_every_number_python_knows_is_the_c_enumerator(tmp_path):
    expected = {}
    expected.update({f"TRACE_{n.upper()}": v for v, n in contract.TYPES.items()})
    expected.update({f"TRACE_TASK_{n.upper()}": v for v, n in contract.TASK_STATES.items()})
    expected.update({f"TRACE_MARK_{n.upper()}": v for v, n in contract.MARKS.items()})
    expected.update({f"IPI_{n.upper()}": v for v, n in contract.IPI_KINDS.items()})
    expected.update({f"PERCPU_{n.upper()}": v for v, n in contract.VIOLATIONS.items()})
    expected.update({f"PERCPU_ACCESS_{n.upper()}": i for i, n in enumerate(contract.ACCESS_KINDS)})
    expected.update({f"PERCPU_REASON_{n.upper()}": i for i, n in enumerate(contract.REASONS)})
    public = [n for n in contract.REASONS if n not in ("unchecked", "none")]
    expected.update({f"PERCPU__REASON({n})": contract.REASONS.index(n) for n in public})
    assert c_values(tmp_path, list(expected)) == list(expected.values())


def test_flags_say_which_fields_are_harts_and_ids():
    assert set(contract.PERCPU_TYPES) == {T.TYPE_BY_NAME[n] for n in ("remote", "violation", "unchecked")}
    assert set(contract.VICTIM_TYPES) <= set(contract.HART_B_TYPES)
    assert T.TYPE_BY_NAME["violation"] not in contract.HART_B_TYPES    # its owner may be "no hart"
    assert R.VIOLATION_NAMES[5] == "no lock" and T.VIOLATIONS[5] == "no_lock"


def test_violation_codes_fit_the_record():
    assert max(contract.VIOLATIONS) < 1 << (24 - R.VIOLATION_SITE_BITS)


def test_a_list_the_reader_cannot_take_is_an_error(tmp_path):
    header = tmp_path / "bad.h"
    header.write_text("#define THING_LIST(X) \\\n\tX(A, 1, \"a\") \\\n\tX(B, 2,\n\t  \"split\")\n")
    with pytest.raises(contract.ContractError, match="THING_LIST"):
        contract.read_lists(header)


def test_a_number_given_twice_is_an_error(tmp_path):
    header = tmp_path / "twice.h"
    header.write_text("#define THING_LIST(X) \\\n\tX(A, 1, \"a\") \\\n\tX(B, 1, \"b\")\n")
    with pytest.raises(contract.ContractError, match="gives 1 to A and B"):
        contract._numbered(contract.read_lists(header)["THING_LIST"], header, "THING_LIST")


def test_both_converter_loops_draw_the_same_types_their_own_way():
    """The rest are drawn generically by both; a type with a drawing of its
    own in one loop only would be drawn two ways (-Wswitch cannot see it:
    record()'s default is the generic drawing)."""
    from neuronlib.perfetto import fastpath
    from neuronlib.perfetto.convert import Converter
    source = fastpath.SOURCE.read_text()
    body = source[source.index("static int record("):]
    body = body[:body.index("\n}\n")]
    cases = set(re.findall(r"\bcase (TRACE_\w+):", body)) - {"TRACE_NONE"}
    assert "default:" in body
    assert cases == {R.TYPE_NAMES[t] for t in Converter._HANDLERS}
    assert set(Converter._HANDLERS) <= set(contract.TYPES)
