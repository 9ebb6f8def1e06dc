# SPDX-License-Identifier: BSD-2-Clause
# The end-to-end test over SCTP: natively where the kernel has SCTP, else in
# the qemu VM of ../shared/sctp-vm (with the RSPLIB interop), else skipped.
TESTS += tests/sctp/run.sh
EXTRA_DIST += tests/sctp/run.sh tests/sctp/guest.sh
