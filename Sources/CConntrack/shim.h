#ifndef PROXYD_CCONNTRACK_SHIM_H
#define PROXYD_CCONNTRACK_SHIM_H

// ctnetlink over libmnl, with the kernel's own uapi headers: requests are built and answers parsed here because
// nested netlink attributes are much easier to read in C than through Swift pointers. (libnetfilter_conntrack
// would do the same, but its private copies of the nfnetlink headers clash with libnl's in one Swift module.)

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

// The kernel's tuple-filter flags (net/netfilter/nf_internals.h; not in the uapi headers).
#define CCONNTRACK_FILTER_IP_DST         (1u << 1)
#define CCONNTRACK_FILTER_PROTO_NUM      (1u << 3)
#define CCONNTRACK_FILTER_PROTO_DST_PORT (1u << 5)

/// A conntrack entry in plain form. Addresses are 16 bytes (IPv4 in the first 4), network order; ports are host
/// order. `id_be` and `zone_be` are kept exactly as the kernel sent them, to name the entry in a delete request.
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
    uint32_t id_be;
    uint16_t zone_be;
    uint8_t has_id;
    uint8_t has_zone;
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

/// A request that deletes exactly the entry `flow` was read from (original tuple, zone and ID), acknowledged.
static inline struct nlmsghdr *cconntrack_put_delete_request(void *buffer, uint32_t seq, const struct cconntrack_flow *flow) {
    struct nlmsghdr *nlh = cconntrack_put_header(buffer, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq, flow->family);
    struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
    struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
    if (flow->family == AF_INET) {
        mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, flow->orig_src);
        mnl_attr_put(nlh, CTA_IP_V4_DST, 4, flow->orig_dst);
    } else {
        mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, flow->orig_src);
        mnl_attr_put(nlh, CTA_IP_V6_DST, 16, flow->orig_dst);
    }
    mnl_attr_nest_end(nlh, ip);
    struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, flow->l4proto);
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(flow->orig_sport));
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(flow->orig_dport));
    mnl_attr_nest_end(nlh, proto);
    mnl_attr_nest_end(nlh, tuple);
    if (flow->has_zone) mnl_attr_put_u16(nlh, CTA_ZONE, flow->zone_be);
    if (flow->has_id) mnl_attr_put_u32(nlh, CTA_ID, flow->id_be);
    return nlh;
}

/// Collects the attributes of one nesting level into a table indexed by type.
struct cconntrack_attrs {
    const struct nlattr **table;
    int max;
};

static inline int cconntrack_collect_attr(const struct nlattr *attr, void *data) {
    struct cconntrack_attrs *attrs = data;
    int type = mnl_attr_get_type(attr);
    if (type <= attrs->max) attrs->table[type] = attr;
    return MNL_CB_OK;
}

static inline void cconntrack_read_tuple(const struct nlattr *nest, uint8_t family, uint8_t *src, uint8_t *dst,
                                         uint16_t *sport, uint16_t *dport, uint8_t *l4proto) {
    const struct nlattr *tuple[CTA_TUPLE_MAX + 1] = {0};
    struct cconntrack_attrs tuple_attrs = { tuple, CTA_TUPLE_MAX };
    mnl_attr_parse_nested(nest, cconntrack_collect_attr, &tuple_attrs);
    if (tuple[CTA_TUPLE_IP]) {
        const struct nlattr *ip[CTA_IP_MAX + 1] = {0};
        struct cconntrack_attrs ip_attrs = { ip, CTA_IP_MAX };
        mnl_attr_parse_nested(tuple[CTA_TUPLE_IP], cconntrack_collect_attr, &ip_attrs);
        int v4 = family == AF_INET;
        const struct nlattr *s = ip[v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC];
        const struct nlattr *d = ip[v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST];
        size_t size = v4 ? 4 : 16;
        if (s && mnl_attr_get_payload_len(s) >= size) memcpy(src, mnl_attr_get_payload(s), size);
        if (d && mnl_attr_get_payload_len(d) >= size) memcpy(dst, mnl_attr_get_payload(d), size);
    }
    if (tuple[CTA_TUPLE_PROTO]) {
        const struct nlattr *proto[CTA_PROTO_MAX + 1] = {0};
        struct cconntrack_attrs proto_attrs = { proto, CTA_PROTO_MAX };
        mnl_attr_parse_nested(tuple[CTA_TUPLE_PROTO], cconntrack_collect_attr, &proto_attrs);
        if (proto[CTA_PROTO_NUM]) *l4proto = mnl_attr_get_u8(proto[CTA_PROTO_NUM]);
        if (proto[CTA_PROTO_SRC_PORT]) *sport = ntohs(mnl_attr_get_u16(proto[CTA_PROTO_SRC_PORT]));
        if (proto[CTA_PROTO_DST_PORT]) *dport = ntohs(mnl_attr_get_u16(proto[CTA_PROTO_DST_PORT]));
    }
}

/// Reads one conntrack message of a dump. Returns 0, or -1 when it is not an IPv4/IPv6 entry with both tuples.
static inline int cconntrack_flow_parse(const struct nlmsghdr *nlh, struct cconntrack_flow *flow) {
    memset(flow, 0, sizeof(*flow));
    const struct nfgenmsg *nfh = mnl_nlmsg_get_payload(nlh);
    flow->family = nfh->nfgen_family;
    if (flow->family != AF_INET && flow->family != AF_INET6) return -1;
    const struct nlattr *top[CTA_MAX + 1] = {0};
    struct cconntrack_attrs top_attrs = { top, CTA_MAX };
    if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), cconntrack_collect_attr, &top_attrs) < 0) return -1;
    if (!top[CTA_TUPLE_ORIG] || !top[CTA_TUPLE_REPLY]) return -1;
    uint8_t reply_proto = 0;
    cconntrack_read_tuple(top[CTA_TUPLE_ORIG], flow->family, flow->orig_src, flow->orig_dst, &flow->orig_sport,
                          &flow->orig_dport, &flow->l4proto);
    cconntrack_read_tuple(top[CTA_TUPLE_REPLY], flow->family, flow->repl_src, flow->repl_dst, &flow->repl_sport,
                          &flow->repl_dport, &reply_proto);
    if (top[CTA_ID]) { flow->id_be = mnl_attr_get_u32(top[CTA_ID]); flow->has_id = 1; }
    if (top[CTA_ZONE]) { flow->zone_be = mnl_attr_get_u16(top[CTA_ZONE]); flow->has_zone = 1; }
    return 0;
}

#endif
