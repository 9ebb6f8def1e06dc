/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Protocol constants of RSerPool: ASAP (RFC 5352), ENRP (RFC 5353), the
 * common parameters and error causes (RFC 5354) and the member selection
 * policies (RFC 5356), named as the RFCs name them.
 */
#ifndef ANYPOOL_RSERPOOL_H
#define ANYPOOL_RSERPOOL_H

#define ASAP_PORT		3863
#define ASAP_TLS_PORT		3864
#define ENRP_PORT		9901
#define ENRP_TLS_PORT		9902
#define ASAP_PPID		11	/* RFC 5352 §8.3 */
#define ENRP_PPID		12	/* RFC 5353 §5 */

enum rsp_proto {
	RSP_PROTO_ASAP = 1,
	RSP_PROTO_ENRP = 2,
};

/* RFC 5354 §4: every message starts with type(8) flags(8) length(16). */
#define RSP_MSG_HDR_LEN		4
#define RSP_TLV_HDR_LEN		4
#define ENRP_MSG_FIXED_LEN	12	/* header + sending + receiving id */

/* ASAP message types, RFC 5352 §2.2 */
#define ASAP_REGISTRATION			0x01
#define ASAP_DEREGISTRATION			0x02
#define ASAP_REGISTRATION_RESPONSE		0x03
#define ASAP_DEREGISTRATION_RESPONSE		0x04
#define ASAP_HANDLE_RESOLUTION			0x05
#define ASAP_HANDLE_RESOLUTION_RESPONSE		0x06
#define ASAP_ENDPOINT_KEEP_ALIVE		0x07
#define ASAP_ENDPOINT_KEEP_ALIVE_ACK		0x08
#define ASAP_ENDPOINT_UNREACHABLE		0x09
#define ASAP_SERVER_ANNOUNCE			0x0a
#define ASAP_COOKIE				0x0b
#define ASAP_COOKIE_ECHO			0x0c
#define ASAP_BUSINESS_CARD			0x0d
#define ASAP_ERROR				0x0e
#define ASAP_MSG_MAX				0x0e

/* ASAP message flags */
#define ASAP_FLAG_REJECT		0x01	/* REGISTRATION_RESPONSE R */
#define ASAP_FLAG_SUBSCRIBE		0x01	/* HANDLE_RESOLUTION S */
#define ASAP_FLAG_ACCEPT_UPDATES	0x01	/* HANDLE_RESOLUTION_RESPONSE A */
#define ASAP_FLAG_HOME			0x01	/* ENDPOINT_KEEP_ALIVE H */

/* ENRP message types, RFC 5353 §2 */
#define ENRP_PRESENCE				0x01
#define ENRP_HANDLE_TABLE_REQUEST		0x02
#define ENRP_HANDLE_TABLE_RESPONSE		0x03
#define ENRP_HANDLE_UPDATE			0x04
#define ENRP_LIST_REQUEST			0x05
#define ENRP_LIST_RESPONSE			0x06
#define ENRP_INIT_TAKEOVER			0x07
#define ENRP_INIT_TAKEOVER_ACK			0x08
#define ENRP_TAKEOVER_SERVER			0x09
#define ENRP_ERROR				0x0a
#define ENRP_MSG_MAX				0x0a
/*
 * anypool extension (doc/spec/unreachable-report.md): a PE reported
 * unreachable at a registrar that is not its home, passed to the home.
 * Top bits 10 (RFC 5354 §4): a receiver that does not know it drops it
 * silently.
 */
#define ENRP_PE_REPORT				0x8a

/* ENRP message flags */
#define ENRP_FLAG_REPLY_REQUIRED	0x01	/* PRESENCE R (rsplib, Wireshark) */
#define ENRP_FLAG_OWN_CHILDREN_ONLY	0x01	/* HANDLE_TABLE_REQUEST W */
#define ENRP_FLAG_REJECT		0x01	/* *_RESPONSE R */
#define ENRP_FLAG_MORE_TO_SEND		0x02	/* HANDLE_TABLE_RESPONSE M */
#define ENRP_FLAG_TAKEOVER_SUGGESTED	0x01	/* HANDLE_UPDATE T (extension) */

/* ENRP_HANDLE_UPDATE actions, RFC 5353 §2.4 */
#define ENRP_ADD_PE			0x0000
#define ENRP_DEL_PE			0x0001

/* Unknown message type actions, RFC 5354 §4: top two bits of the type */
#define RSP_MSG_ACTION_MASK		0xc0
#define RSP_MSG_ACTION_STOP		0x00
#define RSP_MSG_ACTION_STOP_REPORT	0x40

/* Parameter types, RFC 5354 §3 */
#define RSP_PARAM_IPV4_ADDR		0x0001
#define RSP_PARAM_IPV6_ADDR		0x0002
#define RSP_PARAM_DCCP_TRANSPORT	0x0003
#define RSP_PARAM_SCTP_TRANSPORT	0x0004
#define RSP_PARAM_TCP_TRANSPORT		0x0005
#define RSP_PARAM_UDP_TRANSPORT		0x0006
#define RSP_PARAM_UDPLITE_TRANSPORT	0x0007
#define RSP_PARAM_POLICY		0x0008
#define RSP_PARAM_POOL_HANDLE		0x0009
#define RSP_PARAM_POOL_ELEMENT		0x000a
#define RSP_PARAM_SERVER_INFO		0x000b
#define RSP_PARAM_OPERATION_ERROR	0x000c
#define RSP_PARAM_COOKIE		0x000d
#define RSP_PARAM_PE_ID			0x000e
#define RSP_PARAM_PE_CHECKSUM		0x000f
#define RSP_PARAM_OPAQUE_TRANSPORT	0x0010
/* draft-dreibholz-rserpool-asap-hropt: skip-class parameter */
#define RSP_PARAM_HANDLE_RESOLUTION_OPT	0x803f
#define RSP_HROPT_ITEMS_MAX		0xffffffffU
/*
 * anypool extension (doc/spec/registrar-identity.md): empty in a Handle
 * Resolution it asks "who are you"; the registrar answers with its server
 * identifier and node name.  Skip class (RFC 5354 §3), so implementations
 * that do not know it pass over it.
 */
#define RSP_PARAM_REGISTRAR_ID		0x8a01
#define RSP_REGID_NODE_MAX		64	/* bytes of UTF-8, no NUL */
/*
 * anypool extension (doc/spec/registrant-identity.md): inside a Pool Element
 * parameter of ENRP messages, the authenticated identity that registered
 * the PE (its kind and name), so that every registrar of the cluster
 * refuses a (de)registration of it by anyone else.  Skip class.
 */
#define RSP_PARAM_REGISTRANT		0x8a02
#define RSP_REGISTRANT_NAME_MAX		128	/* printable ASCII, no NUL */
#define RSP_REGISTRANT_PSK		1	/* a TLS PSK identity */
#define RSP_REGISTRANT_CERT		2	/* a certificate name */
/*
 * anypool extension (doc/spec/registrar-unicast.md): empty in a Registration
 * or a Handle Resolution it asks "which unicast address of yours may I use";
 * the registrar answers with the TCP or SCTP transports of its own unicast
 * address(es), to which a client moves its long-lived association off the
 * anycast address (BCP §4.1).  Skip class.
 */
#define RSP_PARAM_REGISTRAR_UNICAST	0x8a03
#define RSP_REGUNI_MAX			4	/* transports in one answer */

/* Unknown parameter actions, RFC 5354 §3: top two bits of the type */
#define RSP_PARAM_ACTION_MASK		0xc000
#define RSP_PARAM_ACTION_STOP		0x0000
#define RSP_PARAM_ACTION_STOP_REPORT	0x4000
#define RSP_PARAM_ACTION_SKIP		0x8000
#define RSP_PARAM_ACTION_SKIP_REPORT	0xc000

/* Transport Use, RFC 5354 §3.4 */
#define RSP_TRANSPORT_USE_DATA		0x0000
#define RSP_TRANSPORT_USE_DATA_CONTROL	0x0001

/* Error causes, RFC 5354 §3.12 */
#define RSP_CAUSE_UNSPECIFIED		0x0000
#define RSP_CAUSE_UNRECOGNIZED_PARAM	0x0001
#define RSP_CAUSE_UNRECOGNIZED_MSG	0x0002
#define RSP_CAUSE_INVALID_VALUES	0x0003
#define RSP_CAUSE_NON_UNIQUE_PE_ID	0x0004
#define RSP_CAUSE_INCONSISTENT_POLICY	0x0005
#define RSP_CAUSE_LACK_OF_RESOURCES	0x0006
#define RSP_CAUSE_INCONSISTENT_TRANSPORT 0x0007
#define RSP_CAUSE_INCONSISTENT_DATA_CTRL 0x0008
#define RSP_CAUSE_UNKNOWN_POOL_HANDLE	0x0009
#define RSP_CAUSE_SECURITY		0x000a
#define RSP_CAUSE_MAX			0x000a

/* Member selection policies, RFC 5356 §7.1 */
#define RSP_POLICY_ROUND_ROBIN			0x00000001
#define RSP_POLICY_WEIGHTED_ROUND_ROBIN		0x00000002
#define RSP_POLICY_RANDOM			0x00000003
#define RSP_POLICY_WEIGHTED_RANDOM		0x00000004
#define RSP_POLICY_PRIORITY			0x00000005
#define RSP_POLICY_LEAST_USED			0x40000001
#define RSP_POLICY_LEAST_USED_DEGRADATION	0x40000002
#define RSP_POLICY_PRIORITY_LEAST_USED		0x40000003
#define RSP_POLICY_RANDOMIZED_LEAST_USED	0x40000004
#define RSP_POLICY_FLAG_PRIVATE			0x80000000U
#define RSP_POLICY_FLAG_ADAPTIVE		0x40000000U

/* Registration Life of -1: infinite (RFC 5354 §3.10) */
#define RSP_LIFE_INFINITE		(-1)

/* Limits shared by codec users */
#define RSP_POOL_HANDLE_MAX_DEFAULT	32	/* as rsplib and sctp-refimpl */
#define RSP_MSG_MAX_LEN			65535

#endif
