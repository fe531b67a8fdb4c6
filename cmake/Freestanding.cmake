# The freestanding contract (STYLE.md rule 10), written once and applied per target.
#
# Code model: the Xen PV ABI gives the hypervisor L4 slots 256-271 only
# (0xffff800000000000-0xffff87ffffffffff); the top 2 GiB, where -mcmodel=kernel would put
# us, belong to the PV guest kernel (Linux runs at 0xffffffff80000000). So, like Xen, we
# generate position-independent (RIP-relative) code with the small model and link it at a
# fixed address inside slot 261. Everything else is the usual kernel contract.
set(HV_FREESTANDING_CXX_FLAGS
  -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -fno-asynchronous-unwind-tables -fno-stack-protector -fno-strict-aliasing
  -mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx -mno-80387
  -fpie -mcmodel=small -fvisibility=hidden -fno-omit-frame-pointer
  -include ${CMAKE_SOURCE_DIR}/cmake/hidden_visibility.h
  -flto
)
set(HV_FREESTANDING_DEFINES
  HV_KERNEL=1
  BOOST_NO_EXCEPTIONS BOOST_DISABLE_ASSERTS BOOST_NO_RTTI BOOST_NO_TYPEID
)
set(HV_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wshadow -Wnon-virtual-dtor
  -Wimplicit-fallthrough -Wundef)

# Headers the freestanding image may include (checked by tests/host/header_policy).
# C++: <atomic> <array> <bit> <concepts> <cstddef> <cstdint> <climits> <cstdarg>
#      <limits> <new> <optional> <span> <type_traits> <utility> <string_view>
# Boost: boost/intrusive/{list,set,rbtree}.hpp only.

function(hv_freestanding target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${HV_FREESTANDING_CXX_FLAGS} ${HV_WARNINGS}>
    $<$<COMPILE_LANGUAGE:ASM>:-fpie -Wa,--noexecstack>)
  target_compile_definitions(${target} PRIVATE ${HV_FREESTANDING_DEFINES})
  target_include_directories(${target} PRIVATE
    ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/hypervisor)
endfunction()
