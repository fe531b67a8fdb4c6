// Guest user mode (spec §6.6-§6.7, §9.4): the guest kernel builds a user L4
// (MMUEXT_NEW_USER_BASEPTR), records its kernel stack with stack_switch and enters ring 3
// with an RPL-3 HYPERVISOR_iret. Back in guest kernel mode come: `syscall` (to the
// syscall callback, not a hypercall), privileged instructions (#GP), page faults with
// the U bit, int3. The catcher brings each one back to the case.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

// Ring-3 code: small snippets in .text, which the user L4 shares with the kernel.
extern "C" {
extern const char pvtest_user_syscall[], pvtest_user_syscall_insn[], pvtest_user_after_syscall[];
extern const char pvtest_user_cli[], pvtest_user_read_unmapped[], pvtest_user_read_insn[];
extern const char pvtest_user_int3[], pvtest_user_after_int3[];
extern const char pvtest_user_int80[], pvtest_user_after_int80[];
}
asm(R"(
    .text
    .globl pvtest_user_syscall, pvtest_user_syscall_insn, pvtest_user_after_syscall
pvtest_user_syscall:
    mov $17, %eax           /* xen_version, should this wrongly be a hypercall */
    xor %edi, %edi
    mov $0x5555, %r11
pvtest_user_syscall_insn:
    syscall
pvtest_user_after_syscall:
    ud2
    .globl pvtest_user_cli
pvtest_user_cli:
    cli
    ud2
    .globl pvtest_user_read_unmapped, pvtest_user_read_insn
pvtest_user_read_unmapped:
    mov $0x200008, %eax
pvtest_user_read_insn:
    mov (%rax), %rax
    ud2
    .globl pvtest_user_int3, pvtest_user_after_int3
pvtest_user_int3:
    int3
pvtest_user_after_int3:
    ud2
    .globl pvtest_user_int80, pvtest_user_after_int80
pvtest_user_int80:
    int $0x80
pvtest_user_after_int80:
    ud2
)");

namespace {

constexpr uint64_t user_unmapped_va = 0x200008;

alignas(16) constinit uint8_t g_user_stack[8192];
alignas(16) constinit uint8_t g_kernel_stack[16384];
constinit uint64_t g_user_l4 = 0;

uint64_t user_stack_top() {
    return reinterpret_cast<uint64_t>(g_user_stack + sizeof(g_user_stack)) - 64;
}

// The user L4 shares slot 511 (our image, including these snippets and the user
// stack) with the kernel L4; everything else is empty.
int64_t set_up_user_mode() {
    if (g_user_l4 != 0)
        return 0;
    const uint64_t page = pool_alloc();
    if (page == 0)
        return -1;
    const auto* kernel_l4 = reinterpret_cast<const volatile uint64_t*>(start_info()->pt_base);
    reinterpret_cast<uint64_t*>(page)[511] = kernel_l4[511];
    if (const int64_t rc = remap_page(page, pte_kernel_ro); rc != 0)
        return rc;
    if (const int64_t rc = mmuext(xen::MmuextCmd::new_user_baseptr, va_to_mfn(page)); rc != 0) {
        (void)remap_page(page, pte_kernel_rw);
        return rc;
    }
    g_user_l4 = page;
    return stack_switch(xen::flat_kernel_ss, reinterpret_cast<uint64_t>(g_kernel_stack + sizeof(g_kernel_stack)));
}

struct UserEntry {
    uint64_t rip;
};

void enter_user(void* context) {
    guest_enter_user(static_cast<UserEntry*>(context)->rip, user_stack_top(), 0x2, 0);
}

bool run_user(const char* rip, TrapRecord* trap) {
    UserEntry entry{reinterpret_cast<uint64_t>(rip)};
    return catch_trap(enter_user, &entry, trap);
}

uint64_t address(const char* symbol) {
    return reinterpret_cast<uint64_t>(symbol);
}

}  // namespace

GUEST_TEST(user_mode_set_up) {
    EXPECT_EQ(set_up_user_mode(), 0);
}

GUEST_TEST(user_mode_syscall_without_callback_is_invalid_opcode) {
    ASSERT_EQ(set_up_user_mode(), 0);
    TrapRecord trap{};
    ASSERT_TRUE(run_user(pvtest_user_syscall, &trap));
    EXPECT_EQ(trap.vector, vector_ud);
    EXPECT_EQ(trap.rip, address(pvtest_user_syscall_insn));
    EXPECT_EQ(trap.cs & 3, 3u);
    EXPECT_EQ(trap.rax, 17u);
}

GUEST_TEST(user_mode_syscall_reaches_syscall_callback) {
    ASSERT_EQ(set_up_user_mode(), 0);
    xen::CallbackRegister reg{xen::raw(xen::CallbackType::syscall), xen::callbackf_mask_events, 0,
                              reinterpret_cast<uint64_t>(&guest_syscall_callback)};
    ASSERT_EQ(callback_op(xen::CallbackOp::register_callback, &reg), 0);
    TrapRecord trap{};
    ASSERT_TRUE(run_user(pvtest_user_syscall, &trap));
    EXPECT_EQ(trap.vector, vector_syscall);
    // The frame: RCX = the return RIP as the syscall instruction set it, R11 = user
    // RFLAGS, RIP = after the syscall, user CS/SS, the user RSP.
    EXPECT_EQ(trap.rip, address(pvtest_user_after_syscall));
    EXPECT_EQ(trap.rcx, address(pvtest_user_after_syscall));
    EXPECT_EQ(trap.cs & 0xffff, xen::flat_user_cs);
    EXPECT_EQ(trap.ss & 0xffff, xen::flat_user_ss);
    EXPECT_EQ(trap.rsp, user_stack_top());
    EXPECT_EQ(trap.rax, 17u);  // not run as a hypercall
    EXPECT_NE(trap.r11, 0x5555u);
    GUEST_NOTE("r11=%#llx rflags=%#llx", static_cast<unsigned long long>(trap.r11),
               static_cast<unsigned long long>(trap.rflags));
}

GUEST_TEST(user_mode_privileged_instruction_is_general_protection) {
    ASSERT_EQ(set_up_user_mode(), 0);
    TrapRecord trap{};
    ASSERT_TRUE(run_user(pvtest_user_cli, &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.error_code, 0u);
    EXPECT_EQ(trap.rip, address(pvtest_user_cli));
    EXPECT_EQ(trap.cs & 0xffff, xen::flat_user_cs);  // user frames keep RPL 3
    EXPECT_EQ(trap.rsp, user_stack_top());
}

GUEST_TEST(user_mode_page_fault_has_user_bit) {
    ASSERT_EQ(set_up_user_mode(), 0);
    TrapRecord trap{};
    ASSERT_TRUE(run_user(pvtest_user_read_unmapped, &trap));
    EXPECT_EQ(trap.vector, vector_pf);
    EXPECT_EQ(trap.error_code, pfec_user);
    EXPECT_EQ(trap.cr2, user_unmapped_va);
    EXPECT_EQ(trap.rip, address(pvtest_user_read_insn));
    EXPECT_EQ(trap.cs & 3, 3u);
}

GUEST_TEST(user_mode_int3_is_delivered) {
    ASSERT_EQ(set_up_user_mode(), 0);
    TrapRecord trap{};
    ASSERT_TRUE(run_user(pvtest_user_int3, &trap));
    EXPECT_EQ(trap.vector, vector_bp);
    EXPECT_EQ(trap.rip, address(pvtest_user_after_int3));
    EXPECT_EQ(trap.cs & 0xffff, xen::flat_user_cs);
}

GUEST_TEST(user_mode_int80_is_delivered) {
    // Linux's 32-bit system-call gate: vector 0x80 with DPL 3, raised from user mode.
    ASSERT_EQ(set_up_user_mode(), 0);
    ASSERT_EQ(install_soft_int(vector_int80, 3), 0);
    TrapRecord trap{};
    ASSERT_TRUE(run_user(pvtest_user_int80, &trap));
    EXPECT_EQ(trap.vector, vector_int80);
    EXPECT_EQ(trap.rip, address(pvtest_user_after_int80));
    EXPECT_EQ(trap.cs & 0xffff, xen::flat_user_cs);
    EXPECT_EQ(trap.rsp, user_stack_top());
}

GUEST_TEST(user_mode_back_in_kernel_uses_kernel_l4) {
    // After the round trips the kernel L4 is current again.
    ASSERT_EQ(set_up_user_mode(), 0);
    uint64_t cr3 = 0;
    EXPECT_TRUE(try_read_cr(3, &cr3));
    EXPECT_EQ(cr3, va_to_mfn(start_info()->pt_base) << 12);
    EXPECT_EQ(start_info()->magic[0], 'x');
}
