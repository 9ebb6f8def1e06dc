#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# routing/netlink.c against the kernel: runs tests/netns/test_netlink in a
# network namespace of its own (it adds and removes addresses and routes on
# that namespace's lo): add, add again (idempotent refresh), lifetime expiry
# by the kernel, delete while absent, the AnyIP local route; IPv4 and IPv6.
set -u
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_root "network namespaces"
NS=anypool-nl-$$
cleanup() { ip netns del "$NS" 2>/dev/null; true; }
trap cleanup EXIT
ip netns add "$NS" || exit 99
ip -n "$NS" link set lo up
timeout 60 ip netns exec "$NS" "$B/tests/netns/test_netlink"
