# SPDX-License-Identifier: BSD-2-Clause
# pool-demo: the handlespace demo `deploy/lab demo` shows (built on demand).
EXTRA_PROGRAMS += deploy/pool-demo
deploy_pool_demo_SOURCES = deploy/pool-demo.c
deploy_pool_demo_LDADD = registrar/libhandlespace.a lib/libanypool.a
