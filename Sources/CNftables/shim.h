#ifndef PROXYD_CNFTABLES_SHIM_H
#define PROXYD_CNFTABLES_SHIM_H

#include <nftables/libnftables.h>
#include <sys/mman.h>
#include <malloc.h> // malloc_trim: the driver returns libnftables' freed memory after a large transaction

/// An anonymous in-memory file: libnftables reads a transaction from it by path (/proc/self/fd/N), which makes
/// its error messages quote the right line (nftables 1.0.6 quotes the first line for buffer input).
static inline int cnftables_memfd(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

#endif
