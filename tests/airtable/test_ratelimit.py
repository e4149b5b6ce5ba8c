"""The shared token bucket, on the real Redis of the suite."""

import threading
import time

import pytest
from django.conf import settings
from redis import Redis

from apps.airtable.ratelimit import Bucket, RedisTokenBucket, WaitTooLong


def _acquire_from_threads(bucket: Bucket, threads: int, each: int) -> list[float]:
    """Separate limiters with their own Redis clients, like separate processes."""
    stamps: list[float] = []
    lock = threading.Lock()

    def run():
        limiter = RedisTokenBucket(Redis.from_url(settings.REDIS_URL))
        for _ in range(each):
            limiter.acquire([bucket])
            with lock:
                stamps.append(time.monotonic())

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sorted(stamps)


def _shortest_span(stamps: list[float], count: int) -> float:
    """The shortest time in which `count + 1` acquisitions happened."""
    return min(stamps[index + count] - stamps[index] for index in range(len(stamps) - count))


def test_acquisitions_from_many_clients_stay_within_the_rate():
    rate = 10
    stamps = _acquire_from_threads(Bucket("test:rate", rate), threads=4, each=8)
    assert len(stamps) == 32
    # rate + 1 acquisitions never fit in a second. A grant 1/rate too many would
    # shorten it by 100 ms; 40 ms is left for the threads' stamps, taken after each
    # grant, to lag behind it on a busy machine.
    assert _shortest_span(stamps, rate) >= 1.0 - 0.04
    # 32 requests at 10/s: the first goes at once, the other 31 one every 100 ms.
    assert stamps[-1] - stamps[0] >= 31 / rate - 0.05


def test_burst_lets_a_few_through_at_once_then_paces():
    limiter = RedisTokenBucket()
    bucket = Bucket("test:burst", rate=10, burst=3)
    started = time.monotonic()
    waits = [limiter.acquire([bucket]) for _ in range(6)]
    assert waits[:3] == [0, 0, 0]
    assert time.monotonic() - started >= 0.25


def test_every_bucket_of_a_request_is_respected():
    limiter = RedisTokenBucket()
    slow, fast = Bucket("test:slow", rate=5), Bucket("test:fast", rate=100)
    started = time.monotonic()
    for _ in range(4):
        limiter.acquire([fast, slow])
    assert time.monotonic() - started >= 0.55


def test_a_wait_beyond_the_budget_is_refused_without_taking_a_slot():
    limiter = RedisTokenBucket()
    bucket = Bucket("test:budget", rate=2)
    limiter.acquire([bucket])
    with pytest.raises(WaitTooLong) as refused:
        limiter.acquire([bucket], max_wait=0.1)
    assert 0.3 < refused.value.wait_seconds <= 0.5
    # Nothing was reserved by the refusal: the next slot is still half a second after the first.
    assert limiter.acquire([bucket]) <= 0.5


def test_block_holds_the_bucket_closed():
    limiter = RedisTokenBucket()
    bucket = Bucket("test:block", rate=100)
    limiter.block([bucket], 0.4)
    with pytest.raises(WaitTooLong):
        limiter.acquire([bucket], max_wait=0.1)
    assert 0.2 < limiter.acquire([bucket]) <= 0.4
