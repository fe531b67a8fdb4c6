// Host definitions of the GrantFrames seam (grant/grant_seams.hpp): every GrantFrames in a
// host program is a FakeFrames (tests/host/grant_fakes.hpp), whose members of the same
// names keep the counts and check them.
#include "tests/host/grant_fakes.hpp"

namespace hv::grant {
namespace {

testing::FakeFrames& fake(GrantFrames* frames) { return *static_cast<testing::FakeFrames*>(frames); }

}  // namespace

bool GrantFrames::get_page(Frame frame, DomainId owner) { return fake(this).get_page(frame, owner); }
void GrantFrames::put_page(Frame frame) { fake(this).put_page(frame); }
bool GrantFrames::get_writable(Frame frame, DomainId owner) { return fake(this).get_writable(frame, owner); }
void GrantFrames::put_writable(Frame frame) { fake(this).put_writable(frame); }
void GrantFrames::copy(Frame dest, unsigned dest_offset, Frame source, unsigned source_offset, unsigned length) {
    fake(this).copy(dest, dest_offset, source, source_offset, length);
}

}  // namespace hv::grant
