// Domain destruction: everything a domain holds goes back, in an order that never frees
// something another CPU may still be using.
//
//   1. dying + unlinked: no new lookups (domain_by_id), no new scheduling decisions for it.
//   2. vCPUs stopped: out of the run queues, timers cancelled, state saved off every CPU
//      (loaded_on == -1), then removed from the scheduler.
//   3. quiesce: this CPU's softirq queue is drained and every other CPU passes a
//      quiescent point, so no timer callback, softirq entry or hypercall in flight still
//      holds a pointer to the vCPUs (kernel/quiesce.hpp).
//   4. event channels closed (interdomain peers go back to unbound and are notified, as
//      on Xen), grant mappings it made undone.
//   5. references the vCPUs hold (CR3 roots, GDT frames, a registered vcpu_info) dropped;
//      pinned tables unpinned (which de-validates every table tree); then the allocation
//      reference of every frame it owns is released. A frame reaches the allocator when
//      its last reference goes; one still mapped by another domain (dom0's foreign
//      mappings) is freed when that mapping goes, as Xen's zombie domains do.
//   6. the Domain and its vCPUs deleted (step 3 made sure no CPU still holds a pointer).
//
// Frames are found by scanning the frame table for the owner (domains keep no page lists,
// see domain/page_types_glue.cpp). Nothing here is preemptible yet: Xen splits a large
// teardown with continuations; ours runs to the end in one call (documented in
// docs/abi-compatibility.md).
#include "arch/x86_64/cpu.hpp"
#include "domain/domain.hpp"
#include "domain/events_glue.hpp"
#include "domain/irq_glue.hpp"
#include "domain/grant_glue.hpp"
#include "domain/page_types_glue.hpp"
#include "domain/scheduler.hpp"
#include "domain/vcpu_timers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "kernel/log.hpp"
#include "kernel/m2p.hpp"
#include "kernel/memory.hpp"
#include "kernel/quiesce.hpp"
#include "kernel/softirq.hpp"
#include "lib/spinlock.hpp"

namespace hv {
namespace {

void stop_vcpus(Domain& d) {
    for (unsigned i = 0; i < d.vcpu_count(); ++i) {
        Vcpu& v = *d.vcpu(i);
        v.online.store(false);
        sched_vcpu_stopped(v);
        vcpu_timers_stop(v);
    }
    // A CPU running one of them leaves it at its next exit-path visit (the scheduler
    // kicked it); wait for the save to finish.
    for (unsigned i = 0; i < d.vcpu_count(); ++i)
        while (d.vcpu(i)->loaded_on.load(std::memory_order_acquire) != -1)
            cpu_relax();
    for (unsigned i = 0; i < d.vcpu_count(); ++i)
        sched_remove_vcpu(*d.vcpu(i));
}

void quiesce() {
    {
        arch::IrqSave irq;
        softirq_run();
    }
    quiesce_wait_others();
}

void drop_vcpu_references(Domain& d) {
    pv::PageTypes& pt = page_types();
    for (unsigned i = 0; i < d.vcpu_count(); ++i) {
        Vcpu& v = *d.vcpu(i);
        vcpu_timers_stop(v);  // again: nothing can re-arm them after the quiesce
        PvVcpuState& s = v.pv;
        if (s.guest_table != 0)
            pt.put_page_and_type(s.guest_table);
        if (s.guest_table_user != 0)
            pt.put_page_and_type(s.guest_table_user);
        s.guest_table = s.guest_table_user = 0;
        for (unsigned f = 0; f < (s.gdt_entries + 511) / 512; ++f)
            pt.put_page_and_type(s.gdt_frames[f]);
        s.gdt_entries = 0;
        if (v.vcpu_info_registered) {
            pt.put_page_and_type(v.vcpu_info_mfn());
            v.vcpu_info_registered = false;
        }
        v.set_vcpu_info(nullptr, 0);
    }
}

struct FrameCounts {
    uint64_t released = 0;  // allocation references dropped
    uint64_t lingering = 0; // still referenced by someone else afterwards
};

FrameCounts release_frames(Domain& d) {
    pv::PageTypes& pt = page_types();
    const uint16_t id = d.id();
    const Pfn end = pt.frame_count();
    // Unpin first: that drops every table tree rooted in a pin, so the releases below
    // find plain frames.
    for (Pfn mfn = 0; mfn < end; ++mfn)
        if (pt.owner_of(mfn) == id && pt.is_pinned(mfn))
            (void)pt.unpin(mfn, id);
    FrameCounts counts;
    for (Pfn mfn = 0; mfn < end; ++mfn) {
        if (pt.owner_of(mfn) != id || !pt.is_allocated(mfn))
            continue;
        if (!pt.is_hypervisor_page(mfn))
            m2p_set(mfn, ~uint64_t{0});
        if (pt.release(mfn, id) == Status::Ok)
            ++counts.released;
        if (pt.owner_of(mfn) == id)
            ++counts.lingering;
    }
    return counts;
}

}  // namespace

Status domain_destroy(Domain& d) {
    if (d.privileged())
        return Status::InvalidArgument;  // the hardware domain's end is the machine's
    if (d.dying.load())
        return Status::NoSuchDomain;
    detail::domain_teardown(d);
    return Status::Ok;
}

void detail::domain_teardown(Domain& d) {
    if (d.dying.exchange(true))
        return;  // another CPU is already at it
    const uint64_t free_before = frame_allocator().free_frames();
    domain_unlink(d);
    d.shut_down.store(true);

    stop_vcpus(d);
    quiesce();
    events_detach(d);
    irq_domain_destroyed(d);
    grant_domain_destroy(d);
    drop_vcpu_references(d);
    const FrameCounts counts = release_frames(d);
    d.tot_pages = 0;
    sched_remove_domain(d);

    LOG_INFO("domain %u destroyed: %llu frames released (%llu still mapped elsewhere), free frames %llu -> %llu, heap pages %zu",
             d.id(), static_cast<unsigned long long>(counts.released),
             static_cast<unsigned long long>(counts.lingering), static_cast<unsigned long long>(free_before),
             static_cast<unsigned long long>(frame_allocator().free_frames()), heap().stats().pages);
    send_global_virq(xen::raw(xen::Virq::dom_exc));
    delete &d;
    // Empty slab pages the domain's objects leave behind go back too, so the free-frame
    // count returns to what it was before the domain was built.
    (void)heap().release_cached();
}

}  // namespace hv
