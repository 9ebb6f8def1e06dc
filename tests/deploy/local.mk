# SPDX-License-Identifier: BSD-2-Clause
# What deploy/ ships, checked by the tools that will read it: the systemd
# units (systemd-analyze verify) and the example alert rules (promtool, plus
# every metric they use exported by the running daemons).
DEPLOY_TESTS = tests/deploy/units.sh tests/deploy/alerts.sh
TESTS += $(DEPLOY_TESTS)
EXTRA_DIST += $(DEPLOY_TESTS) deploy/systemd/anyprobe@.service \
	deploy/monitoring/alerts.yml deploy/monitoring/alerts-test.yml \
	deploy/monitoring/dashboard.md
