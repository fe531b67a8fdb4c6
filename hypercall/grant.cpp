// grant_table_op (hypercall 20): decoding, copy-in/copy-out, batching and preemption.
// The logic is in the grant-table core (grant/grant_ops.hpp); the seams it runs on are
// the kernel's (domain/grant_glue).
//
// As in Xen 4.17 (do_grant_table_op): a negative count is -EINVAL; bits above the 12-bit
// command are continuation state only cache_flush may carry (-EINVAL otherwise); the
// argument array of a batch is range-checked once (-EFAULT); each element is copied in,
// worked on and its results copied out before the next, so a fault on element i leaves
// elements before it done. Batches stop for preemption between elements (unmaps between
// groups of 32, after their TLB flush) and continue with Xen's encoding: same command,
// the array advanced past the elements done, the count reduced.
//
// What is copied back follows Xen field by field: map_grant_ref and query_size write the
// whole struct, set_version its version, get_version only `version`, setup_table,
// get_status_frames, unmaps, copies and swaps only `status`.
#include <cstddef>

#include "domain/domain.hpp"
#include "domain/grant_glue.hpp"
#include "grant/grant_ops.hpp"
#include "grant/grant_table.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/grant_table.hpp"
#include "hypercall/public/hypercalls.hpp"

namespace hv {
namespace {

using xen::GrantStatus;
using xen::GrantTableOp;

constexpr uint32_t kCmdMask = (1u << 12) - 1;  // Xen GNTTABOP_CMD_MASK

int64_t fault() { return to_guest_errno(Status::Fault); }

// Writes one output field of element `index` of a guest array of Struct.
template <typename Struct, typename Field>
[[nodiscard]] Status write_field(uint64_t array, uint64_t index, size_t offset, const Field& value) {
    auto element = GuestOut<Struct>(array).at(index);
    if (!element.ok())
        return element.status();
    return copy_to_guest(element->address() + offset, &value, sizeof(value));
}

// A guest array of `count` Structs, range-checked as a whole before anything is read (Xen
// guest_handle_okay). Its elements then cannot wrap or leave guest memory, so they are
// copied with fault checks only (Xen __copy_from_guest / __copy_to_guest).
template <typename Struct>
class CheckedArray {
public:
    CheckedArray(uint64_t base, uint32_t count)
        : base_(base), ok_(guest_range_ok(base, uint64_t{count} * sizeof(Struct))) {}
    bool ok() const { return ok_; }
    [[nodiscard]] Status read(uint32_t i, Struct& out) const { return copy_from_checked_guest(&out, at(i), sizeof(out)); }
    [[nodiscard]] Status write(uint32_t i, const Struct& value) const {
        return copy_to_checked_guest(at(i), &value, sizeof(value));
    }
    // Element i from byte `offset` on: its output fields when they end the struct (the
    // input fields among them are written back unchanged, as a whole-struct write would).
    [[nodiscard]] Status write_from(uint32_t i, size_t offset, const Struct& value) const {
        return copy_to_checked_guest(at(i) + offset, reinterpret_cast<const unsigned char*>(&value) + offset,
                                     sizeof(Struct) - offset);
    }
    // One output field of element i, at `offset` in Struct.
    template <typename Field>
    [[nodiscard]] Status write_field(uint32_t i, size_t offset, const Field& value) const {
        return copy_to_checked_guest(at(i) + offset, &value, sizeof(value));
    }

private:
    uint64_t at(uint32_t i) const { return base_ + uint64_t{i} * sizeof(Struct); }

    uint64_t base_;
    bool ok_;
};

template <typename Struct>
int64_t continue_after(HypercallContext& ctx, uint32_t cmd, uint64_t array, uint32_t done, uint32_t count) {
    auto rest = GuestIn<Struct>(array).at(done);
    if (!rest.ok())
        return to_guest_errno(rest.status());
    return ctx.continue_with({{cmd, rest->address(), uint64_t{count - done}}});
}

// ---- batches ---------------------------------------------------------------------------
//
// The hot paths (netback maps, unmaps and copies per packet) are laid out by measurement
// with the instruction tracer: hc_grant_table_op checks the command and tail-calls
// map_batch, unmap_batch or copy_batch, each a function of its own that finds the
// caller's table itself, so none pays for a dispatcher's frame (~20 instructions) or
// shares a function whose register allocation another makes worse (inlining map and copy
// cost +15 and +25). That is why each repeats the four lines of the lookup: done once
// in hc_grant_table_op and passed down, it gave the dispatcher a frame again (copy +20,
// 64 KiB +125, map + unmap +29 instructions).

[[gnu::noinline]] int64_t map_batch(HypercallContext& ctx, uint32_t cmd, uint64_t array, uint32_t count) {
    auto caller = grant_table_of(ctx.domain());
    if (!caller.ok())
        return to_guest_errno(caller.status());
    grant::GrantTable& table = **caller;
    const CheckedArray<xen::GrantMapRef> list(array, count);
    if (!list.ok())
        return fault();
    for (uint32_t i = 0; i < count; ++i) {
        if (i != 0 && ctx.should_preempt())
            return continue_after<xen::GrantMapRef>(ctx, cmd, array, i, count);
        xen::GrantMapRef op;
        if (list.read(i, op) != Status::Ok)
            return fault();
        grant::map_grant_ref(grant_context(), table, op);
        // status, handle and dev_bus_addr (with dom before them): two words.
        if (list.write_from(i, offsetof(xen::GrantMapRef, dom), op) != Status::Ok)
            return fault();
    }
    return 0;
}

// unmap_grant_ref and unmap_and_replace: groups of up to 32 (UnmapBatch::kCapacity),
// each finished (TLB flush, pins and references dropped) before the next group or a
// preemption; the last by the batch's destructor, also when a fault ends the call.
template <typename Struct>
[[gnu::noinline]] int64_t unmap_batch(HypercallContext& ctx, uint32_t cmd, uint64_t array, uint32_t count) {
    auto caller = grant_table_of(ctx.domain());
    if (!caller.ok())
        return to_guest_errno(caller.status());
    grant::GrantTable& table = **caller;
    const CheckedArray<Struct> list(array, count);
    if (!list.ok())
        return fault();
    grant::UnmapBatch batch(grant_context(), table);
    for (uint32_t i = 0; i < count; ++i) {
        if (batch.full()) {
            batch.finish();
            if (ctx.should_preempt())
                return continue_after<Struct>(ctx, cmd, array, i, count);
        }
        Struct op;
        if (list.read(i, op) != Status::Ok)
            return fault();
        batch.unmap(op);
        if (list.write_field(i, offsetof(Struct, status), op.status) != Status::Ok)
            return fault();
    }
    return 0;
}

[[gnu::noinline]] int64_t copy_batch(HypercallContext& ctx, uint32_t cmd, uint64_t array, uint32_t count) {
    auto caller = grant_table_of(ctx.domain());
    if (!caller.ok())
        return to_guest_errno(caller.status());
    grant::GrantTable& table = **caller;
    const CheckedArray<xen::GrantCopy> list(array, count);
    if (!list.ok())
        return fault();
    grant::CopyBatch batch(grant_context(), table);
    for (uint32_t i = 0; i < count; ++i) {
        if (i != 0 && ctx.should_preempt())
            return continue_after<xen::GrantCopy>(ctx, cmd, array, i, count);
        xen::GrantCopy op;
        if (list.read(i, op) != Status::Ok)
            return fault();
        batch.copy(op);
        if (list.write_field(i, offsetof(xen::GrantCopy, status), op.status) != Status::Ok)
            return fault();
    }
    return 0;
}

int64_t swap_batch(HypercallContext& ctx, grant::GrantTable& table, uint32_t cmd, uint64_t array, uint32_t count) {
    const CheckedArray<xen::GrantSwapRef> list(array, count);
    if (!list.ok())
        return fault();
    for (uint32_t i = 0; i < count; ++i) {
        if (i != 0 && ctx.should_preempt())
            return continue_after<xen::GrantSwapRef>(ctx, cmd, array, i, count);
        xen::GrantSwapRef op;
        if (list.read(i, op) != Status::Ok)
            return fault();
        op.status = xen::raw(grant::swap_grant_ref(table, op.ref_a, op.ref_b));
        if (list.write_field(i, offsetof(xen::GrantSwapRef, status), op.status) != Status::Ok)
            return fault();
    }
    return 0;
}

// ---- single-struct operations ------------------------------------------------------------

int64_t setup_table(grant::GrantTable& table, uint64_t arg, uint32_t count) {
    if (count != 1)
        return to_guest_errno(Status::InvalidArgument);
    xen::GrantSetupTable op;
    if (GuestIn<xen::GrantSetupTable>(arg).read(op) != Status::Ok)
        return fault();
    const CheckedArray<uint64_t> list(op.frame_list, op.nr_frames);
    if (!list.ok())
        return fault();
    grant::Frame frames[grant::GrantTable::kMaxGrantFrames];
    GrantStatus status = grant::setup_table(grant_context(), table, op.dom, op.nr_frames, frames);
    if (status == GrantStatus::okay) {
        for (uint32_t i = 0; i < op.nr_frames; ++i)
            if (list.write(i, frames[i]) != Status::Ok)
                status = GrantStatus::bad_virt_addr;
    }
    op.status = xen::raw(status);
    if (write_field<xen::GrantSetupTable>(arg, 0, offsetof(xen::GrantSetupTable, status), op.status) != Status::Ok)
        return fault();
    return 0;
}

int64_t query_size(grant::GrantTable& table, uint64_t arg, uint32_t count) {
    if (count != 1)
        return to_guest_errno(Status::InvalidArgument);
    GuestInOut<xen::GrantQuerySize> uop(arg);
    xen::GrantQuerySize op;
    if (uop.read(op) != Status::Ok)
        return fault();
    (void)grant::query_size(grant_context(), table, op);
    return uop.write(op) == Status::Ok ? 0 : fault();
}

int64_t set_version(uint64_t arg) {
    GuestInOut<xen::GrantSetVersion> uop(arg);
    xen::GrantSetVersion op;
    if (uop.read(op) != Status::Ok)
        return fault();
    const Status status = grant::set_version(op.version);
    if (uop.write(op) != Status::Ok)
        return fault();
    return to_guest_errno(status);
}

int64_t get_version(grant::GrantTable& table, uint64_t arg) {
    xen::GrantGetVersion op;
    if (GuestIn<xen::GrantGetVersion>(arg).read(op) != Status::Ok)
        return fault();
    auto version = grant::get_version(grant_context(), table, op.dom);
    if (!version.ok())
        return to_guest_errno(version.status());
    op.version = *version;
    if (write_field<xen::GrantGetVersion>(arg, 0, offsetof(xen::GrantGetVersion, version), op.version) != Status::Ok)
        return fault();
    return 0;
}

int64_t get_status_frames(grant::GrantTable& table, uint64_t arg, uint32_t count) {
    if (count != 1)
        return to_guest_errno(Status::InvalidArgument);
    xen::GrantGetStatusFrames op;
    if (GuestIn<xen::GrantGetStatusFrames>(arg).read(op) != Status::Ok)
        return fault();
    if (!CheckedArray<uint64_t>(op.frame_list, op.nr_frames).ok())
        return fault();
    op.status = xen::raw(grant::get_status_frames(grant_context(), table, op.dom, op.nr_frames));
    if (write_field<xen::GrantGetStatusFrames>(arg, 0, offsetof(xen::GrantGetStatusFrames, status), op.status) !=
        Status::Ok)
        return fault();
    return 0;
}

// The operations off the hot paths, once the command and count are checked.
[[gnu::noinline]] int64_t other_op(HypercallContext& ctx, GrantTableOp op, uint32_t cmd, uint64_t arg, uint32_t count) {
    auto table = grant_table_of(ctx.domain());
    if (!table.ok())
        return to_guest_errno(table.status());
    grant::GrantTable& t = **table;

    switch (op) {
    case GrantTableOp::map_grant_ref:
    case GrantTableOp::unmap_grant_ref:
    case GrantTableOp::unmap_and_replace:
    case GrantTableOp::copy:
        break;  // not here: see hc_grant_table_op
    case GrantTableOp::setup_table:
        return setup_table(t, arg, count);
    case GrantTableOp::query_size:
        return query_size(t, arg, count);
    case GrantTableOp::set_version:
        return set_version(arg);
    case GrantTableOp::get_status_frames:
        return get_status_frames(t, arg, count);
    case GrantTableOp::get_version:
        return get_version(t, arg);
    case GrantTableOp::swap_grant_ref:
        return swap_batch(ctx, t, cmd, arg, count);
    case GrantTableOp::dump_table:  // gone from Xen 4.17 too
    case GrantTableOp::transfer:    // page transfers: not offered (docs/abi-compatibility.md)
    case GrantTableOp::cache_flush: // Arm-only in practice: not offered
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace

// Maps, unmaps and copies go straight to their batches, the others through other_op:
// this function then needs no frame of its own (see "batches" above).
HV_HYPERCALL(grant_table_op) {
    const uint32_t raw_cmd = static_cast<uint32_t>(args.a[0]);
    const uint64_t arg = args.a[1];
    const uint32_t count = static_cast<uint32_t>(args.a[2]);
    if (static_cast<int32_t>(count) < 0)
        return to_guest_errno(Status::InvalidArgument);
    const uint32_t cmd = raw_cmd & kCmdMask;
    const auto op = static_cast<GrantTableOp>(cmd);
    if (op != GrantTableOp::cache_flush && cmd != raw_cmd)
        return to_guest_errno(Status::InvalidArgument);
    switch (op) {
    case GrantTableOp::map_grant_ref:
        return map_batch(ctx, cmd, arg, count);
    case GrantTableOp::unmap_grant_ref:
        return unmap_batch<xen::GrantUnmapRef>(ctx, cmd, arg, count);
    case GrantTableOp::unmap_and_replace:
        return unmap_batch<xen::GrantUnmapAndReplace>(ctx, cmd, arg, count);
    case GrantTableOp::copy:
        return copy_batch(ctx, cmd, arg, count);
    default:
        return other_op(ctx, op, cmd, arg, count);
    }
}

}  // namespace hv
