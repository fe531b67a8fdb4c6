// Guest-side hypercall wrappers. guest_hypercall_raw is the one place that knows the
// mechanism (bare syscall or hypercall page, chosen at link time); everything here is
// a typed veneer over it. Arguments go in rdi, rsi, rdx, r10, r8; the result is the raw
// rax value (negative = -errno).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/mmu.hpp"
#include "hypercall/public/trap.hpp"

extern "C" int64_t guest_hypercall_raw(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                                       uint64_t a5);
// "syscall" or "hypercall-page".
extern "C" const char guest_hypercall_mechanism[];

namespace guest {

// A hypercall argument as the register value the ABI expects.
template <typename T>
inline uint64_t arg(T value) {
    if constexpr (std::is_pointer_v<T>)
        return reinterpret_cast<uint64_t>(value);
    else if constexpr (std::is_enum_v<T>)
        return static_cast<uint64_t>(xen::raw(value));
    else if constexpr (std::is_same_v<T, std::nullptr_t>)
        return 0;
    else
        return static_cast<uint64_t>(value);
}

template <typename N>
inline uint64_t number(N nr) {
    return arg(nr);
}

template <typename N>
inline int64_t hypercall0(N nr) {
    return guest_hypercall_raw(number(nr), 0, 0, 0, 0, 0);
}
template <typename N, typename A1>
inline int64_t hypercall1(N nr, A1 a1) {
    return guest_hypercall_raw(number(nr), arg(a1), 0, 0, 0, 0);
}
template <typename N, typename A1, typename A2>
inline int64_t hypercall2(N nr, A1 a1, A2 a2) {
    return guest_hypercall_raw(number(nr), arg(a1), arg(a2), 0, 0, 0);
}
template <typename N, typename A1, typename A2, typename A3>
inline int64_t hypercall3(N nr, A1 a1, A2 a2, A3 a3) {
    return guest_hypercall_raw(number(nr), arg(a1), arg(a2), arg(a3), 0, 0);
}
template <typename N, typename A1, typename A2, typename A3, typename A4>
inline int64_t hypercall4(N nr, A1 a1, A2 a2, A3 a3, A4 a4) {
    return guest_hypercall_raw(number(nr), arg(a1), arg(a2), arg(a3), arg(a4), 0);
}
template <typename N, typename A1, typename A2, typename A3, typename A4, typename A5>
inline int64_t hypercall5(N nr, A1 a1, A2 a2, A3 a3, A4 a4, A5 a5) {
    return guest_hypercall_raw(number(nr), arg(a1), arg(a2), arg(a3), arg(a4), arg(a5));
}

// Typed wrappers, one per hypercall. Sub-op codes stay typed; pass a raw integer through
// hypercallN directly to probe invalid codes.
using xen::Hypercall;

inline int64_t set_trap_table(const xen::TrapInfo* table) {
    return hypercall1(Hypercall::set_trap_table, table);
}
inline int64_t mmu_update(const xen::MmuUpdate* requests, uint32_t count, uint32_t* done,
                          xen::DomainId foreign = xen::domid_self) {
    return hypercall4(Hypercall::mmu_update, requests, count, done, foreign);
}
inline int64_t mmuext_op(const xen::MmuextOp* ops, uint32_t count, uint32_t* done,
                         xen::DomainId foreign = xen::domid_self) {
    return hypercall4(Hypercall::mmuext_op, ops, count, done, foreign);
}
inline int64_t update_va_mapping(uint64_t va, uint64_t pte, uint64_t flags) {
    return hypercall3(Hypercall::update_va_mapping, va, pte, flags);
}
inline int64_t stack_switch(uint64_t ss, uint64_t sp) {
    return hypercall2(Hypercall::stack_switch, ss, sp);
}
inline int64_t memory_op(xen::MemoryOp cmd, void* argument) {
    return hypercall2(Hypercall::memory_op, cmd, argument);
}
inline int64_t multicall(xen::MulticallEntry* entries, uint32_t count) {
    return hypercall2(Hypercall::multicall, entries, count);
}
inline int64_t xen_version(xen::VersionOp cmd, void* argument) {
    return hypercall2(Hypercall::xen_version, cmd, argument);
}
inline int64_t console_io(xen::ConsoleIoOp cmd, uint32_t count, const char* buffer) {
    return hypercall3(Hypercall::console_io, cmd, count, buffer);
}
inline int64_t grant_table_op(xen::GrantTableOp cmd, void* ops, uint32_t count) {
    return hypercall3(Hypercall::grant_table_op, cmd, ops, count);
}
inline int64_t vm_assist(xen::VmAssistCmd cmd, xen::VmAssistType type) {
    return hypercall2(Hypercall::vm_assist, cmd, type);
}
inline int64_t vcpu_op(xen::VcpuOp cmd, uint32_t vcpu, void* extra) {
    return hypercall3(Hypercall::vcpu_op, cmd, vcpu, extra);
}
inline int64_t set_segment_base(xen::SegmentBase which, uint64_t base) {
    return hypercall2(Hypercall::set_segment_base, which, base);
}
inline int64_t sched_op(xen::SchedOp cmd, void* argument) {
    return hypercall2(Hypercall::sched_op, cmd, argument);
}
inline int64_t callback_op(xen::CallbackOp cmd, void* argument) {
    return hypercall2(Hypercall::callback_op, cmd, argument);
}
inline int64_t event_channel_op(xen::EventChannelOp cmd, void* argument) {
    return hypercall2(Hypercall::event_channel_op, cmd, argument);
}
inline int64_t physdev_op(xen::PhysdevOp cmd, void* argument) {
    return hypercall2(Hypercall::physdev_op, cmd, argument);
}
inline int64_t platform_op(void* op) {
    return hypercall1(Hypercall::platform_op, op);
}

}  // namespace guest
