// Dom0-only platform queries (spec §4.21-§4.22): platform_op's interface version and
// read-only commands, the IOAPIC through physdev apic_read, and xen_version's strings.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

int64_t platform(xen::PlatformOp* op) {
    return platform_op(op);
}

}  // namespace

GUEST_TEST(platform_op_wrong_interface_version) {
    xen::PlatformOp op{};
    op.cmd = xen::raw(xen::PlatformCmd::get_cpuinfo);
    op.interface_version = xen::platform_interface_version - 1;
    EXPECT_ERRNO(platform(&op), eacces);
}

GUEST_TEST(platform_op_get_cpuinfo) {
    xen::PlatformOp op{};
    op.cmd = xen::raw(xen::PlatformCmd::get_cpuinfo);
    op.interface_version = xen::platform_interface_version;
    op.u.pcpu_info.xen_cpuid = 0;
    ASSERT_EQ(platform(&op), 0);
    EXPECT_NE(op.u.pcpu_info.flags & xen::pcpu_flags::online, 0u);
    EXPECT_EQ(op.u.pcpu_info.max_present, 0u);  // QEMU has one CPU
    op.u.pcpu_info.xen_cpuid = 5;
    const int64_t rc = platform(&op);
    EXPECT_TRUE(rc == 0 ? (op.u.pcpu_info.flags & xen::pcpu_flags::invalid) != 0 : rc < 0);
    GUEST_NOTE("cpu5 rc=%lld flags=%#x", static_cast<long long>(rc), op.u.pcpu_info.flags);
}

namespace {
xen::PlatformOp firmware_query(xen::FirmwareInfoType type, uint32_t index) {
    xen::PlatformOp op{};
    op.cmd = xen::raw(xen::PlatformCmd::firmware_info);
    op.interface_version = xen::platform_interface_version;
    op.u.firmware_info.type = xen::raw(type);
    op.u.firmware_info.index = index;
    return op;
}
}  // namespace

GUEST_TEST(platform_op_firmware_info) {
    // What a BIOS boot under GRUB gives: the keyboard flags, no disk entries that far, no
    // EFI; a bad index -ESRCH, an unknown type -EINVAL.
    xen::PlatformOp op = firmware_query(xen::FirmwareInfoType::kbd_shift_flags, 0);
    EXPECT_EQ(platform(&op), 0);
    GUEST_NOTE("kbd_shift_flags=%#x", op.u.firmware_info.u.kbd_shift_flags);
    op = firmware_query(xen::FirmwareInfoType::kbd_shift_flags, 1);
    EXPECT_ERRNO(platform(&op), esrch);
    op = firmware_query(xen::FirmwareInfoType::disk_info, 200);
    EXPECT_ERRNO(platform(&op), esrch);
    op = firmware_query(xen::FirmwareInfoType::disk_mbr_signature, 200);
    EXPECT_ERRNO(platform(&op), esrch);
    op = firmware_query(xen::FirmwareInfoType::efi_info, 0);
    EXPECT_ERRNO(platform(&op), enosys);
    op = firmware_query(static_cast<xen::FirmwareInfoType>(77), 0);
    EXPECT_ERRNO(platform(&op), einval);
}

GUEST_TEST(platform_op_settime_moves_the_wallclock) {
    // The wall clock was 2,000,000,000 s at system time 0: shared_info says so afterwards.
    xen::PlatformOp op{};
    op.cmd = xen::raw(xen::PlatformCmd::settime64);
    op.interface_version = xen::platform_interface_version;
    op.u.settime64 = {2000000000ull, 250, 1, 0};
    EXPECT_ERRNO(platform(&op), einval);  // mbz must be zero
    op.u.settime64 = {2000000000ull, 250, 0, 0};
    ASSERT_EQ(platform(&op), 0);
    const xen::SharedInfo* s = shared_info();
    EXPECT_EQ(s->wc_sec | (uint64_t{s->wc_sec_hi} << 32), 2000000000ull);
    EXPECT_EQ(s->wc_nsec, 250u);
    EXPECT_EQ(s->wc_version & 1, 0u);
}

GUEST_TEST(platform_op_unknown_cmd) {
    xen::PlatformOp op{};
    op.cmd = 99;
    op.interface_version = xen::platform_interface_version;
    EXPECT_ERRNO(platform(&op), enosys);
}

GUEST_TEST(physdev_apic_read_ioapic_version) {
    xen::PhysdevApic apic{0xfec00000, 1, 0};
    ASSERT_EQ(physdev_op(xen::PhysdevOp::apic_read, &apic), 0);
    EXPECT_EQ(apic.value & 0xff, 0x20u);             // QEMU's IOAPIC version
    EXPECT_EQ((apic.value >> 16) & 0xff, 23u);       // 24 redirection entries
    GUEST_NOTE("value=%#x", apic.value);
}

GUEST_TEST(physdev_apic_read_unknown_ioapic) {
    xen::PhysdevApic apic{0xfec10000, 1, 0};
    EXPECT_ERRNO(physdev_op(xen::PhysdevOp::apic_read, &apic), einval);
}

GUEST_TEST(physdev_unknown_cmd) {
    uint32_t dummy[16] = {};
    EXPECT_ERRNO(hypercall2(Hypercall::physdev_op, 99, dummy), enosys);
}

GUEST_TEST(xen_version_capabilities) {
    static char caps[1024];
    EXPECT_EQ(xen_version(xen::VersionOp::capabilities, caps), 0);
    const char prefix[] = "xen-3.0-x86_64";
    bool match = true;
    for (size_t i = 0; i + 1 < sizeof(prefix); ++i)
        match = match && caps[i] == prefix[i];
    EXPECT_TRUE(match);
    GUEST_NOTE("%.60s", caps);
}

GUEST_TEST(xen_version_guest_handle_is_zero_for_dom0) {
    uint8_t handle[16];
    for (uint8_t& b : handle)
        b = 0xaa;
    EXPECT_EQ(xen_version(xen::VersionOp::guest_handle, handle), 0);
    bool zero = true;
    for (uint8_t b : handle)
        zero = zero && b == 0;
    EXPECT_TRUE(zero);
}

GUEST_TEST(xen_version_unreadable_buffer) {
    EXPECT_ERRNO(xen_version(xen::VersionOp::extraversion, reinterpret_cast<void*>(0xffff830000000000ull)), efault);
    EXPECT_ERRNO(xen_version(xen::VersionOp::get_features, reinterpret_cast<void*>(start_info()->pt_base)), efault);
}

GUEST_TEST(console_io_read_without_input) {
    static char buffer[16];
    EXPECT_EQ(console_io(xen::ConsoleIoOp::read, sizeof(buffer), buffer), 0);
}
