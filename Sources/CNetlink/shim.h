#ifndef PROXYD_CNETLINK_SHIM_H
#define PROXYD_CNETLINK_SHIM_H

// libnl-3 / libnl-genl-3 for IPVS (generic netlink) and for deleting a link (rtnetlink). libnl's attribute macros
// and nested-attribute iteration do not import into Swift, so requests are built and answers parsed here.

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/ip_vs.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <string.h>
#include <sys/socket.h>

/// One IPVS virtual service as the kernel lists it. `addr` is 16 bytes (IPv4 in the first 4); `port` stays in
/// network order, exactly as the kernel sent it, so a delete request names the service byte for byte.
struct cnetlink_ipvs_service {
    uint16_t af;
    uint16_t protocol;
    uint8_t addr[16];
    uint16_t port_be;
    uint32_t fwmark;
};

typedef void (*cnetlink_ipvs_service_fn)(const struct cnetlink_ipvs_service *service, void *context);

/// A generic netlink socket with the IPVS family resolved. Returns 0, or a negative libnl error
/// (-NLE_OBJ_NOTFOUND when the kernel has no IPVS).
static inline int cnetlink_ipvs_open(struct nl_sock **out, int *family) {
    struct nl_sock *sock = nl_socket_alloc();
    if (sock == NULL) return -NLE_NOMEM;
    int err = genl_connect(sock);
    if (err < 0) { nl_socket_free(sock); return err; }
    int id = genl_ctrl_resolve(sock, IPVS_GENL_NAME);
    if (id < 0) { nl_socket_free(sock); return id; }
    *out = sock;
    *family = id;
    return 0;
}

struct cnetlink_ipvs_dump {
    cnetlink_ipvs_service_fn fn;
    void *context;
};

static inline int cnetlink_ipvs_parse_service(struct nl_msg *msg, void *arg) {
    struct cnetlink_ipvs_dump *dump = arg;
    struct nlattr *attrs[IPVS_CMD_ATTR_MAX + 1];
    struct nlattr *svc[IPVS_SVC_ATTR_MAX + 1];
    if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, IPVS_CMD_ATTR_MAX, NULL) < 0) return NL_SKIP;
    if (attrs[IPVS_CMD_ATTR_SERVICE] == NULL) return NL_SKIP;
    if (nla_parse_nested(svc, IPVS_SVC_ATTR_MAX, attrs[IPVS_CMD_ATTR_SERVICE], NULL) < 0) return NL_SKIP;
    struct cnetlink_ipvs_service service;
    memset(&service, 0, sizeof(service));
    if (svc[IPVS_SVC_ATTR_AF]) service.af = nla_get_u16(svc[IPVS_SVC_ATTR_AF]);
    if (svc[IPVS_SVC_ATTR_FWMARK]) service.fwmark = nla_get_u32(svc[IPVS_SVC_ATTR_FWMARK]);
    if (svc[IPVS_SVC_ATTR_PROTOCOL]) service.protocol = nla_get_u16(svc[IPVS_SVC_ATTR_PROTOCOL]);
    if (svc[IPVS_SVC_ATTR_ADDR]) nla_memcpy(service.addr, svc[IPVS_SVC_ATTR_ADDR], sizeof(service.addr));
    if (svc[IPVS_SVC_ATTR_PORT]) service.port_be = nla_get_u16(svc[IPVS_SVC_ATTR_PORT]);
    dump->fn(&service, dump->context);
    return NL_OK;
}

/// Lists every virtual service, calling `fn` for each. Returns 0 or a negative libnl error.
static inline int cnetlink_ipvs_list(struct nl_sock *sock, int family, cnetlink_ipvs_service_fn fn, void *context) {
    struct nl_msg *msg = nlmsg_alloc();
    if (msg == NULL) return -NLE_NOMEM;
    if (genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP, IPVS_CMD_GET_SERVICE, IPVS_GENL_VERSION) == NULL) {
        nlmsg_free(msg);
        return -NLE_NOMEM;
    }
    struct cnetlink_ipvs_dump dump = { fn, context };
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    if (cb == NULL) { nlmsg_free(msg); return -NLE_NOMEM; }
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cnetlink_ipvs_parse_service, &dump);
    int err = nl_send_auto(sock, msg);
    nlmsg_free(msg);
    if (err >= 0) err = nl_recvmsgs(sock, cb);
    nl_cb_put(cb);
    return err < 0 ? err : 0;
}

/// Deletes one virtual service (with its real servers). Returns 0 or a negative libnl error.
static inline int cnetlink_ipvs_delete(struct nl_sock *sock, int family, const struct cnetlink_ipvs_service *service) {
    struct nl_msg *msg = nlmsg_alloc();
    if (msg == NULL) return -NLE_NOMEM;
    if (genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK, IPVS_CMD_DEL_SERVICE, IPVS_GENL_VERSION) == NULL) {
        nlmsg_free(msg);
        return -NLE_NOMEM;
    }
    struct nlattr *nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
    int err = nla_put_u16(msg, IPVS_SVC_ATTR_AF, service->af);
    if (service->fwmark != 0) {
        if (err >= 0) err = nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, service->fwmark);
    } else {
        if (err >= 0) err = nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, service->protocol);
        if (err >= 0) err = nla_put(msg, IPVS_SVC_ATTR_ADDR, sizeof(service->addr), service->addr);
        if (err >= 0) err = nla_put_u16(msg, IPVS_SVC_ATTR_PORT, service->port_be);
    }
    if (err < 0) { nlmsg_free(msg); return err; }
    nla_nest_end(msg, nest);
    return nl_send_sync(sock, msg);  // frees msg, waits for the ACK
}

/// Deletes the network interface `name` over rtnetlink. Returns 0 or a negative libnl error
/// (-NLE_NODEV when there is no such interface).
static inline int cnetlink_delete_link(const char *name) {
    struct nl_sock *sock = nl_socket_alloc();
    if (sock == NULL) return -NLE_NOMEM;
    int err = nl_connect(sock, NETLINK_ROUTE);
    if (err < 0) { nl_socket_free(sock); return err; }
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
    if (msg == NULL) { nl_socket_free(sock); return -NLE_NOMEM; }
    struct ifinfomsg info;
    memset(&info, 0, sizeof(info));
    info.ifi_family = AF_UNSPEC;
    err = nlmsg_append(msg, &info, sizeof(info), NLMSG_ALIGNTO);
    if (err >= 0) err = nla_put_string(msg, IFLA_IFNAME, name);
    if (err < 0) { nlmsg_free(msg); nl_socket_free(sock); return err; }
    err = nl_send_sync(sock, msg);
    nl_socket_free(sock);
    return err;
}

/// libnl's text for an error.
static inline const char *cnetlink_error(int err) { return nl_geterror(err); }

#endif
