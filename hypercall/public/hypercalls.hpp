// Xen's 64-bit PV guest ABI, numbers only: hypercall numbers, sub-operation codes, error
// numbers, reserved domain ids, VM assists, feature bits, flag words. The struct layouts
// live in the sibling headers; one definition serves the hypervisor, the test guests and
// the dom0 tools (STYLE.md rule 3). Facts: shared/spec/xen-pv-abi.md §3-§4.
//
// Naming: ABI codes keep Xen's own spelling without the prefix (HYPERVISOR_mmu_update ->
// Hypercall::mmu_update, XENMEM_exchange -> MemoryOp::exchange) so that a grep for the
// Xen name finds ours. Error numbers are spelled in lower case (Errno::einval) because
// <cerrno> defines the upper-case names as macros in hosted code.
//
// Invariant: every value here is part of the guest-visible ABI and must never change.
#pragma once

#include <cstdint>
#include <type_traits>

#include "hypercall/public/elfnote.hpp"
#include "hypercall/public/x86_64.hpp"

namespace xen {

// The integer an ABI enum stands for (what goes into a register or a struct field).
template <typename E>
    requires std::is_enum_v<E>
constexpr std::underlying_type_t<E> raw(E value) {
    return static_cast<std::underlying_type_t<E>>(value);
}

// Hypercall number, passed in eax.
enum class Hypercall : uint32_t {
    set_trap_table = 0,
    mmu_update = 1,
    set_gdt = 2,
    stack_switch = 3,
    set_callbacks = 4,
    fpu_taskswitch = 5,
    sched_op_compat = 6,
    platform_op = 7,
    set_debugreg = 8,
    get_debugreg = 9,
    update_descriptor = 10,
    memory_op = 12,
    multicall = 13,
    update_va_mapping = 14,
    set_timer_op = 15,
    event_channel_op_compat = 16,
    xen_version = 17,
    console_io = 18,
    physdev_op_compat = 19,
    grant_table_op = 20,
    vm_assist = 21,
    update_va_mapping_otherdomain = 22,
    iret = 23,
    vcpu_op = 24,
    set_segment_base = 25,
    mmuext_op = 26,
    xsm_op = 27,
    nmi_op = 28,
    sched_op = 29,
    callback_op = 30,
    xenoprof_op = 31,
    event_channel_op = 32,
    physdev_op = 33,
    hvm_op = 34,
    sysctl = 35,
    domctl = 36,
    kexec_op = 37,
    tmem_op = 38,
    argo_op = 39,
    xenpmu_op = 40,
    dm_op = 41,
    hypfs_op = 42,
    mca = 48,  // arch_0 on x86; 49-55 (arch_1..arch_7) are unused on x86
};
// Size of the dispatch table (and of the hypercall page: 128 stubs of 32 bytes).
inline constexpr uint32_t hypercall_table_size = 64;
inline constexpr uint32_t hypercall_page_stub_bytes = 32;

// Error numbers (Xen public errno values). The hypervisor returns the negated value.
enum class Errno : int32_t {
    eperm = 1,
    enoent = 2,
    esrch = 3,
    eintr = 4,  // internal to Xen: never returned to a guest
    eio = 5,
    enxio = 6,
    e2big = 7,
    enoexec = 8,
    ebadf = 9,
    echild = 10,
    eagain = 11,
    enomem = 12,
    eacces = 13,
    efault = 14,
    ebusy = 16,
    eexist = 17,
    exdev = 18,
    enodev = 19,
    enotdir = 20,
    eisdir = 21,
    einval = 22,
    enfile = 23,
    emfile = 24,
    enospc = 28,
    espipe = 29,  // Linux's value; absent from Xen's own list, never returned by Xen
    erofs = 30,
    emlink = 31,
    edom = 33,
    erange = 34,
    edeadlk = 35,
    enametoolong = 36,
    enolck = 37,
    enosys = 38,
    enotempty = 39,
    enodata = 61,
    etime = 62,
    ebadmsg = 74,
    eoverflow = 75,
    eilseq = 84,
    erestart = 85,  // internal to Xen (continuations): never returned to a guest
    enotsock = 88,
    emsgsize = 90,
    eopnotsupp = 95,
    eaddrinuse = 98,
    eaddrnotavail = 99,
    enobufs = 105,
    eisconn = 106,
    enotconn = 107,
    etimedout = 110,
    econnrefused = 111,
};

// The value a hypercall returns in rax for this error.
constexpr int64_t error_return(Errno e) {
    return -static_cast<int64_t>(raw(e));
}

// Domain ids (domid_t is 16 bits). Ids >= domid_first_reserved are never real domains.
using DomainId = uint16_t;
inline constexpr DomainId domid_first_reserved = 0x7FF0;
inline constexpr DomainId domid_self = 0x7FF0;
inline constexpr DomainId domid_io = 0x7FF1;
inline constexpr DomainId domid_xen = 0x7FF2;
inline constexpr DomainId domid_cow = 0x7FF3;
inline constexpr DomainId domid_invalid = 0x7FF4;
inline constexpr DomainId domid_idle = 0x7FFF;
inline constexpr DomainId domid_mask = 0x7FFF;

// vm_assist(cmd, type).
enum class VmAssistCmd : uint32_t { enable = 0, disable = 1 };
enum class VmAssistType : uint32_t {
    four_gb_segments = 0,
    four_gb_segments_notify = 1,
    writable_pagetables = 2,
    pae_extended_cr3 = 3,
    architectural_iopl = 4,
    runstate_update_flag = 5,
    m2p_strict = 32,
};

// XENVER_get_features submap 0: bit numbers.
enum class Feature : uint32_t {
    writable_page_tables = 0,
    writable_descriptor_tables = 1,
    auto_translated_physmap = 2,
    supervisor_mode_kernel = 3,
    pae_pgdir_above_4gb = 4,
    mmu_pt_update_preserve_ad = 5,
    highmem_assist = 6,
    gnttab_map_avail_bits = 7,
    hvm_callback_vector = 8,
    hvm_safe_pvclock = 9,
    hvm_pirqs = 10,
    dom0 = 11,
    grant_map_identity = 12,
    memory_op_vnode_supported = 13,
    arm_smccc_supported = 14,
    linux_rsdp_unrestricted = 15,
    not_direct_mapped = 16,
    direct_mapped = 17,
};
inline constexpr uint32_t feature_submap_count = 1;
constexpr uint32_t feature_bit(Feature f) {
    return 1u << raw(f);
}

enum class VersionOp : uint32_t {
    version = 0,
    extraversion = 1,
    compile_info = 2,
    capabilities = 3,
    changeset = 4,
    platform_parameters = 5,
    get_features = 6,
    pagesize = 7,
    guest_handle = 8,
    commandline = 9,
    build_id = 10,
};

enum class ConsoleIoOp : uint32_t { write = 0, read = 1 };

enum class MemoryOp : uint32_t {
    increase_reservation = 0,
    decrease_reservation = 1,
    maximum_ram_page = 2,
    current_reservation = 3,
    maximum_reservation = 4,
    machphys_mfn_list = 5,
    populate_physmap = 6,
    add_to_physmap = 7,
    memory_map = 9,
    machine_memory_map = 10,
    exchange = 11,
    machphys_mapping = 12,
    set_memory_map = 13,
    maximum_gpfn = 14,
    remove_from_physmap = 15,
    add_to_physmap_batch = 23,
    claim_pages = 24,
    machphys_compat_mfn_list = 25,
    get_vnumainfo = 26,
    reserved_device_memory_map = 27,
    acquire_resource = 28,
};
// The memory_op command word carries a continuation start extent above this shift.
inline constexpr uint32_t memop_extent_shift = 6;
inline constexpr uint32_t memop_cmd_mask = (1u << memop_extent_shift) - 1;

enum class VcpuOp : uint32_t {
    initialise = 0,
    up = 1,
    down = 2,
    is_up = 3,
    get_runstate_info = 4,
    register_runstate_memory_area = 5,
    set_periodic_timer = 6,
    stop_periodic_timer = 7,
    set_singleshot_timer = 8,
    stop_singleshot_timer = 9,
    register_vcpu_info = 10,
    send_nmi = 11,
    get_physid = 12,
    register_vcpu_time_memory_area = 13,
};

enum class SchedOp : uint32_t {
    yield = 0,
    block = 1,
    shutdown = 2,
    poll = 3,
    remote_shutdown = 4,
    shutdown_code = 5,
    watchdog = 6,
    pin_override = 7,
};

enum class CallbackOp : uint32_t { register_callback = 0, unregister_callback = 1 };

enum class EventChannelOp : uint32_t {
    bind_interdomain = 0,
    bind_virq = 1,
    bind_pirq = 2,
    close = 3,
    send = 4,
    status = 5,
    alloc_unbound = 6,
    bind_ipi = 7,
    bind_vcpu = 8,
    unmask = 9,
    reset = 10,
    init_control = 11,
    expand_array = 12,
    set_priority = 13,
};

enum class GrantTableOp : uint32_t {
    map_grant_ref = 0,
    unmap_grant_ref = 1,
    setup_table = 2,
    dump_table = 3,
    transfer = 4,
    copy = 5,
    query_size = 6,
    unmap_and_replace = 7,
    set_version = 8,
    get_status_frames = 9,
    get_version = 10,
    swap_grant_ref = 11,
    cache_flush = 12,
};

enum class PhysdevOp : uint32_t {
    irq_unmask_notify = 4,
    irq_status_query = 5,
    set_iopl = 6,
    set_iobitmap = 7,
    apic_read = 8,
    apic_write = 9,
    alloc_irq_vector = 10,
    free_irq_vector = 11,
    eoi = 12,
    map_pirq = 13,
    unmap_pirq = 14,
    manage_pci_add = 15,
    manage_pci_remove = 16,
    pirq_eoi_gmfn_v1 = 17,
    restore_msi = 19,
    manage_pci_add_ext = 20,
    setup_gsi = 21,
    get_free_pirq = 23,
    pci_mmcfg_reserved = 24,
    pci_device_add = 25,
    pci_device_remove = 26,
    restore_msi_ext = 27,
    pirq_eoi_gmfn_v2 = 28,
    dbgp_op = 29,
    prepare_msix = 30,
    release_msix = 31,
};

// mmu_update: the low 2 bits of mmu_update.ptr select the command.
enum class MmuCmd : uint32_t {
    normal_pt_update = 0,
    machphys_update = 1,
    pt_update_preserve_ad = 2,
    pt_update_no_translate = 3,
};
inline constexpr uint64_t mmu_cmd_mask = 3;
// Set in the count argument of mmu_update/mmuext_op by a continuation.
inline constexpr uint32_t mmu_update_preempted = 0x80000000u;

enum class MmuextCmd : uint32_t {
    pin_l1_table = 0,
    pin_l2_table = 1,
    pin_l3_table = 2,
    pin_l4_table = 3,
    unpin_table = 4,
    new_baseptr = 5,
    tlb_flush_local = 6,
    invlpg_local = 7,
    tlb_flush_multi = 8,
    invlpg_multi = 9,
    tlb_flush_all = 10,
    invlpg_all = 11,
    flush_cache = 12,
    set_ldt = 13,
    new_user_baseptr = 15,
    clear_page = 16,
    copy_page = 17,
    flush_cache_global = 18,
    mark_super = 19,
    unmark_super = 20,
};

// update_va_mapping flags: low 2 bits = flush type, the rest = scope (or a vCPU-mask
// pointer when neither local nor all).
namespace uvmf {
inline constexpr uint64_t none = 0;
inline constexpr uint64_t tlb_flush = 1;
inline constexpr uint64_t invlpg = 2;
inline constexpr uint64_t flush_type_mask = 3;
inline constexpr uint64_t local = 0 << 2;
inline constexpr uint64_t all = 1 << 2;
}  // namespace uvmf

// set_segment_base(which, base).
enum class SegmentBase : uint32_t { fs = 0, gs_user = 1, gs_kernel = 2, gs_user_sel = 3 };

// Virtual IRQs (event-channel sources bound with EVTCHNOP_bind_virq).
enum class Virq : uint32_t {
    timer = 0,
    debug = 1,
    console = 2,
    dom_exc = 3,
    tbuf = 4,
    debugger = 6,
    xenoprof = 7,
    con_ring = 8,
    pcpu_state = 9,
    mem_event = 10,
    argo = 11,
    enomem = 12,
    xenpmu = 13,
    mca = 16,  // VIRQ_ARCH_0 on x86
};
inline constexpr uint32_t virq_count = 24;

}  // namespace xen
