// HYPERVISOR_iret from guest kernel mode back to guest kernel mode (spec §3.4), the return
// every interrupt and exception of a PV kernel ends with: which registers come from the
// iret_context and which the hypervisor sets. The frame's IF is clear, so the upcall mask
// is set on return and no event upcall can run in between (the mask is restored after).
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constexpr uint64_t vgcf_in_syscall = 1u << 8;

struct AfterIret {
    uint64_t rax, rcx, r11, rflags, resumed_at;
};

// Pushes an iret_context {rax, r11, rcx, flags, rip = 1f, cs = FLAT_KERNEL_CS with RPL 0,
// rflags = current with IF clear, rsp, ss} and issues the iret hypercall; records rax,
// rcx, r11 and RFLAGS as found at 1f.
AfterIret iret_with(uint64_t rax, uint64_t rcx, uint64_t r11, uint64_t flags) {
    AfterIret out{};
    asm volatile(
        "mov %%rsp, %%r8\n\t"
        "lea 1f(%%rip), %%r9\n\t"
        "mov %%r9, %[resumed]\n\t"
        "push $0xe02b\n\t"
        "push %%r8\n\t"
        "pushf\n\t"
        "andq $~0x200, (%%rsp)\n\t"
        "push $0xe030\n\t"
        "push %%r9\n\t"
        "push %[flags]\n\t"
        "push %[rcx]\n\t"
        "push %[r11]\n\t"
        "push %[rax]\n\t"
        "mov $23, %%eax\n\t"
        "syscall\n\t"
        "ud2\n"
        "1:\n\t"
        "mov %%rax, %[out_rax]\n\t"
        "mov %%rcx, %[out_rcx]\n\t"
        "mov %%r11, %[out_r11]\n\t"
        "pushf\n\t"
        "pop %[out_rflags]\n\t"
        : [out_rax] "=m"(out.rax), [out_rcx] "=m"(out.rcx), [out_r11] "=m"(out.r11),
          [out_rflags] "=m"(out.rflags), [resumed] "=m"(out.resumed_at)
        : [rax] "r"(rax), [rcx] "r"(rcx), [r11] "r"(r11), [flags] "r"(flags)
        : "rax", "rcx", "r11", "r8", "r9", "memory", "cc");
    return out;
}

// Keeps the caller's upcall mask across an iret whose frame has IF clear.
class MaskKeeper {
public:
    MaskKeeper() : saved_(vcpu_info()->evtchn_upcall_mask) {}
    ~MaskKeeper() { vcpu_info()->evtchn_upcall_mask = saved_; }

private:
    uint8_t saved_;
};

}  // namespace

GUEST_TEST(iret_kernel_restores_rax_rcx_r11_from_the_frame) {
    MaskKeeper keep;
    const AfterIret after = iret_with(0x1111222233334444, 0x5555666677778888, 0x0123456789abcdef, 0);
    EXPECT_EQ(after.rax, 0x1111222233334444u);
    EXPECT_EQ(after.rcx, 0x5555666677778888u);
    EXPECT_EQ(after.r11, 0x0123456789abcdefu);
    EXPECT_EQ(vcpu_info()->evtchn_upcall_mask, 1u);  // the frame's IF was clear
}

// VGCF_in_syscall: the guest does not need RCX/R11 back (it came from `syscall`), and Xen
// returns through SYSRET, which leaves the new RIP in RCX and the new RFLAGS in R11.
GUEST_TEST(iret_kernel_in_syscall_leaves_rip_and_rflags_in_rcx_r11) {
    MaskKeeper keep;
    const AfterIret after = iret_with(0x77, 0x5555666677778888, 0x0123456789abcdef, vgcf_in_syscall);
    EXPECT_EQ(after.rax, 0x77u);
    EXPECT_EQ(after.rcx, after.resumed_at);
    EXPECT_EQ(after.r11, after.rflags);
}
