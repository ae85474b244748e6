#ifndef PROXYD_CCONNTRACK_SHIM_H
#define PROXYD_CCONNTRACK_SHIM_H

// libnetfilter_conntrack parses and builds conntrack objects; libmnl carries them over netlink. The request
// builders live here because libmnl's attribute nesting is easier to read in C than through Swift pointers.

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

// The kernel's tuple-filter flags (net/netfilter/nf_internals.h; not in the uapi headers).
#define CCONNTRACK_FILTER_IP_DST        (1u << 1)
#define CCONNTRACK_FILTER_PROTO_NUM     (1u << 3)
#define CCONNTRACK_FILTER_PROTO_DST_PORT (1u << 5)

/// A conntrack entry's tuples in plain form. Addresses are 16 bytes (IPv4 in the first 4), network order;
/// ports are host order.
struct cconntrack_flow {
    uint8_t family;
    uint8_t l4proto;
    uint8_t orig_src[16];
    uint8_t orig_dst[16];
    uint8_t repl_src[16];
    uint8_t repl_dst[16];
    uint16_t orig_sport;
    uint16_t orig_dport;
    uint16_t repl_sport;
    uint16_t repl_dport;
};

static inline struct nlmsghdr *cconntrack_put_header(void *buffer, uint16_t type, uint16_t flags, uint32_t seq,
                                                     uint8_t family) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = family;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
    return nlh;
}

/// A dump request for the entries of `family` and `l4proto`, narrowed in the kernel (Linux 5.8+, CTA_FILTER) to
/// those whose original destination port is `dport` (when `has_dport`) and address is `daddr` (when `has_daddr`).
/// Kernels without CTA_FILTER ignore the filter and dump everything: callers match again in user space.
static inline struct nlmsghdr *cconntrack_put_dump_request(void *buffer, uint32_t seq, uint8_t family,
                                                           uint8_t l4proto, int has_daddr, const uint8_t *daddr,
                                                           int has_dport, uint16_t dport) {
    struct nlmsghdr *nlh = cconntrack_put_header(buffer, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq, family);
    uint32_t flags = CCONNTRACK_FILTER_PROTO_NUM;
    struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
    if (has_daddr) {
        struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
        if (family == AF_INET) {
            mnl_attr_put(nlh, CTA_IP_V4_DST, 4, daddr);
        } else {
            mnl_attr_put(nlh, CTA_IP_V6_DST, 16, daddr);
        }
        mnl_attr_nest_end(nlh, ip);
        flags |= CCONNTRACK_FILTER_IP_DST;
    }
    struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, l4proto);
    if (has_dport) {
        mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
        flags |= CCONNTRACK_FILTER_PROTO_DST_PORT;
    }
    mnl_attr_nest_end(nlh, proto);
    mnl_attr_nest_end(nlh, tuple);
    struct nlattr *filter = mnl_attr_nest_start(nlh, CTA_FILTER);
    mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, flags);
    mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, 0);
    mnl_attr_nest_end(nlh, filter);
    return nlh;
}

/// A request that deletes exactly `ct` (its original tuple, zone and ID), acknowledged by the kernel.
static inline struct nlmsghdr *cconntrack_put_delete_request(void *buffer, uint32_t seq, const struct nf_conntrack *ct) {
    struct nlmsghdr *nlh = cconntrack_put_header(buffer, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq,
                                                 nfct_get_attr_u8(ct, ATTR_L3PROTO));
    struct nf_conntrack *key = nfct_new();
    if (key == NULL) return NULL;
    nfct_copy(key, ct, NFCT_CP_ORIG);
    if (nfct_attr_is_set(ct, ATTR_ZONE) > 0) nfct_set_attr_u16(key, ATTR_ZONE, nfct_get_attr_u16(ct, ATTR_ZONE));
    if (nfct_attr_is_set(ct, ATTR_ID) > 0) nfct_set_attr_u32(key, ATTR_ID, nfct_get_attr_u32(ct, ATTR_ID));
    int result = nfct_nlmsg_build(nlh, key);
    nfct_destroy(key);
    return result < 0 ? NULL : nlh;
}

/// Reads the tuples of a parsed entry.
static inline void cconntrack_flow_read(const struct nf_conntrack *ct, struct cconntrack_flow *flow) {
    memset(flow, 0, sizeof(*flow));
    flow->family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
    flow->l4proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
    if (flow->family == AF_INET) {
        uint32_t a;
        a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC); memcpy(flow->orig_src, &a, 4);
        a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST); memcpy(flow->orig_dst, &a, 4);
        a = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC); memcpy(flow->repl_src, &a, 4);
        a = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST); memcpy(flow->repl_dst, &a, 4);
    } else if (flow->family == AF_INET6) {
        const void *p;
        if ((p = nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC))) memcpy(flow->orig_src, p, 16);
        if ((p = nfct_get_attr(ct, ATTR_ORIG_IPV6_DST))) memcpy(flow->orig_dst, p, 16);
        if ((p = nfct_get_attr(ct, ATTR_REPL_IPV6_SRC))) memcpy(flow->repl_src, p, 16);
        if ((p = nfct_get_attr(ct, ATTR_REPL_IPV6_DST))) memcpy(flow->repl_dst, p, 16);
    }
    flow->orig_sport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
    flow->orig_dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
    flow->repl_sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
    flow->repl_dport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
}

/// Netlink's answer to a request: 0, or the (positive) errno the kernel reported.
static inline int cconntrack_errno(void) { return errno; }

#endif
