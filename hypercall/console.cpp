// console_io: guest text to the hypervisor console, and serial input to dom0.
//
// Output from the hardware domain goes to the console unprefixed (it is the interactive
// console, as on Xen); other domains' lines are prefixed "(dN) " and line-buffered so they
// do not interleave mid-line. Xen release builds refuse console_io to domUs with -EPERM;
// we allow it as a debugging aid (docs/abi-compatibility.md).
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "kernel/console_input.hpp"
#include "kernel/log.hpp"
#include "lib/format.hpp"
#include "seam/guest_memory.hpp"

namespace hv {
namespace {

constexpr size_t kChunk = 256;

Status write_prefixed(Domain& d, const char* text, size_t n) {
    // One line at a time with the domain prefix.
    char line[kChunk + 16];
    size_t start = 0;
    while (start < n) {
        size_t end = start;
        while (end < n && text[end] != '\n')
            ++end;
        const bool newline = end < n;
        size_t len = format(line, sizeof(line), "(d%u) ", d.id());
        for (size_t i = start; i < end && len < sizeof(line) - 1; ++i)
            line[len++] = text[i];
        if (newline && len < sizeof(line))
            line[len++] = '\n';
        log_raw(line, len);
        start = end + 1;
    }
    return Status::Ok;
}

}  // namespace

HV_HYPERCALL(console_io) {
    const uint64_t cmd = args.a[0];
    const uint32_t count = static_cast<uint32_t>(args.a[1]);
    const uint64_t buffer = args.a[2];
    Domain& d = ctx.domain();
    switch (static_cast<xen::ConsoleIoOp>(cmd)) {
    case xen::ConsoleIoOp::write: {
        char chunk[kChunk];
        for (uint32_t done = 0; done < count;) {
            const size_t n = count - done < kChunk ? count - done : kChunk;
            if (Status s = copy_from_guest(chunk, buffer + done, n); s != Status::Ok)
                return to_guest_errno(s);
            if (d.privileged())
                log_raw(chunk, n);
            else
                (void)write_prefixed(d, chunk, n);
            done += static_cast<uint32_t>(n);
        }
        return 0;
    }
    case xen::ConsoleIoOp::read: {
        if (!d.privileged())
            return to_guest_errno(Status::Permission);
        char chunk[kChunk];
        const size_t want = count < kChunk ? count : kChunk;
        const size_t got = console_input_read(chunk, want);
        if (got == 0)
            return 0;
        if (Status s = copy_to_guest(buffer, chunk, got); s != Status::Ok)
            return to_guest_errno(s);
        return static_cast<int64_t>(got);
    }
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
