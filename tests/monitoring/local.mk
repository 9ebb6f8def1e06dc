# SPDX-License-Identifier: BSD-2-Clause
# monitoring/ end to end: anyprobe against real registrars on loopback.
TESTS += tests/monitoring/anyprobe.sh
EXTRA_DIST += tests/monitoring/anyprobe.sh
