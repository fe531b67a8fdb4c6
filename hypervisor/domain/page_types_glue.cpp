#include "domain/page_types_glue.hpp"

#include <new>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/paging.hpp"
#include "domain/domain.hpp"
#include "kernel/memory.hpp"
#include "pv/descriptors.hpp"

namespace hv {
namespace {

constexpr Pfn kFirstMiBFrames = 256;
constexpr Pfn kIoApicFrame = 0xfec00;
constexpr Pfn kLocalApicFirst = 0xfee00, kLocalApicEnd = 0xfef00;  // LAPIC and MSI window

// Frames the CPU can address (CPUID 0x80000008 EAX[7:0] physical address bits).
Pfn physical_frame_limit() {
    static const Pfn limit = [] {
        const unsigned bits = arch::cpuid(0x80000008).eax & 0xff;
        return Pfn{1} << ((bits >= 36 && bits <= 52 ? bits : 36) - kPageShift);
    }();
    return limit;
}

bool is_ram_frame(Pfn mfn) { return mfn < max_pfn() && mfn >= kFirstMiBFrames && !(frame_info(mfn).flags & kFrameNotRam); }

class KernelFrameAccess final : public pv::FrameAccess {
public:
    // Xen's default iomem permission for the hardware domain: everything the CPU can
    // address except the interrupt controllers the hypervisor owns.
    bool io_allowed(uint16_t domain, Pfn mfn) const override {
        if (domain != 0 || mfn >= physical_frame_limit())
            return false;
        if (is_ram_frame(mfn))
            return false;
        return !(mfn == kIoApicFrame || (mfn >= kLocalApicFirst && mfn < kLocalApicEnd));
    }
    bool io_capable(uint16_t domain) const override { return domain == 0; }
    bool mmio_read_only(Pfn) const override { return false; }
    void hypervisor_l4_slots(Pfn, uint64_t out[16]) const override { arch::paging_hypervisor_slots(out); }
    Status validate_descriptor_page(uint16_t, Pfn mfn) override {
        return pv::check_descriptor_page(std::span<uint64_t, 512>(table(mfn), 512));
    }
    // A page last mapped writable becomes a table: one vCPU per CPU at a time so far,
    // so a local flush covers every stale writable translation.
    void flush_before_protect(uint16_t, Pfn) override { arch::flush_tlb_local(); }
    void frame_freed(Pfn mfn, bool) override {
        // Domains keep no page lists: ownership lives in the frame table, and teardown
        // walks it (domain/destroy.cpp). Hypervisor pages given with assign_shared
        // (shared_info, grant frames) live exactly as long as the domain's last reference
        // to them, so they go back to the allocator the same way.
        frame_allocator().free(mfn, 0);
    }
};

KernelFrameAccess access;
alignas(pv::PageTypes) unsigned char storage[sizeof(pv::PageTypes)];

}  // namespace

// FrameAccess's link-time members (pv/frame_access.hpp).
uint64_t* pv::FrameAccess::table(Pfn mfn) { return static_cast<uint64_t*>(layout::phys_to_virt(mfn << kPageShift)); }
// Reference-counted RAM: E820 RAM above the first MiB (which Xen's dom_io owns, so the
// hardware domain maps it as I/O), including the hypervisor's own memory.
bool pv::FrameAccess::is_ram(Pfn mfn) const { return is_ram_frame(mfn); }

constinit pv::PageTypes* detail::page_types_instance = nullptr;

void page_types_init() { detail::page_types_instance = new (storage) pv::PageTypes({&frame_info(0), max_pfn()}, access); }

}  // namespace hv
