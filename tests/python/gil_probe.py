"""A probe for GIL release: a Python thread counts while the main thread is inside a call.
With the GIL held for the whole call the counter could not move at all. (Timing two
threads against one would say the same on an idle machine, but not on a loaded one.)"""
import threading
import time
from typing import Callable, Tuple


def count_during(call: Callable[[], object]) -> Tuple[int, float]:
    """(counter steps taken while call() ran, seconds it took)."""
    count = [0]
    done = threading.Event()

    def counter():
        while not done.is_set():
            count[0] += 1

    th = threading.Thread(target=counter)
    th.start()
    try:
        time.sleep(0.05)
        before = count[0]
        t = time.perf_counter()
        call()
        seconds = time.perf_counter() - t
        during = count[0] - before
    finally:
        done.set()
        th.join()
    return during, seconds
