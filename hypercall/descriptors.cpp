// set_gdt and update_descriptor: a PV kernel's GDT lives in its own frames, typed as
// descriptor pages (never writable by the guest), and changes only through us.
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/pv/gdt.hpp"
#include "domain/domain.hpp"
#include "domain/page_types_glue.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "kernel/percpu.hpp"
#include "pv/descriptors.hpp"

namespace hv {

HV_HYPERCALL(set_gdt) {
    const uint64_t list = args.a[0];
    const uint64_t entries = static_cast<uint32_t>(args.a[1]);
    if (entries > kGuestGdtEntries)
        return to_guest_errno(Status::InvalidArgument);
    Pfn frames[kGuestGdtFrames] = {};
    const unsigned count = static_cast<unsigned>((entries + 511) / 512);
    if (Status s = copy_from_guest(frames, list, count * sizeof(Pfn)); s != Status::Ok)
        return to_guest_errno(s);
    Vcpu& v = ctx.vcpu();
    if (Status s = gdt_set(v, frames, static_cast<unsigned>(entries)); s != Status::Ok)
        return to_guest_errno(s);
    gdt_load_guest(this_cpu(), v);
    return 0;
}

HV_HYPERCALL(update_descriptor) {
    const uint64_t address = args.a[0];
    uint64_t descriptor = args.a[1];
    if ((address & 7) != 0 || pv::check_descriptor(descriptor, nullptr) != Status::Ok)
        return to_guest_errno(Status::InvalidArgument);
    const Pfn mfn = address >> kPageShift;
    const uint16_t id = ctx.domain().id();
    // Descriptor pages stay descriptor pages; any other page must be writable-typable.
    const pv::PageType type =
        page_types().type_of(mfn) == pv::PageType::SegDesc ? pv::PageType::SegDesc : pv::PageType::Writable;
    if (page_types().get_page_and_type(mfn, type, id) != Status::Ok)
        return to_guest_errno(Status::InvalidArgument);
    auto* slot = reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(layout::phys_to_virt(mfn << kPageShift)) +
                                             (address & (kPageSize - 1)));
    __atomic_store_n(slot, descriptor, __ATOMIC_RELEASE);
    page_types().put_page_and_type(mfn);
    return 0;
}

}  // namespace hv
