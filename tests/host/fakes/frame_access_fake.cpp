// Host definitions of FrameAccess's link-time members (pv/frame_access.hpp): every
// FrameAccess in a host program is a FakeMachine (tests/host/page_types_support.hpp), whose
// members of the same names check the frame and record which pages an operation touched.
#include "tests/host/page_types_support.hpp"

namespace hv::pv {

uint64_t* FrameAccess::table(Pfn mfn) { return static_cast<testing::FakeMachine*>(this)->table(mfn); }
bool FrameAccess::is_ram(Pfn mfn) const { return static_cast<const testing::FakeMachine*>(this)->is_ram(mfn); }

}  // namespace hv::pv
