// pvtest's bench mode: microbenchmarks of the PV paths a kernel leans on, timed with
// rdtsc. Under QEMU with `-icount shift=0` the TSC advances with the number of guest
// instructions executed (hypervisor included), so the numbers are deterministic and
// comparable between hypervisors run under the same QEMU. Each benchmark warms up, then
// prints `bench: <name> <tsc ticks per operation>`; the run ends with
// `bench-summary: done`. bench/run.sh compares two hypervisors.
#include "bench_timing.hpp"
#include "cases.hpp"
#include "modes.hpp"

namespace pvtest {
namespace {

constexpr uint64_t batch_pages = 512;
// Inside L4 slot 511 under an L3 entry the initial tables leave empty.
constexpr uint64_t unmapped_va = 0xffffffffc0123000ull;

constinit xen::MmuUpdate g_readonly[batch_pages];
constinit xen::MmuUpdate g_writable[batch_pages];
constinit uint64_t g_page = 0;

// HYPERVISOR_iret back to the next instruction in guest kernel mode (CS with RPL 0),
// with the frame's IF clear so that the upcall mask stays set.
void iret_round_trip() {
    asm volatile(
        "mov %%rsp, %%rcx\n\t"
        "lea 1f(%%rip), %%rax\n\t"
        "push $0xe02b\n\t"
        "push %%rcx\n\t"
        "pushf\n\t"
        "andq $~0x200, (%%rsp)\n\t"
        "push $0xe030\n\t"
        "push %%rax\n\t"
        "push $0\n\t"
        "push %%rcx\n\t"
        "push %%r11\n\t"
        "push %%rax\n\t"
        "mov $23, %%eax\n\t"
        "syscall\n\t"
        "ud2\n"
        "1:"
        :
        :
        : "rax", "rcx", "r11", "memory", "cc");
}

bool prepare_batch(uint64_t base) {
    for (uint64_t i = 0; i < batch_pages; ++i) {
        guest::PteLocation pte{};
        if (!guest::find_l1_entry(base + i * guest::page_size, &pte))
            return false;
        g_writable[i] = {pte.machine_address, pte.value | guest::pte_writable};
        g_readonly[i] = {pte.machine_address, pte.value & ~guest::pte_writable};
    }
    return true;
}

}  // namespace

int bench_main() {
    using namespace guest;
    const uint64_t base = pool_alloc(batch_pages);
    if (base == 0 || !prepare_batch(base)) {
        guest_printf("bench-summary: set-up failed\n");
        return 1;
    }
    g_page = base;

    report("null_hypercall", ticks_per_op([](uint64_t) { (void)xen_version(xen::VersionOp::version, nullptr); },
                                          200, 2000));

    report("mmu_update_512", ticks_per_op(
                                 [](uint64_t i) {
                                     uint32_t done = 0;
                                     (void)mmu_update((i & 1) ? g_writable : g_readonly, batch_pages, &done);
                                 },
                                 4, 40));
    // Leave the batch writable whatever the iteration count's parity.
    (void)mmu_update(g_writable, batch_pages, nullptr);

    report("update_va_mapping", ticks_per_op(
                                    [](uint64_t i) {
                                        const xen::MmuUpdate& pte = (i & 1) ? g_writable[0] : g_readonly[0];
                                        (void)update_va_mapping(g_page, pte.val, xen::uvmf::invlpg);
                                    },
                                    100, 1000));
    (void)update_va_mapping(g_page, g_writable[0].val, xen::uvmf::invlpg);

    report("iret_round_trip", ticks_per_op([](uint64_t) { iret_round_trip(); }, 100, 1000));

    report("page_fault_bounce", ticks_per_op(
                                    [](uint64_t) {
                                        TrapRecord trap;
                                        (void)catch_trap(
                                            [] {
                                                uint64_t v;
                                                asm volatile("mov (%1), %0" : "=r"(v) : "r"(unmapped_va) : "memory");
                                            },
                                            &trap);
                                    },
                                    100, 1000));

    report("forced_cpuid", ticks_per_op(
                               [](uint64_t) {
                                   uint32_t a = 0, b, c = 0, d;
                                   asm volatile("ud2; .ascii \"xen\"; cpuid"
                                                : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
                               },
                               100, 1000));

    guest_printf("bench-summary: done\n");
    return 0;
}

}  // namespace pvtest
