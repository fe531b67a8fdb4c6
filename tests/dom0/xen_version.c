/* xen_version: issues the xen_version hypercall from dom0 user space through
 * /dev/xen/privcmd (IOCTL_PRIVCMD_HYPERCALL), the path every toolstack call takes, and
 * prints `dom0-check: privcmd-xen-version MAJOR.MINOR` (exit 0), or a
 * `dom0-check: privcmd-failed ...` line saying which step failed (exit 1).
 *
 * Facts used (shared/spec/toolstack.md §2.1-2.2): the ioctl number is
 * _IOC(_IOC_NONE, 'P', 0, 48) = 0x00305000; its argument is { u64 op; u64 arg[5]; };
 * hypercall 17 is xen_version and its sub-op 0 (XENVER_version) returns major<<16 | minor
 * with no buffer. The ioctl returns the hypercall's result, so a negative result arrives
 * as -1 with errno set.
 *
 * Built by make_initramfs.sh with the host compiler, statically, so it runs in the
 * initramfs without a C library of its own. Hosted C, not part of the hypervisor. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum {
    hypercall_xen_version = 17,
    xenver_version = 0,
    xenver_extraversion = 1,
};

#define IOCTL_PRIVCMD_HYPERCALL 0x00305000UL

struct privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};

_Static_assert(sizeof(struct privcmd_hypercall) == 48, "privcmd_hypercall is 48 bytes");

static long hypercall(int fd, uint64_t op, uint64_t a0, uint64_t a1)
{
    struct privcmd_hypercall call;
    memset(&call, 0, sizeof call);
    call.op = op;
    call.arg[0] = a0;
    call.arg[1] = a1;
    return ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
}

int main(void)
{
    const char *path = "/dev/xen/privcmd";
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("dom0-check: privcmd-failed open %s: %s\n", path, strerror(errno));
        return 1;
    }
    long version = hypercall(fd, hypercall_xen_version, xenver_version, 0);
    if (version < 0) {
        printf("dom0-check: privcmd-failed xen_version(XENVER_version): %s\n", strerror(errno));
        close(fd);
        return 1;
    }
    /* XENVER_extraversion fills a 16-byte buffer in this process's memory: it checks that
     * the hypervisor can write a user-space buffer of the calling process. */
    char extra[17];
    memset(extra, 0, sizeof extra);
    long extra_result = hypercall(fd, hypercall_xen_version, xenver_extraversion, (uintptr_t)extra);
    close(fd);
    if (extra_result < 0) {
        printf("dom0-check: privcmd-failed xen_version(XENVER_extraversion): %s\n", strerror(errno));
        return 1;
    }
    extra[16] = '\0';
    printf("dom0-check: privcmd-xen-version %lu.%lu\n",
           (unsigned long)version >> 16, (unsigned long)version & 0xffff);
    printf("dom0-note: xen extraversion '%s'\n", extra);
    return 0;
}
