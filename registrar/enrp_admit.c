/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Who may speak ENRP with this registrar (issue 12; RFC 5355 §2.5, also
 * without TLS): the configured peers, and sources inside the "allow from"
 * prefixes; with multicast discovery on and no prefix configured, the
 * subnets of the ENRP interface (where discovery reaches anyway).  The
 * rule is applied to every connection at accept (enrp_conn.c, with the
 * per-source cap and the slots kept for configured peers), to every
 * message (its sender id must be a peer at the connection's source
 * address: enrp_admit_sender), and to every address a peer list, a
 * multicast PRESENCE or a message from an unknown server would make us
 * connect to.  A refusal is counted by reason (enrp_stats.refused) and
 * logged, rate-limited.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "enrp_int.h"

/* The IP of ss in network byte order (4 or 16 bytes), NULL otherwise. */
static const uint8_t *
ip_bytes(const struct sockaddr_storage *ss, size_t *len)
{
	if (ss->ss_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)ss)->sin_addr;
	}
	if (ss->ss_family == AF_INET6) {
		*len = 16;
		return (const uint8_t *)&((const struct sockaddr_in6 *)
		    (const void *)ss)->sin6_addr;
	}
	return NULL;
}

static bool
prefix_match(const struct conf_prefix *pf, const struct sockaddr_storage *ss)
{
	const uint8_t *a;
	size_t alen, full = pf->len / 8;
	uint8_t mask;

	if (ss->ss_family != pf->af || (a = ip_bytes(ss, &alen)) == NULL ||
	    pf->len > alen * 8)
		return false;
	if (memcmp(a, pf->addr, full) != 0)
		return false;
	if (pf->len % 8 == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - pf->len % 8));
	return (a[full] & mask) == pf->addr[full];
}

static const char *
prefix_str(const struct conf_prefix *pf, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(pf->af, pf->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, pf->len);
	return buf;
}

bool
enrp_admit_configured(const struct enrp *e, const struct sockaddr_storage *ss)
{
	const struct enrp_peer *p;

	/* enrp_peer_remove() keeps one entry per configured address. */
	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->configured && addr_same_ip(&p->addr, ss))
			return true;
	return false;
}

bool
enrp_admit_addr(const struct enrp *e, const struct sockaddr_storage *ss)
{
	const struct conf_enrp *k = cfg(e);
	size_t i;

	if (enrp_admit_configured(e, ss))
		return true;
	/* The prefixes come from the running configuration (SIGHUP). */
	for (i = 0; i < k->nallow; i++)
		if (prefix_match(&k->allow[i], ss))
			return true;
	if (k->nallow == 0)
		for (i = 0; i < e->nsubnet; i++)
			if (prefix_match(&e->subnet[i], ss))
				return true;
	return false;
}

void
enrp_refuse(struct enrp *e, enum enrp_refusal why,
    const struct sockaddr_storage *ss, const char *what, const char *reason)
{
	char a[ADDR_STRLEN];

	e->stats.refused[why]++;
	log_rl_warnx(&e->rl_refuse, now_ms(e), "ENRP %s from %s refused: %s",
	    what, addr_str(ss, a, sizeof(a)), reason);
}

bool
enrp_admit_sender(struct enrp *e, const struct enrp_conn *c,
    const struct enrp_peer *p, const struct rsp_msg *m)
{
	char a[ADDR_STRLEN], why[128];

	if (addr_same_ip(&p->addr, &c->remote))
		return true;
	snprintf(why, sizeof(why), "it names server 0x%08x, a peer at %s",
	    p->id, addr_str(&p->addr, a, sizeof(a)));
	enrp_refuse(e, ENRP_REFUSED_WRONG_SOURCE, &c->remote,
	    rsp_msg_name(RSP_PROTO_ENRP, m->type), why);
	return false;
}

/* Add the subnets of interface `ifindex` in our address family. */
static void
add_subnets(struct enrp *e, const struct ifaddrs *ifa, unsigned int ifindex)
{
	const struct ifaddrs *i;
	struct sockaddr_storage ss, mask;
	struct conf_prefix pf;
	const uint8_t *a, *mk;
	size_t alen, j, n;

	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    i->ifa_addr->sa_family != e->local.ss_family ||
		    if_nametoindex(i->ifa_name) != ifindex)
			continue;
		memset(&ss, 0, sizeof(ss));
		memset(&mask, 0, sizeof(mask));
		alen = e->local.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		memcpy(&ss, i->ifa_addr, alen);
		memcpy(&mask, i->ifa_netmask, alen);
		mask.ss_family = ss.ss_family;
		if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(
		    &((struct sockaddr_in6 *)(void *)&ss)->sin6_addr))
			continue;	/* ENRP runs between global ones */
		a = ip_bytes(&ss, &alen);
		mk = ip_bytes(&mask, &alen);
		memset(&pf, 0, sizeof(pf));
		pf.af = ss.ss_family;
		for (j = 0; j < alen; j++) {
			pf.addr[j] = a[j] & mk[j];
			for (n = 0; n < 8; n++)
				pf.len += (mk[j] >> n) & 1;
		}
		for (j = 0; j < e->nsubnet; j++)
			if (e->subnet[j].len == pf.len &&
			    memcmp(e->subnet[j].addr, pf.addr, alen) == 0)
				break;
		if (j == e->nsubnet && e->nsubnet < CONF_MAX_ALLOW)
			e->subnet[e->nsubnet++] = pf;
	}
}

/*
 * At start: the default of "allow from" with multicast on (the subnets of
 * the ENRP interface and of the groups' interfaces; kept in case a reload
 * drops the prefixes), and one line saying whom we accept.
 */
void
enrp_admit_start(struct enrp *e)
{
	const struct conf_enrp *k = cfg(e);
	struct ifaddrs *ifa;
	unsigned int idx;
	char list[256], b[INET6_ADDRSTRLEN + 8];
	size_t i, o = 0;

	e->rl_refuse = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 2000);
	e->nsubnet = 0;
	if (k->multicast && getifaddrs(&ifa) == 0) {
		if ((idx = enrp_local_ifindex(e, ifa)) != 0)
			add_subnets(e, ifa, idx);
		for (i = 0; i < k->nmgroup; i++)
			if (k->mgroup[i].ifname[0] != '\0' &&
			    (idx = if_nametoindex(k->mgroup[i].ifname)) != 0)
				add_subnets(e, ifa, idx);
		freeifaddrs(ifa);
	}
	if (k->nallow > 0) {
		for (i = 0; i < k->nallow && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o,
			    "%s%s", i ? ", " : "", prefix_str(&k->allow[i], b,
			    sizeof(b)));
		log_info("enrp: peers accepted from the configured peers and "
		    "from %s", list);
	} else if (!k->multicast) {
		log_info("enrp: peers accepted from the configured peers only");
	} else if (e->nsubnet == 0) {
		log_warnx("enrp: multicast on without \"allow from\", and no "
		    "subnet found on the ENRP interface: peers accepted from "
		    "the configured peers only");
	} else {
		for (i = 0; i < e->nsubnet && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o,
			    "%s%s", i ? ", " : "", prefix_str(&e->subnet[i], b,
			    sizeof(b)));
		log_info("enrp: multicast on without \"allow from\": peers "
		    "accepted from the configured peers and the ENRP "
		    "interface's subnets %s", list);
	}
}
