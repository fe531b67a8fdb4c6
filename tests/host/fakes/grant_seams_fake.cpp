// Host definitions of the grant core's link-time seams (grant/grant_seams.hpp): every
// GrantFrames, HostMappings and GrantDomains in a host program is a FakeFrames,
// FakeHostMappings or FakeDomains (tests/host/grant_fakes.hpp), whose members of the same
// names keep the state and check it.
#include "tests/host/grant_fakes.hpp"

namespace hv::grant {
namespace {

testing::FakeFrames& fake(GrantFrames* frames) { return *static_cast<testing::FakeFrames*>(frames); }
testing::FakeHostMappings& fake(HostMappings* mappings) { return *static_cast<testing::FakeHostMappings*>(mappings); }
testing::FakeDomains& fake(GrantDomains* domains) { return *static_cast<testing::FakeDomains*>(domains); }

}  // namespace

bool GrantFrames::get_page(Frame frame, DomainId owner) { return fake(this).get_page(frame, owner); }
void GrantFrames::put_page(Frame frame) { fake(this).put_page(frame); }
bool GrantFrames::get_writable(Frame frame, DomainId owner) { return fake(this).get_writable(frame, owner); }
void GrantFrames::put_writable(Frame frame) { fake(this).put_writable(frame); }
void GrantFrames::put_writable_page(Frame frame) {
    put_writable(frame);
    put_page(frame);
}
void GrantFrames::copy(Frame dest, unsigned dest_offset, Frame source, unsigned source_offset, unsigned length) {
    fake(this).copy(dest, dest_offset, source, source_offset, length);
}


xen::GrantStatus HostMappings::create(DomainId mapper, uint64_t host_addr, Frame frame, uint32_t flags) {
    return fake(this).create(mapper, host_addr, frame, flags);
}
xen::GrantStatus HostMappings::replace(DomainId mapper, uint64_t host_addr, Frame frame, uint64_t new_addr,
                                       uint32_t flags) {
    return fake(this).replace(mapper, host_addr, frame, new_addr, flags);
}
void HostMappings::flush_tlb(DomainId mapper) { fake(this).flush_tlb(mapper); }

GrantTable* GrantDomains::find(DomainId id) { return fake(this).find(id); }
void GrantDomains::retain(GrantTable& table) { fake(this).retain(table); }
void GrantDomains::release(GrantTable& table) { fake(this).release(table); }

}  // namespace hv::grant
