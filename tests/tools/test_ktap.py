"""The KTAP parser (tools/neuronlib/ktap.py) on hand-written console logs."""

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from neuronlib import ktap


def log(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


GOOD = log("""
    OpenSBI v1.1
    neuron: booting on hart 0
    KTAP version 1
    1..4
    ok 1 harts_online
    # expected 3 ticks, saw 2
    not ok 2 timer_ticks
    ok 3 ipi_ping # SKIP needs 2 harts
    ok 4 percpu_audit
    neuron: exit 1
    """)


def test_results_status_and_names():
    report = ktap.parse(GOOD)
    assert report.valid, report.errors
    assert report.version == "KTAP version 1"
    assert report.plan == 4
    assert [(r.number, r.name, r.status) for r in report.results] == [
        (1, "harts_online", "pass"), (2, "timer_ticks", "fail"),
        (3, "ipi_ping", "skip"), (4, "percpu_audit", "pass")]
    assert report.find("ipi_ping").reason == "needs 2 harts"
    assert report.find("nonexistent") is None
    assert report.summary() == "4/4 reported: 2 passed, 1 failed, 1 skipped"


def test_diagnostic_attaches_to_the_following_result():
    report = ktap.parse(GOOD)
    assert report.find("timer_ticks").diagnostics == ["expected 3 ticks, saw 2"]
    assert report.find("harts_online").diagnostics == []


def test_trailing_diagnostics_attach_to_the_last_result():
    report = ktap.parse("KTAP version 1\n1..1\nok 1 a\n# done\n")
    assert report.results[0].diagnostics == ["done"]


def test_carriage_returns_from_the_serial_console():
    report = ktap.parse(GOOD.replace("\n", "\r\n"))
    assert report.valid, report.errors
    assert report.find("ipi_ping").reason == "needs 2 harts"


def test_no_version_line():
    report = ktap.parse("neuron: booting\n1..1\nok 1 a\n")
    assert not report.valid
    assert report.results == []
    assert "no 'KTAP version 1' line" in report.errors[0]


def test_unsupported_version():
    report = ktap.parse("TAP version 14\n1..1\nok 1 a\n")
    assert any("is not 'KTAP version 1'" in e for e in report.errors)


def test_no_plan():
    report = ktap.parse("KTAP version 1\nok 1 a\n")
    assert any("no plan line" in e for e in report.errors)


def test_plan_after_results_is_an_error():
    report = ktap.parse("KTAP version 1\nok 1 a\n1..1\n")
    assert any("plan comes after results" in e for e in report.errors)


def test_count_mismatch_when_the_kernel_stops_early():
    report = ktap.parse("KTAP version 1\n1..3\nok 1 a\nok 2 b\nneuron: panic\n")
    assert report.errors == ["planned 3 tests, got 2 results"]


def test_duplicate_number():
    report = ktap.parse("KTAP version 1\n1..2\nok 1 a\nok 1 b\n")
    assert any("test 1 reported again (first at line 3)" in e for e in report.errors)


def test_out_of_order_number():
    report = ktap.parse("KTAP version 1\n1..3\nok 1 a\nok 3 c\nok 2 b\n")
    assert any("line 4: test 3 out of order (expected test 2)" in e for e in report.errors)


def test_number_beyond_the_plan():
    report = ktap.parse("KTAP version 1\n1..1\nok 1 a\nok 2 b\n")
    assert any("beyond the plan" in e for e in report.errors)
    assert any("planned 1 tests, got 2" in e for e in report.errors)


def test_result_without_a_number():
    report = ktap.parse("KTAP version 1\n1..1\nok a\nok 1 a\n")
    assert any("without a test number" in e for e in report.errors)


def test_bail_out_stops_parsing():
    report = ktap.parse("KTAP version 1\n1..3\nok 1 a\nBail out! hart 2 lost\nok 2 b\n")
    assert report.bail_out == "hart 2 lost"
    assert any("bail out: hart 2 lost" in e for e in report.errors)
    assert [r.name for r in report.results] == ["a"]


def test_second_version_line_means_a_restart():
    report = ktap.parse("KTAP version 1\n1..1\nKTAP version 1\n1..1\nok 1 a\n")
    assert any("second version line" in e for e in report.errors)


def test_directives_other_than_skip_keep_the_verdict():
    report = ktap.parse("KTAP version 1\n1..3\nnot ok 1 a # TODO later\n"
                        "ok 2 b # skip lowercase\nok 3 c # just a comment\n")
    a, b, c = report.results
    assert (a.status, a.directive, a.reason) == ("fail", "TODO", "later")
    assert (b.status, b.directive) == ("skip", "SKIP")
    assert (c.status, c.directive, c.reason) == ("pass", None, "just a comment")


def test_dash_before_the_name_is_not_part_of_it():
    report = ktap.parse("KTAP version 1\n1..1\nok 1 - harts_online\n")
    assert report.results[0].name == "harts_online"


def test_other_lines_between_results_are_ignored():
    text = "KTAP version 1\n1..2\nok 1 a\nneuron: hart 3 online\nrandom noise\nok 2 b\n"
    report = ktap.parse(text)
    assert report.valid, report.errors
    assert len(report.results) == 2


def test_indented_subtests_belong_to_the_next_result():
    text = log("""
        KTAP version 1
        1..2
            KTAP version 1
            1..2
            ok 1 ping_hart_1
            not ok 2 ping_hart_2
        not ok 1 ipi
        ok 2 other
        """)
    report = ktap.parse(text)
    assert report.valid, report.errors
    subtests = report.find("ipi").subtests
    assert [(r.name, r.status) for r in subtests.results] == [
        ("ping_hart_1", "pass"), ("ping_hart_2", "fail")]
    assert report.find("other").subtests is None


def test_malformed_subtests_do_not_spoil_the_parent():
    text = "KTAP version 1\n1..1\n    ok 3 x\nok 1 a\n"
    report = ktap.parse(text)
    assert report.valid, report.errors
    assert not report.results[0].subtests.valid


def test_subtests_without_a_parent_result():
    text = "KTAP version 1\n1..1\nok 1 a\n    1..1\n    ok 1 x\n"
    report = ktap.parse(text)
    assert any("subtest lines with no result line" in e for e in report.errors)


# --- properties ----------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
verdicts = st.sampled_from(["pass", "fail", "skip"])
noise = st.lists(st.from_regex(r"neuron: [a-z0-9 :=]{0,30}", fullmatch=True), max_size=3)


def render(cases, before, after):
    lines = [*before, "KTAP version 1", f"1..{len(cases)}"]
    for number, (name, verdict) in enumerate(cases, start=1):
        if verdict == "pass":
            lines.append(f"ok {number} {name}")
        elif verdict == "fail":
            lines += [f"# {name} failed", f"not ok {number} {name}"]
        else:
            lines.append(f"ok {number} {name} # SKIP not here")
    return "\n".join([*lines, *after]) + "\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(names, verdicts), max_size=20), noise, noise)
def test_rendered_logs_parse_back(cases, before, after):
    report = ktap.parse(render(cases, before, after))
    assert report.valid, report.errors
    assert [(r.name, r.status) for r in report.results] == cases
    for result in report.results:
        assert result.diagnostics == ([f"{result.name} failed"] if result.status == "fail" else [])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(names, verdicts), min_size=1, max_size=20), st.data())
def test_a_lost_result_line_is_always_reported(cases, data):
    lines = render(cases, [], []).splitlines()
    result_lines = [i for i, line in enumerate(lines) if line.startswith(("ok ", "not ok "))]
    del lines[data.draw(st.sampled_from(result_lines))]
    report = ktap.parse("\n".join(lines) + "\n")
    assert not report.valid
    assert any(f"planned {len(cases)} tests, got {len(cases) - 1}" in e for e in report.errors)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    report = ktap.parse(text)
    assert report.valid == (not report.errors)
