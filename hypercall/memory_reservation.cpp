// memory_op's balloon half: increase_reservation, decrease_reservation, populate_physmap and
// exchange, with Xen 4.17's semantics for a PV (not translated) domain:
//
//   - The reservation ops return the number of extents done (never -errno: a bad argument just
//     stops early), may target another domain only from the control domain, and are
//     preemptible: the continuation re-issues memory_op with the next extent index in the
//     command's bits 6 and up (MEMOP_EXTENT_SHIFT), as Xen encodes it.
//   - extent_start lists MFNs for decrease (the PV "gmfn" is the MFN), receives MFNs from
//     increase, and holds PFNs in / MFNs out for populate (which also writes M2P[mfn] = pfn).
//   - A domain never holds more than max_pages; an address-width limit in mem_flags (e.g. 32
//     for swiotlb) restricts the frames handed out.
//   - exchange trades frames the guest no longer maps for new ones chunk by chunk: a chunk is
//     stolen (only frames nothing else references), the replacement allocated, and only then
//     the old frames freed; any failure gives the chunk back and reports nr_exchanged.
//
// Locking: Domain::lock around tot_pages; page ownership changes are the page-type core's
// atomic operations; the frame allocator has its own lock.
#include "domain/domain.hpp"
#include "domain/page_types_glue.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/memory_reservation.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/memory.hpp"
#include "kernel/m2p.hpp"
#include "kernel/memory.hpp"

namespace hv {
namespace {

constexpr unsigned kDomuMaxOrder = 9;          // Xen's CONFIG_DOMU_MAX_ORDER
constexpr unsigned kControlMaxOrder = BuddyAllocator::kMaxOrder;  // Xen: PAGEALLOC_MAX_ORDER

unsigned max_order(const Domain& caller) { return caller.privileged() ? kControlMaxOrder : kDomuMaxOrder; }

// The frame limit an address width sets (kNoLimit if it does not restrict this machine), or
// 0 for a width too small to mean anything (Xen refuses those).
Pfn frame_limit(uint32_t mem_flags) {
    const uint32_t bits = xen::memf::get_address_bits(mem_flags);
    if (bits == 0 || bits >= 64 || (Pfn{1} << (bits - kPageShift)) >= max_pfn())
        return BuddyAllocator::kNoLimit;
    return bits <= kPageShift ? 0 : Pfn{1} << (bits - kPageShift);
}

Domain* reservation_domain(HypercallContext& ctx, uint16_t domid) {
    if (domid == kDomidSelf || domid == ctx.domain().id())
        return &ctx.domain();
    return ctx.domain().privileged() ? domain_by_id(domid) : nullptr;
}

// 2^order fresh frames owned by `d`, counted in tot_pages; the first MFN, or an error with
// nothing left allocated.
Result<Pfn> allocate_for(Domain& d, unsigned order, Pfn limit) {
    const uint64_t pages = uint64_t{1} << order;
    {
        LockGuard guard(d.lock);
        if (d.tot_pages + pages > d.max_pages)
            return Status::OutOfMemory;  // Xen: over-allocation refused
        d.tot_pages += pages;
    }
    auto block = frame_allocator().allocate(order, limit);
    Status s = block.status();
    uint64_t given = 0;
    for (; s == Status::Ok && given < pages; ++given)
        s = page_types().assign(*block + given, d.id());
    if (s == Status::Ok)
        return *block;
    for (uint64_t i = 0; i < given; ++i)
        (void)page_types().steal(*block + i, d.id());
    if (block.ok())
        frame_allocator().free(*block, order);
    LockGuard guard(d.lock);
    d.tot_pages -= pages;
    return s;
}

// Gives one frame back (Xen's guest_remove_page for PV): drops the allocation reference; the
// frame is freed when its last mapping goes. InvalidArgument if `d` does not own it.
Status remove_frame(Domain& d, Pfn mfn) {
    HV_TRY(page_types().release(mfn, d.id()));
    LockGuard guard(d.lock);
    --d.tot_pages;
    return Status::Ok;
}

enum class ReservationOp { increase, decrease, populate };

int64_t reservation(HypercallContext& ctx, ReservationOp op, uint64_t cmd, uint64_t arg) {
    const uint64_t start = cmd >> xen::memop_extent_shift;
    xen::MemoryReservation r;
    if (GuestIn<xen::MemoryReservation>(arg).read(r) != Status::Ok)
        return static_cast<int64_t>(start);
    if (r.nr_extents > (~0u >> xen::memop_extent_shift) || start >= r.nr_extents)
        return static_cast<int64_t>(start);
    Domain* d = reservation_domain(ctx, r.domid);
    const Pfn limit = frame_limit(r.mem_flags);
    if (d == nullptr || limit == 0 || r.extent_order > max_order(ctx.domain()))
        return static_cast<int64_t>(start);
    const GuestInOut<uint64_t> list(r.extent_start);
    // One range check for the rest of the list, as Xen's guest_handle_subrange_okay (increase
    // may pass no list at all).
    if ((op != ReservationOp::increase || !list.is_null()) &&
        !guest_range_ok(r.extent_start + start * sizeof(uint64_t), (r.nr_extents - start) * sizeof(uint64_t)))
        return static_cast<int64_t>(start);
    const uint64_t pages = uint64_t{1} << r.extent_order;
    uint64_t i = start;
    for (; i < r.nr_extents; ++i) {
        if (i != start && ctx.should_preempt()) {
            return ctx.continue_with({{(cmd & xen::memop_cmd_mask) | (i << xen::memop_extent_shift), arg, 0, 0, 0, 0}});
        }
        if (op == ReservationOp::decrease) {
            uint64_t mfn;
            if (list.read(i, mfn) != Status::Ok)
                break;
            bool ok = true;
            for (uint64_t j = 0; j < pages && ok; ++j)
                ok = remove_frame(*d, mfn + j) == Status::Ok;
            if (!ok)
                break;
            continue;
        }
        uint64_t pfn = 0;
        if (op == ReservationOp::populate && list.read(i, pfn) != Status::Ok)
            break;
        auto mfn = allocate_for(*d, r.extent_order, limit);
        if (!mfn.ok())
            break;
        if (op == ReservationOp::populate)
            for (uint64_t j = 0; j < pages; ++j)
                m2p_set(*mfn + j, pfn + j);
        if (!list.is_null() && list.write(i, *mfn) != Status::Ok)
            break;  // the extent stays the domain's, as on Xen
    }
    return static_cast<int64_t>(i);
}

// Xen's memory_exchange for a PV domain.
class Exchange {
public:
    Exchange(HypercallContext& ctx, uint64_t arg) : ctx_(ctx), uop_(arg) {}

    int64_t run() {
        if (Status s = uop_.read(x_); s != Status::Ok)
            return to_guest_errno(s);
        const unsigned in_order = x_.in.extent_order, out_order = x_.out.extent_order;
        if ((in_order > out_order ? in_order : out_order) > max_order(ctx_.domain()))
            return to_guest_errno(Status::Permission);
        if (x_.nr_exchanged > x_.in.nr_extents || x_.in.domid != x_.out.domid ||
            (~0ull >> in_order) < x_.in.nr_extents || (~0ull >> out_order) < x_.out.nr_extents ||
            (x_.in.nr_extents << in_order) != (x_.out.nr_extents << out_order))
            return to_guest_errno(Status::InvalidArgument);
        if (x_.nr_exchanged == x_.in.nr_extents)
            return 0;
        // A chunk is the smallest unit with whole extents on both sides.
        in_chunk_ = in_order <= out_order ? out_order - in_order : 0;
        out_chunk_ = in_order <= out_order ? 0 : in_order - out_order;
        if (!guest_range_ok(x_.in.extent_start, x_.in.nr_extents * sizeof(uint64_t)) ||
            !guest_range_ok(x_.out.extent_start, x_.out.nr_extents * sizeof(uint64_t)))
            return to_guest_errno(Status::Fault);
        d_ = reservation_domain(ctx_, x_.in.domid);
        if (d_ == nullptr)
            return to_guest_errno(Status::NoSuchDomain);
        limit_ = frame_limit(x_.out.mem_flags);
        if (limit_ == 0)
            limit_ = BuddyAllocator::kNoLimit;  // Xen clamps rather than refuses here

        const uint64_t first = x_.nr_exchanged >> in_chunk_, chunks = x_.in.nr_extents >> in_chunk_;
        for (uint64_t c = first; c < chunks; ++c) {
            if (c != first && ctx_.should_preempt()) {
                x_.nr_exchanged = c << in_chunk_;
                if (Status s = uop_.write(x_); s != Status::Ok)
                    return to_guest_errno(s);
                return ctx_.continue_with({{xen::raw(xen::MemoryOp::exchange), uop_.address(), 0, 0, 0, 0}});
            }
            if (Status s = exchange_chunk(c); s != Status::Ok) {
                x_.nr_exchanged = c << in_chunk_;
                (void)uop_.write(x_);
                return to_guest_errno(s);
            }
        }
        x_.nr_exchanged = x_.in.nr_extents;
        return to_guest_errno(uop_.write(x_));
    }

private:
    static constexpr unsigned kMaxChunkFrames = 512;

    Status exchange_chunk(uint64_t c) {
        const uint64_t in_pages = uint64_t{1} << x_.in.extent_order;
        const uint64_t frames = (uint64_t{1} << in_chunk_) * in_pages;
        if (frames > kMaxChunkFrames)
            return Status::OutOfMemory;  // beyond what one chunk may hold here (documented)
        // 1. Steal the chunk's input frames (each must be owned and otherwise unreferenced).
        Pfn stolen[kMaxChunkFrames];
        unsigned n = 0;
        Status s = Status::Ok;
        for (uint64_t j = 0; s == Status::Ok && j < (uint64_t{1} << in_chunk_); ++j) {
            uint64_t gmfn;
            s = GuestIn<uint64_t>(x_.in.extent_start).read((c << in_chunk_) + j, gmfn);
            for (uint64_t k = 0; s == Status::Ok && k < in_pages; ++k) {
                s = page_types().steal(gmfn + k, d_->id());
                if (s == Status::Ok)
                    stolen[n++] = gmfn + k;
                else if (s == Status::Busy)
                    s = Status::InvalidArgument;  // Xen: steal_page fails with -EINVAL
            }
        }
        // 2. The replacement extents.
        Pfn out[kMaxChunkFrames];
        unsigned m = 0;
        for (uint64_t j = 0; s == Status::Ok && j < (uint64_t{1} << out_chunk_); ++j) {
            auto block = frame_allocator().allocate(x_.out.extent_order, limit_);
            if (block.ok())
                out[m++] = *block;
            else
                s = Status::OutOfMemory;
        }
        if (s != Status::Ok) {
            for (unsigned i = 0; i < n; ++i)
                (void)page_types().assign(stolen[i], d_->id());
            for (unsigned i = 0; i < m; ++i)
                frame_allocator().free(out[i], x_.out.extent_order);
            return s;
        }
        // 3. Commit: the old frames go, the new ones become the domain's at the PFNs asked for.
        for (unsigned i = 0; i < n; ++i) {
            m2p_set(stolen[i], ~uint64_t{0});
            frame_allocator().free(stolen[i], 0);
        }
        const uint64_t out_pages = uint64_t{1} << x_.out.extent_order;
        for (unsigned j = 0; j < m; ++j) {
            for (uint64_t k = 0; k < out_pages; ++k)
                (void)page_types().assign(out[j] + k, d_->id());  // fresh frames: cannot be busy
            const uint64_t index = (c << out_chunk_) + j;
            uint64_t pfn;
            if (Status r = GuestIn<uint64_t>(x_.out.extent_start).read(index, pfn); r != Status::Ok)
                return r;
            for (uint64_t k = 0; k < out_pages; ++k)
                m2p_set(out[j] + k, pfn + k);
            if (Status w = GuestOut<uint64_t>(x_.out.extent_start).write(index, out[j]); w != Status::Ok)
                return w;
        }
        return Status::Ok;
    }

    HypercallContext& ctx_;
    GuestInOut<xen::MemoryExchange> uop_;
    xen::MemoryExchange x_{};
    Domain* d_ = nullptr;
    Pfn limit_ = BuddyAllocator::kNoLimit;
    unsigned in_chunk_ = 0, out_chunk_ = 0;
};

}  // namespace

int64_t memory_reservation_op(HypercallContext& ctx, uint64_t cmd, uint64_t arg) {
    switch (static_cast<xen::MemoryOp>(cmd & xen::memop_cmd_mask)) {
    case xen::MemoryOp::increase_reservation:
        return reservation(ctx, ReservationOp::increase, cmd, arg);
    case xen::MemoryOp::decrease_reservation:
        return reservation(ctx, ReservationOp::decrease, cmd, arg);
    case xen::MemoryOp::populate_physmap:
        return reservation(ctx, ReservationOp::populate, cmd, arg);
    case xen::MemoryOp::exchange:
        if ((cmd >> xen::memop_extent_shift) != 0)
            return to_guest_errno(Status::InvalidArgument);
        return Exchange(ctx, arg).run();
    default:
        return to_guest_errno(Status::NotSupported);
    }
}

}  // namespace hv
