"""The CTest verdict of one self-test, read from a saved console log."""

from neuronlib import ctest_boot

LOG = """neuron: booting
KTAP version 1
1..4
ok 1 harts_online
# expected 3 ticks, saw 2
not ok 2 timer_ticks
ok 3 ipi_ping # SKIP needs 2 harts
ok 4 lazy # SKIP
neuron: exit 1
"""


def verdict(tmp_path, name, harts=4, min_harts=1, text=LOG):
    log = tmp_path / "h4.log"
    log.write_text(text)
    return ctest_boot.case_check(log, name, harts, min_harts)


def test_pass(tmp_path, capsys):
    assert verdict(tmp_path, "harts_online") == ctest_boot.PASS
    assert "PASS: ok 1 harts_online" in capsys.readouterr().out


def test_fail_shows_the_diagnostics(tmp_path, capsys):
    assert verdict(tmp_path, "timer_ticks") == ctest_boot.FAIL
    out = capsys.readouterr().out
    assert "# expected 3 ticks, saw 2" in out and "not ok 2 timer_ticks" in out


def test_skip_is_ctest_skip_with_its_reason(tmp_path, capsys):
    assert verdict(tmp_path, "ipi_ping", harts=1, min_harts=2) == ctest_boot.SKIP == 77
    assert "SKIP: ipi_ping: needs 2 harts" in capsys.readouterr().out


def test_skip_without_a_reason_fails(tmp_path):
    assert verdict(tmp_path, "lazy") == ctest_boot.FAIL


def test_absence_is_never_a_pass(tmp_path, capsys):
    assert verdict(tmp_path, "percpu_audit") == ctest_boot.FAIL
    assert "absence is never a pass" in capsys.readouterr().out


def test_no_log_fails(tmp_path):
    assert ctest_boot.case_check(tmp_path / "missing.log", "harts_online", 4, 1) == ctest_boot.FAIL


def test_passing_with_too_few_harts_fails(tmp_path):
    assert verdict(tmp_path, "harts_online", harts=1, min_harts=2) == ctest_boot.FAIL


def test_results_must_match_the_list(tmp_path):
    from neuronlib import ktap
    from neuronlib.selftests import SelfTest
    report = ktap.parse(LOG)
    names = ["harts_online", "timer_ticks", "ipi_ping", "lazy"]
    assert ctest_boot._compare_with_list(report, [SelfTest(n, 1) for n in names]) == []
    problems = ctest_boot._compare_with_list(report, [SelfTest(n, 1) for n in names[:3] + ["new"]])
    assert "missing from the log: new" in problems and "not in the self-test list: lazy" in problems
    swapped = [names[1], names[0], *names[2:]]
    assert ctest_boot._compare_with_list(report, [SelfTest(n, 1) for n in swapped]) == [
        "results are not in the self-test list's order"]
