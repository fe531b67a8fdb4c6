// What the boot loader told us, kept for the rest of the hypervisor's life (in the
// direct map after memory_init).
#pragma once

#include "boot/multiboot2.hpp"

namespace hv {

const mb2::BootInfo& boot_info();

}  // namespace hv
