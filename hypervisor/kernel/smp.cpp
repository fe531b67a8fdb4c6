#include "kernel/smp.hpp"

#include <atomic>
#include <new>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/paging.hpp"
#include "arch/x86_64/traps.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/panic.hpp"
#include "kernel/percpu.hpp"
#include "kernel/time.hpp"
#include "arch/x86_64/pv/context.hpp"
#include "arch/x86_64/pv/pv_cpu.hpp"

extern "C" {
extern const char ap_trampoline_start[], ap_trampoline_end[];
extern uint32_t ap_trampoline_cr3;  // inside the trampoline image (patched in the copy)
extern uint64_t ap_boot_cr3, ap_boot_stack;
extern const uint64_t boot_pml4_phys;
extern char bsp_stack[];
[[noreturn]] void hv_ap_main();
}

namespace hv {
namespace {

constexpr uint64_t kTrampolinePhys = 0x8000;

PerCpu* cpus[kMaxCpus];
std::atomic<bool> pv_ready{false};
void wakeup(arch::CpuRegs&) {}  // the IPI only ends a halt; need_resched says why
unsigned cpu_count = 0;
alignas(4096) uint64_t bsp_gdt_page[512];

// Cross-CPU call state: one call at a time (call_lock), every CPU acknowledges.
TicketLock call_lock;
void (*volatile call_fn)(void*) = nullptr;
void* volatile call_arg = nullptr;
std::atomic<unsigned> call_pending{0};

void run_call(arch::CpuRegs&) {
    call_fn(call_arg);
    call_pending.fetch_sub(1, std::memory_order_acq_rel);
}

void stop_others() { arch::lapic_send_nmi_all_but_self(); }

PerCpu* new_cpu(unsigned id, uint32_t apic_id, uint64_t stack_block) {
    auto* cpu = new PerCpu;
    cpu->id = id;
    cpu->apic_id = apic_id;
    cpu->stack_block = stack_block;
    auto* info = reinterpret_cast<CpuInfo*>(stack_block + HV_STACK_SIZE - HV_CPU_INFO_SIZE);
    info->cpu = cpu;
    cpus[id] = cpu;
    return cpu;
}

bool boot_one(unsigned id, uint32_t apic_id) {
    void* stack = allocate_pages(HV_STACK_ORDER);
    auto* gdt = static_cast<uint64_t*>(allocate_pages(0));
    if (stack == nullptr || gdt == nullptr) {
        LOG_ERROR("smp: out of memory for CPU %u", id);
        return false;
    }
    PerCpu* cpu = new_cpu(id, apic_id, reinterpret_cast<uint64_t>(stack));
    cpu->descriptors.gdt_reserved_page = gdt;
    ap_boot_stack = cpu->stack_block + HV_STACK_INITIAL_RSP_OFFSET;

    // INIT, 10 ms, SIPI, 200 us, SIPI (the MP start-up protocol, SDM 8.4.4.1).
    arch::lapic_send_init(apic_id);
    delay_us(10000);
    for (int i = 0; i < 2 && !cpu->online.load(std::memory_order_acquire); ++i) {
        arch::lapic_send_startup(apic_id, kTrampolinePhys >> 12);
        delay_us(200);
    }
    const uint64_t deadline = now_ns() + 1000000000ull;  // 1 s
    while (!cpu->online.load(std::memory_order_acquire) && now_ns() < deadline)
        cpu_relax();
    if (!cpu->online.load(std::memory_order_acquire)) {
        LOG_ERROR("smp: CPU %u (APIC id %u) did not come online", id, apic_id);
        cpus[id] = nullptr;
        return false;
    }
    return true;
}

}  // namespace

PerCpu* cpu_by_id(unsigned id) { return id < kMaxCpus ? cpus[id] : nullptr; }
unsigned cpus_possible() { return cpu_count; }
unsigned cpus_online() {
    unsigned n = 0;
    for (unsigned i = 0; i < cpu_count; ++i)
        if (cpus[i] != nullptr && cpus[i]->online.load(std::memory_order_acquire))
            ++n;
    return n;
}

void smp_init_bsp(uint32_t apic_id) {
    static PerCpu bsp;
    bsp.id = 0;
    bsp.apic_id = apic_id;
    bsp.stack_block = reinterpret_cast<uint64_t>(bsp_stack);
    cpu_info()->cpu = &bsp;
    cpus[0] = &bsp;
    cpu_count = 1;
    arch::load_cpu_descriptors(bsp.descriptors, bsp_gdt_page, bsp.stack_block);
    bsp.online.store(true, std::memory_order_release);
}

void smp_boot_aps(const acpi::MadtInfo& madt, unsigned max_cpus) {
    arch::set_interrupt_handler(arch::kVectorCallFunction, run_call);
    arch::set_interrupt_handler(arch::kVectorWakeup, wakeup);
    set_stop_other_cpus(stop_others);

    // The trampoline runs on the boot page tables (identity + image window).
    const size_t size = ap_trampoline_end - ap_trampoline_start;
    auto* dst = static_cast<char*>(layout::phys_to_virt(kTrampolinePhys));
    __builtin_memcpy(dst, ap_trampoline_start, size);
    const uint64_t cr3_offset = reinterpret_cast<const char*>(&ap_trampoline_cr3) - ap_trampoline_start;
    *reinterpret_cast<uint32_t*>(dst + cr3_offset) = static_cast<uint32_t>(boot_pml4_phys);
    ap_boot_cr3 = arch::paging_master_l4();

    const uint32_t self = this_cpu().apic_id;
    for (size_t i = 0; i < madt.cpu_count; ++i) {
        const acpi::LocalApic& lapic = madt.cpus[i];
        if (!lapic.enabled || lapic.apic_id == self)
            continue;
        if (cpu_count >= max_cpus || cpu_count >= kMaxCpus) {
            LOG_INFO("smp: CPU with APIC id %u not started (maxcpus=%u)", lapic.apic_id, max_cpus);
            continue;
        }
        const unsigned id = cpu_count;
        if (boot_one(id, lapic.apic_id))
            cpu_count = id + 1;
    }
    LOG_INFO("smp: %u CPUs online", cpus_online());
}

void smp_call_all(void (*fn)(void*), void* arg) {
    LockGuard guard(call_lock);
    const unsigned self = this_cpu().id;
    call_fn = fn;
    call_arg = arg;
    unsigned others = 0;
    for (unsigned i = 0; i < cpu_count; ++i)
        if (i != self && cpus[i] != nullptr && cpus[i]->online.load(std::memory_order_acquire))
            ++others;
    call_pending.store(others, std::memory_order_release);
    for (unsigned i = 0; i < cpu_count; ++i)
        if (i != self && cpus[i] != nullptr && cpus[i]->online.load(std::memory_order_acquire))
            arch::lapic_send_ipi(cpus[i]->apic_id, arch::kVectorCallFunction);
    fn(arg);
    while (call_pending.load(std::memory_order_acquire) != 0)
        cpu_relax();
}

void smp_start_pv_on_aps() {
    // APs idle in idle_loop until pv_ready; each then prepares itself (cross-call).
    smp_call_all([](void*) {
        if (this_cpu().id != 0)
            arch::pv_cpu_init(this_cpu());
    }, nullptr);
    pv_ready.store(true);
}

void idle_loop() {
    // Every CPU ends here: the exit path schedules (and halts while nothing is runnable).
    // Before PV support is up there is nothing to schedule: plain halts.
    while (!pv_ready.load()) {
        arch::irq_disable();
        ++this_cpu().idle_halts;
        arch::safe_halt();
    }
    hv_enter_guest(&cpu_info()->guest_regs);
}

}  // namespace hv

extern "C" [[noreturn]] void hv_ap_main() {
    using namespace hv;
    PerCpu& cpu = this_cpu();
    arch::load_cpu_descriptors(cpu.descriptors, cpu.descriptors.gdt_reserved_page, cpu.stack_block);
    arch::lapic_init_this_cpu();
    timer_init_this_cpu();
    LOG_DEBUG("smp: CPU %u online (APIC id %u)", cpu.id, arch::lapic_id());
    cpu.online.store(true, std::memory_order_release);
    idle_loop();
}
