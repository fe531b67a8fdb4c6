// Boot sequence of the bootstrap CPU. The order is the init order (STYLE.md rule 10):
// each step may use everything initialised above it and nothing below.
#include <cstdint>

#include "acpi/tables.hpp"
#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/ioapic.hpp"
#include "domain/irq_glue.hpp"
#include "domain/msix.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/paging.hpp"
#include "boot/multiboot2.hpp"
#include "console/uart16550.hpp"
#include "kernel/boot_info.hpp"
#include "kernel/firmware.hpp"
#include "kernel/log.hpp"
#include "kernel/m2p.hpp"
#include "kernel/power.hpp"
#include "kernel/pv_time.hpp"
#include "domain/builder.hpp"
#include "domain/page_types_glue.hpp"
#include "domain/events_glue.hpp"
#include "domain/scheduler.hpp"
#include "arch/x86_64/pv/pv_cpu.hpp"
#include "kernel/memory.hpp"
#include "kernel/options.hpp"
#include "kernel/serial_console.hpp"
#include "kernel/percpu.hpp"
#include "kernel/selftest/selftest.hpp"
#include "kernel/smp.hpp"
#include "kernel/symbols.hpp"
#include "kernel/time.hpp"
#include "lib/format.hpp"
#include "lib/spinlock.hpp"
#include "seam/panic.hpp"

extern "C" {
using InitFunction = void (*)();
extern const InitFunction hv_init_array_start[], hv_init_array_end[];
}

namespace hv {
namespace {

using layout::kBootWindowLimit;
Uart16550 com1{Uart16550::kCom1};
Uart16550 com2{Uart16550::kCom2};
mb2::BootInfo boot_info_storage;
acpi::MadtInfo madt;

void run_global_constructors() {
    for (const InitFunction* f = hv_init_array_start; f < hv_init_array_end; ++f)
        (*f)();
}

void setup_console(const BootOptions& options) {
    log_set_console_level(options.loglvl);
    Uart16550* primary = nullptr;
    if (options.console_com1 && com1.init(options.com1_baud))
        primary = &com1;
    else if (options.console_com2 && com2.init(options.com2_baud))
        primary = &com2;
    log_attach_uart(primary);
}

void print_memory_map(const mb2::BootInfo& info) {
    LOG_INFO("memory map from %.*s:", static_cast<int>(info.loader_name.size()), info.loader_name.data());
    for (size_t i = 0; i < info.region_count; ++i) {
        const mb2::MemoryRegion& r = info.regions[i];
        LOG_INFO("  [%016llx, %016llx) %s", static_cast<unsigned long long>(r.base),
                 static_cast<unsigned long long>(r.base + r.length), mb2::region_type_name(r.type));
    }
    for (size_t i = 0; i < info.module_count; ++i) {
        const mb2::Module& m = info.modules[i];
        LOG_INFO("  module %zu: [%#llx, %#llx) '%.*s'", i, static_cast<unsigned long long>(m.start),
                 static_cast<unsigned long long>(m.end), static_cast<int>(m.cmdline.size()), m.cmdline.data());
    }
}

// Builds dom0 (paused) from module 0; nullptr when there are no modules.
Domain* build_dom0(const BootOptions& options) {
    const mb2::BootInfo& info = boot_info_storage;
    if (info.module_count == 0) {
        LOG_INFO("no boot modules: no dom0 to start");
        return nullptr;
    }
    const mb2::Module& kernel = info.modules[0];
    BuildRequest request;
    const unsigned vcpus = options.dom0_max_vcpus != 0 ? static_cast<unsigned>(options.dom0_max_vcpus) : cpus_online();
    request.config = {0, true, vcpus, ~0ull};
    request.kernel = {static_cast<const uint8_t*>(layout::phys_to_virt(kernel.start)), kernel.end - kernel.start};
    request.cmdline = kernel.cmdline;
    request.memory_bytes = options.dom0_mem;
    for (unsigned i = 0; i < options.domu_count; ++i)
        request.reserve_bytes += options.domus[i].memory;
    if (info.module_count > 1 && !options.module_is_domu(1)) {
        request.initrd_phys = info.modules[1].start;
        request.initrd_bytes = info.modules[1].end - info.modules[1].start;
    }
    const char* why = nullptr;
    auto dom0 = build_pv_domain(request, &why);
    if (!dom0.ok())
        panic("cannot build dom0: %s (%s)", why ? why : "unknown reason", status_name(dom0.status()));
    pv_wallclock_update(**dom0);
    return *dom0;
}

// Boot-time domUs (option domu=): built after dom0 and before anything runs (so the free
// frame count each logs is exact), domids 1, 2, ... A domU that cannot be built is
// reported and skipped; the machine keeps running.
void start_domus(const BootOptions& options) {
    const mb2::BootInfo& info = boot_info_storage;
    for (unsigned i = 0; i < options.domu_count; ++i) {
        const BootDomu& spec = options.domus[i];
        const DomainId id = static_cast<DomainId>(i + 1);
        if (spec.module >= info.module_count) {
            LOG_ERROR("domu: domain %u: no multiboot2 module %u (%zu modules)", id, spec.module, info.module_count);
            continue;
        }
        const mb2::Module& m = info.modules[spec.module];
        BuildRequest request;
        request.config = {id, false, spec.vcpus, spec.memory >> kPageShift};
        request.kernel = {static_cast<const uint8_t*>(layout::phys_to_virt(m.start)), m.end - m.start};
        request.cmdline = m.cmdline;
        request.memory_bytes = spec.memory;
        (void)heap().release_cached();  // as domain destruction does, so the counts compare
        LOG_INFO("domu: free frames before building domain %u: %llu (heap pages %zu)", id,
                 static_cast<unsigned long long>(frame_allocator().free_frames()), heap().stats().pages);
        const char* why = nullptr;
        auto d = build_pv_domain(request, &why);
        if (!d.ok()) {
            LOG_ERROR("domu: cannot build domain %u from module %u: %s (%s); free frames now %llu", id, spec.module,
                      why ? why : "unknown reason", status_name(d.status()),
                      static_cast<unsigned long long>(frame_allocator().free_frames()));
            continue;
        }
        pv_wallclock_update(**d);
        domain_unpause(**d);
    }
}

void discover_cpus() {
    const std::span<const uint8_t> table = find_acpi_table("APIC");
    auto parsed = table.empty() ? Result<acpi::MadtInfo>(Status::NotFound) : acpi::parse_madt(table);
    if (!parsed.ok()) {
        LOG_WARN("acpi: no usable MADT (%s): running on the boot CPU only", status_name(parsed.status()));
        return;
    }
    madt = *parsed;
    LOG_INFO("acpi: MADT: %zu CPUs, %zu IOAPICs, local APIC at %#llx", madt.cpu_count, madt.ioapic_count,
             static_cast<unsigned long long>(madt.lapic_address));
    for (size_t i = 0; i < madt.ioapic_count; ++i) {
        LOG_INFO("acpi:   IOAPIC id %u at %#llx, GSI base %u", madt.ioapics[i].id,
                 static_cast<unsigned long long>(madt.ioapics[i].address), madt.ioapics[i].gsi_base);
        if (arch::ioapic_register(madt.ioapics[i].address, madt.ioapics[i].gsi_base) != Status::Ok)
            LOG_WARN("acpi: cannot map the IOAPIC at %#llx", static_cast<unsigned long long>(madt.ioapics[i].address));
    }
}

// ECAM windows for the hypervisor's own PCI config reads (MSI-X set-up for dom0).
void discover_pci() {
    const std::span<const uint8_t> table = find_acpi_table("MCFG");
    auto parsed = table.empty() ? Result<acpi::Mcfg>(Status::NotFound) : acpi::parse_mcfg(table);
    if (!parsed.ok()) {
        LOG_INFO("acpi: no usable MCFG (%s): no MSI-X for dom0's devices", status_name(parsed.status()));
        return;
    }
    pci_ecam_init(*parsed);
    for (size_t i = 0; i < parsed->count; ++i)
        LOG_INFO("acpi: ECAM segment %u buses %u-%u at %#llx", parsed->windows[i].segment, parsed->windows[i].start_bus,
                 parsed->windows[i].end_bus, static_cast<unsigned long long>(parsed->windows[i].base));
}

}  // namespace

const mb2::BootInfo& boot_info() { return hv::boot_info_storage; }

}  // namespace hv

extern "C" [[noreturn]] void hv_kernel_main(uint32_t magic, uint32_t info_phys) {
    using namespace hv;
    // 1. Descriptors and exception handling first, so any fault below is reported.
    run_global_constructors();
    arch::idt_init();
    com1.init(115200);  // early console with defaults until the command line is known
    log_attach_uart(&com1);
    smp_init_bsp(0);

    // 2. Boot information and the command line.
    if (magic != mb2::kBootloaderMagic)
        panic("not booted by a multiboot2 loader (magic %#x)", magic);
    if (info_phys + 8 > kBootWindowLimit)
        panic("multiboot2 information above 1 GiB (%#x) is not supported", info_phys);
    const auto* info_bytes = reinterpret_cast<const uint8_t*>(info_phys + layout::kImageWindowBase);
    const uint32_t info_size = *reinterpret_cast<const uint32_t*>(info_bytes);
    if (info_phys + info_size > kBootWindowLimit)
        panic("multiboot2 information crosses 1 GiB");
    mb2::ParseError parse_error;
    auto parsed = mb2::parse({info_bytes, info_size}, &parse_error);
    if (!parsed.ok())
        panic("multiboot2 information invalid: %s at offset %zu", parse_error.what, parse_error.offset);
    boot_info_storage = *parsed;
    BootOptions options;
    parse_boot_options(boot_info_storage.cmdline, options);
    setup_console(options);

    LOG_INFO("thin hypervisor (Xen PV ABI), built " __DATE__ " " __TIME__ ", %llu symbols",
             static_cast<unsigned long long>(symbol_count()));
    LOG_INFO("command line: %.*s", static_cast<int>(boot_info_storage.cmdline.size()), boot_info_storage.cmdline.data());
    report_option_problems();
    print_memory_map(boot_info_storage);

    // 3. Memory: page tables, frame table, allocators. The boot info moves to the direct map.
    memory_init(boot_info_storage, info_phys);
    auto remapped = mb2::parse({static_cast<const uint8_t*>(layout::phys_to_virt(info_phys)), info_size});
    if (remapped.ok())
        boot_info_storage = *remapped;

    // 4. Interrupt controller, time, CPUs.
    discover_cpus();
    const uint64_t lapic_phys = madt.lapic_address != 0 ? madt.lapic_address : 0xfee00000;
    if (arch::lapic_init_bsp(lapic_phys) != Status::Ok)
        panic("cannot map the local APIC at %#llx", static_cast<unsigned long long>(lapic_phys));
    arch::lapic_init_this_cpu();
    this_cpu().apic_id = arch::lapic_id();
    time_init();
    arch::lapic_timer_calibrate(tsc_hz());
    if (arch::lapic_timer_uses_tsc_deadline())
        LOG_INFO("time: local APIC timer in TSC-deadline mode");
    else
        LOG_INFO("time: local APIC timer one-shot at %llu kHz", static_cast<unsigned long long>(arch::lapic_timer_frequency() / 1000));
    timer_init_this_cpu();
    discover_pci();
    irq_init(madt);
    arch::irq_enable();
    smp_boot_aps(madt, static_cast<unsigned>(options.maxcpus));
    memory_print_stats();

    // 5. Self-tests on request.
    if (options.selftest)
        run_selftests();

    // 6. PV support (M2P, page types, the syscall entry) and dom0 from the first module.
    m2p_init();
    if (arch::paging_populate_hypervisor_slots() != Status::Ok)
        panic("cannot populate the hypervisor's L4 slots");
    page_types_init();
    events_init();
    sched_init(cpus_possible());
    pv_time_init();
    power_init();
    arch::pv_cpu_init(this_cpu());
    smp_start_pv_on_aps();
    if (Domain* dom0 = build_dom0(options)) {
        start_domus(options);
        domain_unpause(*dom0);
        if (options.console_com1)
            serial_console_start(com1);
    }
    LOG_INFO("boot complete: %u CPUs online", cpus_online());
#if defined(HV_LOCK_CHECKS)
    lock_checks::armed = true;
#endif
    idle_loop();
}
