// In-hypervisor self-tests (`selftest` on the command line). Each test registers itself
// in the .hv_selftests section with HV_SELFTEST(name) and returns true on success; the
// runner prints one line per test and a summary the boot tests look for:
//   (HV) selftest: PASS allocator-stress
//   (HV) selftest: 6 passed, 0 failed
#pragma once

namespace hv {

struct alignas(16) SelfTest {
    const char* name;
    bool (*run)();
};

void run_selftests();

}  // namespace hv

#define HV_SELFTEST(ident, name)                                                             \
    static bool selftest_##ident();                                                          \
    [[gnu::used, gnu::section(".hv_selftests")]] static const ::hv::SelfTest                 \
        selftest_entry_##ident = {name, selftest_##ident};                                   \
    static bool selftest_##ident()

// Inside a self-test: log and fail when `cond` is false.
#define SELFTEST_CHECK(cond)                                                                 \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            LOG_ERROR("selftest: check '%s' failed at %s:%d", #cond, __FILE__, __LINE__);     \
            return false;                                                                    \
        }                                                                                    \
    } while (0)
