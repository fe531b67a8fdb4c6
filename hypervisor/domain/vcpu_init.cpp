#include "domain/vcpu_init.hpp"

#include <new>

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/pv/gdt.hpp"
#include "domain/domain.hpp"
#include "domain/page_types_glue.hpp"
#include "hypercall/public/trap.hpp"
#include "kernel/memory.hpp"
#include "pv/bounce_frame.hpp"
#include "seam/guest_memory.hpp"

namespace hv {
namespace {

using layout::is_canonical;

constexpr uint64_t kVgcfInKernel = 1u << 2;

}  // namespace

Status vcpu_register_info(Vcpu& v, uint64_t mfn, uint32_t offset) {
    if (offset > kPageSize - sizeof(xen::VcpuInfo) || (offset & 7) != 0)
        return Status::NoSuchAddress;
    if (v.vcpu_info_registered)
        return Status::InvalidArgument;
    Domain& d = v.domain();
    if (page_types().get_page_and_type(mfn, pv::PageType::Writable, d.id()) != Status::Ok)
        return Status::InvalidArgument;
    auto* info = reinterpret_cast<xen::VcpuInfo*>(static_cast<uint8_t*>(layout::phys_to_virt(mfn << kPageShift)) + offset);
    if (v.vcpu_info() != nullptr)
        __builtin_memcpy(info, v.vcpu_info(), sizeof(*info));
    else {
        __builtin_memset(info, 0, sizeof(*info));
        info->evtchn_upcall_mask = 1;
    }
    v.set_vcpu_info(info, mfn);
    v.vcpu_info_registered = true;
    // Everything may have moved under the guest's feet: make it rescan (a spurious event
    // is harmless, a lost one is not).
    __atomic_store_n(&info->evtchn_pending_sel, ~0ull, __ATOMIC_SEQ_CST);
    __atomic_store_n(&info->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    return Status::Ok;
}

Status vcpu_initialise_from_guest(Vcpu& v, uint64_t context) {
    auto* ctx = static_cast<xen::VcpuGuestContext*>(allocate_pages(1));  // 5168 bytes
    if (ctx == nullptr)
        return Status::OutOfMemory;
    struct Free {
        xen::VcpuGuestContext* p;
        ~Free() { free_pages(p, 1); }
    } release{ctx};
    if (Status s = copy_from_guest(ctx, context, sizeof(*ctx)); s != Status::Ok)
        return s;
    Domain& d = v.domain();
    LockGuard guard(d.lock);
    if (v.initialised)
        return Status::Exists;
    if (!is_canonical(ctx->user_regs.rip) || !is_canonical(ctx->user_regs.rsp) || !is_canonical(ctx->event_callback_eip) ||
        !is_canonical(ctx->failsafe_callback_eip) || !is_canonical(ctx->syscall_callback_eip) ||
        !is_canonical(ctx->fs_base) || !is_canonical(ctx->gs_base_kernel) || !is_canonical(ctx->gs_base_user))
        return Status::InvalidArgument;
    for (const auto& t : ctx->trap_ctxt)
        if (!is_canonical(t.address))
            return Status::InvalidArgument;
    const Pfn l4 = ctx->ctrlreg[3] >> kPageShift;
    if (ctx->gdt_ents > kGuestGdtEntries)
        return Status::InvalidArgument;
    if (Status s = page_types().get_page_and_type(l4, pv::PageType::L4, d.id()); s != Status::Ok)
        return s;
    // The GDT frames take their descriptor-page references exactly as set_gdt does (the
    // vCPU has none yet), so destruction and a later set_gdt drop what was taken.
    Pfn gdt_frames[16];
    for (unsigned i = 0; i < 16; ++i)
        gdt_frames[i] = ctx->gdt_frames[i];
    if (Status s = gdt_set(v, gdt_frames, static_cast<unsigned>(ctx->gdt_ents)); s != Status::Ok) {
        page_types().put_page_and_type(l4);
        return s;
    }

    PvVcpuState& p = v.pv;
    arch::CpuRegs& r = p.regs;
    r = {};
    static_assert(sizeof(xen::CpuUserRegs) == sizeof(arch::CpuRegs));
    __builtin_memcpy(&r, &ctx->user_regs, sizeof(r));
    r.cs = guest_selector(r.cs);
    r.ss = guest_selector(r.ss);
    // IOPL is virtualised as on Xen: the context's RFLAGS.IOPL becomes the vCPU's virtual
    // IOPL (Linux starts its secondary vCPUs with IOPL 1 so that their kernel may use port
    // I/O, as PHYSDEVOP_set_iopl gave the boot vCPU), and the hardware runs the guest with
    // IOPL 0 so that every port access traps to the emulator.
    p.iopl = static_cast<unsigned>((r.rflags & pv::rflags::iopl) >> pv::rflags::iopl_shift);
    r.rflags = (r.rflags & ~pv::rflags::iopl) | pv::rflags::interrupt;  // IF set in hardware
    p.kernel_mode = ctx->flags & kVgcfInKernel;
    for (unsigned i = 0; i < 256; ++i) {
        p.trap_table[i] = ctx->trap_ctxt[i];
        p.trap_table[i].cs = guest_selector(p.trap_table[i].cs);
    }
    p.kernel_ss = guest_selector(static_cast<uint16_t>(ctx->kernel_ss));
    p.kernel_sp = ctx->kernel_sp;
    p.event_callback = ctx->event_callback_eip;
    p.failsafe_callback = ctx->failsafe_callback_eip;
    p.syscall_callback = ctx->syscall_callback_eip;
    p.fs_base = ctx->fs_base;
    p.gs_base_kernel = ctx->gs_base_kernel;
    p.gs_base_user = ctx->gs_base_user;
    p.ds = static_cast<uint16_t>(ctx->user_regs.ds);
    p.es = static_cast<uint16_t>(ctx->user_regs.es);
    p.fs = static_cast<uint16_t>(ctx->user_regs.fs);
    p.gs = static_cast<uint16_t>(ctx->user_regs.gs);
    p.guest_table = l4;
    for (unsigned i = 0; i < 8; ++i)
        p.debugreg[i] = ctx->debugreg[i];
    v.initialised = true;
    return Status::Ok;
}

}  // namespace hv
