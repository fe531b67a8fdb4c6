// xen_version and vm_assist.
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/version.hpp"
#include "kernel/options.hpp"

namespace hv {
namespace {

using xen::Feature;
using xen::VersionOp;

// We implement Xen 4.17's guest ABI and report that version, so guests take the same
// paths they take on Xen 4.17 (docs/abi-compatibility.md).
constexpr uint32_t kVersionMajor = 4, kVersionMinor = 17;
constexpr char kExtraversion[] = "-thinhv";
constexpr char kCapabilities[] = "xen-3.0-x86_64";
constexpr char kChangeset[] = "thin hypervisor";

template <size_t N>
void copy_text(char (&dst)[N], const char* src) {
    size_t i = 0;
    for (; i + 1 < N && src[i] != 0; ++i)
        dst[i] = src[i];
    for (; i < N; ++i)
        dst[i] = 0;
}

template <typename T>
int64_t write_out(uint64_t address, const T& value) {
    return to_guest_errno(GuestOut<T>(address).write(value));
}

// Submap 0 exactly as Xen 4.17 gives a 64-bit PV guest (spec §4.11): 0x228f0 for the
// hardware domain, without the dom0 bit otherwise.
uint32_t feature_submap0(const Domain& d) {
    uint32_t bits = xen::feature_bit(Feature::pae_pgdir_above_4gb) | xen::feature_bit(Feature::mmu_pt_update_preserve_ad) |
                    xen::feature_bit(Feature::highmem_assist) | xen::feature_bit(Feature::gnttab_map_avail_bits) |
                    xen::feature_bit(Feature::memory_op_vnode_supported) | xen::feature_bit(Feature::direct_mapped);
    if (d.privileged())
        bits |= xen::feature_bit(Feature::dom0);
    return bits;
}

}  // namespace

// The subops that copy a structure out; kept apart so that XENVER_version (Linux's
// null hypercall) does not pay for their kilobyte of stack.
[[gnu::noinline]] static int64_t xen_version_info(HypercallContext& ctx, VersionOp op, uint64_t arg) {
    switch (op) {
    case VersionOp::version:
    case VersionOp::pagesize:
        break;  // answered by the handler
    case VersionOp::extraversion: {
        xen::Extraversion v{};
        copy_text(v.text, kExtraversion);
        return write_out(arg, v);
    }
    case VersionOp::compile_info: {
        xen::CompileInfo v{};
        copy_text(v.compiler, "g++ " __VERSION__);
        copy_text(v.compile_by, "thinhv");
        copy_text(v.compile_domain, "local");
        copy_text(v.compile_date, __DATE__ " " __TIME__);
        return write_out(arg, v);
    }
    case VersionOp::capabilities: {
        xen::CapabilitiesInfo v{};
        copy_text(v.text, kCapabilities);
        return write_out(arg, v);
    }
    case VersionOp::changeset: {
        xen::ChangesetInfo v{};
        copy_text(v.text, kChangeset);
        return write_out(arg, v);
    }
    case VersionOp::platform_parameters: {
        xen::PlatformParameters v{};
        v.virt_start = 0xffff800000000000ull;
        return write_out(arg, v);
    }
    case VersionOp::get_features: {
        xen::FeatureInfo info{};
        if (Status s = GuestIn<xen::FeatureInfo>(arg).read(info); s != Status::Ok)
            return to_guest_errno(s);
        if (info.submap_idx >= xen::feature_submap_count)
            return to_guest_errno(Status::InvalidArgument);
        info.submap = feature_submap0(ctx.domain());
        return write_out(arg, info);
    }
    case VersionOp::guest_handle: {
        xen::DomainHandle v{};  // dom0 and boot-time domains have the nil UUID
        return write_out(arg, v);
    }
    case VersionOp::commandline: {
        if (!ctx.domain().privileged())
            return to_guest_errno(Status::Permission);
        xen::CommandLine v{};
        copy_text(v.text, boot_command_line());
        return write_out(arg, v);
    }
    case VersionOp::build_id:
        return to_guest_errno(Status::NoData);  // no build id embedded: Xen answers -ENODATA too
    }
    return to_guest_errno(Status::NotSupported);
}

HV_HYPERCALL(xen_version) {
    const auto op = static_cast<VersionOp>(args.a[0]);
    if (op == VersionOp::version)
        return (kVersionMajor << 16) | kVersionMinor;
    if (op == VersionOp::pagesize)
        return 4096;
    return xen_version_info(ctx, op, args.a[1]);
}

HV_HYPERCALL(vm_assist) {
    const uint64_t cmd = args.a[0];
    const uint64_t type = args.a[1];
    // Types Xen 4.17 accepts for a 64-bit PV guest.
    constexpr uint64_t kValid = (1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 5) |
                                (1ull << 32);
    if (type >= 64 || !(kValid & (1ull << type)))
        return to_guest_errno(Status::InvalidArgument);
    Domain& d = ctx.domain();
    switch (static_cast<xen::VmAssistCmd>(cmd)) {
    case xen::VmAssistCmd::enable:
        __atomic_fetch_or(&d.vm_assist, 1ull << type, __ATOMIC_RELAXED);
        return 0;
    case xen::VmAssistCmd::disable:
        __atomic_fetch_and(&d.vm_assist, ~(1ull << type), __ATOMIC_RELAXED);
        return 0;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
