#include "domain_builder.hpp"

#include "elf_image.hpp"
#include "foreign_window.hpp"
#include "hypercall.hpp"
#include "paging.hpp"
#include "xen_control.hpp"

#include "hypercall/public/memory.hpp"
#include "hypercall/public/shared_info.hpp"
#include "hypercall/public/start_info.hpp"
#include "hypercall/public/trap.hpp"
#include "hypercall/public/x86_64.hpp"

namespace guest {
namespace {

using xen::Errno;

// Largest domain this builder makes (the p2m array below is sized for it).
constexpr uint64_t max_pages = 8192;  // 32 MiB
constexpr uint64_t entries_per_table = 512;
constexpr uint64_t four_mib = 4ull << 20;
constexpr uint64_t two_mib = 2ull << 20;
// Upper-level entries as toolstacks write them; L1 entries without USER (Xen adds it
// for 64-bit PV kernels) and without RW for frames that hold page tables.
constexpr uint64_t upper_flags = pte_present | pte_writable | pte_user | pte_accessed | pte_dirty;
constexpr uint64_t l1_flags = pte_present | pte_writable | pte_accessed;
constexpr uint64_t l1_readonly_flags = pte_present | pte_accessed;

constinit uint64_t g_p2m[max_pages];
constinit xen::VcpuGuestContext g_context{};

struct Layout {
    uint64_t image_pages;
    uint64_t p2m_pfn, p2m_pages;
    uint64_t start_info_pfn;
    uint64_t pt_pfn, nr_pt;  // L4, L3, L2, then nr_l1 L1s
    uint64_t nr_l1;
    uint64_t stack_pfn;
    uint64_t v_end;  // bytes
};

uint64_t pages_for(uint64_t bytes) {
    return (bytes + page_size - 1) / page_size;
}

// Xen's dom0 builder's fixed point: grow the table count until the tables map
// everything up to the 4 MiB-rounded end of the boot stack.
bool plan_layout(const ElfImage& image, uint64_t nr_pages, Layout* out) {
    Layout l{};
    l.image_pages = pages_for(image.paddr_end);
    l.p2m_pfn = l.image_pages;
    l.p2m_pages = pages_for(nr_pages * sizeof(uint64_t));
    l.start_info_pfn = l.p2m_pfn + l.p2m_pages;
    l.pt_pfn = l.start_info_pfn + 1;
    for (l.nr_pt = 4;; ++l.nr_pt) {
        l.stack_pfn = l.pt_pfn + l.nr_pt;
        l.v_end = ((l.stack_pfn + 1) * page_size + four_mib - 1) & ~(four_mib - 1);
        l.nr_l1 = (l.v_end + two_mib - 1) / two_mib;
        if (3 + l.nr_l1 <= l.nr_pt)
            break;
    }
    // One L2 maps 1 GiB: plenty for the sizes allowed here.
    if (l.nr_l1 > entries_per_table || l.v_end / page_size > nr_pages)
        return false;
    *out = l;
    return true;
}

int64_t domctl(xenctl::Domctl* op) {
    return hypercall1(xen::Hypercall::domctl, op);
}

xenctl::Domctl make_domctl(xenctl::DomctlCmd cmd, uint16_t domid) {
    xenctl::Domctl op{};
    op.cmd = xen::raw(cmd);
    op.interface_version = xenctl::domctl_interface_version;
    op.domain = domid;
    return op;
}

int64_t populate(uint16_t domid, uint64_t nr_pages) {
    constexpr uint64_t batch = 512;
    for (uint64_t first = 0; first < nr_pages; first += batch) {
        const uint64_t count = nr_pages - first < batch ? nr_pages - first : batch;
        for (uint64_t i = 0; i < count; ++i)
            g_p2m[first + i] = first + i;  // in: PFNs; out: the MFNs backing them
        xen::MemoryReservation reservation{};
        reservation.extent_start = reinterpret_cast<uint64_t>(&g_p2m[first]);
        reservation.nr_extents = count;
        reservation.extent_order = 0;
        reservation.domid = domid;
        const int64_t rc = memory_op(xen::MemoryOp::populate_physmap, &reservation);
        if (rc < 0)
            return rc;
        if (static_cast<uint64_t>(rc) != count)
            return xen::error_return(Errno::enomem);
    }
    return 0;
}

bool is_page_table_pfn(const Layout& l, uint64_t pfn) {
    return pfn >= l.pt_pfn && pfn < l.pt_pfn + 3 + l.nr_l1;
}

// Contents of the PFN at `pfn` of the new domain, written into `page` (zeroed).
void fill_page(const ElfImage& image, const Layout& l, const DomainSpec& spec, const BuiltDomain& built,
               uint64_t pfn, uint8_t* page) {
    auto* entries = reinterpret_cast<uint64_t*>(page);
    if (pfn < l.image_pages) {
        copy_elf_page(image, pfn, page);
    } else if (pfn >= l.p2m_pfn && pfn < l.p2m_pfn + l.p2m_pages) {
        const uint64_t first = (pfn - l.p2m_pfn) * entries_per_table;
        for (uint64_t i = 0; i < entries_per_table && first + i < spec.nr_pages; ++i)
            entries[i] = g_p2m[first + i];
    } else if (pfn == l.start_info_pfn) {
        auto* si = reinterpret_cast<xen::StartInfo*>(page);
        __builtin_memcpy(si->magic, xen::start_info_magic_prefix, sizeof(xen::start_info_magic_prefix));
        si->nr_pages = spec.nr_pages;
        si->shared_info = built.shared_info_mfn << 12;
        si->flags = 0;
        si->pt_base = test_guest_virt_base + l.pt_pfn * page_size;
        si->nr_pt_frames = l.nr_pt;
        si->mfn_list = test_guest_virt_base + l.p2m_pfn * page_size;
        size_t n = 0;
        for (; spec.cmdline != nullptr && spec.cmdline[n] != 0 && n + 1 < sizeof(si->cmd_line); ++n)
            si->cmd_line[n] = spec.cmdline[n];
        si->cmd_line[n] = 0;
    } else if (pfn == l.pt_pfn) {  // L4: slot 511 -> L3
        entries[(test_guest_virt_base >> 39) & 511] = make_pte(g_p2m[l.pt_pfn + 1], upper_flags);
    } else if (pfn == l.pt_pfn + 1) {  // L3: slot 510 -> L2
        entries[(test_guest_virt_base >> 30) & 511] = make_pte(g_p2m[l.pt_pfn + 2], upper_flags);
    } else if (pfn == l.pt_pfn + 2) {  // L2: one entry per L1
        const uint64_t first = (test_guest_virt_base >> 21) & 511;
        for (uint64_t i = 0; i < l.nr_l1; ++i)
            entries[first + i] = make_pte(g_p2m[l.pt_pfn + 3 + i], upper_flags);
    } else if (pfn >= l.pt_pfn + 3 && pfn < l.pt_pfn + 3 + l.nr_l1) {  // L1s
        const uint64_t first = (pfn - (l.pt_pfn + 3)) * entries_per_table;
        for (uint64_t i = 0; i < entries_per_table; ++i) {
            const uint64_t mapped = first + i;
            if (mapped * page_size >= l.v_end)
                break;
            entries[i] = make_pte(g_p2m[mapped], is_page_table_pfn(l, mapped) ? l1_readonly_flags : l1_flags);
        }
    }
    // The boot stack and the padding stay zero.
}

int64_t write_memory(ForeignWindow& window, const ElfImage& image, const Layout& l, const DomainSpec& spec,
                     const BuiltDomain& built) {
    for (uint64_t pfn = 0; pfn <= l.stack_pfn; ++pfn) {
        if (const int64_t rc = window.map(spec.domid, g_p2m[pfn]); rc != 0)
            return rc;
        __builtin_memset(window.bytes(), 0, page_size);
        fill_page(image, l, spec, built, pfn, window.bytes());
    }
    // shared_info as toolstacks leave it: zero, every legacy vCPU's events masked.
    if (const int64_t rc = window.map(spec.domid, built.shared_info_mfn); rc != 0)
        return rc;
    __builtin_memset(window.bytes(), 0, page_size);
    auto* shared = reinterpret_cast<xen::SharedInfo*>(window.bytes());
    for (uint32_t i = 0; i < xen::legacy_max_vcpus; ++i)
        shared->vcpu_info[i].evtchn_upcall_mask = 1;
    return window.unmap();
}

int64_t set_context(const Layout& l, const ElfImage& image, uint16_t domid) {
    g_context = {};
    xen::VcpuGuestContext& c = g_context;
    c.flags = xen::vgcf::in_kernel | xen::vgcf::online;
    c.user_regs.rip = image.entry;
    c.user_regs.rsp = test_guest_virt_base + (l.stack_pfn + 1) * page_size;
    c.user_regs.rsi = test_guest_virt_base + l.start_info_pfn * page_size;
    c.user_regs.rflags = 0x200;
    c.user_regs.cs = xen::flat_kernel_cs;
    c.user_regs.ss = xen::flat_kernel_ss;
    c.kernel_ss = xen::flat_kernel_ss;
    c.kernel_sp = c.user_regs.rsp;
    c.ctrlreg[3] = g_p2m[l.pt_pfn] << 12;
    c.debugreg[6] = 0xffff0ff0;
    c.debugreg[7] = 0x400;
    auto op = make_domctl(xenctl::DomctlCmd::setvcpucontext, domid);
    op.u.vcpucontext.vcpu = 0;
    op.u.vcpucontext.ctxt = reinterpret_cast<uint64_t>(&g_context);
    return domctl(&op);
}

// Everything after createdomain; the caller destroys the domain if this fails.
int64_t build_created(const DomainSpec& spec, const ElfImage& image, const Layout& l, BuiltDomain* built,
                      const char** why) {
    auto op = make_domctl(xenctl::DomctlCmd::max_vcpus, spec.domid);
    op.u.max_vcpus = 1;
    *why = "max_vcpus";
    if (const int64_t rc = domctl(&op); rc != 0)
        return rc;

    op = make_domctl(xenctl::DomctlCmd::max_mem, spec.domid);
    op.u.max_memkb = spec.nr_pages * (page_size / 1024) + 1024;  // libxl's slack
    *why = "max_mem";
    if (const int64_t rc = domctl(&op); rc != 0)
        return rc;

    op = make_domctl(xenctl::DomctlCmd::getdomaininfo, spec.domid);
    *why = "getdomaininfo";
    if (const int64_t rc = domctl(&op); rc != 0)
        return rc;
    built->shared_info_mfn = op.u.getdomaininfo.shared_info_frame;

    *why = "populate_physmap";
    if (const int64_t rc = populate(spec.domid, spec.nr_pages); rc != 0)
        return rc;

    ForeignWindow window;
    *why = "foreign window";
    if (!window.open())
        return xen::error_return(Errno::enomem);
    *why = "writing the domain's memory";
    const int64_t written = write_memory(window, image, l, spec, *built);
    window.close();
    if (written != 0)
        return written;

    xen::MmuextOp pin{};
    pin.cmd = xen::raw(xen::MmuextCmd::pin_l4_table);
    pin.arg1.mfn = g_p2m[l.pt_pfn];
    *why = "pin L4";
    if (const int64_t rc = mmuext_op(&pin, 1, nullptr, spec.domid); rc != 0)
        return rc;

    *why = "setvcpucontext";
    if (const int64_t rc = set_context(l, image, spec.domid); rc != 0)
        return rc;

    op = make_domctl(xenctl::DomctlCmd::unpausedomain, spec.domid);
    *why = "unpausedomain";
    return domctl(&op);
}

}  // namespace

int64_t build_pv_domain_on_xen(const DomainSpec& spec, BuiltDomain* out, const char** why) {
    ElfImage image{};
    *why = parse_elf_image(spec.image, spec.image_size, test_guest_virt_base, &image);
    if (*why != nullptr)
        return xen::error_return(Errno::einval);
    Layout layout{};
    *why = "layout does not fit the memory size";
    if (spec.nr_pages == 0 || spec.nr_pages > max_pages || !plan_layout(image, spec.nr_pages, &layout))
        return xen::error_return(Errno::einval);

    auto op = make_domctl(xenctl::DomctlCmd::createdomain, spec.domid);
    xenctl::CreateDomain& config = op.u.createdomain;
    config.flags = 0;  // PV
    config.max_vcpus = 1;
    config.max_evtchn_port = 1023;
    config.max_grant_frames = 4;
    config.max_maptrack_frames = -1;
    config.grant_opts = 1;  // grant table v1 only
    *why = "createdomain";
    if (const int64_t rc = domctl(&op); rc != 0)
        return rc;

    BuiltDomain built{op.domain, spec.nr_pages, layout.v_end, layout.nr_pt, 0};
    DomainSpec created = spec;
    created.domid = op.domain;
    const int64_t rc = build_created(created, image, layout, &built, why);
    if (rc != 0) {
        auto destroy = make_domctl(xenctl::DomctlCmd::destroydomain, created.domid);
        (void)domctl(&destroy);
        return rc;
    }
    *out = built;
    *why = nullptr;
    return 0;
}

}  // namespace guest
