#include "domain/builder.hpp"

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/paging.hpp"
#include "domain/page_types_glue.hpp"
#include "domain/scheduler.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/start_info.hpp"
#include "image/kernel_image.hpp"
#include "image/xen_image.hpp"
#include "kernel/log.hpp"
#include "kernel/m2p.hpp"
#include "kernel/memory.hpp"
#include "pv/dom0_layout.hpp"

namespace hv {
namespace {

constexpr uint64_t kL1Prot = arch::kPtePresent | arch::kPteWritable | arch::kPteUser | arch::kPteAccessed;
constexpr uint64_t kUpperProt = kL1Prot | arch::kPteDirty;
constexpr uint64_t kGuestKernelBit = 1ull << 52;  // Xen's marker for guest-kernel-only pages
constexpr unsigned kPmBits = 3;                   // XEN_PROCESSOR_PM_CX | PX, as Xen 4.17 reports

// Scratch buffers from the buddy allocator, returned on every exit path.
class PageBuffer {
public:
    explicit PageBuffer(uint64_t bytes) : order_(order_for_bytes(bytes)) {
        data_ = static_cast<uint8_t*>(allocate_pages(order_));
    }
    ~PageBuffer() {
        if (data_ != nullptr)
            free_pages(data_, order_);
    }
    PageBuffer(const PageBuffer&) = delete;
    PageBuffer& operator=(const PageBuffer&) = delete;
    uint8_t* data() const { return data_; }
    uint64_t size() const { return kPageSize << order_; }

private:
    unsigned order_ = 0;
    uint8_t* data_ = nullptr;
};

struct Build {
    Domain* domain = nullptr;
    pv::Layout layout{};
    image::XenImageInfo info{};
    uint64_t* p2m = nullptr;      // PFN -> MFN, scratch copy of what the guest's array gets
    uint64_t nr_pages = 0;
    uint64_t next_pfn = 0;
    uint64_t p2m_tables = 0;      // INIT_P2M: page-table frames mapping the p2m
    const char* why = nullptr;

    void* frame(uint64_t pfn) const { return layout::phys_to_virt(p2m[pfn] << kPageShift); }
    void* at(uint64_t va) const {
        return static_cast<uint8_t*>(frame(layout.pfn_of(va))) + (va & (kPageSize - 1));
    }
};

uint64_t default_memory_pages(uint64_t reserve_pages) {
    // Leave the hypervisor a sixteenth of free memory, at least 64 MiB, as headroom.
    const uint64_t free = frame_allocator().free_frames();
    const uint64_t keep = (free / 16 > (64u << 8) ? free / 16 : (64u << 8)) + reserve_pages;
    return free > keep ? free - keep : 0;
}

// Gives `count` frames starting at `mfn` to the domain as PFNs [pfn, pfn + count).
Status give_frames(Build& b, Pfn mfn, uint64_t pfn, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) {
        HV_TRY(page_types().assign(mfn + i, b.domain->id()));
        ++b.domain->tot_pages;
        b.p2m[pfn + i] = mfn + i;
        m2p_set(mfn + i, pfn + i);
    }
    return Status::Ok;
}

// Frames for a domU are zeroed (it must never see another domain's or the hypervisor's
// data). Dom0's are not, as Xen's dom0 builder allocates them with MEMF_no_scrub: the
// hardware domain is trusted, everything the builder hands over with meaning (page tables,
// start_info, p2m, the kernel with its zero-filled bss) is written explicitly, and under
// emulation zeroing 512 MiB costs seconds of boot time.
Status allocate_memory(Build& b, uint64_t initrd_phys) {
    const bool zero = !b.domain->privileged();
    auto chunk = frame_allocator().allocate(b.layout.order, BuddyAllocator::kNoLimit, zero);
    if (!chunk.ok()) {
        b.why = "no contiguous memory for the initial mapping";
        return chunk.status();
    }
    HV_TRY(give_frames(b, *chunk, 0, 1ull << b.layout.order));
    b.next_pfn = 1ull << b.layout.order;
    if (b.info.mod_start_pfn && b.layout.initrd_pages != 0) {
        // The initrd module's frames are donated in place (no copy), as Xen does.
        HV_TRY(give_frames(b, initrd_phys >> kPageShift, b.next_pfn, b.layout.initrd_pages));
        b.next_pfn += b.layout.initrd_pages;
    }
    while (b.next_pfn < b.nr_pages) {
        unsigned order = BuddyAllocator::kMaxOrder;
        while ((1ull << order) > b.nr_pages - b.next_pfn)
            --order;
        auto block = frame_allocator().allocate(order, BuddyAllocator::kNoLimit, zero);
        while (!block.ok() && order > 0)
            block = frame_allocator().allocate(--order, BuddyAllocator::kNoLimit, zero);
        if (!block.ok()) {
            b.why = "not enough memory for the requested domain size";
            return Status::OutOfMemory;
        }
        HV_TRY(give_frames(b, *block, b.next_pfn, 1ull << order));
        b.next_pfn += 1ull << order;
    }
    return Status::Ok;
}

// Writes kernel segments page by page into the domain's frames (PFN order = VA order).
class DomainSink final : public image::SegmentSink {
public:
    explicit DomainSink(Build& b) : b_(b) {}
    Status write(uint64_t va, std::span<const uint8_t> bytes) override { return copy(va, bytes.data(), bytes.size()); }
    Status zero(uint64_t va, uint64_t length) override { return copy(va, nullptr, length); }

private:
    Status copy(uint64_t va, const uint8_t* src, uint64_t length) {
        if (va < b_.layout.v_start || va + length > b_.layout.v_end || va + length < va)
            return Status::Range;
        for (uint64_t off = 0; off < length;) {
            const uint64_t in_page = kPageSize - ((va + off) & (kPageSize - 1));
            const uint64_t n = in_page < length - off ? in_page : length - off;
            auto* dst = static_cast<uint8_t*>(b_.at(va + off));
            if (src != nullptr)
                __builtin_memcpy(dst, src + off, n);
            else
                __builtin_memset(dst, 0, n);
            off += n;
        }
        return Status::Ok;
    }
    Build& b_;
};

// Page tables for [v_start, v_end) in Xen's order (L4, L1, L2, L3, L1, ...), with the
// page-table pages themselves mapped read-only.
Status build_page_tables(Build& b) {
    const pv::Layout& l = b.layout;
    uint64_t next_table_va = l.vpt_start;
    auto new_table = [&]() -> uint64_t* {
        auto* t = static_cast<uint64_t*>(b.at(next_table_va));
        __builtin_memset(t, 0, kPageSize);
        next_table_va += kPageSize;
        return t;
    };
    auto mfn_of = [&](const uint64_t* table) { return layout::virt_to_phys(table) >> kPageShift; };

    uint64_t* l4 = new_table();
    uint64_t* l3 = nullptr;
    uint64_t* l2 = nullptr;
    uint64_t* l1 = nullptr;
    for (uint64_t va = l.v_start; va < l.v_end; va += kPageSize) {
        const unsigned i4 = (va >> 39) & 511, i3 = (va >> 30) & 511, i2 = (va >> 21) & 511, i1 = (va >> 12) & 511;
        if (l1 == nullptr || i1 == 0) {
            l1 = new_table();
            if (l2 == nullptr || i2 == 0) {
                l2 = new_table();
                if (l3 == nullptr || i3 == 0) {
                    l3 = new_table();
                    l4[i4] = (mfn_of(l3) << kPageShift) | kUpperProt;
                }
                l3[i3] = (mfn_of(l2) << kPageShift) | kUpperProt;
            }
            l2[i2] = (mfn_of(l1) << kPageShift) | kUpperProt;
        }
        uint64_t flags = kL1Prot | kGuestKernelBit;
        if (va >= l.vpt_start && va < l.vpt_end)
            flags &= ~arch::kPteWritable;
        l1[i1] = (b.p2m[l.pfn_of(va)] << kPageShift) | flags;
    }
    if (next_table_va > l.vpt_end) {
        b.why = "page-table area too small (layout bug)";
        return Status::Range;
    }
    uint64_t slots[16];
    arch::paging_hypervisor_slots(slots);
    for (unsigned i = 0; i < 16; ++i)
        l4[256 + i] = slots[i];
    return Status::Ok;
}

void write_p2m(Build& b) {
    if (b.info.init_p2m == 0) {
        // Without INIT_P2M the array sits inside the initial mapping.
        for (uint64_t pfn = 0; pfn < b.nr_pages; ++pfn)
            *static_cast<uint64_t*>(b.at(b.layout.vphysmap_start + pfn * 8)) = b.p2m[pfn];
        return;
    }
    // With it, in its own frames (PFNs from first_p2m_pfn), mapped by map_init_p2m; the
    // rest of the last frame says "no frame" (dom0's frames are not zeroed).
    for (uint64_t page = 0; page < b.layout.p2m_pages; ++page) {
        auto* entries = static_cast<uint64_t*>(b.frame(b.layout.p2m_first_pfn + page));
        for (uint64_t i = 0, pfn = page * 512; i < 512; ++i, ++pfn)
            entries[i] = pfn < b.nr_pages ? b.p2m[pfn] : ~uint64_t{0};
    }
}

// INIT_P2M: maps the p2m frames at vphysmap_start with page tables taken from the PFNs
// after the array (4 KiB pages, P|RW|US|A|D as Xen maps it; Linux later write-protects it
// itself). Shares upper tables with the initial mapping if they meet in one L4 slot.
void map_init_p2m(Build& b) {
    auto* l4 = static_cast<uint64_t*>(b.at(b.layout.vpt_start));
    uint64_t next_table_pfn = b.layout.p2m_first_pfn + b.layout.p2m_pages;
    auto table_under = [&](uint64_t* parent, unsigned index) {
        if ((parent[index] & arch::kPtePresent) == 0) {
            const Pfn mfn = b.p2m[next_table_pfn++];
            __builtin_memset(layout::phys_to_virt(mfn << kPageShift), 0, kPageSize);
            parent[index] = (mfn << kPageShift) | kUpperProt;
        }
        return static_cast<uint64_t*>(layout::phys_to_virt(parent[index] & 0x000ffffffffff000ull));
    };
    for (uint64_t i = 0; i < b.layout.p2m_pages; ++i) {
        const uint64_t va = b.layout.vphysmap_start + i * kPageSize;
        uint64_t* l3 = table_under(l4, (va >> 39) & 511);
        uint64_t* l2 = table_under(l3, (va >> 30) & 511);
        uint64_t* l1 = table_under(l2, (va >> 21) & 511);
        l1[(va >> 12) & 511] = (b.p2m[b.layout.p2m_first_pfn + i] << kPageShift) | kUpperProt;
    }
}

void write_start_info(Build& b, const BuildRequest& req, uint64_t initrd_bytes) {
    auto* si = static_cast<xen::StartInfo*>(b.at(b.layout.vstartinfo_start));
    __builtin_memset(si, 0, sizeof(*si));
    const char* magic = b.info.pae_yes ? "xen-3.0-x86_64p" : "xen-3.0-x86_64";
    for (unsigned i = 0; magic[i] != 0; ++i)
        si->magic[i] = magic[i];
    si->nr_pages = b.nr_pages;
    si->shared_info = b.domain->shared_info_mfn() << kPageShift;
    uint32_t flags = kPmBits << 8;
    if (req.config.privileged)
        flags |= xen::sif::privileged | xen::sif::initdomain;
    if (b.info.mod_start_pfn && initrd_bytes != 0)
        flags |= xen::sif::mod_start_pfn;
    si->flags = flags;
    si->pt_base = b.layout.vpt_start;
    si->nr_pt_frames = b.layout.nr_pt_frames;
    si->mfn_list = b.layout.vphysmap_start;
    if (initrd_bytes != 0) {
        si->mod_start = b.info.mod_start_pfn ? b.layout.initrd_pfn : b.layout.vinitrd_start;
        si->mod_len = initrd_bytes;
    }
    const size_t n = req.cmdline.size() < sizeof(si->cmd_line) - 1 ? req.cmdline.size() : sizeof(si->cmd_line) - 1;
    for (size_t i = 0; i < n; ++i)
        si->cmd_line[i] = req.cmdline[i];
    si->first_p2m_pfn = b.layout.p2m_first_pfn;
    si->nr_p2m_frames = b.info.init_p2m != 0 ? b.layout.p2m_pages + b.p2m_tables : 0;
}

// Hypercall page (only for kernels that declare one): 32-byte stubs that issue `syscall`
// with the hypercall number in eax; iret's stub pushes rax first (spec §3.2).
void write_hypercall_page(Build& b) {
    auto* page = static_cast<uint8_t*>(b.at(b.info.hypercall_page & ~(kPageSize - 1)));
    __builtin_memset(page, 0xcc, kPageSize);
    for (uint32_t nr = 0; nr < kPageSize / 32; ++nr) {
        uint8_t* p = page + nr * 32;
        unsigned i = 0;
        p[i++] = 0x51;                      // push %rcx
        p[i++] = 0x41, p[i++] = 0x53;       // push %r11
        if (nr == xen::raw(xen::Hypercall::iret))
            p[i++] = 0x50;                  // push %rax
        p[i++] = 0xb8;                      // mov $nr, %eax
        for (int k = 0; k < 4; ++k)
            p[i++] = static_cast<uint8_t>(nr >> (8 * k));
        p[i++] = 0x0f, p[i++] = 0x05;       // syscall
        if (nr != xen::raw(xen::Hypercall::iret)) {
            p[i++] = 0x41, p[i++] = 0x5b;   // pop %r11
            p[i++] = 0x59;                  // pop %rcx
            p[i++] = 0xc3;                  // ret
        }
    }
}

void set_entry_state(Build& b) {
    Vcpu& v = *b.domain->vcpu(0);
    arch::CpuRegs& r = v.pv.regs;
    r = {};
    r.rip = b.info.entry;
    r.rsp = b.layout.vstack_end;
    r.rsi = b.layout.vstartinfo_start;
    r.cs = HV_GUEST_CS64;
    r.ss = HV_GUEST_DS;
    r.rflags = 0x200;
    v.pv.kernel_mode = true;
    v.online.store(true);
}

// Memory, contents and validated page tables of a created domain (steps 2-4 below). On
// failure the caller tears the domain down.
Status fill_domain(Build& b, const BuildRequest& req, std::span<const uint8_t> elf, const char** why) {
    DomainSink sink(b);
    if (Status s = allocate_memory(b, req.initrd_phys); s != Status::Ok) {
        *why = b.why ? b.why : "cannot give memory to the domain";
        return s;
    }

    // 3. Contents: kernel, initrd (if mapped), p2m, start_info, page tables, hypercall page.
    if (Status s = image::load_segments(elf, b.info, sink, why); s != Status::Ok)
        return s;
    if (!b.info.mod_start_pfn && req.initrd_bytes != 0) {
        const auto* src = static_cast<const uint8_t*>(layout::phys_to_virt(req.initrd_phys));
        for (uint64_t off = 0; off < req.initrd_bytes; ++off)
            *static_cast<uint8_t*>(b.at(b.layout.vinitrd_start + off)) = src[off];
    }
    write_p2m(b);
    write_start_info(b, req, req.initrd_bytes);
    if (b.info.has_hypercall_page)
        write_hypercall_page(b);
    if (Status s = build_page_tables(b); s != Status::Ok) {
        *why = b.why;
        return s;
    }
    if (b.info.init_p2m != 0)
        map_init_p2m(b);

    // 4. Validate everything through the page-type core: pinning the L4 validates the
    // tree; the vCPU's CR3 holds its own L4 reference.
    const Pfn l4 = b.p2m[b.layout.pfn_of(b.layout.vpt_start)];
    if (Status s = page_types().pin(l4, pv::PageType::L4, b.domain->id()); s != Status::Ok) {
        *why = "initial page tables failed validation";
        return s;
    }
    if (Status s = page_types().get_page_and_type(l4, pv::PageType::L4, b.domain->id()); s != Status::Ok) {
        *why = "cannot reference the initial L4";
        return s;
    }
    b.domain->vcpu(0)->pv.guest_table = l4;
    set_entry_state(b);

    return Status::Ok;
}

}  // namespace

Result<Domain*> build_pv_domain(const BuildRequest& req, const char** why) {
    *why = "internal error";
    // 1. The image: unpack into a scratch buffer unless it is a plain ELF already.
    auto size = image::unpacked_size_hint(req.kernel, why);
    if (!size.ok())
        return size.status();
    PageBuffer unpacked(*size);
    std::span<const uint8_t> elf = req.kernel;
    if (image::detect_payload_format(req.kernel) != image::PayloadFormat::Elf) {
        if (unpacked.data() == nullptr) {
            *why = "no memory to unpack the kernel";
            return Status::OutOfMemory;
        }
        auto n = image::unpack_kernel(req.kernel, {unpacked.data(), unpacked.size()}, why);
        if (!n.ok())
            return n.status();
        elf = {unpacked.data(), *n};
    }
    Build b;
    auto info = image::parse_xen_image(elf, why);
    if (!info.ok())
        return info.status();
    b.info = *info;
    if (req.config.privileged) {
        if (Status s = image::check_dom0_allowed(b.info, why); s != Status::Ok)
            return s;
    }

    // 2. Layout and memory.
    b.nr_pages = req.memory_bytes != 0 ? req.memory_bytes >> kPageShift : default_memory_pages(req.reserve_bytes >> kPageShift);
    pv::LayoutInput in{};
    in.virt_base = b.info.virt_base;
    in.virt_kstart = b.info.virt_kstart;
    in.virt_kend = b.info.virt_kend;
    in.init_p2m = b.info.init_p2m;
    in.mod_start_pfn = b.info.mod_start_pfn;
    in.initrd_bytes = req.initrd_bytes;
    in.nr_pages = b.nr_pages;
    in.start_info_bytes = sizeof(xen::StartInfo) + (req.config.privileged ? sizeof(xen::DomainZeroVgaConsoleInfo) : 0);
    auto layout = pv::compute_layout(in);
    if (!layout.ok()) {
        *why = layout.status() == Status::OutOfMemory ? "domain memory too small for the kernel image"
                                                      : "kernel layout does not fit the address space";
        return layout.status();
    }
    b.layout = *layout;
    if (b.info.init_p2m != 0) {
        // The p2m gets its own mapping at INIT_P2M (spec §2.3): its frames and the page
        // tables mapping it come right after the initrd's PFNs.
        const uint64_t start = b.layout.vphysmap_start, end = b.layout.vphysmap_end;
        const unsigned slot = (start >> 39) & 511;
        if ((start & (kPageSize - 1)) != 0 || !layout::is_canonical(start) || !layout::is_canonical(end - 1) ||
            (slot >= 256 && slot < 272)) {
            *why = "XEN_ELFNOTE_INIT_P2M is not a usable guest address";
            return Status::InvalidArgument;
        }
        b.p2m_tables = pv::regions_touched(start, end, 39) + pv::regions_touched(start, end, 30) +
                       pv::regions_touched(start, end, 21);
        if (b.layout.p2m_first_pfn + b.layout.p2m_pages + b.p2m_tables > b.nr_pages) {
            *why = "domain memory too small for the p2m";
            return Status::OutOfMemory;
        }
    }
    PageBuffer p2m(b.nr_pages * sizeof(uint64_t));
    if (p2m.data() == nullptr) {
        *why = "no memory for the p2m";
        return Status::OutOfMemory;
    }
    b.p2m = reinterpret_cast<uint64_t*>(p2m.data());

    auto domain = domain_create(req.config);
    if (!domain.ok()) {
        *why = "cannot create the domain";
        return domain.status();
    }
    b.domain = *domain;
    if (Status s = fill_domain(b, req, elf, why); s != Status::Ok) {
        detail::domain_teardown(*b.domain);  // returns every frame it was given
        return s;
    }

    LOG_INFO("d%u: %s kernel, entry %#llx, %llu pages (%llu MiB), initial mapping [%#llx, %#llx), %llu page-table frames",
             b.domain->id(), b.info.guest_os, static_cast<unsigned long long>(b.info.entry),
             static_cast<unsigned long long>(b.nr_pages), static_cast<unsigned long long>(b.nr_pages >> 8),
             static_cast<unsigned long long>(b.layout.v_start), static_cast<unsigned long long>(b.layout.v_end),
             static_cast<unsigned long long>(b.layout.nr_pt_frames));
    *why = nullptr;
    return b.domain;
}

}  // namespace hv
