# SPDX-License-Identifier: BSD-2-Clause
# monitoring/ end to end: anyprobe against real registrars on loopback.
TESTS += tests/monitoring/anyprobe.sh
EXTRA_DIST += tests/monitoring/anyprobe.sh
# The Grafana dashboard deploy/monitoring/anypool.json is dashboard.md's
# page, importable (tests/lab/monitoring.sh checks its queries get data).
TESTS += tests/monitoring/dashboard.sh
EXTRA_DIST += tests/monitoring/dashboard.sh deploy/monitoring/anypool.json \
	deploy/lib/monitoring.sh
