// Everything a PV test guest source file needs.
#pragma once

#include "console.hpp"
#include "events.hpp"
#include "hypercall.hpp"
#include "page_pool.hpp"
#include "paging.hpp"
#include "runtime.hpp"
#include "test.hpp"
#include "traps.hpp"

#include "hypercall/public/event_channel.hpp"
#include "hypercall/public/grant_table.hpp"
#include "hypercall/public/memory.hpp"
#include "hypercall/public/mmu.hpp"
#include "hypercall/public/physdev.hpp"
#include "hypercall/public/platform.hpp"
#include "hypercall/public/sched.hpp"
#include "hypercall/public/shared_info.hpp"
#include "hypercall/public/start_info.hpp"
#include "hypercall/public/trap.hpp"
#include "hypercall/public/vcpu.hpp"
#include "hypercall/public/version.hpp"
