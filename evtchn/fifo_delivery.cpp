#include "evtchn/fifo_delivery.hpp"

#include "evtchn/delivery.hpp"
#include "evtchn/guest_atomic.hpp"
#include "seam/panic.hpp"

namespace hv::evtchn::fifo {
namespace {

namespace bits = xen::fifo_event;
using ControlBlock = xen::EventChannelFifoControlBlock;

constexpr uint32_t kPageSize = 4096;
constexpr uint32_t kWordsPerPage = xen::fifo_event_words_per_page;
// Bounded by the guest's permitted changes to a LINKED word (set/clear MASKED, clear
// PENDING, clear LINKED) once BUSY stops it from unmasking.
constexpr unsigned kLinkAttemptsWhileBusy = 4;
// Queue changes tolerated while locking an event's queues before the event is dropped.
constexpr unsigned kQueueLockAttempts = 3;

enum class LinkResult { Linked, TailUnlinked, Retry };

// Points the LINKED word at `port` (clearing BUSY), if it is still LINKED.
LinkResult try_link(uint32_t* word, uint32_t& seen, uint32_t port) {
    if ((seen & bits::linked) == 0)
        return LinkResult::TailUnlinked;
    const uint32_t desired = (seen & ~(bits::busy | xen::fifo_link_mask)) | port;
    return guest::compare_exchange(word, seen, desired) ? LinkResult::Linked : LinkResult::Retry;
}

// Appends `port` after the tail word. False if the tail has been unlinked by the guest
// meanwhile (the queue is empty and `port` must become its head).
bool link_after_tail(uint32_t* tail_word, uint32_t port) {
    uint32_t seen = guest::load(tail_word);
    LinkResult result = try_link(tail_word, seen, port);
    if (result != LinkResult::Retry)
        return result == LinkResult::Linked;

    guest::set_bit(tail_word, bits::busy_bit);
    seen = guest::load(tail_word);
    for (unsigned attempt = 0; attempt < kLinkAttemptsWhileBusy; ++attempt) {
        result = try_link(tail_word, seen, port);
        if (result == LinkResult::Linked)
            return true;
        if (result == LinkResult::TailUnlinked) {
            guest::clear_bit(tail_word, bits::busy_bit);
            return false;
        }
    }
    // A guest breaking the protocol: give up on this link (as Xen does) rather than spin.
    guest::clear_bit(tail_word, bits::busy_bit);
    return true;
}

void lock_queues(FifoQueue* a, FifoQueue* b) {
    if (a == b) {
        a->lock.lock();
    } else if (a < b) {
        a->lock.lock();
        b->lock.lock();
    } else {
        b->lock.lock();
        a->lock.lock();
    }
}

void unlock_queues(FifoQueue* a, FifoQueue* b) {
    if (a != b)
        b->lock.unlock();
    a->lock.unlock();
}

FifoQueue* queue_of(EventDomain& d, uint32_t queue_id) {
    EventVcpu* v = d.vcpu(fifo_queue_vcpu(queue_id));
    HV_ASSERT(v != nullptr);
    return &v->fifo_queues[fifo_queue_priority(queue_id)];
}

// After the switch from 2-level: remember which bound ports were pending in the 2-level
// bitmap (their words appear with expand_array) and start them at the default priority.
// Xen also carries the bit of a Free port, raising a spurious event once it is bound
// again; we carry bound ports only.
void carry_over_ports(EventDomain& d, uint32_t previous_ports) {
    xen::SharedInfo* shared = d.memory().shared_info();
    for (uint32_t port = 1; port < previous_ports && d.ports().valid(port); ++port) {
        EventChannel& channel = d.ports().at(port);
        if (shared != nullptr && channel.usable() && guest::test_bit(&shared->evtchn_pending[port / 64], port % 64))
            channel.fifo_pending.store(true, std::memory_order_relaxed);
        channel.priority.store(xen::fifo_priority_default, std::memory_order_relaxed);
    }
}

}  // namespace

uint32_t* event_word(EventDomain& d, uint32_t port) {
    FifoEventArray& array = d.fifo_array();
    if (port >= array.word_count.load(std::memory_order_acquire))
        return nullptr;
    return array.pages[port / kWordsPerPage].load(std::memory_order_relaxed) + port % kWordsPerPage;
}

void port_init(EventDomain& d, EventChannel& channel) {
    channel.priority.store(xen::fifo_priority_default, std::memory_order_relaxed);
}

void raise(EventDomain& d, unsigned vcpu_id, EventChannel& channel) {
    const uint32_t port = channel.port;
    uint32_t* word = event_word(d, port);
    if (word == nullptr) {
        channel.fifo_pending.store(true, std::memory_order_relaxed);
        return;
    }
    EventVcpu* v = d.vcpu(vcpu_id);
    HV_ASSERT(v != nullptr);

    // Lock the target queue and the queue the event was last linked on (the same one
    // unless the channel changed vCPU or priority), re-checking both once locked.
    FifoQueue* queue = nullptr;
    FifoQueue* old_queue = nullptr;
    bool locked = false;
    for (unsigned attempt = 0; attempt < kQueueLockAttempts && !locked; ++attempt) {
        const uint32_t last = channel.fifo_last_queue.load(std::memory_order_acquire);
        queue = &v->fifo_queues[channel.priority.load(std::memory_order_relaxed)];
        old_queue = queue_of(d, last);
        lock_queues(queue, old_queue);
        locked = queue == &v->fifo_queues[channel.priority.load(std::memory_order_relaxed)] &&
                 last == channel.fifo_last_queue.load(std::memory_order_acquire);
        if (!locked)
            unlock_queues(queue, old_queue);
    }
    if (!locked)
        return;  // the guest keeps moving the channel; Xen drops the event too

    bool needs_ready = false;
    bool newly_pending = false;
    ControlBlock* control = v->fifo_control.load(std::memory_order_acquire);
    // Without a control block the guest cannot have unmasked anything yet: drop.
    if (control != nullptr) {
        newly_pending = !guest::test_and_set_bit(word, bits::pending_bit);
        if (!guest::test_bit(word, bits::masked_bit) && !guest::test_and_set_bit(word, bits::linked_bit)) {
            // If it was the old queue's tail, that queue is empty now: forget the tail
            // so that nothing gets appended to a word living on another queue.
            if (old_queue->tail == port)
                old_queue->tail = 0;
            if (old_queue != queue) {
                channel.fifo_last_queue.store(fifo_queue_id(vcpu_id, queue->priority), std::memory_order_release);
                old_queue->lock.unlock();
                old_queue = queue;
            }
            bool linked = false;
            if (queue->tail != 0) {
                uint32_t* tail_word = event_word(d, queue->tail);
                linked = tail_word != nullptr && link_after_tail(tail_word, port);
            }
            if (!linked)
                guest::store(queue->head, port);
            queue->tail = port;
            needs_ready = !linked;
        }
    }
    unlock_queues(queue, old_queue);

    if (needs_ready && !guest::test_and_set_bit(&control->ready, queue->priority))
        delivery::mark_events_pending(d, vcpu_id);
    if (newly_pending)
        delivery::check_pollers(d, port);
}

void clear_pending(EventDomain& d, EventChannel& channel) {
    channel.fifo_pending.store(false, std::memory_order_relaxed);
    // Only PENDING: the guest unlinks words itself and skips those not pending.
    if (uint32_t* word = event_word(d, channel.port))
        guest::clear_bit(word, bits::pending_bit);
}

void unmask(EventDomain& d, EventChannel& channel) {
    uint32_t* word = event_word(d, channel.port);
    if (word == nullptr)
        return;
    guest::clear_bit(word, bits::masked_bit);
    if (guest::test_bit(word, bits::pending_bit))
        raise(d, channel.notify_vcpu.load(std::memory_order_relaxed), channel);
}

bool is_pending(EventDomain& d, const EventChannel& channel) {
    const uint32_t* word = event_word(d, channel.port);
    return word != nullptr && guest::test_bit(word, bits::pending_bit);
}

bool is_masked(EventDomain& d, const EventChannel& channel) {
    const uint32_t* word = event_word(d, channel.port);
    return word == nullptr || guest::test_bit(word, bits::masked_bit);
}

bool is_busy(EventDomain& d, const EventChannel& channel) {
    const uint32_t* word = event_word(d, channel.port);
    return word != nullptr && guest::test_bit(word, bits::linked_bit);
}

Status init_control(EventDomain& d, uint32_t vcpu_id, uint64_t control_gfn, uint32_t offset) {
    EventVcpu* v = d.vcpu(vcpu_id);
    if (v == nullptr)
        return Status::NotFound;
    if (offset > kPageSize - sizeof(ControlBlock))
        return Status::InvalidArgument;
    if ((offset & 7) != 0)
        return Status::InvalidArgument;
    if (v->fifo_control.load(std::memory_order_relaxed) != nullptr)
        return Status::InvalidArgument;

    Result<void*> page = d.memory().map_guest_frame(control_gfn);
    if (!page.ok())
        return page.status();

    // Queue heads first, then publish the block: raise() only uses heads it reached
    // through a non-null control block.
    auto* control = reinterpret_cast<ControlBlock*>(static_cast<uint8_t*>(*page) + offset);
    for (uint32_t q = 0; q < xen::fifo_max_queues; ++q) {
        // Locked: a raise for another vCPU may look at this queue as the one its event
        // was last linked on (from before a reset).
        LockGuard guard(v->fifo_queues[q].lock);
        v->fifo_queues[q].head = &control->head[q];
        v->fifo_queues[q].tail = 0;
    }
    v->fifo_control_page = *page;
    v->fifo_control.store(control, std::memory_order_release);

    if (d.abi() == EventAbi::TwoLevel) {
        const uint32_t previous_ports = d.max_ports();
        // Switch before scanning: a raise that still went to the 2-level bitmap is seen by
        // the scan, a later one finds no event word and sets fifo_pending.
        d.set_abi(EventAbi::Fifo);
        carry_over_ports(d, previous_ports);
    }
    return Status::Ok;
}

Status expand_array(EventDomain& d, uint64_t array_gfn) {
    if (d.abi() != EventAbi::Fifo)
        return Status::OperationNotSupported;
    FifoEventArray& array = d.fifo_array();
    const uint32_t first_port = array.word_count.load(std::memory_order_relaxed);
    const uint32_t slot = first_port / kWordsPerPage;
    if (slot >= FifoEventArray::kMaxPages)
        return Status::NoSpace;

    Result<void*> page = d.memory().map_guest_frame(array_gfn);
    if (!page.ok())
        return page.status();
    array.pages[slot].store(static_cast<uint32_t*>(*page), std::memory_order_relaxed);
    array.word_count.store(first_port + kWordsPerPage, std::memory_order_release);

    // Events raised while these words did not exist (Xen re-raises without looking at
    // the channel; one closed meanwhile is skipped here).
    for (uint32_t port = first_port; port < first_port + kWordsPerPage && d.ports().valid(port); ++port) {
        EventChannel& channel = d.ports().at(port);
        if (channel.fifo_pending.exchange(false, std::memory_order_relaxed) && channel.usable())
            raise(d, channel.notify_vcpu.load(std::memory_order_relaxed), channel);
    }
    return Status::Ok;
}

void teardown(EventDomain& d) {
    d.set_abi(EventAbi::TwoLevel);
    for (unsigned i = 0; i < d.vcpu_count(); ++i) {
        EventVcpu& v = *d.vcpu(i);
        v.fifo_control.store(nullptr, std::memory_order_release);
        for (FifoQueue& queue : v.fifo_queues) {
            LockGuard guard(queue.lock);
            queue.head = nullptr;
            queue.tail = 0;
        }
        if (v.fifo_control_page != nullptr) {
            d.memory().release_guest_frame(v.fifo_control_page);
            v.fifo_control_page = nullptr;
        }
    }
    FifoEventArray& array = d.fifo_array();
    array.word_count.store(0, std::memory_order_release);
    for (auto& slot : array.pages) {
        if (uint32_t* page = slot.exchange(nullptr, std::memory_order_relaxed))
            d.memory().release_guest_frame(page);
    }
}

}  // namespace hv::evtchn::fifo
