// start_info: the page the domain builder hands a PV kernel in RSI, and the VGA console
// description that follows it for dom0. Facts: shared/spec/xen-pv-abi.md §2.4.
//
// Invariants: 64-bit layout, 1168 bytes; magic begins "xen-3.0-x86_64"; for dom0 the
// console union holds {info_off, info_size} locating a DomainZeroVgaConsoleInfo inside
// the same page, for a domU it holds the console ring {mfn, evtchn}.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

// start_info.flags
namespace sif {
inline constexpr uint32_t privileged = 1u << 0;
inline constexpr uint32_t initdomain = 1u << 1;
inline constexpr uint32_t multiboot_mod = 1u << 2;
inline constexpr uint32_t mod_start_pfn = 1u << 3;
inline constexpr uint32_t virt_p2m_4tools = 1u << 4;
inline constexpr uint32_t pm_mask = 0xFFu << 8;  // xen-pm options byte
inline constexpr uint32_t pm_shift = 8;
}  // namespace sif

inline constexpr char start_info_magic_prefix[] = "xen-3.0-x86_64";

struct StartInfo {
    char magic[32];
    uint64_t nr_pages;
    uint64_t shared_info;  // machine address of the shared_info page
    uint32_t flags;        // sif::*
    uint32_t pad0;
    uint64_t store_mfn;
    uint32_t store_evtchn;
    uint32_t pad1;
    union {
        struct {
            uint64_t mfn;
            uint32_t evtchn;
            uint32_t pad;
        } domU;
        struct {
            uint32_t info_off;   // offset of DomainZeroVgaConsoleInfo from this struct
            uint32_t info_size;
        } dom0;
    } console;
    uint64_t pt_base;       // VA of the initial L4
    uint64_t nr_pt_frames;
    uint64_t mfn_list;      // VA of the initial P2M array
    uint64_t mod_start;     // VA of the initrd, or its PFN with sif::mod_start_pfn
    uint64_t mod_len;
    char cmd_line[1024];
    uint64_t first_p2m_pfn;
    uint64_t nr_p2m_frames;
};
static_assert(sizeof(StartInfo) == 1168);
static_assert(offsetof(StartInfo, magic) == 0);
static_assert(offsetof(StartInfo, nr_pages) == 32);
static_assert(offsetof(StartInfo, shared_info) == 40);
static_assert(offsetof(StartInfo, flags) == 48);
static_assert(offsetof(StartInfo, store_mfn) == 56);
static_assert(offsetof(StartInfo, store_evtchn) == 64);
static_assert(offsetof(StartInfo, console) == 72);
static_assert(offsetof(StartInfo, console.domU.mfn) == 72);
static_assert(offsetof(StartInfo, console.domU.evtchn) == 80);
static_assert(offsetof(StartInfo, console.dom0.info_off) == 72);
static_assert(offsetof(StartInfo, console.dom0.info_size) == 76);
static_assert(offsetof(StartInfo, pt_base) == 88);
static_assert(offsetof(StartInfo, nr_pt_frames) == 96);
static_assert(offsetof(StartInfo, mfn_list) == 104);
static_assert(offsetof(StartInfo, mod_start) == 112);
static_assert(offsetof(StartInfo, mod_len) == 120);
static_assert(offsetof(StartInfo, cmd_line) == 128);
static_assert(offsetof(StartInfo, first_p2m_pfn) == 1152);
static_assert(offsetof(StartInfo, nr_p2m_frames) == 1160);

// DomainZeroVgaConsoleInfo.video_type
enum class VgaType : uint8_t { text_mode_3 = 0x03, vesa_lfb = 0x23, efi_lfb = 0x70 };

// Xen: dom0_vga_console_info (40 bytes).
struct DomainZeroVgaConsoleInfo {
    uint8_t video_type;  // VgaType
    uint8_t pad[3];
    union {
        struct {
            uint16_t font_height;
            uint16_t cursor_x;
            uint16_t cursor_y;
            uint16_t rows;
            uint16_t columns;
        } text_mode_3;
        struct {
            uint16_t width;
            uint16_t height;
            uint16_t bytes_per_line;
            uint16_t bits_per_pixel;
            uint32_t lfb_base;
            uint32_t lfb_size;
            uint8_t red_pos, red_size;
            uint8_t green_pos, green_size;
            uint8_t blue_pos, blue_size;
            uint8_t rsvd_pos, rsvd_size;
            uint32_t gbl_caps;
            uint16_t mode_attrs;
            uint16_t pad;
            uint32_t ext_lfb_base;
        } vesa_lfb;
    } u;
};
static_assert(sizeof(DomainZeroVgaConsoleInfo) == 40);
static_assert(offsetof(DomainZeroVgaConsoleInfo, video_type) == 0);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u) == 4);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.text_mode_3.font_height) == 4);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.text_mode_3.cursor_x) == 6);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.text_mode_3.cursor_y) == 8);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.text_mode_3.rows) == 10);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.text_mode_3.columns) == 12);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.width) == 4);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.height) == 6);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.bytes_per_line) == 8);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.bits_per_pixel) == 10);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.lfb_base) == 12);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.lfb_size) == 16);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.red_pos) == 20);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.red_size) == 21);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.green_pos) == 22);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.green_size) == 23);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.blue_pos) == 24);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.blue_size) == 25);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.rsvd_pos) == 26);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.rsvd_size) == 27);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.gbl_caps) == 28);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.mode_attrs) == 32);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.pad) == 34);
static_assert(offsetof(DomainZeroVgaConsoleInfo, u.vesa_lfb.ext_lfb_base) == 36);

}  // namespace xen
