"""`collector_paused`: the cyclic collector is off while any big job runs, and as it was once the last one ends."""

import gc
import threading

import pytest

from storefront.jobs.heap import collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_resumed_after_even_when_the_job_fails():
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the job failed")
    assert gc.isenabled()


def test_overlapping_jobs_resume_it_when_the_last_one_ends():
    first_inside, first_may_end = threading.Event(), threading.Event()

    def first_job():
        with collector_paused():
            first_inside.set()
            first_may_end.wait(5)

    thread = threading.Thread(target=first_job)
    thread.start()
    assert first_inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the first job is still running
    first_may_end.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
