import os

import pytest

from bench.procstat import parse_cpu_seconds, parse_memory_mb, sample

STAT = "4242 (rasa server (x)) S 1 4242 4242 0 -1 4194304 1000 0 0 0 250 50 0 0 20 0 12 0 100 1 1 " + " 0" * 30


def test_cpu_seconds_are_user_plus_system_ticks_even_with_spaces_in_the_name():
    assert parse_cpu_seconds(STAT, 100) == pytest.approx(3.0)


@pytest.mark.parametrize("garbage", ["", "no parenthesis here 1 2 3", "1 (short) S 1 2"])
def test_cpu_seconds_of_garbage_is_a_clear_error(garbage):
    with pytest.raises(ValueError, match="/proc/<pid>/stat"):
        parse_cpu_seconds(garbage, 100)


def test_memory_reads_current_and_peak_rss_in_mb():
    status = "Name:\tpython\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t4\n"
    assert parse_memory_mb(status) == (100.0, 200.0)


def test_memory_of_a_status_without_rss_is_a_clear_error():
    with pytest.raises(ValueError, match="VmRSS"):
        parse_memory_mb("Name:\tkthreadd\n")


def test_sample_of_this_process_has_cpu_and_a_peak_at_least_the_current_rss():
    now = sample(os.getpid())
    assert now.cpu_seconds > 0
    assert now.peak_rss_mb >= now.rss_mb > 0


def test_sample_of_a_process_that_is_gone_raises_process_lookup_error(tmp_path):
    with pytest.raises(ProcessLookupError):
        sample(123456, proc=tmp_path)
