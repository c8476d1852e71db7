"""components/redis-sentinel as rendered: the URL and master name the dispatcher and workers get from the
Secret make valid Settings, and the same shape of URL reaches a real Sentinel group's master."""

from __future__ import annotations

import base64

from octavia_lb.worker.runtime.redis_client import connect
from octavia_lb.worker.settings import from_env_and_args
from tests.fixtures.redis_sentinel import MASTER_NAME, SentinelGroup
from tests.manifests.render import Rendering

OVERLAY = "overlays/ha-redis"


def _secret(rendering: Rendering) -> dict[str, str]:
    secrets = rendering.of_kind("Secret")
    (secret,) = [s for s in secrets if s["metadata"]["name"].startswith("octavia-lb-redis")]
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def _env_names(rendering: Rendering, deployment: str) -> list[str]:
    pod = rendering.one("Deployment", deployment)["spec"]["template"]["spec"]
    return [item["name"] for item in pod["containers"][0]["env"]]


def test_rendered_sentinel_secret_and_env_make_valid_settings(renderings: dict[str, Rendering]) -> None:
    rendering = renderings[OVERLAY]
    values = _secret(rendering)
    for deployment in ("octavia-lb-dispatcher", "octavia-lb-worker"):
        names = _env_names(rendering, deployment)
        assert "OCTAVIA_LB_REDIS_URL" in names and "OCTAVIA_LB_REDIS_SENTINEL_MASTER" in names
    settings = from_env_and_args(
        env={
            "OCTAVIA_LB_REDIS_URL": values["url"],
            "OCTAVIA_LB_REDIS_SENTINEL_MASTER": values["sentinel-master"],
        }
    )
    assert settings.uses_sentinel and values["url"].count("sentinel://") == 3


def test_a_url_of_that_shape_reaches_a_real_sentinel_groups_master(redis_sentinels: SentinelGroup) -> None:
    client = connect(
        from_env_and_args(
            env={"OCTAVIA_LB_REDIS_URL": redis_sentinels.url, "OCTAVIA_LB_REDIS_SENTINEL_MASTER": MASTER_NAME}
        )
    )
    client.set("k", "v")
    assert client.connection_pool.get_master_address()[1] == redis_sentinels.master_port
