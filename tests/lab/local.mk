# SPDX-License-Identifier: BSD-2-Clause
# The multi-PoP lab (deploy/lab, deploy/render, deploy/inventory): render.sh
# renders every example inventory and checks the output with registrard -n,
# healthd -n and FRR; lab.sh runs the 3-PoP lab end to end, lab-ospf.sh the
# same over OSPF (root, real FRR; without root they skip with 77).
LAB_TESTS = tests/lab/render.sh tests/lab/lab.sh tests/lab/lab-ospf.sh
# monitoring: the lab's Prometheus and Alertmanager, the dashboard's queries
LAB_TESTS += tests/lab/monitoring.sh
TESTS += $(LAB_TESTS)
EXTRA_DIST += $(LAB_TESTS) deploy/render deploy/lab deploy/inventory/lab.toml \
	deploy/inventory/lab-ospf.toml deploy/inventory/example.toml \
	tests/bench/run-failover-bench
