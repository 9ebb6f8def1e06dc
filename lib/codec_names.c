/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names of messages, parameters, error causes and policies as the RFCs (and
 * Wireshark) spell them, for logs and tools.
 */
#include "codec.h"

static const char *const asap_names[ASAP_MSG_MAX + 1] = {
	[ASAP_REGISTRATION] = "Registration",
	[ASAP_DEREGISTRATION] = "Deregistration",
	[ASAP_REGISTRATION_RESPONSE] = "Registration Response",
	[ASAP_DEREGISTRATION_RESPONSE] = "Deregistration Response",
	[ASAP_HANDLE_RESOLUTION] = "Handle Resolution",
	[ASAP_HANDLE_RESOLUTION_RESPONSE] = "Handle Resolution Response",
	[ASAP_ENDPOINT_KEEP_ALIVE] = "Endpoint Keep-Alive",
	[ASAP_ENDPOINT_KEEP_ALIVE_ACK] = "Endpoint Keep-Alive Ack",
	[ASAP_ENDPOINT_UNREACHABLE] = "Endpoint Unreachable",
	[ASAP_SERVER_ANNOUNCE] = "Server Announce",
	[ASAP_COOKIE] = "Cookie",
	[ASAP_COOKIE_ECHO] = "Cookie Echo",
	[ASAP_BUSINESS_CARD] = "Business Card",
	[ASAP_ERROR] = "Error",
};

static const char *const enrp_names[ENRP_MSG_MAX + 1] = {
	[ENRP_PRESENCE] = "Presence",
	[ENRP_HANDLE_TABLE_REQUEST] = "Handle Table Request",
	[ENRP_HANDLE_TABLE_RESPONSE] = "Handle Table Response",
	[ENRP_HANDLE_UPDATE] = "Handle Update",
	[ENRP_LIST_REQUEST] = "List Request",
	[ENRP_LIST_RESPONSE] = "List Response",
	[ENRP_INIT_TAKEOVER] = "Init Takeover",
	[ENRP_INIT_TAKEOVER_ACK] = "Init Takeover Ack",
	[ENRP_TAKEOVER_SERVER] = "Takeover Server",
	[ENRP_ERROR] = "Error",
};

const char *
rsp_msg_name(enum rsp_proto proto, uint8_t type)
{
	if (proto == RSP_PROTO_ASAP && type >= 1 && type <= ASAP_MSG_MAX)
		return asap_names[type];
	if (proto == RSP_PROTO_ENRP && type >= 1 && type <= ENRP_MSG_MAX)
		return enrp_names[type];
	if (proto == RSP_PROTO_ENRP && type == ENRP_PE_REPORT)
		return "PE Report";
	return "Unknown";
}

const char *
rsp_param_name(uint16_t type)
{
	switch (type) {
	case RSP_PARAM_IPV4_ADDR:		return "IPv4 Address";
	case RSP_PARAM_IPV6_ADDR:		return "IPv6 Address";
	case RSP_PARAM_DCCP_TRANSPORT:		return "DCCP Transport";
	case RSP_PARAM_SCTP_TRANSPORT:		return "SCTP Transport";
	case RSP_PARAM_TCP_TRANSPORT:		return "TCP Transport";
	case RSP_PARAM_UDP_TRANSPORT:		return "UDP Transport";
	case RSP_PARAM_UDPLITE_TRANSPORT:	return "UDP-Lite Transport";
	case RSP_PARAM_POLICY:			return "Pool Member Selection Policy";
	case RSP_PARAM_POOL_HANDLE:		return "Pool Handle";
	case RSP_PARAM_POOL_ELEMENT:		return "Pool Element";
	case RSP_PARAM_SERVER_INFO:		return "Server Information";
	case RSP_PARAM_OPERATION_ERROR:		return "Operation Error";
	case RSP_PARAM_COOKIE:			return "Cookie";
	case RSP_PARAM_PE_ID:			return "PE Identifier";
	case RSP_PARAM_PE_CHECKSUM:		return "PE Checksum";
	case RSP_PARAM_OPAQUE_TRANSPORT:	return "Opaque Transport";
	case RSP_PARAM_HANDLE_RESOLUTION_OPT:	return "Handle Resolution Option";
	case RSP_PARAM_REGISTRAR_ID:		return "Registrar Identity";
	case RSP_PARAM_REGISTRANT:		return "Registrant Identity";
	case RSP_PARAM_REGISTRAR_UNICAST:	return "Registrar Unicast";
	default:				return "Unknown Parameter";
	}
}

const char *
rsp_cause_name(uint16_t code)
{
	switch (code) {
	case RSP_CAUSE_UNSPECIFIED:		return "Unspecified Error";
	case RSP_CAUSE_UNRECOGNIZED_PARAM:	return "Unrecognized Parameter";
	case RSP_CAUSE_UNRECOGNIZED_MSG:	return "Unrecognized Message";
	case RSP_CAUSE_INVALID_VALUES:		return "Invalid Values";
	case RSP_CAUSE_NON_UNIQUE_PE_ID:	return "Non-Unique PE Identifier";
	case RSP_CAUSE_INCONSISTENT_POLICY:	return "Inconsistent Pooling Policy";
	case RSP_CAUSE_LACK_OF_RESOURCES:	return "Lack of Resources";
	case RSP_CAUSE_INCONSISTENT_TRANSPORT:	return "Inconsistent Transport Type";
	case RSP_CAUSE_INCONSISTENT_DATA_CTRL:	return "Inconsistent Data/Control Configuration";
	case RSP_CAUSE_UNKNOWN_POOL_HANDLE:	return "Unknown Pool Handle";
	case RSP_CAUSE_SECURITY:		return "Rejected due to security considerations";
	default:				return "Unknown Cause";
	}
}

const char *
rsp_policy_name(uint32_t type)
{
	switch (type) {
	case RSP_POLICY_ROUND_ROBIN:		return "Round Robin";
	case RSP_POLICY_WEIGHTED_ROUND_ROBIN:	return "Weighted Round Robin";
	case RSP_POLICY_RANDOM:			return "Random";
	case RSP_POLICY_WEIGHTED_RANDOM:	return "Weighted Random";
	case RSP_POLICY_PRIORITY:		return "Priority";
	case RSP_POLICY_LEAST_USED:		return "Least Used";
	case RSP_POLICY_LEAST_USED_DEGRADATION:	return "Least Used with Degradation";
	case RSP_POLICY_PRIORITY_LEAST_USED:	return "Priority Least Used";
	case RSP_POLICY_RANDOMIZED_LEAST_USED:	return "Randomized Least Used";
	default:
		return (type & RSP_POLICY_FLAG_PRIVATE) ? "Private Policy" :
		    "Unknown Policy";
	}
}
