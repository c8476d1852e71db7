"""cloud.conf parsing: gcfg syntax, OCCM defaults, classes, durations, booleans, quoting and errors."""

from pathlib import Path

import pytest

from octavia_lb.common.config import CloudConfig, CloudConfigError, load_cloud_config, parse_cloud_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SEED = """
[Global]
auth-url="https://someurl"
domain-name="mydomain"
tenant-name="mytenant"
username="myuser"
password="mypassword"
[LoadBalancer]
floating-network-id="a57af0a0-da92-49be-a98a-345ceca004b3"
floating-subnet-id="a02eb6c3-fc69-46ae-a3fe-fb43c1563cbc"
subnet-id="fa6a4e6c-6ae4-4dde-ae86-3e2f452c1f03"
create-monitor=true
monitor-delay=60s
monitor-timeout=30s
monitor-max-retries=1
monitor-max-retries-down=3
[LoadBalancerClass "internetFacing"]
floating-network-id="c57af0a0-da92-49be-a98a-345ceca004b3"
floating-subnet-id="f90d2440-d3c6-417a-a696-04e55eeb9279"
[LoadBalancerClass "dmz"]
floating-subnet-id="a374bed4-e920-4c40-b646-2d8927f7f67b"
[LoadBalancerClass "office"]
floating-subnet-id="b374bed4-e920-4c40-b646-2d8927f7f67b"
"""


def test_seed_document_example() -> None:
    config = parse_cloud_config(SEED)
    assert config.global_opts.auth_url == "https://someurl"
    assert config.global_opts.domain_name == "mydomain"
    assert config.load_balancer.create_monitor is True
    assert (config.load_balancer.monitor_delay, config.load_balancer.monitor_timeout) == (60, 30)
    assert sorted(config.classes) == ["dmz", "internetFacing", "office"]
    assert config.classes["internetFacing"].floating_network_id == "c57af0a0-da92-49be-a98a-345ceca004b3"
    assert config.classes["dmz"].floating_network_id == ""
    assert config.warnings == ()


def test_defaults_match_occm() -> None:
    lb = CloudConfig.default().load_balancer
    assert (lb.enabled, lb.lb_method, lb.lb_provider, lb.create_monitor) == (
        True,
        "ROUND_ROBIN",
        "amphora",
        False,
    )
    assert (lb.monitor_delay, lb.monitor_timeout, lb.monitor_max_retries, lb.monitor_max_retries_down) == (
        5,
        3,
        1,
        3,
    )
    assert (lb.cascade_delete, lb.max_shared_lb, lb.container_store) == (True, 2, "barbican")
    assert lb.ingress_hostname_suffix == "nip.io"
    assert CloudConfig.default().request_timeout_seconds == 60
    assert parse_cloud_config("") == CloudConfig.default()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("create-monitor = true", True, id="true"),
        pytest.param("create-monitor = yes", True, id="yes"),
        pytest.param("create-monitor = on", True, id="on"),
        pytest.param("create-monitor = 1", True, id="one"),
        pytest.param("create-monitor = TRUE", True, id="upper-case"),
        pytest.param("create-monitor", True, id="bare-key"),
        pytest.param("create-monitor = false", False, id="false"),
        pytest.param("create-monitor = no", False, id="no"),
        pytest.param("create-monitor = off", False, id="off"),
        pytest.param("create-monitor = 0", False, id="zero"),
        pytest.param('create-monitor = "true"', True, id="quoted"),
        pytest.param("Create-Monitor = true", True, id="key-case-insensitive"),
    ],
)
def test_booleans(line: str, expected: bool) -> None:
    assert parse_cloud_config(f"[LoadBalancer]\n{line}\n").load_balancer.create_monitor is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("plain", "plain", id="plain"),
        pytest.param('"quoted value"', "quoted value", id="quoted"),
        pytest.param('"  keep blanks  "', "  keep blanks  ", id="quoted-blanks"),
        pytest.param("trailing   ", "trailing", id="trailing-blanks"),
        pytest.param("value ; comment", "value", id="semicolon-comment"),
        pytest.param("value # comment", "value", id="hash-comment"),
        pytest.param('"a;b#c"', "a;b#c", id="comment-chars-quoted"),
        pytest.param(r'"say \"hi\""', 'say "hi"', id="escaped-quote"),
        pytest.param(r'"back\\slash"', "back\\slash", id="escaped-backslash"),
        pytest.param(r'"tab\there"', "tab\there", id="escaped-tab"),
        pytest.param('half"quoted"', "halfquoted", id="partly-quoted"),
        pytest.param("", "", id="empty"),
    ],
)
def test_string_values(value: str, expected: str) -> None:
    config = parse_cloud_config(f"[Global]\nusername = {value}\n")
    assert config.global_opts.username == expected


def test_comments_blank_lines_and_section_case() -> None:
    text = "; comment\n# comment\n\n[loadbalancer]\n  lb-method = LEAST_CONNECTIONS\n[GLOBAL]\nregion=R1\n"
    config = parse_cloud_config(text)
    assert config.load_balancer.lb_method == "LEAST_CONNECTIONS"
    assert config.global_opts.region == "R1"


def test_continuation_line() -> None:
    config = parse_cloud_config('[Global]\nusername = "long \\\nname"\n')
    assert config.global_opts.username == "long name"


def test_class_name_keeps_case_and_escapes() -> None:
    config = parse_cloud_config('[LoadBalancerClass "Odd \\"Name\\""]\nsubnet-id = x\n')
    assert list(config.classes) == ['Odd "Name"']
    assert config.classes['Odd "Name"'].subnet_id == "x"


def test_metadata_request_timeout() -> None:
    assert parse_cloud_config("[Metadata]\nrequest-timeout = 2m\n").request_timeout_seconds == 120


def test_aliases_for_project_keys() -> None:
    config = parse_cloud_config("[Global]\nproject-id = p1\nproject-domain-id = d1\n")
    assert (config.global_opts.tenant_id, config.global_opts.tenant_domain_id) == ("p1", "d1")


def test_repr_never_shows_secrets() -> None:
    config = parse_cloud_config(
        "[Global]\npassword = hunter2\napplication-credential-secret = s3cr3t\nusername = bob\n"
    )
    text = repr(config)
    assert "hunter2" not in text and "s3cr3t" not in text
    assert "password=<set>" in text and "username='bob'" in text
    assert config.global_opts.password == "hunter2"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("[Global]\nfoo = 1\n", "[Global] unknown key 'foo'", id="unknown-key"),
        pytest.param("[Routing]\nx = 1\n", "unknown section [routing]", id="unknown-section"),
        pytest.param("[LoadBalancer]\nlb-provider = octavia-x\n", "lb-provider = 'octavia-x'", id="provider"),
        pytest.param(
            "[LoadBalancer]\ncontainer-store = vault\n", "container-store = 'vault'", id="container-store"
        ),
        pytest.param(
            "[LoadBalancer]\ncreate-monitor = true\nmonitor-timeout = 9s\n",
            "monitor-timeout (9s)",
            id="monitor-timeout-over-delay",
        ),
        pytest.param("[LoadBalancer]\nfloating-subnet = ~(\n", "invalid subnet regexp", id="bad-regex"),
        pytest.param("[LoadBalancer]\nenabled = false\n", "enabled = false: no load balancer", id="disabled"),
        pytest.param(
            '[LoadBalancerClass "bare"]\nfloating-network-id = n\n',
            '[LoadBalancerClass "bare"] sets none of floating-subnet-id',
            id="class-without-floating-subnet",
        ),
        pytest.param(
            '[LoadBalancerClass "x"]\nfloating-network-id = n\nfloating-subnet-tags = "!&a,b"\n',
            "floating-subnet-tags = '!&a,b' selects floating subnets lacking at least one of the tags a, b",
            id="class-negated-tags-meaning",
        ),
        pytest.param(
            '[LoadBalancerClass "x"]\nfloating-subnet-tags = "&!a"\n',
            '[LoadBalancerClass "x"]',
            id="class-bad-tags",
        ),
    ],
)
def test_warnings_are_not_fatal(text: str, fragment: str) -> None:
    warnings = parse_cloud_config(text).warnings
    assert any(fragment in warning for warning in warnings), warnings


def test_ignored_occm_sections_give_no_warning() -> None:
    assert (
        parse_cloud_config("[BlockStorage]\nbs-version = v3\n[Networking]\nipv6-support-disabled\n").warnings
        == ()
    )


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param(
            "[LoadBalancer]\nmonitor-delay = 5\n",
            ["cloud.conf:2", "[LoadBalancer]", "monitor-delay", "'5'", "Go duration"],
            id="bare-duration",
        ),
        pytest.param(
            "[LoadBalancer]\ncreate-monitor = maybe\n",
            ["cloud.conf:2", "create-monitor", "'maybe'", "not a boolean"],
            id="bad-bool",
        ),
        pytest.param(
            "[LoadBalancer]\nmax-shared-lb = two\n",
            ["max-shared-lb", "'two'", "not an integer"],
            id="bad-int",
        ),
        pytest.param(
            "[LoadBalancer]\nmonitor-max-retries = -1\n",
            ["monitor-max-retries", "0 or more"],
            id="negative-uint",
        ),
        pytest.param(
            "[Global]\nusername\n", ["[Global] username", "value is required"], id="bare-string-key"
        ),
        pytest.param("username = x\n", ["cloud.conf:1", "before any [Section]"], id="key-before-section"),
        pytest.param("[Global\n", ["cloud.conf:1", "malformed section header"], id="bad-header"),
        pytest.param('[Global]\nusername = "open\n', ["unterminated quote"], id="unterminated-quote"),
        pytest.param("[Global]\nusername = a\\qb\n", ["invalid escape"], id="bad-escape"),
        pytest.param("[Global]\n= x\n", ["expected `key = value`"], id="missing-key"),
        pytest.param("[LoadBalancerClass]\nsubnet-id = x\n", ["needs a name"], id="class-without-name"),
        pytest.param("[Global]\nusername x\n", ["expected `=`"], id="missing-equals"),
    ],
)
def test_errors_name_file_line_section_key_value(text: str, fragments: list[str]) -> None:
    with pytest.raises(CloudConfigError) as caught:
        parse_cloud_config(text)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_load_from_file_uses_path_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "bad.conf"
    path.write_text("[LoadBalancer]\nmonitor-delay = soon\n")
    with pytest.raises(CloudConfigError, match=r"bad\.conf:2: \[LoadBalancer\] monitor-delay"):
        load_cloud_config(path)
    with pytest.raises(CloudConfigError, match="cannot read file"):
        load_cloud_config(tmp_path / "missing.conf")


def test_example_cloud_conf_has_two_classes() -> None:
    config = load_cloud_config(EXAMPLES / "cloud.conf")
    assert sorted(config.classes) == ["dmz", "internetFacing"]
    assert config.classes["dmz"].floating_subnet_tags == "&dmz,public"
    assert config.warnings == ()


def test_syntax_errors_show_ordinary_values_but_hide_credentials() -> None:
    with pytest.raises(CloudConfigError) as plain:
        parse_cloud_config('[Global]\nusername = "open\n')
    assert "'\"open'" in str(plain.value) and "'username'" in str(plain.value)
    with pytest.raises(CloudConfigError) as secret:
        parse_cloud_config('[Global]\npassword = "hunter2\n')
    assert "hunter2" not in str(secret.value) and "<hidden>" in str(secret.value)
