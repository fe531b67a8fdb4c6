#include "arch/x86_64/pv/gdt.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/paging.hpp"
#include "domain/domain.hpp"
#include "domain/page_types_glue.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "seam/panic.hpp"

namespace hv {
namespace {

uint64_t zero_page_phys = 0;

uint64_t window_of(const PerCpu& cpu) { return layout::kGdtWindowBase + cpu.id * layout::kGdtWindowSize; }

void map_window_page(const PerCpu& cpu, unsigned page, uint64_t phys, bool writable) {
    const uint64_t flags = writable ? arch::kMapData : arch::kMapReadOnly;
    if (arch::paging_set_page(window_of(cpu) + page * kPageSize, phys, flags & ~arch::kPteGlobal) != Status::Ok)
        panic("gdt: cannot map CPU %u's GDT window", cpu.id);
}

}  // namespace

void gdt_window_init(PerCpu& cpu) {
    static TicketLock zero_lock;
    {
        LockGuard guard(zero_lock);
        if (zero_page_phys == 0) {
            void* zero = allocate_pages(0);
            if (zero == nullptr)
                panic("gdt: no memory for the zero page");
            zero_page_phys = layout::virt_to_phys(zero);
        }
    }
    for (unsigned i = 0; i < kGuestGdtFrames; ++i)
        map_window_page(cpu, i, zero_page_phys, false);
    map_window_page(cpu, kGuestGdtFrames, layout::virt_to_phys(cpu.descriptors.gdt_reserved_page), true);
    const arch::DescriptorPointer gdtr{static_cast<uint16_t>((kGuestGdtFrames + 1) * kPageSize - 1), window_of(cpu)};
    arch::lgdt(gdtr);
    for (auto& f : cpu.gdt_mapped)
        f = 0;
}

void gdt_load_guest(PerCpu& cpu, const Vcpu& v) {
    const unsigned frames = (v.pv.gdt_entries + 511) / 512;
    for (unsigned i = 0; i < kGuestGdtFrames; ++i) {
        const Pfn want = i < frames ? v.pv.gdt_frames[i] : 0;
        if (cpu.gdt_mapped[i] == want)
            continue;
        map_window_page(cpu, i, want != 0 ? want << kPageShift : zero_page_phys, want != 0);
        cpu.gdt_mapped[i] = want;
    }
}

Status gdt_set(Vcpu& v, const Pfn* frames, unsigned entries) {
    if (entries > kGuestGdtEntries)
        return Status::InvalidArgument;
    const unsigned count = (entries + 511) / 512;
    const uint16_t id = v.domain().id();
    for (unsigned i = 0; i < count; ++i) {
        if (Status s = page_types().get_page_and_type(frames[i], pv::PageType::SegDesc, id); s != Status::Ok) {
            while (i-- > 0)
                page_types().put_page_and_type(frames[i]);
            return Status::InvalidArgument;
        }
    }
    const unsigned old_count = (v.pv.gdt_entries + 511) / 512;
    for (unsigned i = 0; i < old_count; ++i)
        page_types().put_page_and_type(v.pv.gdt_frames[i]);
    for (unsigned i = 0; i < 16; ++i)
        v.pv.gdt_frames[i] = i < count ? frames[i] : 0;
    v.pv.gdt_entries = entries;
    return Status::Ok;
}

}  // namespace hv
