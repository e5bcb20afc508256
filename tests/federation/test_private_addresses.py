"""Peers on internal addresses are refused before any connection, whatever IPv6 form
carries the IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible, mapped) and for
IPv6 site-local addresses."""

from __future__ import annotations

import pytest

from hub.testing import HubRunner

INTERNAL = [
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[2002:a00:1::1]",  # 6to4 of 10.0.0.1
    "[2001:0:4136:e378:8000:63bf:f5ff:fffe]",  # Teredo, client 10.0.0.1
    "[::10.0.0.1]",  # IPv4-compatible
    "[::ffff:192.168.1.1]",  # IPv4-mapped
    "[::ffff:127.0.0.1]",
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[fec0::1]",  # site-local
    "[fd00::1]",
    "169.254.169.254",
]


@pytest.mark.parametrize("host", INTERNAL)
def test_internal_addresses_in_any_form_are_refused(make_app, host):
    app = make_app(name="strict", plugins=[], FEDERATION_ALLOW_PRIVATE=False)
    result = HubRunner(app).invoke("federation", "follow", f"http://{host}:5000", "--retries", "0")
    assert result.exit_code == 1
    assert "resolves to an internal address" in result.output
