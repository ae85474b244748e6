#ifndef PROXYD_CLINUX_SHIM_H
#define PROXYD_CLINUX_SHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>

/// Moves the calling thread into the network namespace open at `fd` (setns(2) with CLONE_NEWNET).
static inline int clinux_enter_network_namespace(int fd) {
    return setns(fd, CLONE_NEWNET);
}

#endif
