// Host tests for bounce frames and HYPERVISOR_iret (pv/bounce_frame.hpp): golden frames for
// each kind of delivery, and hostile stacks, handlers and iret frames.
#include <cstring>

#include "pv/bounce_frame.hpp"

#include "hypercall/public/x86_64.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hv::pv {
namespace {

// decode_iret_frame updates the register frame in place; the tests look at both results.
struct Decoded : IretOutcome {
    arch::CpuRegs regs{};
};
Result<Decoded> decode_iret(const xen::IretContext& frame, arch::CpuRegs regs, const GuestMode& mode) {
    const arch::CpuRegs before = regs;
    auto o = decode_iret_frame(frame, regs, mode);
    if (!o.ok()) {
        EXPECT_EQ(std::memcmp(&before, &regs, sizeof(regs)), 0) << "a refused iret changes nothing";
        return o.status();
    }
    Decoded d;
    static_cast<IretOutcome&>(d) = *o;
    d.regs = regs;
    return d;
}

// The builders write into the caller's Bounce; these give the tests a value to look at.
template <typename Build>
Result<Bounce> built(Build build) {
    Bounce b;
    const Status s = build(b);
    return s == Status::Ok ? Result<Bounce>(b) : Result<Bounce>(s);
}
Result<Bounce> build_exception_bounce(const arch::CpuRegs& at, const GuestException& e, const xen::TrapInfo& entry,
                                      const GuestMode& mode) {
    return built([&](Bounce& b) { return pv::build_exception_bounce(at, e, entry, mode, b); });
}
Result<Bounce> build_event_bounce(const arch::CpuRegs& at, uint64_t callback, const GuestMode& mode) {
    return built([&](Bounce& b) { return pv::build_event_bounce(at, callback, mode, b); });
}
Result<Bounce> build_syscall_bounce(const arch::CpuRegs& at, BounceTarget callback, const xen::TrapInfo& ud,
                                    const GuestMode& mode) {
    return built([&](Bounce& b) { return pv::build_syscall_bounce(at, callback, ud, mode, b); });
}
Result<Bounce> build_failsafe_bounce(const arch::CpuRegs& at, BounceTarget callback, const GuestMode& mode) {
    return built([&](Bounce& b) { return pv::build_failsafe_bounce(at, callback, mode, b); });
}

using Words = std::vector<uint64_t>;

Words words_of(const Bounce& b) { return Words(b.frame.qwords().begin(), b.frame.qwords().end()); }

// A register frame with recognisable values everywhere.
arch::CpuRegs regs_at(uint64_t rip, uint16_t cs, uint64_t rflags, uint64_t rsp, uint16_t ss) {
    arch::CpuRegs r{};
    r.r15 = 0xf15;
    r.rbx = 0xb;
    r.r11 = 0x1111;
    r.rax = 0xa;
    r.rcx = 0xcccc;
    r.rdi = 0xd1;
    r.rip = rip;
    r.cs = cs;
    r.rflags = rflags;
    r.rsp = rsp;
    r.ss = ss;
    return r;
}

xen::TrapInfo trap(uint8_t vector, uint64_t address, uint8_t flags) {
    return xen::TrapInfo{.vector = vector, .flags = flags, .cs = xen::flat_kernel_cs, .pad = 0, .address = address};
}

constexpr uint64_t kKernelRip = 0xffffffff81234567;
constexpr uint64_t kKernelStack = 0xffffc90000013f58;  // not 16-byte aligned
constexpr uint64_t kKernelSp = 0xffffc90000200000;     // from stack_switch
constexpr uint64_t kUserRip = 0x0000000000401000;
constexpr uint64_t kUserStack = 0x00007ffc12345678;
constexpr uint16_t kLinuxKernelCs = 0x13;  // __KERNEL_CS | 3 after the first iret
constexpr uint16_t kLinuxKernelSs = 0x1b;
constexpr uint16_t kLinuxUserCs = 0x33;
constexpr uint16_t kLinuxUserSs = 0x2b;
constexpr uint64_t kHandler = 0xffffffff81a00000;

GuestMode kernel_mode(uint8_t mask = 0) {
    return GuestMode{.kernel_mode = true, .kernel_sp = kKernelSp, .upcall_mask = mask, .has_user_page_table = true};
}
GuestMode user_mode(uint8_t mask = 0) {
    return GuestMode{.kernel_mode = false, .kernel_sp = kKernelSp, .upcall_mask = mask, .has_user_page_table = true};
}

// ---- exceptions ----

// The one-step builder of the page-fault fast path must agree with the general one word
// for word, for every mask, flag and error-code combination it accepts, and decline where
// the general one refuses or needs more than kernel mode offers.
TEST(KernelExceptionBounce, SameAsTheGeneralBuilder) {
    for (uint8_t vector : {uint8_t{14}, uint8_t{13}, uint8_t{17}}) {
        for (uint8_t mask : {uint8_t{0}, uint8_t{1}}) {
            for (uint8_t flags : {uint8_t{0}, uint8_t{4}}) {
                for (uint64_t rflags : {uint64_t{0x246}, uint64_t{0x3046}, uint64_t{0xffff'ffff'0004'0346}}) {
                    for (uint32_t error : {0x0u, 0x7u, 0x15u}) {
                        const arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, rflags, kKernelStack, kLinuxKernelSs);
                        const xen::TrapInfo handler = trap(vector, kHandler, flags);
                        Result<Bounce> general =
                            build_exception_bounce(at, {.vector = vector, .error_code = error}, handler, kernel_mode(mask));
                        KernelExceptionBounce fast;
                        ASSERT_TRUE(general.ok());
                        ASSERT_TRUE(build_kernel_exception_bounce(at, vector, error, handler, mask, false, fast));
                        EXPECT_EQ(words_of(*general), Words(fast.frame, fast.frame + KernelExceptionBounce::words));
                        EXPECT_EQ(general->frame.address, fast.frame_address);
                        arch::CpuRegs a = at, b = at;
                        general->entry.apply(a);
                        fast.apply(b);
                        EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);
                        EXPECT_EQ(general->upcall_mask, fast.upcall_mask);
                    }
                }
            }
        }
    }
}

TEST(KernelExceptionBounce, DeclinesWhatTheGeneralBuilderDecidesDifferently) {
    const arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x246, kKernelStack, kLinuxKernelSs);
    KernelExceptionBounce fast;
    EXPECT_FALSE(build_kernel_exception_bounce(at, 14, 0, trap(14, 0, 0), 0, false, fast));  // no handler
    EXPECT_FALSE(build_kernel_exception_bounce(at, 14, 0, trap(14, 0x0000800000000000, 0), 0, false, fast));
    EXPECT_FALSE(build_kernel_exception_bounce(at, 14, 0, trap(14, kHandler, 0), 0, true, fast));  // arch IOPL
    EXPECT_FALSE(build_kernel_exception_bounce(at, 6, 0, trap(6, kHandler, 0), 0, false, fast));   // no error code
    for (uint64_t rsp : {uint64_t{0x20}, uint64_t{0xffff880000000030}, uint64_t{0xffff800000001000},
                         uint64_t{0x0000800000000010}}) {
        const arch::CpuRegs bad = regs_at(kKernelRip, kLinuxKernelCs, 0x246, rsp, kLinuxKernelSs);
        EXPECT_FALSE(build_kernel_exception_bounce(bad, 14, 0, trap(14, kHandler, 0), 0, false, fast)) << std::hex << rsp;
        EXPECT_FALSE(build_exception_bounce(bad, {.vector = 14}, trap(14, kHandler, 0), kernel_mode()).ok());
    }
}


TEST(ExceptionBounce, KernelModePageFaultWithErrorCode) {
    const arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x246, kKernelStack, kLinuxKernelSs);
    // Hardware said P|W|U (the guest kernel runs at CPL3); the guest must see a kernel fault.
    Result<Bounce> b = build_exception_bounce(at, {.vector = 14, .error_code = 0x7}, trap(14, kHandler, 4), kernel_mode());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.address, 0xffffc90000013f50u - 64);
    EXPECT_EQ(words_of(*b), (Words{0xcccc, 0x1111, 0x3, kKernelRip, 0x10, 0x246, kKernelStack, kLinuxKernelSs}));
    EXPECT_EQ(b->entry.rip, kHandler);
    EXPECT_EQ(b->entry.cs, 0xe033);
    EXPECT_EQ(b->entry.ss, 0xe02b);
    EXPECT_EQ(b->entry.rsp, b->frame.address);
    EXPECT_EQ(b->entry.rflags, 0x246u);
    arch::CpuRegs after = at;
    b->entry.apply(after);
    EXPECT_EQ(after.rax, 0xau);  // general registers untouched
    EXPECT_EQ(after.rcx, 0xccccu);
    EXPECT_FALSE(b->enter_kernel_mode);
    EXPECT_EQ(b->upcall_mask, 1);  // trap flags bit 2: interrupt-gate semantics
    EXPECT_TRUE(b->may_use_sysret);
}

TEST(ExceptionBounce, UserModeGeneralProtection) {
    // TF, NT, RF and AC set by the user: preserved in the frame, cleared for the handler.
    const arch::CpuRegs at = regs_at(kUserRip, kLinuxUserCs, 0x54302, kUserStack, kLinuxUserSs);
    Result<Bounce> b = build_exception_bounce(at, {.vector = 13, .error_code = 0x18}, trap(13, kHandler, 0), user_mode());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.address, kKernelSp - 64);
    EXPECT_EQ(words_of(*b), (Words{0xcccc, 0x1111, 0x18, kUserRip, kLinuxUserCs, 0x54302, kUserStack, kLinuxUserSs}));
    EXPECT_EQ(b->entry.rflags, 0x202u);
    EXPECT_EQ(b->entry.rsp, kKernelSp - 64);
    EXPECT_TRUE(b->enter_kernel_mode);
    EXPECT_EQ(b->upcall_mask, 0);  // a trap gate leaves events as they were
}

TEST(ExceptionBounce, UserModePageFaultSetsUserBit) {
    const arch::CpuRegs at = regs_at(kUserRip, kLinuxUserCs, 0x202, kUserStack, kLinuxUserSs);
    Result<Bounce> b = build_exception_bounce(at, {.vector = 14, .error_code = 0x10}, trap(14, kHandler, 4), user_mode());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.words[2], 0x14u);
}

TEST(ExceptionBounce, MaskedEventsShowAsClearIfAndSavedMask) {
    const arch::CpuRegs at = regs_at(kKernelRip, 0xe033, 0x3202, kKernelStack, 0xe02b);  // hardware IOPL 3
    Result<Bounce> b = build_exception_bounce(at, {.vector = 3, .kind = EventKind::SoftwareInterrupt},
                                              trap(3, kHandler, 3 | 4), kernel_mode(1));
    ASSERT_TRUE(b.ok());
    // No error code for int3; IF := !mask = 0; IOPL dropped; RPL cleared; mask in bits 32-39.
    EXPECT_EQ(words_of(*b), (Words{0xcccc, 0x1111, kKernelRip, 0x1'0000e030, 0x2, kKernelStack, 0xe02b}));
    EXPECT_EQ(b->frame.address, 0xffffc90000013f50u - 56);
    EXPECT_EQ(b->upcall_mask, 1);
}

TEST(ExceptionBounce, ArchitecturalIoplIsReflected) {
    const arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x202, kKernelStack, kLinuxKernelSs);
    GuestMode mode = kernel_mode();
    mode.architectural_iopl = true;
    mode.iopl = 1;
    Result<Bounce> b = build_exception_bounce(at, {.vector = 6}, trap(6, kHandler, 0), mode);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.words[4], 0x1202u);
}

TEST(ExceptionBounce, SoftwareInterruptNeverHasErrorCode) {
    const arch::CpuRegs at = regs_at(kUserRip, kLinuxUserCs, 0x202, kUserStack, kLinuxUserSs);
    Result<Bounce> b80 = build_exception_bounce(at, {.vector = 0x80, .kind = EventKind::SoftwareInterrupt},
                                                trap(0x80, kHandler, 3), user_mode());
    ASSERT_TRUE(b80.ok());
    EXPECT_EQ(b80->frame.count, 7);
    Result<Bounce> b13 = build_exception_bounce(at, {.vector = 13, .kind = EventKind::SoftwareInterrupt, .error_code = 9},
                                                trap(13, kHandler, 3), user_mode());
    ASSERT_TRUE(b13.ok());
    EXPECT_EQ(b13->frame.count, 7);
}

TEST(ExceptionBounce, ErrorCodeVectors) {
    for (unsigned v = 0; v < 256; ++v) {
        const bool expected = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
        EXPECT_EQ(vector_has_error_code(static_cast<uint8_t>(v)), expected) << v;
    }
}

TEST(ExceptionBounce, NoHandlerCrashes) {
    const arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x246, kKernelStack, kLinuxKernelSs);
    EXPECT_EQ(build_exception_bounce(at, {.vector = 13}, trap(13, 0, 0), kernel_mode()).status(), Status::NotFound);
    EXPECT_EQ(build_exception_bounce(at, {.vector = 13}, trap(13, 0x0000800000000000, 0), kernel_mode()).status(),
              Status::NotFound);
    EXPECT_EQ(build_exception_bounce(at, {.vector = 32}, trap(32, kHandler, 0), kernel_mode()).status(),
              Status::InvalidArgument);
}

// ---- hostile stacks ----

Status bounce_status_with_stack(uint64_t rsp, bool kernel) {
    const arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x246, rsp, kLinuxKernelSs);
    GuestMode mode = kernel ? kernel_mode() : user_mode();
    if (!kernel)
        mode.kernel_sp = rsp;
    return build_exception_bounce(at, {.vector = 14, .error_code = 2}, trap(14, kHandler, 0), mode).status();
}

TEST(BounceFramePlacement, HypervisorRangeAndWrapsRefused) {
    for (uint64_t rsp : {0xffff800000000008ull, 0xffff800000001000ull, 0xffff840000000000ull, 0xffff87fffffffff8ull,
                         0xffff880000000000ull, 0xffff880000000030ull, 0xffff88000000003full,
                         0xffff800000000000ull,  // frame would sit just below, in the canonical hole
                         0x0000800000000040ull, 0x0000000000000030ull, 0x0ull}) {
        EXPECT_EQ(bounce_status_with_stack(rsp, true), Status::Fault) << std::hex << rsp;
        EXPECT_EQ(bounce_status_with_stack(rsp, false), Status::Fault) << std::hex << rsp;
    }
    for (uint64_t rsp : {0xffff880000000050ull, 0xffff888000000000ull, 0x00007fffffffffffull, 0x40ull,
                         0xffffffffffffffffull}) {
        EXPECT_EQ(bounce_status_with_stack(rsp, true), Status::Ok) << std::hex << rsp;
    }
}

TEST(BounceFramePlacement, FailsafeFrameCannotReachIntoHypervisor) {
    // 88 bytes from END + 0x50 would overlap the hypervisor range by 8 bytes.
    arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x246, 0xffff880000000050, kLinuxKernelSs);
    EXPECT_EQ(build_failsafe_bounce(at, {kHandler, false}, kernel_mode()).status(), Status::Fault);
    at.rsp = 0xffff880000000060;
    EXPECT_TRUE(build_failsafe_bounce(at, {kHandler, false}, kernel_mode()).ok());
}

TEST(BounceFramePlacement, UnsetKernelStackFromUserModeCrashes) {
    const arch::CpuRegs at = regs_at(kUserRip, kLinuxUserCs, 0x202, kUserStack, kLinuxUserSs);
    GuestMode mode = user_mode();
    mode.kernel_sp = 0;  // dom0 before stack_switch
    EXPECT_EQ(build_event_bounce(at, kHandler, mode).status(), Status::Fault);
}

// ---- event upcalls ----

TEST(EventBounce, FromUserModeUnmasked) {
    const arch::CpuRegs at = regs_at(kUserRip, kLinuxUserCs, 0x206, kUserStack, kLinuxUserSs);
    ASSERT_TRUE(event_upcall_due(1, 0));
    Result<Bounce> b = build_event_bounce(at, kHandler, user_mode(0));
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.address, kKernelSp - 56);
    EXPECT_EQ(words_of(*b), (Words{0xcccc, 0x1111, kUserRip, kLinuxUserCs, 0x206, kUserStack, kLinuxUserSs}));
    EXPECT_TRUE(b->enter_kernel_mode);
    EXPECT_EQ(b->upcall_mask, 1);
    EXPECT_EQ(b->entry.rip, kHandler);
}

TEST(EventBounce, FromKernelModeMasked) {
    // Not due, but if built anyway the frame records the mask and IF = 0.
    EXPECT_FALSE(event_upcall_due(1, 1));
    const arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x202, kKernelStack, kLinuxKernelSs);
    Result<Bounce> b = build_event_bounce(at, kHandler, kernel_mode(1));
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(words_of(*b), (Words{0xcccc, 0x1111, kKernelRip, 0x1'00000010, 0x002, kKernelStack, kLinuxKernelSs}));
    EXPECT_FALSE(b->enter_kernel_mode);
    EXPECT_EQ(b->upcall_mask, 1);
}

TEST(EventBounce, DueTest) {
    EXPECT_FALSE(event_upcall_due(0, 0));
    EXPECT_TRUE(event_upcall_due(1, 0));
    EXPECT_TRUE(event_upcall_due(0xff, 0));
    EXPECT_FALSE(event_upcall_due(1, 1));
    EXPECT_FALSE(event_upcall_due(1, 0x80));
}

// ---- syscall ----

arch::CpuRegs user_syscall_frame() {
    // The SYSCALL entry: RCX = return RIP, R11 = user RFLAGS (DF set here), flat CS/SS.
    arch::CpuRegs r = regs_at(kUserRip + 2, 0xe033, 0x646, kUserStack, 0xe02b);
    r.rcx = kUserRip + 2;
    r.r11 = 0x646;
    r.rax = 39;  // getpid
    return r;
}

TEST(SyscallBounce, ToCallback) {
    Result<Bounce> b = build_syscall_bounce(user_syscall_frame(), {kHandler, true}, trap(6, 0, 0), user_mode());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.address, kKernelSp - 56);
    EXPECT_EQ(words_of(*b), (Words{kUserRip + 2, 0x646, kUserRip + 2, 0xe033, 0x646, kUserStack, 0xe02b}));
    EXPECT_EQ(b->entry.rip, kHandler);
    EXPECT_EQ(b->entry.rflags, 0x246u);  // DF cleared for the handler
    EXPECT_TRUE(b->enter_kernel_mode);
    EXPECT_EQ(b->upcall_mask, 1);
}

TEST(SyscallBounce, WithoutCallbackIsInvalidOpcode) {
    Result<Bounce> b = build_syscall_bounce(user_syscall_frame(), {0, true}, trap(6, kHandler + 0x60, 0), user_mode());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(words_of(*b), (Words{kUserRip + 2, 0x646, kUserRip, 0xe033, 0x646, kUserStack, 0xe02b}));
    EXPECT_EQ(b->entry.rip, kHandler + 0x60);
    EXPECT_EQ(b->entry.rflags, 0x646u);  // DF untouched
    EXPECT_EQ(b->upcall_mask, 0);
    // ... and without a #UD handler either, the domain dies.
    EXPECT_EQ(build_syscall_bounce(user_syscall_frame(), {0, true}, trap(6, 0, 0), user_mode()).status(),
              Status::NotFound);
}

TEST(SyscallBounce, KernelSyscallIsAHypercallNotABounce) {
    EXPECT_EQ(build_syscall_bounce(user_syscall_frame(), {kHandler, true}, trap(6, 0, 0), kernel_mode()).status(),
              Status::InvalidArgument);
}

// ---- failsafe ----

TEST(FailsafeBounce, ElevenQwordsWithSelectors) {
    arch::CpuRegs at = regs_at(kUserRip, kLinuxUserCs, 0x3246, kUserStack, kLinuxUserSs);
    at.ds = 0x2b;
    at.es = 0x2b;
    at.fs = 0;
    at.gs = 0x63;  // the selector that would not load
    Result<Bounce> b = build_failsafe_bounce(at, {kHandler, true}, user_mode(0));
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.address, kKernelSp - 88);
    EXPECT_EQ(words_of(*b), (Words{0xcccc, 0x1111, 0x2b, 0x2b, 0, 0x63, kUserRip, kLinuxUserCs, 0x246, kUserStack,
                                   kLinuxUserSs}));
    EXPECT_EQ(b->entry.rflags, 0x246u);  // hardware IOPL cleared too
    EXPECT_EQ(b->entry.cs, 0xe033);
    EXPECT_TRUE(b->enter_kernel_mode);
    EXPECT_EQ(b->upcall_mask, 1);
    EXPECT_EQ(build_failsafe_bounce(at, {0, true}, user_mode(0)).status(), Status::NotFound);
}

TEST(FailsafeBounce, KernelModeKeepsMaskWhenNotRequested) {
    arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x246, kKernelStack, kLinuxKernelSs);
    Result<Bounce> b = build_failsafe_bounce(at, {kHandler, false}, kernel_mode(0));
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->frame.words[7], 0x10u);
    EXPECT_EQ(b->upcall_mask, 0);
}

TEST(FailsafeBounce, MaskByteHandling) {
    // The mask is a byte: the frame keeps whatever it was; Xen's failsafe path then stores 1,
    // while exception delivery ORs in 1.
    arch::CpuRegs at = regs_at(kKernelRip, kLinuxKernelCs, 0x246, kKernelStack, kLinuxKernelSs);
    Result<Bounce> failsafe = build_failsafe_bounce(at, {kHandler, true}, kernel_mode(0x80));
    ASSERT_TRUE(failsafe.ok());
    EXPECT_EQ(failsafe->frame.words[7], 0x80'00000010u);
    EXPECT_EQ(failsafe->frame.words[8], 0x046u);
    EXPECT_EQ(failsafe->upcall_mask, 1);
    Result<Bounce> exception = build_exception_bounce(at, {.vector = 6}, trap(6, kHandler, 4), kernel_mode(0x80));
    ASSERT_TRUE(exception.ok());
    EXPECT_EQ(exception->frame.words[3], 0x80'00000010u);
    EXPECT_EQ(exception->upcall_mask, 0x81);
}

// ---- HYPERVISOR_iret ----

xen::IretContext iret_to(uint64_t rip, uint64_t cs, uint64_t rflags, uint64_t rsp, uint64_t ss) {
    return xen::IretContext{.rax = 0, .r11 = 0, .rcx = 0, .flags = 0, .rip = rip, .cs = cs, .rflags = rflags,
                            .rsp = rsp, .ss = ss};
}

arch::CpuRegs at_iret_hypercall(uint64_t rsp) {
    // Linux: push $0; push %rcx; push %r11; push %rax; mov $23,%eax; syscall.
    arch::CpuRegs r = regs_at(0xffffffff81027f0f, 0xe033, 0x246, rsp, 0xe02b);
    r.rax = 23;
    r.rcx = 0xffffffff81027f0f;
    r.r11 = 0x246;
    return r;
}

TEST(Iret, ToUser) {
    const xen::IretContext frame{.rax = 5, .r11 = 0x202, .rcx = kUserRip, .flags = 0, .rip = kUserRip,
                                 .cs = kLinuxUserCs, .rflags = 0x3246, .rsp = kUserStack, .ss = kLinuxUserSs};
    Result<Decoded> o = decode_iret(frame, at_iret_hypercall(0xffffc90000013f00), kernel_mode(1));
    ASSERT_TRUE(o.ok());
    EXPECT_TRUE(o->enter_user_mode);
    EXPECT_EQ(o->regs.rip, kUserRip);
    EXPECT_EQ(o->regs.cs, kLinuxUserCs);
    EXPECT_EQ(o->regs.rflags, 0x246u);  // IOPL stripped
    EXPECT_EQ(o->regs.rsp, kUserStack);
    EXPECT_EQ(o->regs.ss, kLinuxUserSs);
    EXPECT_EQ(o->regs.rax, 5u);
    EXPECT_EQ(o->regs.rcx, kUserRip);
    EXPECT_EQ(o->regs.r11, 0x202u);
    EXPECT_EQ(o->regs.r15, 0xf15u);  // everything else as at the hypercall
    EXPECT_EQ(o->upcall_mask, 0);
    EXPECT_FALSE(o->may_use_sysret);
    EXPECT_FALSE(o->deliver_general_protection);
    EXPECT_EQ(o->iopl, 0);
}

TEST(Iret, ToKernelFromBounceFrame) {
    // The CS a bounce frame recorded for kernel context has RPL 0; IF clear means "masked".
    const xen::IretContext frame{.rax = 0, .r11 = 0x1111, .rcx = 0xcccc, .flags = 0, .rip = kKernelRip,
                                 .cs = 0x10, .rflags = 0x86, .rsp = kKernelStack, .ss = 0x18};
    Result<Decoded> o = decode_iret(frame, at_iret_hypercall(0xffffc90000013f00), kernel_mode(0));
    ASSERT_TRUE(o.ok());
    EXPECT_FALSE(o->enter_user_mode);
    EXPECT_EQ(o->regs.cs, kLinuxKernelCs);
    EXPECT_EQ(o->regs.ss, kLinuxKernelSs);
    EXPECT_EQ(o->regs.rflags, 0x286u);  // IF forced on in hardware
    EXPECT_EQ(o->upcall_mask, 1);
    EXPECT_EQ(o->regs.rcx, 0xccccu);
}

// Xen leaves such a return through SYSRET, which loads RCX with RIP and R11 with RFLAGS.
TEST(Iret, InSyscallReturnsRcxR11AsSysretDoes) {
    const xen::IretContext frame{.rax = 7, .r11 = 0xdead, .rcx = 0xbeef, .flags = xen::vgcf::in_syscall,
                                 .rip = kUserRip, .cs = 0xe033, .rflags = 0x202, .rsp = kUserStack, .ss = 0xe02b};
    const arch::CpuRegs at = at_iret_hypercall(0xffffc90000013f00);
    Result<Decoded> o = decode_iret(frame, at, kernel_mode(1));
    ASSERT_TRUE(o.ok());
    EXPECT_TRUE(o->may_use_sysret);
    EXPECT_EQ(o->regs.rcx, kUserRip);
    EXPECT_EQ(o->regs.r11, 0x202u);
    EXPECT_NE(o->regs.rcx, at.rcx);
    EXPECT_EQ(o->regs.rax, 7u);
}

TEST(Iret, RflagsSanitised) {
    // VM, IOPL, undefined bits 3, 5, 15 and 22-63 dropped; IF and bit 1 forced.
    const xen::IretContext frame{.rax = 0, .r11 = 0, .rcx = 0, .flags = 0, .rip = kUserRip, .cs = 0x33,
                                 .rflags = 0xffffffffffffffff, .rsp = kUserStack, .ss = 0x2b};
    Result<Decoded> o = decode_iret(frame, at_iret_hypercall(0x1000), kernel_mode());
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->regs.rflags, 0x003d4fd7u);
    EXPECT_EQ(o->upcall_mask, 0);
}

TEST(Iret, SelectorsForcedToRpl3AndTruncated) {
    const xen::IretContext frame{.rax = 0, .r11 = 0, .rcx = 0, .flags = 0, .rip = kKernelRip, .cs = 0xdead0010,
                                 .rflags = 0x202, .rsp = kKernelStack, .ss = 0xbeef0019};
    Result<Decoded> o = decode_iret(frame, at_iret_hypercall(0x1000), kernel_mode());
    ASSERT_TRUE(o.ok());
    EXPECT_FALSE(o->enter_user_mode);
    EXPECT_EQ(o->regs.cs, 0x0013);
    EXPECT_EQ(o->regs.ss, 0x001b);
}

TEST(Iret, NonCanonicalRipRaisesGeneralProtection) {
    const xen::IretContext frame{.rax = 0, .r11 = 0, .rcx = 0, .flags = xen::vgcf::in_syscall,
                                 .rip = 0x0000800000000000, .cs = 0x33, .rflags = 0x202, .rsp = kUserStack,
                                 .ss = 0x2b};
    Result<Decoded> o = decode_iret(frame, at_iret_hypercall(0x1000), kernel_mode());
    ASSERT_TRUE(o.ok());  // not a domain crash: a user process can ask for this via sigreturn
    EXPECT_TRUE(o->deliver_general_protection);
    EXPECT_TRUE(o->enter_user_mode);
    EXPECT_EQ(o->regs.rip, 0x0000800000000000u);
    // The caller then reflects #GP(0) from the new (user) context onto the kernel stack.
    GuestMode after = user_mode(o->upcall_mask);
    Result<Bounce> gp = build_exception_bounce(o->regs, {.vector = 13, .error_code = 0}, trap(13, kHandler, 0), after);
    ASSERT_TRUE(gp.ok());
    EXPECT_EQ(gp->frame.words[3], 0x0000800000000000u);
    EXPECT_EQ(gp->frame.words[4], 0x33u);
    for (uint64_t rip : {0x00007fffffffffffull, 0xffff800000000000ull, 0xffffffffffffffffull, 0x0ull})
        EXPECT_FALSE(decode_iret(iret_to(rip, 0x33, 0x202, kUserStack, 0x2b), at_iret_hypercall(0x1000),
                                       kernel_mode()).value().deliver_general_protection) << std::hex << rip;
}

TEST(Iret, UserModeWithoutUserPageTableCrashes) {
    GuestMode mode = kernel_mode();
    mode.has_user_page_table = false;
    const xen::IretContext to_user = iret_to(kUserRip, 0x33, 0x202, kUserStack, 0x2b);
    EXPECT_EQ(decode_iret(to_user, at_iret_hypercall(0x1000), mode).status(), Status::NotFound);
    const xen::IretContext to_kernel = iret_to(kKernelRip, 0xe030, 0x202, kKernelStack, 0xe02b);
    EXPECT_TRUE(decode_iret(to_kernel, at_iret_hypercall(0x1000), mode).ok());
}

TEST(Iret, OnlyFromKernelMode) {
    const xen::IretContext frame = iret_to(kUserRip, 0x33, 0x202, kUserStack, 0x2b);
    EXPECT_EQ(decode_iret(frame, at_iret_hypercall(0x1000), user_mode()).status(), Status::InvalidArgument);
}

TEST(Iret, ArchitecturalIoplTakenFromFrame) {
    GuestMode mode = kernel_mode();
    mode.iopl = 1;
    const xen::IretContext frame = iret_to(kUserRip, 0x33, 0x3202, kUserStack, 0x2b);
    EXPECT_EQ(decode_iret(frame, at_iret_hypercall(0x1000), mode).value().iopl, 1);  // unchanged
    mode.architectural_iopl = true;
    Result<Decoded> o = decode_iret(frame, at_iret_hypercall(0x1000), mode);
    EXPECT_EQ(o.value().iopl, 3);
    EXPECT_EQ(o.value().regs.rflags & rflags::iopl, 0u);  // hardware IOPL stays 0
}

// A bounce followed by the guest's iret of that very frame returns to the interrupted state.
TEST(RoundTrip, BounceThenIretRestoresContext) {
    const arch::CpuRegs at = regs_at(kUserRip, kLinuxUserCs, 0x10a46, kUserStack, kLinuxUserSs);
    Result<Bounce> b = build_event_bounce(at, kHandler, user_mode(0));
    ASSERT_TRUE(b.ok());
    // The Linux stub pops RCX and R11, the handler runs, then xen_iret pushes rax,r11,rcx,0.
    const auto& w = b->frame.words;
    const xen::IretContext frame{.rax = at.rax, .r11 = w[1], .rcx = w[0], .flags = 0, .rip = w[2], .cs = w[3],
                                 .rflags = w[4], .rsp = w[5], .ss = w[6]};
    arch::CpuRegs in_handler = at;
    b->entry.apply(in_handler);
    Result<Decoded> o = decode_iret(frame, in_handler, kernel_mode(b->upcall_mask));
    ASSERT_TRUE(o.ok());
    EXPECT_TRUE(o->enter_user_mode);
    EXPECT_EQ(o->regs.rip, at.rip);
    EXPECT_EQ(o->regs.cs, at.cs);
    EXPECT_EQ(o->regs.rsp, at.rsp);
    EXPECT_EQ(o->regs.ss, at.ss);
    EXPECT_EQ(o->regs.rflags, at.rflags);
    EXPECT_EQ(o->regs.rcx, at.rcx);
    EXPECT_EQ(o->regs.r11, at.r11);
    EXPECT_EQ(o->upcall_mask, 0);
}

}  // namespace
}  // namespace hv::pv
