// Hypercall dispatch: the ABI is data (STYLE.md rule 3). One table maps each Xen
// hypercall number to its handler and name; every number not in it returns -ENOSYS.
//
// Layers (STYLE.md rule 4): the entry path (pv_hypercall) decodes registers into
// HypercallArgs; a handler turns raw words into typed values and GuestPtrs, copies
// argument structs in, runs pure logic on hypervisor values, copies results out, and
// returns a Status or a value; Status becomes -errno only in to_guest_errno().
//
// Continuations (Xen's encoding, spec §3.6): a handler that stops early calls
// `ctx.continue_with(args)` and returns kContinuation. Outside a multicall the entry path
// then rewrites the argument registers and rewinds RIP by 2 so the guest re-executes its
// `syscall`; inside a multicall the multicall handler stores the new arguments in the
// entry and continues the multicall itself.
#pragma once

#include <cstdint>

#include "arch/x86_64/regs.hpp"
#include "hypercall/errno.hpp"
#include "lib/status.hpp"

namespace hv {

class Vcpu;
class Domain;

struct HypercallArgs {
    uint64_t a[6];
};

// Result words a handler may return besides values and -errno.
inline constexpr int64_t kContinuation = INT64_MIN + 1;  // created a continuation
inline constexpr int64_t kNoReturnValue = INT64_MIN + 2;  // handler rewrote the whole frame (iret)

class HypercallContext {
public:
    HypercallContext(Vcpu& vcpu, arch::CpuRegs& frame, bool in_multicall)
        : vcpu_(vcpu), frame_(frame), in_multicall_(in_multicall) {}

    Vcpu& vcpu() const { return vcpu_; }
    Domain& domain() const;
    arch::CpuRegs& frame() const { return frame_; }
    bool in_multicall() const { return in_multicall_; }

    int64_t continue_with(const HypercallArgs& args) {
        continuation_ = args;
        has_continuation_ = true;
        return kContinuation;
    }
    bool has_continuation() const { return has_continuation_; }
    const HypercallArgs& continuation() const { return continuation_; }

    // Long batches call this every few items: true when other work is waiting on this CPU.
    bool should_preempt() const;

private:
    Vcpu& vcpu_;
    arch::CpuRegs& frame_;
    bool in_multicall_;
    bool has_continuation_ = false;
    HypercallArgs continuation_;  // meaningful only once has_continuation_ (not zeroed: hot path)
};

using HypercallHandler = int64_t (*)(HypercallContext& ctx, const HypercallArgs& args);

inline constexpr unsigned kHypercallCount = 64;

// Index = hypercall number; a null handler = -ENOSYS. Handlers and names are separate
// arrays so that the dispatch reads one word. Defined in dispatch.cpp.
struct HypercallTable {
    HypercallHandler handler[kHypercallCount];
    const char* name[kHypercallCount];
};
extern const HypercallTable kHypercallTable;

// The handler of hypercall `nr`, nullptr (-ENOSYS) for numbers without one.
inline HypercallHandler hypercall_handler(uint64_t nr) {
    return nr < kHypercallCount ? kHypercallTable.handler[nr] : nullptr;
}

// Runs hypercall `nr`; unknown numbers -> -ENOSYS.
int64_t hypercall_dispatch(HypercallContext& ctx, uint64_t nr, const HypercallArgs& args);
const char* hypercall_name(uint64_t nr);

// HYPERVISOR_iret (iret.cpp): pops the guest's iret_context into `frame`, or crashes the
// domain. Reached directly from the entry (hv_guest_iret) and through the table.
void pv_iret(Vcpu& v, arch::CpuRegs& frame);

// The continuation case of pv_hypercall, kept out of line.
void hypercall_finish_special(arch::CpuRegs& frame, const HypercallContext& ctx, int64_t result);

// The `syscall` entry from guest kernel mode: hypercall number in RAX, `args` from
// RDI/RSI/RDX/R10/R8/R9 (the entry passes them in registers); dispatch, store RAX or
// create the continuation. Inline: it is the body of every hypercall. The frame's
// callee-saved slots are not written yet (pv_entry.S).
inline void pv_hypercall(Vcpu& vcpu, arch::CpuRegs& frame, const HypercallArgs& args) {
    // Linux passes a 32-bit hypercall number in eax; the upper half is ignored (spec §3.1).
    const uint32_t nr = static_cast<uint32_t>(frame.rax);
    const HypercallHandler handler = hypercall_handler(nr);
    if (handler == nullptr) [[unlikely]] {
        frame.rax = static_cast<uint64_t>(to_guest_errno(Status::NotSupported));
        return;
    }
    HypercallContext ctx(vcpu, frame, false);
    const int64_t result = handler(ctx, args);
    static_assert(kContinuation < kNoReturnValue && kNoReturnValue < -4096, "one compare finds both markers");
    if (result > kNoReturnValue) [[likely]]
        frame.rax = static_cast<uint64_t>(result);
    else
        hypercall_finish_special(frame, ctx, result);
}

}  // namespace hv
