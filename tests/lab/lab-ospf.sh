#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The lab test (lab.sh) on the OSPF variant of the lab
# (deploy/inventory/lab-ospf.toml): the same catchment, failover, heal,
# wrong-answer and clean-up assertions, with the PoPs redistributing the
# anycast /32 into OSPF area 0 instead of announcing it over eBGP.  It
# starts over a first lab that crashed half way (LAB_CRASH_FIRST).
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export SRC LAB_INVENTORY=$SRC/deploy/inventory/lab-ospf.toml LAB_CRASH_FIRST=1
exec bash "$SRC/tests/lab/lab.sh"
