// Traps seen from inside a PV test guest: the trap table, a catcher that turns an
// expected exception (or callback) into data a case can check, and the frame the
// entry stubs build (trap_stubs.S).
//
//   TrapRecord trap{};
//   const bool trapped = catch_trap([] { asm volatile("ud2"); }, &trap);
//   EXPECT_TRUE(trapped);
//   EXPECT_EQ(trap.vector, 6u);
//
// Invariants: at most one catcher is armed (no nesting); a trap nobody expects is
// reported as the running case's FAIL line and crashes the domain; every handler returns
// with HYPERVISOR_iret built from the (possibly edited) TrapFrame.
#pragma once

#include <cstdint>

namespace guest {

// Pseudo vectors for the callbacks, beyond the 256 IDT vectors.
inline constexpr uint32_t vector_event = 0x100;
inline constexpr uint32_t vector_syscall = 0x101;
inline constexpr uint32_t vector_failsafe = 0x102;

inline constexpr uint32_t vector_de = 0, vector_db = 1, vector_nmi = 2, vector_bp = 3, vector_ud = 6,
                          vector_nm = 7, vector_gp = 13, vector_pf = 14;
// Software-interrupt vectors with stubs: 0x80 (Xen's "direct trap" vector) and 0x81.
inline constexpr uint32_t vector_int80 = 0x80;
inline constexpr uint32_t vector_int81 = 0x81;

// Page-fault error code bits.
inline constexpr uint64_t pfec_present = 1u << 0;
inline constexpr uint64_t pfec_write = 1u << 1;
inline constexpr uint64_t pfec_user = 1u << 2;

// What the stubs push; the hardware part is the bounce frame minus rcx/r11.
struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;  // 0 when the vector has none
    uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(TrapFrame) == 22 * 8);

// One caught trap or callback, as the bounce frame described it.
struct TrapRecord {
    uint32_t vector;
    uint64_t error_code;
    uint64_t rip;
    uint64_t cs;      // bits 0-15 selector, bits 32-39 the saved upcall mask
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
    uint64_t rcx, r11, rax;  // interrupted registers (rcx/r11 from the frame's slots)
    uint64_t cr2;            // vcpu_info.arch.cr2 when the handler ran
};

// Runs fn(ctx) with the catcher armed. Returns true if a trap or callback arrived
// instead of fn returning; *out then describes it and execution continued here.
bool catch_trap(void (*fn)(void*), void* ctx, TrapRecord* out);
inline bool catch_trap(void (*fn)(), TrapRecord* out) {
    return catch_trap(reinterpret_cast<void (*)(void*)>(fn), nullptr, out);
}

// Installs vectors 0-31 (int3/into with DPL 3) pointing at the stubs. Returns the
// set_trap_table result.
int64_t install_trap_table();
// Address of the stub for vector 0-31 (what install_trap_table installs).
uint64_t trap_stub_address(uint32_t vector);
// Points vector 0x80 or 0x81 at its stub with the given DPL (0-3).
int64_t install_soft_int(uint32_t vector, uint8_t dpl);

// A mode-specific last chance for traps nobody catches (hostile mode ignores #DB and
// NMI, for instance). Returns true if it handled the trap and the frame may resume.
using TrapPolicy = bool (*)(TrapFrame* frame);
void set_trap_policy(TrapPolicy policy);

// Counters of callbacks that are handled without a catcher.
uint64_t failsafe_count();

// The frame of the most recent event upcall, and the upcall mask when it arrived.
const TrapRecord& last_upcall();
uint8_t last_upcall_mask();

}  // namespace guest

extern "C" {
void guest_event_callback();
void guest_syscall_callback();
void guest_failsafe_callback();
[[noreturn]] void guest_enter_user(uint64_t rip, uint64_t rsp, uint64_t rflags, uint64_t rax);
}
