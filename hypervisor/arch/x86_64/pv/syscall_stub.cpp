// Per-CPU `syscall` entry stubs and the MSRs that route guest system calls to them.
//
// A PV guest executes `syscall` at CPL 3 with its own %rsp and both GS bases in use, so
// the entry cannot find its CPU through %gs or the stack. Each CPU gets a small stub in
// its own executable page with that CPU's addresses baked in as immediates (Xen does the
// same): it parks %rax in CpuInfo::syscall_scratch, switches %rsp to the CPU's guest
// frame, pushes the hardware-like part of the frame and jumps to the common code.
#include <cstdint>

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/paging.hpp"
#include "arch/x86_64/pv/gdt.hpp"
#include "arch/x86_64/pv/pv_cpu.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "seam/panic.hpp"

extern "C" char hv_syscall64_common[], hv_syscall32_common[];

namespace hv::arch {
namespace {

constexpr uint64_t kRflagsMask = 0x47700;  // TF IF DF IOPL NT AC cleared on syscall entry

class CodeWriter {
public:
    explicit CodeWriter(uint8_t* at) : p_(at) {}
    void bytes(std::initializer_list<uint8_t> b) {
        for (uint8_t x : b)
            *p_++ = x;
    }
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i)
            *p_++ = static_cast<uint8_t>(v >> (8 * i));
    }
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i)
            *p_++ = static_cast<uint8_t>(v >> (8 * i));
    }

private:
    uint8_t* p_;
};

// movabs %rax, scratch; mov %rsp, %rax; movabs $frame_end, %rsp; push $ss; push %rax;
// push %r11; push $cs; push %rcx; movabs $target, %rax; jmp *%rax
void write_stub(uint8_t* at, uint64_t scratch, uint64_t frame_end, uint16_t cs, uint64_t target) {
    CodeWriter w(at);
    w.bytes({0x48, 0xa3});
    w.u64(scratch);
    w.bytes({0x48, 0x89, 0xe0});
    w.bytes({0x48, 0xbc});
    w.u64(frame_end);
    w.bytes({0x68});
    w.u32(HV_GUEST_DS);
    w.bytes({0x50});
    w.bytes({0x41, 0x53});
    w.bytes({0x68});
    w.u32(cs);
    w.bytes({0x51});
    w.bytes({0x48, 0xb8});
    w.u64(target);
    w.bytes({0xff, 0xe0});
}

}  // namespace

void pv_cpu_init(PerCpu& cpu) {
    auto* page = static_cast<uint8_t*>(allocate_pages(0));
    if (page == nullptr)
        panic("pv: no memory for CPU %u syscall stubs", cpu.id);
    __builtin_memset(page, 0xcc, 4096);  // int3 padding
    const uint64_t info = cpu.stack_block + HV_STACK_SIZE - HV_CPU_INFO_SIZE;
    const uint64_t scratch = info + HV_CPU_INFO_SCRATCH;
    const uint64_t frame_end = cpu.stack_block + HV_STACK_RSP0_OFFSET;
    write_stub(page, scratch, frame_end, HV_GUEST_CS64, reinterpret_cast<uint64_t>(hv_syscall64_common));
    write_stub(page + 64, scratch, frame_end, HV_GUEST_CS32, reinterpret_cast<uint64_t>(hv_syscall32_common));
    const uint64_t va = layout::kSyscallStubBase + cpu.id * 4096ull;
    if (paging_map(va, layout::virt_to_phys(page), 4096, kMapCode, false) != Status::Ok)
        panic("pv: cannot map CPU %u syscall stubs", cpu.id);
    cpu.syscall_stub = va;

    wrmsr(msr::kStar, (static_cast<uint64_t>(HV_GUEST_CS32) << 48) | (static_cast<uint64_t>(HV_CS64) << 32));
    wrmsr(msr::kLstar, va);
    wrmsr(msr::kCstar, va + 64);
    wrmsr(msr::kSyscallMask, kRflagsMask);
    wrmsr(msr::kSysenterCs, 0);  // sysenter from a guest faults (#GP) and is reflected
    wrmsr(msr::kEfer, rdmsr(msr::kEfer) | msr::kEferSce);

    // FPU/SSE for guests: x87+SSE state, saved with fxsave; XCR0 = x87|SSE when XSAVE exists.
    uint64_t cr4 = read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt;
    const bool xsave = (cpuid(1).ecx >> 26) & 1;
    if (xsave)
        cr4 |= kCr4Osxsave;
    write_cr4(cr4);
    if (xsave)
        asm volatile("xsetbv" : : "c"(0), "a"(3), "d"(0));
    asm volatile("clts; fninit");
    gdt_window_init(cpu);
}

}  // namespace hv::arch
