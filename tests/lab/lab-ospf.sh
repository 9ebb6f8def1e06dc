#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The lab test (lab.sh) on the OSPF variant of the lab
# (deploy/inventory/lab-ospf.toml): the same catchment, failover, hang
# (another PoP answers within 1 s), heal, wrong-answer and clean-up
# assertions, with the PoPs announcing the anycast /32 into OSPF area 0 as
# an intra-area stub of their router LSA (healthd's "ospf stub") instead of
# over eBGP.  It starts over a first lab that crashed half way
# (LAB_CRASH_FIRST).
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export SRC LAB_INVENTORY=$SRC/deploy/inventory/lab-ospf.toml LAB_CRASH_FIRST=1
exec bash "$SRC/tests/lab/lab.sh"
