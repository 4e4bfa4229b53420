"""Reading kernel/proof/selftest/list.h (tools/neuronlib/selftests.py)."""

import pytest

from neuronlib.errors import SelfTestListError
from neuronlib.selftests import SelfTest, parse_selftest_list

LIST = '''/* one entry per line */
#ifndef SELFTEST
SELFTEST(harts_online, 1, "every hart came up")
SELFTEST(ipi_ping,  2, "IPIs reach every hart")
  SELFTEST(indented_is_not_an_entry, 1, "x")
#endif
'''


def test_entries_in_order():
    assert parse_selftest_list(LIST) == [SelfTest("harts_online", 1), SelfTest("ipi_ping", 2)]


def test_duplicate_name_is_an_error_naming_both_lines():
    with pytest.raises(SelfTestListError, match=r"list.h:3: self-test 'a' already listed at line 1"):
        parse_selftest_list('SELFTEST(a, 1, "")\nSELFTEST(b, 1, "")\nSELFTEST(a, 2, "")\n')


def test_empty_list_is_an_error():
    with pytest.raises(SelfTestListError, match="no SELFTEST"):
        parse_selftest_list("/* nothing */\n")
