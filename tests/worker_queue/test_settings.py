"""Process settings: environment, flags overriding it, and errors that name the variable and the value."""

from __future__ import annotations

import argparse

import pytest

from octavia_lb.worker.runtime.celery_app import celery_config
from octavia_lb.worker.settings import Settings, SettingsError, from_env_and_args, redacted_redis_url


def test_defaults_are_fit_for_slow_infrastructure_tasks() -> None:
    s = from_env_and_args(env={})
    assert s.resync_period == 300
    assert s.visibility_timeout >= 2 * s.task_time_limit
    assert s.task_soft_time_limit < s.task_time_limit
    assert s.max_countdown == s.visibility_timeout * 0.2
    assert s.identity  # host_pid
    assert s.metrics_host == "127.0.0.1"
    assert from_env_and_args(env={"OCTAVIA_LB_METRICS_HOST": "0.0.0.0"}).metrics_host == "0.0.0.0"


def test_environment_then_flags() -> None:
    env = {"OCTAVIA_LB_RESYNC_PERIOD": "60", "OCTAVIA_LB_CLUSTER_NAME": "env", "OCTAVIA_LB_MAX_RETRIES": "0"}
    args = argparse.Namespace(cluster_name="flag", redis_url="rediss://:s3cret@redis.example:6380/2")
    s = from_env_and_args(args, env)
    assert (s.resync_period, s.cluster_name, s.max_retries) == (60.0, "flag", 0)
    assert s.redis_url == "rediss://:s3cret@redis.example:6380/2"
    assert redacted_redis_url(s) == "rediss://:***@redis.example:6380/2"
    assert s.key_prefix == "octavia-lb:flag:"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OCTAVIA_LB_RESYNC_PERIOD": "5m"}, "OCTAVIA_LB_RESYNC_PERIOD: '5m' is not a number"),
        ({"OCTAVIA_LB_MAX_RETRIES": "2.5"}, "OCTAVIA_LB_MAX_RETRIES: '2.5' is not an integer"),
        ({"OCTAVIA_LB_LEASE_DURATION": "0"}, "OCTAVIA_LB_LEASE_DURATION: '0' must be > 0"),
        ({"OCTAVIA_LB_METRICS_PORT": "-1"}, "OCTAVIA_LB_METRICS_PORT: '-1' must be >= 0"),
        ({"OCTAVIA_LB_REDIS_URL": "http://:pw@h/0"}, "redis_url: 'http://:***@h/0' must start with one of"),
        (
            {"OCTAVIA_LB_VISIBILITY_TIMEOUT": "600"},
            "visibility_timeout: 600 must be greater than task_time_limit (900)",
        ),
        (
            {"OCTAVIA_LB_TASK_SOFT_TIME_LIMIT": "900"},
            "task_soft_time_limit: 900 must be less than task_time_limit (900)",
        ),
        ({"OCTAVIA_LB_RECONCILE_TARGET": "pkg.mod"}, "reconcile_target: 'pkg.mod' must look like"),
        ({"OCTAVIA_LB_METRICS_HOST": "all"}, "metrics_host: 'all' is not an IP address"),
    ],
    ids=[
        "float", "int", "zero", "negative-port", "scheme-redacted", "visibility", "soft-limit", "target",
        "metrics-host",
    ],
)
def test_bad_values_name_the_field_and_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        from_env_and_args(env=env)
    assert message in str(caught.value)
    assert "pw" not in str(caught.value)


def test_celery_config_carries_the_reliability_settings() -> None:
    s = Settings(visibility_timeout=100, task_time_limit=40, task_soft_time_limit=30)
    conf = celery_config(s)
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["broker_transport_options"]["visibility_timeout"] == 100
    assert conf["broker_transport_options"]["unacked_restore_interval"] == 10
    assert (conf["task_time_limit"], conf["task_soft_time_limit"]) == (40, 30)
    assert conf["accept_content"] == ["json"] and conf["task_ignore_result"]
    assert conf["worker_cancel_long_running_tasks_on_connection_loss"]
    assert conf["worker_send_task_events"]
    assert conf["worker_enable_remote_control"] is False  # no pub/sub subscription to lose with Redis


SENTINELS = "sentinel://:pw@10.1.0.1:26379/2;sentinel://10.1.0.2:26380;sentinel://10.1.0.3"


def test_sentinel_url_needs_a_master_name_and_is_redacted_everywhere() -> None:
    with pytest.raises(SettingsError) as caught:
        from_env_and_args(env={"OCTAVIA_LB_REDIS_URL": SENTINELS})
    message = str(caught.value)
    assert message.startswith("redis_sentinel_master: must be set (OCTAVIA_LB_REDIS_SENTINEL_MASTER)")
    assert "sentinel://:***@10.1.0.1:26379/2;sentinel://10.1.0.2:26380" in message and "pw" not in message
    s = from_env_and_args(
        env={
            "OCTAVIA_LB_REDIS_URL": SENTINELS,
            "OCTAVIA_LB_REDIS_SENTINEL_MASTER": "octavia",
            "OCTAVIA_LB_REDIS_SENTINEL_PASSWORD": "sentinel-secret",
        }
    )
    assert s.uses_sentinel and redacted_redis_url(s).count("***") == 1
    assert "pw" not in repr(s) and "sentinel-secret" not in repr(s)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sentinel://10.1.0.1:26379;redis://10.1.0.2", "'redis://10.1.0.2' must start with one of sentinel://"),
        ("sentinel://10.1.0.1:26379;sentinel://", "'sentinel://' has no host"),
        ("sentinel://10.1.0.1:port", "has a port that is not a number"),
        ("sentinel://10.1.0.1:26379/zero", "the path must be a database number such as /0"),
    ],
    ids=["mixed-schemes", "no-host", "bad-port", "bad-db"],
)
def test_bad_sentinel_urls_name_the_part(url: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        from_env_and_args(env={"OCTAVIA_LB_REDIS_URL": url, "OCTAVIA_LB_REDIS_SENTINEL_MASTER": "m"})
    assert message in str(caught.value)


def test_sentinel_settings_reach_celery_and_the_redis_client() -> None:
    from octavia_lb.worker.runtime.redis_client import sentinel_addresses

    s = Settings(redis_url=SENTINELS, redis_sentinel_master="octavia", redis_sentinel_password="sp")
    transport = celery_config(s)["broker_transport_options"]
    assert transport["master_name"] == "octavia"
    assert transport["sentinel_kwargs"]["password"] == "sp"
    assert celery_config(s)["broker_url"] == SENTINELS  # kombu reads the `;`-separated Sentinels itself
    sentinels, master = sentinel_addresses(SENTINELS)
    assert sentinels == [("10.1.0.1", 26379), ("10.1.0.2", 26380), ("10.1.0.3", 26379)]
    assert master == {"db": 2, "password": "pw"}
    assert "master_name" not in celery_config(Settings())["broker_transport_options"]
