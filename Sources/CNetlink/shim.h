#ifndef PROXYD_CNETLINK_SHIM_H
#define PROXYD_CNETLINK_SHIM_H

// libnl-3 / libnl-genl-3: sockets, the generic-netlink family lookup, and sending requests whose bytes are built
// in Swift (IPVS over generic netlink, links and addresses over rtnetlink). Swift encodes and decodes every message
// body itself (pure, tested to the byte); this shim only moves bytes and reports the kernel's answer.

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/ip_vs.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/// A socket of `protocol` (NETLINK_GENERIC, NETLINK_ROUTE) in the calling thread's network namespace. Returns 0 or
/// a negative libnl error.
static inline int cnetlink_open(int protocol, struct nl_sock **out) {
    struct nl_sock *sock = nl_socket_alloc();
    if (sock == NULL) return -NLE_NOMEM;
    int err = nl_connect(sock, protocol);
    if (err < 0) { nl_socket_free(sock); return err; }
    *out = sock;
    return 0;
}

/// The id of the generic-netlink family `name` (e.g. "IPVS"). Returns the id, or a negative libnl error
/// (-NLE_OBJ_NOTFOUND when the kernel has no such family).
static inline int cnetlink_genl_family(struct nl_sock *sock, const char *name) {
    return genl_ctrl_resolve(sock, name);
}

struct cnetlink_answer {
    int kernel_errno;  // the errno the kernel answered with, 0 if none
    int acked;
};

static inline int cnetlink_on_error(struct sockaddr_nl *who, struct nlmsgerr *error, void *arg) {
    (void)who;
    struct cnetlink_answer *answer = arg;
    answer->kernel_errno = -error->error;
    return NL_STOP;
}

static inline int cnetlink_on_ack(struct nl_msg *msg, void *arg) {
    (void)msg;
    ((struct cnetlink_answer *)arg)->acked = 1;
    return NL_STOP;
}

typedef void (*cnetlink_message_fn)(const void *payload, size_t length, void *context);

static inline int cnetlink_on_valid(struct nl_msg *msg, void *arg) {
    void **pair = arg;
    struct nlmsghdr *header = nlmsg_hdr(msg);
    ((cnetlink_message_fn)pair[0])(nlmsg_data(header), (size_t)nlmsg_datalen(header), pair[1]);
    return NL_OK;
}

/// Sends one message of `type` whose body (everything after the netlink header) is `payload`, and reads the answer.
///
/// Without NLM_F_DUMP in `flags` it waits for the kernel's acknowledgement (NLM_F_ACK is added); with it, `fn` is
/// called with the body of every message of the dump. Returns 0, or a negative libnl error; when the kernel
/// refused, `*kernel_errno` is its errno (EEXIST, ESRCH, …), else 0.
static inline int cnetlink_request(
    struct nl_sock *sock, int type, int flags, const void *payload, size_t length, cnetlink_message_fn fn,
    void *context, int *kernel_errno
) {
    *kernel_errno = 0;
    int dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
    struct nl_msg *msg = nlmsg_alloc_simple(type, flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK));
    if (msg == NULL) return -NLE_NOMEM;
    if (length > 0 && nlmsg_append(msg, (void *)payload, length, NLMSG_ALIGNTO) < 0) {
        nlmsg_free(msg);
        return -NLE_NOMEM;
    }
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    if (cb == NULL) { nlmsg_free(msg); return -NLE_NOMEM; }
    struct cnetlink_answer answer = { 0, 0 };
    void *pair[2] = { (void *)fn, context };
    nl_cb_err(cb, NL_CB_CUSTOM, cnetlink_on_error, &answer);
    if (dump) {
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cnetlink_on_valid, pair);
    } else {
        nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cnetlink_on_ack, &answer);
    }
    int err = nl_send_auto(sock, msg);
    nlmsg_free(msg);
    if (err >= 0) {
        // A dump ends with NLMSG_DONE (nl_recvmsgs returns then); a request with its ACK or error (NL_STOP).
        do {
            err = nl_recvmsgs(sock, cb);
        } while (err >= 0 && !dump && !answer.acked && answer.kernel_errno == 0);
    }
    nl_cb_put(cb);
    *kernel_errno = answer.kernel_errno;
    if (answer.kernel_errno != 0 && err >= 0) err = -NLE_FAILURE;
    return err < 0 ? err : 0;
}

/// libnl's text for an error.
static inline const char *cnetlink_error(int err) { return nl_geterror(err); }

#endif
