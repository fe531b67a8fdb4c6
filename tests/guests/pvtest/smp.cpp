// Mode "smp": cases that need a second vCPU, run with dom0_max_vcpus=2 (tests/xen/smp_test.sh).
// They are not GUEST_TESTs, so the one-vCPU runs (which check that vCPU 1 is missing) never
// see them; smp_main sequences them with the runner's piece-by-piece interface.
//
// vCPU 1 is brought up the way Linux brings up its secondary CPUs (cpu_initialize_context):
// VCPUOP_initialise with a kernel-mode context whose RFLAGS carry IOPL 1, then VCPUOP_up.
// On Xen the context's IOPL becomes the new vCPU's virtual IOPL, so its kernel may use port
// I/O at once; a hypervisor that dropped it made Linux's first vgacon cursor update on CPU 1
// take #GP and kill the CPU-hotplug thread, hanging a 2-vCPU dom0's boot.
#include "cases.hpp"
#include "modes.hpp"

using namespace guest;
using namespace pvtest;

namespace {

// What vCPU 1 reports; written by vCPU 1 only, read by vCPU 0 once it says it is done.
enum class Vcpu1State : uint32_t { not_started, running, io_done, took_gp };

constinit uint32_t g_vcpu1_state = 0;
constinit uint32_t g_vcpu1_rtc_status_d = 0;
alignas(16) constinit uint8_t g_vcpu1_stack[8192] = {};
constinit xen::VcpuGuestContext g_vcpu1_context = {};

void set_vcpu1_state(Vcpu1State s) { __atomic_store_n(&g_vcpu1_state, static_cast<uint32_t>(s), __ATOMIC_SEQ_CST); }
Vcpu1State vcpu1_state() { return static_cast<Vcpu1State>(__atomic_load_n(&g_vcpu1_state, __ATOMIC_SEQ_CST)); }

// vCPU 1 takes itself down when its work is done; VCPUOP_down of the caller itself does not
// return on either hypervisor, the loop is only there should it ever.
[[noreturn]] void vcpu1_stop() {
    for (;;)
        (void)vcpu_op(xen::VcpuOp::down, 1, nullptr);
}

}  // namespace

// vCPU 1's entry (the context's RIP) and its #GP handler (trap_ctxt[13]): both run on vCPU 1's
// own stack with nothing else of the runtime set up for it.
extern "C" [[noreturn]] void pvtest_vcpu1_main() {
    set_vcpu1_state(Vcpu1State::running);
    uint8_t value;
    // CMOS status register D: bit 7 (valid RAM and time) reads as 1.
    asm volatile("outb %%al, $0x70; inb $0x71, %%al" : "=a"(value) : "a"(uint8_t{0x0d}));
    __atomic_store_n(&g_vcpu1_rtc_status_d, value, __ATOMIC_SEQ_CST);
    set_vcpu1_state(Vcpu1State::io_done);
    vcpu1_stop();
}

extern "C" [[noreturn]] void pvtest_vcpu1_gp() {
    set_vcpu1_state(Vcpu1State::took_gp);
    vcpu1_stop();
}

// The #GP bounce frame leaves RSP 16-byte aligned minus nothing in particular: realign before
// calling C.
asm(".pushsection .text\n"
    ".globl pvtest_vcpu1_gp_entry\n"
    "pvtest_vcpu1_gp_entry:\n"
    "    and $-16, %rsp\n"
    "    call pvtest_vcpu1_gp\n"
    "    ud2\n"
    ".popsection\n");
extern "C" void pvtest_vcpu1_gp_entry();

namespace {

void smp_vcpu1_port_io_with_context_iopl() {
    ASSERT_EQ(vcpu_op(xen::VcpuOp::is_up, 1, nullptr), 0);

    xen::VcpuGuestContext& c = g_vcpu1_context;
    c.flags = xen::vgcf::in_kernel;
    c.user_regs.rip = reinterpret_cast<uint64_t>(&pvtest_vcpu1_main);
    // As after a call: RSP + 8 is 16-byte aligned at the function's first instruction.
    const uint64_t stack_top = reinterpret_cast<uint64_t>(g_vcpu1_stack + sizeof(g_vcpu1_stack));
    c.user_regs.rsp = stack_top - 8;
    c.user_regs.cs = xen::flat_kernel_cs;
    c.user_regs.ss = xen::flat_kernel_ss;
    c.user_regs.rflags = 0x1000;  // IOPL 1, as Linux's cpu_initialize_context
    c.trap_ctxt[13] = {13, 0, xen::flat_kernel_cs, 0, reinterpret_cast<uint64_t>(&pvtest_vcpu1_gp_entry)};
    c.kernel_ss = xen::flat_kernel_ss;
    c.kernel_sp = stack_top;
    c.ctrlreg[3] = va_to_mfn(start_info()->pt_base) << 12;

    ASSERT_EQ(vcpu_op(xen::VcpuOp::initialise, 1, &c), 0);
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::initialise, 1, &c), eexist);
    ASSERT_EQ(vcpu_op(xen::VcpuOp::up, 1, nullptr), 0);

    // vCPU 1 shares the CPU with us when there is only one: yield until it has finished.
    constexpr int kMaxYields = 1000000;
    int yields = 0;
    for (; yields < kMaxYields; ++yields) {
        const Vcpu1State s = vcpu1_state();
        if (s == Vcpu1State::io_done || s == Vcpu1State::took_gp)
            break;
        (void)sched_op(xen::SchedOp::yield, nullptr);
    }
    const Vcpu1State s = vcpu1_state();
    EXPECT_EQ(static_cast<uint32_t>(s), static_cast<uint32_t>(Vcpu1State::io_done));
    if (s == Vcpu1State::took_gp)
        GUEST_NOTE("vCPU 1's port I/O took #GP: the context's IOPL was not applied");
    EXPECT_EQ(__atomic_load_n(&g_vcpu1_rtc_status_d, __ATOMIC_SEQ_CST) & 0x80, 0x80u);

    // It takes itself down; wait for that before the domain shuts down.
    for (int i = 0; i < kMaxYields && vcpu_op(xen::VcpuOp::is_up, 1, nullptr) != 0; ++i)
        (void)sched_op(xen::SchedOp::yield, nullptr);
    EXPECT_EQ(vcpu_op(xen::VcpuOp::is_up, 1, nullptr), 0);
}

constexpr TestCase kSmpCases[] = {
    {"smp_vcpu1_port_io_with_context_iopl", smp_vcpu1_port_io_with_context_iopl, __FILE__, __LINE__},
};

}  // namespace

namespace pvtest {

int smp_main() {
    constexpr int count = sizeof(kSmpCases) / sizeof(kSmpCases[0]);
    begin_cases(count);
    for (const TestCase& test : kSmpCases)
        run_case(test);
    return end_cases();
}

}  // namespace pvtest
