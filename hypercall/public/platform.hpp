// platform_op (dom0 only): one 136-byte struct, a command word, an interface version
// and a 128-byte payload union. Only the sub-ops Linux issues at boot have payload
// structs here. Facts: shared/spec/xen-pv-abi.md §4.22.
//
// Invariants: interface_version must equal platform_interface_version (else -EACCES);
// the payload union is exactly 128 bytes whatever the member.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

inline constexpr uint32_t platform_interface_version = 0x03000001;

enum class PlatformCmd : uint32_t {
    settime32 = 17,
    add_memtype = 31,
    del_memtype = 32,
    read_memtype = 33,
    microcode_update = 35,
    platform_quirk = 39,
    get_cpu_version = 48,
    efi_runtime_call = 49,
    firmware_info = 50,
    enter_acpi_sleep = 51,
    change_freq = 52,
    getidletime = 53,
    set_processor_pminfo = 54,
    get_cpuinfo = 55,
    cpu_online = 56,
    cpu_offline = 57,
    cpu_hotadd = 58,
    mem_hotadd = 59,
    core_parking = 60,
    resource_op = 61,
    settime64 = 62,
    get_symbol = 63,
};

// Xen: xenpf_settime32.
struct PlatformSettime32 {
    uint32_t secs;
    uint32_t nsecs;
    uint64_t system_time;
};
static_assert(sizeof(PlatformSettime32) == 16);
static_assert(offsetof(PlatformSettime32, secs) == 0);
static_assert(offsetof(PlatformSettime32, nsecs) == 4);
static_assert(offsetof(PlatformSettime32, system_time) == 8);

// Xen: xenpf_settime64.
struct PlatformSettime64 {
    uint64_t secs;
    uint32_t nsecs;
    uint32_t mbz;
    uint64_t system_time;
};
static_assert(sizeof(PlatformSettime64) == 24);
static_assert(offsetof(PlatformSettime64, secs) == 0);
static_assert(offsetof(PlatformSettime64, nsecs) == 8);
static_assert(offsetof(PlatformSettime64, mbz) == 12);
static_assert(offsetof(PlatformSettime64, system_time) == 16);

enum class FirmwareInfoType : uint32_t {
    disk_info = 1,
    disk_mbr_signature = 2,
    vbeddc_info = 3,
    efi_info = 4,
    kbd_shift_flags = 5,
};
// FirmwareInfo.index for FirmwareInfoType::efi_info.
enum class EfiInfoIndex : uint32_t {
    version = 0,
    config_table = 1,
    vendor = 2,
    mem_info = 3,
    rt_version = 4,
    pci_rom = 5,
    apple_properties = 6,
};

// Xen: xenpf_firmware_info.
struct PlatformFirmwareInfo {
    uint32_t type;  // FirmwareInfoType
    uint32_t index;
    union {
        struct {
            uint8_t device;
            uint8_t version;
            uint16_t interface_support;
            uint16_t legacy_max_cylinder;
            uint8_t legacy_max_head;
            uint8_t legacy_sectors_per_track;
            uint64_t edd_params;  // handle
        } disk_info;
        struct {
            uint8_t device;
            uint8_t pad[3];
            uint32_t mbr_signature;
        } disk_mbr_signature;
        struct {
            uint8_t capabilities;
            uint8_t edid_transfer_time;
            uint8_t pad[6];
            uint64_t edid;  // handle
        } vbeddc_info;
        union {
            uint32_t version;
            struct {
                uint64_t addr;
                uint64_t size;
                uint64_t attr;
                uint32_t type;
                uint32_t pad;
            } mem;
        } efi_info;
        uint8_t kbd_shift_flags;
    } u;
};
static_assert(sizeof(PlatformFirmwareInfo) == 40);
static_assert(offsetof(PlatformFirmwareInfo, type) == 0);
static_assert(offsetof(PlatformFirmwareInfo, index) == 4);
static_assert(offsetof(PlatformFirmwareInfo, u) == 8);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_info.device) == 8);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_info.version) == 9);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_info.interface_support) == 10);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_info.legacy_max_cylinder) == 12);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_info.legacy_max_head) == 14);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_info.legacy_sectors_per_track) == 15);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_info.edd_params) == 16);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_mbr_signature.device) == 8);
static_assert(offsetof(PlatformFirmwareInfo, u.disk_mbr_signature.mbr_signature) == 12);
static_assert(offsetof(PlatformFirmwareInfo, u.vbeddc_info.capabilities) == 8);
static_assert(offsetof(PlatformFirmwareInfo, u.vbeddc_info.edid_transfer_time) == 9);
static_assert(offsetof(PlatformFirmwareInfo, u.vbeddc_info.edid) == 16);
static_assert(offsetof(PlatformFirmwareInfo, u.efi_info.version) == 8);
static_assert(offsetof(PlatformFirmwareInfo, u.efi_info.mem.type) == 32);
static_assert(offsetof(PlatformFirmwareInfo, u.kbd_shift_flags) == 8);

// Xen: xenpf_enter_acpi_sleep.
struct PlatformEnterAcpiSleep {
    uint16_t val_a;  // PM1a control value
    uint16_t val_b;
    uint32_t sleep_state;
    uint32_t flags;  // bit 0: extended (hardware-reduced ACPI) sleep
};
static_assert(sizeof(PlatformEnterAcpiSleep) == 12);
static_assert(offsetof(PlatformEnterAcpiSleep, val_a) == 0);
static_assert(offsetof(PlatformEnterAcpiSleep, val_b) == 2);
static_assert(offsetof(PlatformEnterAcpiSleep, sleep_state) == 4);
static_assert(offsetof(PlatformEnterAcpiSleep, flags) == 8);

namespace pcpu_flags {
inline constexpr uint32_t online = 1;
inline constexpr uint32_t invalid = 2;
}  // namespace pcpu_flags

// Xen: xenpf_pcpuinfo (get_cpuinfo).
struct PlatformPcpuInfo {
    uint32_t xen_cpuid;    // in
    uint32_t max_present;  // out
    uint32_t flags;        // out: pcpu_flags::*
    uint32_t apic_id;
    uint32_t acpi_id;
};
static_assert(sizeof(PlatformPcpuInfo) == 20);
static_assert(offsetof(PlatformPcpuInfo, xen_cpuid) == 0);
static_assert(offsetof(PlatformPcpuInfo, max_present) == 4);
static_assert(offsetof(PlatformPcpuInfo, flags) == 8);
static_assert(offsetof(PlatformPcpuInfo, apic_id) == 12);
static_assert(offsetof(PlatformPcpuInfo, acpi_id) == 16);

// Xen: xenpf_pcpu_version (get_cpu_version).
struct PlatformPcpuVersion {
    uint32_t xen_cpuid;
    uint32_t max_present;
    char vendor_id[12];
    uint32_t family;
    uint32_t model;
    uint32_t stepping;
};
static_assert(sizeof(PlatformPcpuVersion) == 32);
static_assert(offsetof(PlatformPcpuVersion, vendor_id) == 8);
static_assert(offsetof(PlatformPcpuVersion, family) == 20);
static_assert(offsetof(PlatformPcpuVersion, model) == 24);
static_assert(offsetof(PlatformPcpuVersion, stepping) == 28);

enum class ProcessorPmType : uint32_t { cx = 0, px = 1, tx = 2, pdc = 3 };

// Xen: xenpf_set_processor_pminfo. Only the pdc variant (a handle to the _PDC buffer)
// is spelled out; the C-state/P-state payloads occupy the same 104 bytes.
struct PlatformSetProcessorPminfo {
    uint32_t id;    // ACPI processor id
    uint32_t type;  // ProcessorPmType
    union {
        uint64_t pdc;  // handle: uint32_t[]
        uint8_t raw[104];
    } u;
};
static_assert(sizeof(PlatformSetProcessorPminfo) == 112);
static_assert(offsetof(PlatformSetProcessorPminfo, id) == 0);
static_assert(offsetof(PlatformSetProcessorPminfo, type) == 4);
static_assert(offsetof(PlatformSetProcessorPminfo, u.pdc) == 8);

// Xen: xenpf_cpu_ol (cpu_online, cpu_offline).
struct PlatformCpuOnline {
    uint32_t cpuid;
};
static_assert(sizeof(PlatformCpuOnline) == 4);
static_assert(offsetof(PlatformCpuOnline, cpuid) == 0);

// Xen: xen_platform_op.
struct PlatformOp {
    uint32_t cmd;  // PlatformCmd
    uint32_t interface_version;
    union {
        PlatformSettime32 settime32;
        PlatformSettime64 settime64;
        PlatformFirmwareInfo firmware_info;
        PlatformEnterAcpiSleep enter_acpi_sleep;
        PlatformSetProcessorPminfo set_pminfo;
        PlatformPcpuInfo pcpu_info;
        PlatformPcpuVersion pcpu_version;
        PlatformCpuOnline cpu_ol;
        uint8_t pad[128];
    } u;
};
static_assert(sizeof(PlatformOp) == 136);
static_assert(offsetof(PlatformOp, cmd) == 0);
static_assert(offsetof(PlatformOp, interface_version) == 4);
static_assert(offsetof(PlatformOp, u) == 8);

}  // namespace xen
