#include "kernel/log.hpp"
#include "kernel/selftest/selftest.hpp"

extern "C" const hv::SelfTest hv_selftests_start[], hv_selftests_end[];

namespace hv {

void run_selftests() {
    unsigned passed = 0, failed = 0;
    LOG_INFO("selftest: running %u tests", static_cast<unsigned>(hv_selftests_end - hv_selftests_start));
    for (const SelfTest* t = hv_selftests_start; t < hv_selftests_end; ++t) {
        const bool ok = t->run();
        LOG_INFO("selftest: %s %s", ok ? "PASS" : "FAIL", t->name);
        ok ? ++passed : ++failed;
    }
    LOG_INFO("selftest: %u passed, %u failed", passed, failed);
}

}  // namespace hv
