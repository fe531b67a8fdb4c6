// pvtest's hostile mode: seeded random hypercalls 0-63 with hostile arguments. The
// hypervisor must survive and keep the guest alive, since nothing the guest asks for
// here legitimately ends it. Arguments come from hostile_arena (interesting values,
// pointers into our own pages, our page tables, the hypervisor range, non-canonical
// addresses), shaped per hypercall so that the guest never asks for its own death:
//
//   excluded outright   iret (23), kexec_op (37), sched_op shutdown/block/poll/
//                       remote_shutdown/shutdown_code/watchdog, sched_op_compat other
//                       than yield, vcpu_op down of vCPU 0, console_io writes (log
//                       noise), physdev apic_write (the hypervisor's IOAPIC) and PCI
//                       device management (Xen 4.17 trusts dom0 there: prepare_msix on a
//                       device dom0 added without MSI-X is a NULL dereference), hypfs writes
//   made harmless       mmuext NEW_BASEPTR always names an invalid frame; an NMI
//                       callback (callback_op, nmi_op) is ours or non-canonical, since
//                       Xen may deliver an NMI on the way back from registering it; versioned
//                       structs (platform_op, sysctl, domctl, xsm, xenpmu, mca) carry a
//                       wrong interface version except for a few read-only platform ops;
//                       register_vcpu_info may only pick a page we reserved
//   repaired afterwards trap table and callbacks (set_trap_table, set_callbacks,
//                       callback_op, nmi_op), debug registers, CR0.TS, the upcall mask
//
// Every 1000 calls it prints progress; at the end `hostile-summary: N calls, guest alive`,
// then the domain powers off. `verbose` on the command line prints every call first.
#include "cases.hpp"
#include "hostile_arena.hpp"
#include "lib/format.hpp"
#include "modes.hpp"

namespace pvtest {
namespace {

using xen::Hypercall;
using hostile::PointerUse;
using hostile::Random;
using hostile::random_pointer;
using hostile::random_value;
using hostile::sanitize;

constexpr uint32_t xenpf_interface_version = 0x03000001;
constexpr uint64_t invalid_frame = (1ull << 40) - 1;

struct Call {
    uint64_t nr;
    uint64_t args[6];
};

struct Stats {
    uint64_t calls;
    uint64_t ok, enosys, einval, efault, eperm, other;
    uint64_t debug_traps, nmis, device_not_available;
};

constinit Stats g_stats{};
// Per hypercall number: calls, successes, -ENOSYS answers (top-level calls only).
constinit uint32_t g_per_number[64][3]{};
constinit Call g_last{};
constinit bool g_verbose = false;
constinit uint64_t g_vcpu_info_offset = ~0ull;

// A pointer no call can read through: NULL, a guard page, inside the hypervisor
// (outside the M2P), non-canonical, or the empty user half.
uint64_t invalid_pointer(Random& rng) {
    switch (rng.below(5)) {
        case 0: return 0;
        case 1: return hostile::arena().guards[rng.below(6)] + (rng.below(guest::page_size) & ~7ull);
        case 2: return 0xffff830000000000ull + (rng.below(1ull << 30) & ~7ull);
        case 3: return 0x8000000000000000ull | (rng.next() & 0x7ffffffffff8ull);
        default: return 0x1000 + (rng.below(1ull << 32) & ~7ull);
    }
}

// physdev_op commands that reprogram the host rather than the domain.
uint64_t safe_physdev_cmd(uint64_t cmd) {
    switch (cmd) {
        case 9:   // apic_write
        case 15:  // manage_pci_add
        case 16:  // manage_pci_remove
        case 19:  // restore_msi
        case 20:  // manage_pci_add_ext
        case 24:  // pci_mmcfg_reserved
        case 25:  // pci_device_add
        case 26:  // pci_device_remove
        case 27:  // restore_msi_ext
        case 30:  // prepare_msix
        case 31:  // release_msix
            return 5;  // irq_status_query
        default:
            return cmd;
    }
}

uint64_t sub_op(Random& rng, uint64_t max) {
    return rng.one_in(8) ? random_value(rng) : rng.below(max + 1);
}

// A versioned argument struct (u32 cmd; u32 interface_version; ...) with a version no
// interface uses, or a pointer the hypervisor cannot read a valid header from.
uint64_t versioned_struct(Random& rng) {
    if (rng.one_in(4))
        return invalid_pointer(rng);
    const uint64_t slot = hostile::general_slot(rng, 256);
    hostile::fill_random(rng, slot, 32);
    auto* words = reinterpret_cast<volatile uint64_t*>(slot);
    words[0] = (rng.below(64) & 0xffffffffu) | ((0xbad00000ull | rng.below(0x10000)) << 32);
    return slot;
}

uint64_t platform_op_struct(Random& rng) {
    // A few read-only ops with the right version: firmware_info (50), get_cpuinfo (55),
    // get_cpu_version (48).
    if (!rng.one_in(4))
        return versioned_struct(rng);
    static constexpr uint32_t safe[] = {50, 55, 48};
    const uint64_t slot = hostile::general_slot(rng, 256);
    hostile::fill_random(rng, slot, 32);
    auto* words = reinterpret_cast<volatile uint64_t*>(slot);
    words[0] = safe[rng.below(3)] | (static_cast<uint64_t>(xenpf_interface_version) << 32);
    words[1] = rng.below(8) | (rng.below(4) << 32);
    return slot;
}

uint64_t mmu_update_array(Random& rng, uint64_t* count) {
    const uint64_t n = 1 + rng.below(8);
    const uint64_t slots = guest::page_size / sizeof(xen::MmuUpdate);
    const uint64_t va = hostile::arena().updates + rng.below(slots - n + 1) * sizeof(xen::MmuUpdate);
    auto* requests = reinterpret_cast<volatile uint64_t*>(va);
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t ptr = rng.one_in(2) ? ((hostile::victim_mfn(rng) << 12) | (rng.below(512) * 8))
                                     : random_value(rng);
        ptr = (sanitize(rng, ptr) & ~3ull) | rng.below(4);
        requests[2 * i] = sanitize(rng, ptr);
        requests[2 * i + 1] = rng.one_in(2) ? hostile::victim_pte(rng) : random_value(rng);
    }
    *count = rng.one_in(8) ? random_value(rng) & 0xffffffffu : n;
    return va;
}

uint64_t mmuext_array(Random& rng, uint64_t* count) {
    const uint64_t n = 1 + rng.below(6);
    // Entries stay on a 24-byte grid so that an over-long count reads old entries whole,
    // never a command word made of an old argument.
    const uint64_t slots = guest::page_size / sizeof(xen::MmuextOp);
    const uint64_t va = hostile::arena().extended + rng.below(slots - n + 1) * sizeof(xen::MmuextOp);
    auto* ops = reinterpret_cast<volatile uint64_t*>(va);
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t cmd = rng.one_in(16) ? random_value(rng) & 0xffffffffu : rng.below(22);
        uint64_t arg1 = 0;
        switch (rng.below(4)) {
            case 0: arg1 = hostile::victim_mfn(rng); break;
            case 1: arg1 = hostile::victim_va(rng); break;
            default: arg1 = random_value(rng); break;
        }
        if ((cmd & 0xffffffffu) == xen::raw(xen::MmuextCmd::new_baseptr))
            arg1 = invalid_frame - rng.below(16);
        const uint64_t arg2 = rng.one_in(3) ? random_pointer(rng, PointerUse::readonly) : random_value(rng);
        ops[3 * i] = cmd | (rng.one_in(8) ? rng.next() << 32 : 0);
        ops[3 * i + 1] = sanitize(rng, arg1);
        ops[3 * i + 2] = sanitize(rng, arg2);
    }
    *count = rng.one_in(8) ? random_value(rng) & 0xffffffffu : n;
    return va;
}

uint64_t foreign_domain(Random& rng) {
    static constexpr uint64_t choices[] = {xen::domid_self, xen::domid_self, xen::domid_self, 0,
                                           xen::domid_io,   xen::domid_xen,  (1u << 16) | xen::domid_self};
    return rng.one_in(8) ? random_value(rng) : choices[rng.below(sizeof(choices) / sizeof(choices[0]))];
}

uint64_t choose_number(Random& rng, bool nested) {
    for (;;) {
        // Mostly the numbers something answers to (0-42, mca 48), sometimes any.
        uint64_t nr = rng.below(64);
        if (!rng.one_in(4))
            nr = rng.one_in(44) ? xen::raw(Hypercall::mca) : rng.below(43);
        if (nr == xen::raw(Hypercall::iret) || nr == xen::raw(Hypercall::kexec_op))
            continue;
        // In a batch the repairs after the call come too late for these.
        if (nested && (nr == xen::raw(Hypercall::set_trap_table) || nr == xen::raw(Hypercall::set_callbacks) ||
                       nr == xen::raw(Hypercall::callback_op) || nr == xen::raw(Hypercall::nmi_op)))
            continue;
        return nr;
    }
}

Call generate(Random& rng, bool nested);

uint64_t multicall_array(Random& rng, uint64_t* count) {
    const uint64_t n = 1 + rng.below(6);
    // On the 64-byte grid, for the same reason as the mmuext arrays.
    const uint64_t slots = guest::page_size / sizeof(xen::MulticallEntry);
    const uint64_t va = hostile::arena().multicalls + rng.below(slots - n + 1) * sizeof(xen::MulticallEntry);
    auto* entries = reinterpret_cast<volatile uint64_t*>(va);
    for (uint64_t i = 0; i < n; ++i) {
        const Call inner = generate(rng, true);
        entries[8 * i] = inner.nr;
        entries[8 * i + 1] = 0;
        for (int a = 0; a < 6; ++a)
            entries[8 * i + 2 + a] = inner.args[a];
    }
    *count = rng.one_in(8) ? random_value(rng) & 0xffffffffu : n;
    return va;
}

// Per-hypercall shaping of the five argument registers.
void shape(Random& rng, Call& c, bool nested) {
    uint64_t* a = c.args;
    switch (c.nr) {
        case xen::raw(Hypercall::mmu_update):
            a[0] = mmu_update_array(rng, &a[1]);
            if (rng.one_in(16))
                a[0] = invalid_pointer(rng);
            a[2] = rng.one_in(2) ? 0 : random_pointer(rng, PointerUse::readonly);
            a[3] = foreign_domain(rng);
            break;
        case xen::raw(Hypercall::mmuext_op):
            a[0] = mmuext_array(rng, &a[1]);
            if (rng.one_in(16))
                a[0] = invalid_pointer(rng);
            a[2] = rng.one_in(2) ? 0 : random_pointer(rng, PointerUse::readonly);
            a[3] = foreign_domain(rng);
            break;
        case xen::raw(Hypercall::multicall):
            a[0] = nested ? hostile::arena().multicalls : multicall_array(rng, &a[1]);
            if (!nested && rng.one_in(16))
                a[0] = invalid_pointer(rng);
            break;
        case xen::raw(Hypercall::set_gdt): {
            const uint64_t slot = hostile::general_slot(rng, 128);
            auto* frames = reinterpret_cast<volatile uint64_t*>(slot);
            for (int i = 0; i < 16; ++i)
                frames[i] = rng.one_in(2) ? hostile::victim_mfn(rng) : random_value(rng);
            a[0] = rng.one_in(4) ? random_pointer(rng, PointerUse::readonly) : slot;
            a[1] = rng.one_in(2) ? rng.below(8192) : random_value(rng);
            break;
        }
        case xen::raw(Hypercall::sched_op_compat):
            a[0] = rng.one_in(2) ? 0 : 8 + rng.below(1000);
            break;
        case xen::raw(Hypercall::platform_op):
            a[0] = platform_op_struct(rng);
            break;
        case xen::raw(Hypercall::memory_op):
            a[0] = sub_op(rng, 30) | (rng.one_in(8) ? rng.below(1024) << xen::memop_extent_shift : 0);
            a[1] = random_pointer(rng, PointerUse::readonly);
            break;
        case xen::raw(Hypercall::update_va_mapping):
        case xen::raw(Hypercall::update_va_mapping_otherdomain):
            a[0] = sanitize(rng, rng.one_in(2) ? hostile::victim_va(rng) : random_value(rng));
            a[1] = rng.one_in(2) ? hostile::victim_pte(rng) : random_value(rng);
            a[2] = rng.one_in(2) ? rng.below(8) : random_value(rng);
            a[3] = foreign_domain(rng);
            break;
        case xen::raw(Hypercall::xen_version):
            a[0] = sub_op(rng, 12);
            a[1] = random_pointer(rng, PointerUse::readonly);
            break;
        case xen::raw(Hypercall::console_io):
            a[0] = rng.one_in(2) ? 1 : 2 + rng.below(100);
            if (rng.one_in(8)) {
                a[0] = 0;
                a[1] = 0;
            }
            break;
        case xen::raw(Hypercall::physdev_op_compat): {
            const uint64_t slot = hostile::general_slot(rng, 64);
            hostile::fill_random(rng, slot, 8);
            const uint64_t cmd = safe_physdev_cmd(rng.below(40));
            reinterpret_cast<volatile uint64_t*>(slot)[0] = cmd | (rng.next() << 32);
            a[0] = rng.one_in(4) ? invalid_pointer(rng) : slot;
            break;
        }
        case xen::raw(Hypercall::physdev_op):
            a[0] = sub_op(rng, 31);
            if (a[0] < 64)
                a[0] = safe_physdev_cmd(a[0]);
            else if (safe_physdev_cmd(a[0] & 0xffffffffu) != (a[0] & 0xffffffffu))
                a[0] = 5;  // the hypervisor reads the command as 32 bits
            a[1] = random_pointer(rng, PointerUse::readonly);
            break;
        case xen::raw(Hypercall::grant_table_op):
            a[0] = sub_op(rng, 12);
            a[1] = random_pointer(rng, PointerUse::readonly);
            a[2] = rng.one_in(2) ? rng.below(4) : random_value(rng);
            break;
        case xen::raw(Hypercall::vcpu_op): {
            a[0] = sub_op(rng, 13);
            a[1] = rng.one_in(2) ? 0 : random_value(rng);
            a[2] = random_pointer(rng, PointerUse::readonly);
            const uint32_t cmd = static_cast<uint32_t>(a[0]);  // the hypervisor reads an int
            if (cmd == xen::raw(xen::VcpuOp::down) && static_cast<uint32_t>(a[1]) == 0)
                a[1] = 1;
            if (cmd == xen::raw(xen::VcpuOp::register_vcpu_info)) {
                a[0] = cmd;
                if (nested) {
                    a[0] = xen::raw(xen::VcpuOp::is_up);
                    break;
                }
                // Only into our reserved page, so the upcall mask stays where we can set it.
                const uint64_t slot = hostile::general_slot(rng, 16);
                const uint64_t offset = rng.one_in(4) ? random_value(rng) & 0xffffffffu : rng.below(4096) & ~7ull;
                auto* words = reinterpret_cast<volatile uint64_t*>(slot);
                words[0] = rng.one_in(4) ? invalid_frame : guest::va_to_mfn(hostile::arena().vcpu_info_page);
                words[1] = offset;
                a[2] = slot;
                g_vcpu_info_offset = words[0] == invalid_frame ? ~0ull : offset;
            }
            break;
        }
        case xen::raw(Hypercall::sched_op): {
            static constexpr uint64_t allowed[] = {0, 7};
            a[0] = rng.one_in(2) ? allowed[rng.below(2)] : 8 + rng.below(1000);
            a[1] = random_pointer(rng, PointerUse::readonly);
            break;
        }
        case xen::raw(Hypercall::callback_op): {
            a[0] = rng.one_in(4) ? random_value(rng) : rng.below(2);
            const uint64_t slot = hostile::general_slot(rng, 16);
            auto* words = reinterpret_cast<volatile uint64_t*>(slot);
            const uint64_t type = rng.one_in(4) ? random_value(rng) : rng.below(8);
            words[0] = type | (rng.below(4) << 16);
            words[1] = random_value(rng);
            if ((type & 0xffff) == xen::raw(xen::CallbackType::nmi))
                words[1] = rng.one_in(2) ? guest::trap_stub_address(guest::vector_nmi) : 0x8000000000000000ull;
            a[1] = rng.one_in(8) ? invalid_pointer(rng) : slot;
            break;
        }
        case xen::raw(Hypercall::nmi_op): {
            a[0] = rng.one_in(4) ? random_value(rng) : rng.below(2);
            const uint64_t slot = hostile::general_slot(rng, 16);
            auto* words = reinterpret_cast<volatile uint64_t*>(slot);
            words[0] = rng.one_in(2) ? guest::trap_stub_address(guest::vector_nmi) : 0x8000000000000000ull;
            words[1] = random_value(rng);
            a[1] = rng.one_in(8) ? invalid_pointer(rng) : slot;
            break;
        }
        case xen::raw(Hypercall::xsm_op):
        case xen::raw(Hypercall::sysctl):
        case xen::raw(Hypercall::domctl):
        case xen::raw(Hypercall::mca):
            a[0] = versioned_struct(rng);
            break;
        case xen::raw(Hypercall::xenpmu_op):
            a[0] = sub_op(rng, 8);
            a[1] = versioned_struct(rng);
            break;
        case xen::raw(Hypercall::hypfs_op):
            a[0] = rng.one_in(2) ? rng.below(2) : 3 + rng.below(100);  // never 2 (write_contents)
            a[1] = random_pointer(rng, PointerUse::readonly);
            a[3] = random_pointer(rng, PointerUse::readonly);
            break;
        default:
            break;
    }
}

Call generate(Random& rng, bool nested) {
    Call c{choose_number(rng, nested), {}};
    for (uint64_t& arg : c.args)
        arg = rng.one_in(2) ? random_pointer(rng, PointerUse::readonly) : random_value(rng);
    shape(rng, c, nested);
    return c;
}

void count_result(int64_t rc) {
    ++g_stats.calls;
    if (rc >= 0)
        ++g_stats.ok;
    else if (rc == xen::error_return(xen::Errno::enosys))
        ++g_stats.enosys;
    else if (rc == xen::error_return(xen::Errno::einval))
        ++g_stats.einval;
    else if (rc == xen::error_return(xen::Errno::efault))
        ++g_stats.efault;
    else if (rc == xen::error_return(xen::Errno::eperm))
        ++g_stats.eperm;
    else
        ++g_stats.other;
}

void print_call(const char* prefix, uint64_t index, const Call& c) {
    guest::guest_printf("%s %llu: nr=%llu args=%#llx %#llx %#llx %#llx %#llx\n", prefix,
                        static_cast<unsigned long long>(index), static_cast<unsigned long long>(c.nr),
                        static_cast<unsigned long long>(c.args[0]), static_cast<unsigned long long>(c.args[1]),
                        static_cast<unsigned long long>(c.args[2]), static_cast<unsigned long long>(c.args[3]),
                        static_cast<unsigned long long>(c.args[4]));
}

int64_t set_debugreg(int reg, uint64_t value) {
    return guest::hypercall2(Hypercall::set_debugreg, reg, value);
}

void restore_callbacks() {
    (void)guest::install_trap_table();
    (void)guest::register_event_callback();
    xen::CallbackRegister failsafe{xen::raw(xen::CallbackType::failsafe), xen::callbackf_mask_events, 0,
                                   reinterpret_cast<uint64_t>(&guest_failsafe_callback)};
    (void)guest::callback_op(xen::CallbackOp::register_callback, &failsafe);
    xen::CallbackUnregister nmi{xen::raw(xen::CallbackType::nmi), 0};
    (void)guest::callback_op(xen::CallbackOp::unregister_callback, &nmi);
}

// What a call may have changed that the guest itself relies on.
void repair_after(const Call& c, int64_t rc) {
    switch (c.nr) {
        case xen::raw(Hypercall::set_trap_table):
        case xen::raw(Hypercall::set_callbacks):
        case xen::raw(Hypercall::callback_op):
        case xen::raw(Hypercall::nmi_op):
            restore_callbacks();
            break;
        case xen::raw(Hypercall::set_debugreg):
        case xen::raw(Hypercall::multicall):
            (void)set_debugreg(7, 0);
            (void)guest::hypercall1(Hypercall::fpu_taskswitch, 0);
            break;
        case xen::raw(Hypercall::fpu_taskswitch):
            (void)guest::hypercall1(Hypercall::fpu_taskswitch, 0);
            break;
        case xen::raw(Hypercall::vcpu_op):
            if (c.args[0] == xen::raw(xen::VcpuOp::register_vcpu_info) && rc == 0 && g_vcpu_info_offset < 4096)
                guest::set_vcpu_info(
                    reinterpret_cast<xen::VcpuInfo*>(hostile::arena().vcpu_info_page + g_vcpu_info_offset));
            break;
        default:
            break;
    }
    if (xen::VcpuInfo* info = guest::vcpu_info(); info != nullptr)
        info->evtchn_upcall_mask = 1;
}

bool hostile_trap_policy(guest::TrapFrame* frame) {
    switch (frame->vector) {
        case guest::vector_db:
            ++g_stats.debug_traps;
            (void)set_debugreg(7, 0);
            (void)set_debugreg(6, 0);
            return true;
        case guest::vector_nmi:
            ++g_stats.nmis;
            return true;
        case guest::vector_nm:
            ++g_stats.device_not_available;
            (void)guest::hypercall1(Hypercall::fpu_taskswitch, 0);
            return true;
        default:
            print_call("hostile: trap after call", g_stats.calls, g_last);
            return false;
    }
}

bool verbose_requested(const char* cmdline) {
    for (const char* p = cmdline; *p != 0; ++p) {
        const char* w = "verbose";
        const char* q = p;
        while (*w != 0 && *q == *w)
            ++q, ++w;
        if (*w == 0)
            return true;
    }
    return false;
}

}  // namespace

int hostile_main(uint64_t seed, uint64_t iterations) {
    g_verbose = verbose_requested(guest::start_info()->cmd_line);
    hostile::Arena arena{};
    if (!hostile::set_up_arena(&arena)) {
        guest::guest_printf("hostile-summary: arena set-up failed, 0 calls\n");
        return 1;
    }
    guest::set_trap_policy(&hostile_trap_policy);
    restore_callbacks();
    Random rng(seed);
    hostile::fill_random(rng, arena.general, hostile::general_pages * guest::page_size / 8);
    guest::guest_printf("hostile: seed %llu, %llu iterations\n", static_cast<unsigned long long>(seed),
                        static_cast<unsigned long long>(iterations));
    for (uint64_t i = 0; i < iterations; ++i) {
        g_vcpu_info_offset = ~0ull;
        const Call c = generate(rng, false);
        g_last = c;
        if (g_verbose)
            print_call("hostile: call", i, c);
        const int64_t rc =
            guest_hypercall_raw(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4]);
        count_result(rc);
        if (c.nr < 64) {
            ++g_per_number[c.nr][0];
            g_per_number[c.nr][1] += rc >= 0 ? 1 : 0;
            g_per_number[c.nr][2] += rc == xen::error_return(xen::Errno::enosys) ? 1 : 0;
        }
        repair_after(c, rc);
        // Keep the argument pool varied: the hypervisor's outputs pile up in it.
        for (int k = 0; k < 8; ++k)
            hostile::fill_random(rng, hostile::general_slot(rng, 8), 1);
        if ((i + 1) % 1000 == 0)
            guest::guest_printf("hostile: %llu calls\n", static_cast<unsigned long long>(i + 1));
    }
    guest::guest_printf(
        "hostile-stats: ok=%llu enosys=%llu einval=%llu efault=%llu eperm=%llu other=%llu debug=%llu nmi=%llu "
        "nm=%llu upcalls=%llu failsafe=%llu\n",
        static_cast<unsigned long long>(g_stats.ok), static_cast<unsigned long long>(g_stats.enosys),
        static_cast<unsigned long long>(g_stats.einval), static_cast<unsigned long long>(g_stats.efault),
        static_cast<unsigned long long>(g_stats.eperm), static_cast<unsigned long long>(g_stats.other),
        static_cast<unsigned long long>(g_stats.debug_traps), static_cast<unsigned long long>(g_stats.nmis),
        static_cast<unsigned long long>(g_stats.device_not_available),
        static_cast<unsigned long long>(guest::event_stats().upcalls),
        static_cast<unsigned long long>(guest::failsafe_count()));
    // One line per hypercall number that was issued: "nr:calls/ok/enosys", so that two
    // hypervisors' answers can be compared at a glance.
    char line[1024];
    size_t used = 0;
    used += hv::format(line + used, sizeof(line) - used, "hostile-numbers:");
    for (uint32_t nr = 0; nr < 64; ++nr)
        if (g_per_number[nr][0] != 0 && used + 32 < sizeof(line))
            used += hv::format(line + used, sizeof(line) - used, " %u:%u/%u/%u", nr, g_per_number[nr][0],
                               g_per_number[nr][1], g_per_number[nr][2]);
    guest::guest_printf("%s\n", line);
    guest::guest_printf("hostile-summary: %llu calls, guest alive\n", static_cast<unsigned long long>(g_stats.calls));
    return 0;
}

}  // namespace pvtest
