"""One Redis client (and so one connection pool) per URL and timeout for the whole process,
whoever asks: the health check and the click counter do not open a connection per call."""

import functools

import redis


@functools.lru_cache(maxsize=8)
def redis_client(url: str, *, timeout: float) -> redis.Redis:
    """The process's client for `url`; `timeout` (seconds) bounds connecting and each
    command, so a Redis that does not answer costs at most that much."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
