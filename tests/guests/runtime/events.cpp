#include "events.hpp"

#include "hypercall.hpp"
#include "paging.hpp"
#include "runtime.hpp"
#include "traps.hpp"

#include "hypercall/public/start_info.hpp"

namespace guest {
namespace {

alignas(4096) constinit uint8_t g_shared_info_window[4096];
constinit xen::SharedInfo* g_shared_info = nullptr;
constinit xen::VcpuInfo* g_vcpu_info = nullptr;
constinit EventStats g_stats{};

}  // namespace

int64_t map_shared_info() {
    const uint64_t va = reinterpret_cast<uint64_t>(g_shared_info_window);
    const uint64_t machine_address = start_info()->shared_info;
    const int64_t rc = update_va_mapping(
        va, machine_address | pte_present | pte_writable | pte_accessed | pte_dirty, xen::uvmf::invlpg);
    if (rc == 0) {
        g_shared_info = reinterpret_cast<xen::SharedInfo*>(va);
        g_vcpu_info = &g_shared_info->vcpu_info[0];
    }
    return rc;
}

xen::SharedInfo* shared_info() {
    return g_shared_info;
}

xen::VcpuInfo* vcpu_info() {
    return g_vcpu_info;
}

void set_vcpu_info(xen::VcpuInfo* info) {
    g_vcpu_info = info;
}

uint64_t system_time_ns() {
    const volatile xen::VcpuTimeInfo* time = g_vcpu_info != nullptr ? &g_vcpu_info->time : nullptr;
    if (time == nullptr)
        return 0;
    for (;;) {
        const uint32_t version = time->version;
        asm volatile("" ::: "memory");
        const uint64_t stamp = time->tsc_timestamp;
        const uint64_t system_time = time->system_time;
        const uint32_t mul = time->tsc_to_system_mul;
        const int8_t shift = time->tsc_shift;
        uint32_t lo, hi;
        asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
        asm volatile("" ::: "memory");
        if ((version & 1) != 0 || version != time->version)
            continue;
        uint64_t delta = ((static_cast<uint64_t>(hi) << 32) | lo) - stamp;
        delta = shift >= 0 ? delta << shift : delta >> -shift;
        return system_time + static_cast<uint64_t>((static_cast<unsigned __int128>(delta) * mul) >> 32);
    }
}

int64_t register_event_callback() {
    xen::CallbackRegister reg{xen::raw(xen::CallbackType::event), xen::callbackf_mask_events, 0,
                              reinterpret_cast<uint64_t>(&guest_event_callback)};
    return callback_op(xen::CallbackOp::register_callback, &reg);
}

EventStats& event_stats() {
    return g_stats;
}

bool event_seen(uint32_t port) {
    return port < 4096 && (g_stats.seen[port / 64] & (1ull << (port % 64))) != 0;
}

void handle_event_upcall() {
    ++g_stats.upcalls;
    xen::VcpuInfo* info = g_vcpu_info;
    if (info == nullptr || g_shared_info == nullptr)
        return;
    info->evtchn_upcall_pending = 0;
    uint64_t selector = __atomic_exchange_n(&info->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (selector != 0) {
        const unsigned word = static_cast<unsigned>(__builtin_ctzll(selector));
        selector &= selector - 1;
        const uint64_t pending = __atomic_load_n(&g_shared_info->evtchn_pending[word], __ATOMIC_SEQ_CST) &
                                 ~__atomic_load_n(&g_shared_info->evtchn_mask[word], __ATOMIC_SEQ_CST);
        g_stats.seen[word] |= pending;
    }
}

void set_port_mask(uint32_t port, bool masked) {
    if (g_shared_info == nullptr || port >= 4096)
        return;
    uint64_t* word = &g_shared_info->evtchn_mask[port / 64];
    const uint64_t bit = 1ull << (port % 64);
    if (masked)
        __atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST);
}

bool port_pending(uint32_t port) {
    if (g_shared_info == nullptr || port >= 4096)
        return false;
    return (__atomic_load_n(&g_shared_info->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & (1ull << (port % 64))) != 0;
}

void clear_port_pending(uint32_t port) {
    if (g_shared_info == nullptr || port >= 4096)
        return;
    __atomic_fetch_and(&g_shared_info->evtchn_pending[port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
}

}  // namespace guest
