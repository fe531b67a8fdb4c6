// Fuzzer for the grant-table core: a byte-driven sequence of grant operations among three
// fake domains (maps, unmaps, unmap_and_replace, copy batches, table management, swaps),
// interleaved with what hostile guests do behind the hypervisor's back (rewriting shared
// entries, overwriting or tearing down page-table entries that hold grant mappings,
// turning frames into page tables) and with one domain's destruction and re-creation
// under the same id.
//
// Checked every step: every page reference on every frame is accounted for by a present
// page-table entry or a device mapping in some maptrack (the references balance); every
// active entry's pin equals what the maptracks say; pinned_entries() and handles_in_use()
// match their recounts, also across retired tables; no TableRef is left behind. At the end
// every domain is destroyed and nothing may remain referenced or pinned.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <vector>

#include "tests/fuzz/fuzz_stream.hpp"
#include "tests/host/grant_fakes.hpp"

namespace hv::grant {
namespace {

using testing::World;
namespace gtf = xen::gtf;
namespace gntmap = xen::gntmap;
namespace gntcopy = xen::gntcopy;


constexpr DomainId kDomains = 3;  // 0 (control), 1, 2 (small limits, may be destroyed)
constexpr Frame kFramesPerDomain = 6;
constexpr Frame kL1Frame = 0x900;  // each mapper's L1 for contains_pte: kL1Frame + domain

Frame frame_of(DomainId d, unsigned i) { return 0x100 * (d + 1) + i; }

class Input : public fuzz::ByteStream {
public:
    using ByteStream::ByteStream;
    DomainId domain() { return byte() % kDomains; }
    // Mostly existing domains, sometimes DOMID_SELF or nobody.
    DomainId domid() {
        const uint8_t b = byte();
        if (b < 200)
            return b % kDomains;
        return b < 230 ? kDomidSelf : static_cast<DomainId>(b);
    }
    xen::GrantRef ref() {
        const uint8_t b = byte();
        return b < 240 ? b % 12 : (b < 250 ? 512 + b % 4 : u32());
    }
    // Frames of any domain, page tables included, and frames that do not exist.
    Frame frame() {
        const uint8_t b = byte();
        if (b < 240)
            return frame_of((b >> 3) % kDomains, b % kFramesPerDomain);
        return b < 250 ? 0x7777 : u32();
    }
    uint64_t host_addr(DomainId mapper) {
        const uint8_t b = byte();
        if (b < 180)
            return 0x10000 + (b % 8) * 0x1000;
        if (b < 220)
            return ((kL1Frame + mapper) << 12) + (b % 8) * 8;  // a PTE address (for contains_pte)
        if (b < 240)
            return testing::FakeHostMappings::kNoL1Start + b;
        return u32();
    }
    uint32_t map_flags() {
        const uint8_t b = byte();
        uint32_t flags = b & 0x1f;  // device, host, readonly, application, contains_pte
        if (b & 0x20)
            flags |= 5u << gntmap::guest_avail_shift;
        return flags;
    }
    uint16_t entry_flags() {
        static constexpr uint16_t kFlags[] = {gtf::permit_access, gtf::permit_access | gtf::readonly, 0,
                                              gtf::accept_transfer, gtf::permit_access | gtf::sub_page,
                                              gtf::permit_access | gtf::reading | gtf::writing};
        const uint8_t b = byte();
        return b < 240 ? kFlags[b % 6] : static_cast<uint16_t>(u32());
    }

};

// GRANT_FUZZ_TRACE=1 prints every operation and its status (for reading seeds and crashes).
const bool kTrace = std::getenv("GRANT_FUZZ_TRACE") != nullptr;
#define TRACE(...)                           \
    do {                                     \
        if (kTrace)                          \
            __builtin_printf(__VA_ARGS__);   \
    } while (0)

struct Mapping {
    DomainId mapper;
    xen::GrantHandle handle;
    uint64_t host_addr;
    uint64_t dev_bus_addr;
};

struct Fuzz {
    World world;
    bool destroyed = false;  // domain 2
    std::vector<Mapping> mappings;

    Fuzz() {
        world.add(0, true);
        world.add(1);
        world.add(2, false, /*max_frames=*/2, /*max_maptrack=*/1);
        for (DomainId d = 0; d < kDomains; ++d) {
            for (unsigned i = 0; i < kFramesPerDomain; ++i)
                world.frames.add(frame_of(d, i), d, /*page_table=*/i == kFramesPerDomain - 1);
            world.mappings.add_l1_table(d, kL1Frame + d);
        }
    }
    bool alive(DomainId d) const { return !(d == 2 && destroyed); }

    void map(Input& in) {
        const DomainId mapper = in.domain();
        if (!alive(mapper))
            return;
        xen::GrantMapRef op{};
        op.host_addr = in.host_addr(mapper);
        op.flags = in.map_flags();
        op.ref = in.ref();
        op.dom = in.domid();
        op.handle = 0xdeadbeef;
        const xen::GrantMapRef before = op;
        map_grant_ref(world.ctx, world.table(mapper), op);
        TRACE("map d%u of d%u ref %u flags %#x at %#llx: %d handle %u\n", mapper, op.dom, op.ref, op.flags,
              static_cast<unsigned long long>(op.host_addr), op.status, op.status == 0 ? op.handle : 0);
        if (op.status == 0) {
            mappings.push_back({mapper, op.handle, op.host_addr, op.dev_bus_addr});
        } else {
            FUZZ_CHECK(op.handle == before.handle && op.dev_bus_addr == before.dev_bus_addr);
        }
    }

    void unmap(Input& in, bool replace) {
        const DomainId mapper = in.domain();
        if (!alive(mapper))
            return;
        UnmapBatch batch(world.ctx, world.table(mapper));
        const unsigned n = 1 + in.byte() % 3;
        for (unsigned i = 0; i < n; ++i) {
            const uint8_t pick = in.byte();
            Mapping m{mapper, in.u32(), in.host_addr(mapper), in.byte() & 1 ? 0 : uint64_t{in.u32()} << 12};
            if (pick < 200 && !mappings.empty()) {
                const Mapping& known = mappings[pick % mappings.size()];
                if (known.mapper == mapper) {
                    m.handle = known.handle;
                    if (pick & 1)
                        m.host_addr = known.host_addr;
                    if (pick & 2)
                        m.dev_bus_addr = known.dev_bus_addr;
                    else if (pick & 4)
                        m.dev_bus_addr = 0;
                }
            }
            if (replace) {
                xen::GrantUnmapAndReplace op{m.host_addr, in.byte() & 1 ? 0 : in.host_addr(mapper), m.handle, 0x55, 0};
                batch.unmap(op);
                TRACE("unmap_and_replace d%u handle %u at %#llx: %d\n", mapper, m.handle,
                      static_cast<unsigned long long>(m.host_addr), op.status);
            } else {
                xen::GrantUnmapRef op{m.host_addr, m.dev_bus_addr, m.handle, 0x55, 0};
                batch.unmap(op);
                TRACE("unmap d%u handle %u at %#llx dev %#llx: %d\n", mapper, m.handle,
                      static_cast<unsigned long long>(m.host_addr), static_cast<unsigned long long>(m.dev_bus_addr),
                      op.status);
            }
        }
        batch.finish();
    }

    void copy(Input& in) {
        const DomainId caller = in.domain();
        if (!alive(caller))
            return;
        CopyBatch batch(world.ctx, world.table(caller));
        const unsigned n = 1 + in.byte() % 4;
        for (unsigned i = 0; i < n; ++i) {
            xen::GrantCopy op{};
            op.flags = in.byte() & 3;
            for (xen::GrantCopyPointer* side : {&op.source, &op.dest}) {
                const bool gref = (op.flags & (side == &op.source ? gntcopy::source_gref : gntcopy::dest_gref)) != 0;
                if (gref)
                    side->u.ref = in.ref();
                else
                    side->u.gmfn = in.frame();
                side->domid = in.domid();
                const uint8_t b = in.byte();
                side->offset = b < 200 ? (b % 16) * 256 : static_cast<uint16_t>(in.u32());
            }
            const uint8_t b = in.byte();
            op.len = b < 220 ? b * 16 : static_cast<uint16_t>(in.u32());
            batch.copy(op);
            TRACE("copy d%u flags %u len %u: %d\n", caller, op.flags, op.len, op.status);
        }
    }

    void manage(Input& in) {
        const DomainId caller = in.domain();
        if (!alive(caller))
            return;
        GrantTable& t = world.table(caller);
        Frame frames[GrantTable::kMaxGrantFrames];
        switch (in.byte() % 5) {
        case 0: {
            const uint8_t b = in.byte();
            (void)setup_table(world.ctx, t, in.domid(), b < 240 ? b % 4 : in.u32(), frames);
            break;
        }
        case 1: {
            xen::GrantQuerySize q{};
            q.dom = in.domid();
            (void)query_size(world.ctx, t, q);
            break;
        }
        case 2:
            (void)swap_grant_ref(t, in.ref(), in.ref());
            break;
        case 3:
            (void)get_status_frames(world.ctx, t, in.domid(), in.byte() % 3);
            break;
        case 4:
            (void)get_version(world.ctx, t, in.domid());
            break;
        }
    }

    // What hostile guests do without asking the hypervisor.
    void guest(Input& in) {
        const DomainId d = in.domain();
        if (!alive(d))
            return;
        switch (in.byte() % 4) {
        case 0: {
            const xen::GrantRef ref = in.ref() % world.table(d).nr_entries();
            const uint16_t flags = in.entry_flags();
            world.grant(d, ref, flags, in.domid(), in.frame());
            break;
        }
        case 1: {
            const Frame own = frame_of(d, in.byte() % kFramesPerDomain);
            (void)world.mappings.guest_write(d, in.host_addr(d), own, in.byte() & 1, in.byte() & 1);
            break;
        }
        case 2: {
            // A frame becomes (or stops being) a page table: only if nothing maps it writable.
            const Frame f = frame_of(d, in.byte() % kFramesPerDomain);
            if (world.frames.writable(f) == 0)
                world.frames.set_page_table(f, in.byte() & 1);
            break;
        }
        case 3: {
            const xen::GrantRef ref = in.ref() % world.table(d).nr_entries();
            __atomic_fetch_and(&world.entry(d, ref)->flags, static_cast<uint16_t>(~(gtf::reading | gtf::writing)),
                               __ATOMIC_SEQ_CST);
            break;
        }
        }
    }

    // Domain 2 dies (its page tables, its mappings, its table frames; its table retired
    // while others still pin its grants), or a new domain 2 is created in its place: the
    // old domain's grants must still unmap from the retired table, never the new one.
    void destroy_or_recreate() {
        if (!destroyed) {
            destroyed = true;
            TRACE("destroy d2\n");
            world.destroy(2);
            std::erase_if(mappings, [](const Mapping& m) { return m.mapper == 2; });
        } else {
            destroyed = false;
            TRACE("new d2\n");
            world.add(2, false, /*max_frames=*/2, /*max_maptrack=*/1);
        }
    }

    // Every table, live or retired, by serial.
    std::map<uint64_t, GrantTable*> all_tables() {
        std::map<uint64_t, GrantTable*> all;
        for (auto& [id, t] : world.tables)
            all[t->serial()] = t.get();
        for (auto& t : world.retired)
            all[t->serial()] = t.get();
        return all;
    }

    __attribute__((no_sanitize("coverage"))) void check() {
        // Expected references: present page-table entries, plus device mappings.
        std::map<Frame, long> general, writable;
        world.mappings.for_each_present([&](DomainId, const testing::FakeHostMappings::Pte& pte) {
            ++general[pte.frame];
            if (pte.writable)
                ++writable[pte.frame];
        });
        // Expected pins: every maptrack entry of every mapper (retired tables map nothing).
        std::map<std::pair<uint64_t, xen::GrantRef>, uint32_t> pins;
        std::map<uint64_t, GrantTable*> tables = all_tables();
        for (auto& [serial, table] : tables) {
            GrantTable& mapper = *table;
            LockGuard guard(mapper.maptrack_lock());
            uint32_t in_use = 0;
            for (xen::GrantHandle h = 0; h < mapper.maptrack_limit(); ++h) {
                const MaptrackEntry& m = *mapper.maptrack(h);
                if (m.flags == 0)
                    continue;
                ++in_use;
                const bool ro = m.flags & gntmap::readonly;
                FUZZ_CHECK(m.flags & (gntmap::host_map | gntmap::device_map));
                FUZZ_CHECK(std::any_of(tables.begin(), tables.end(), [&](auto& t) { return t.second == m.granter; }));
                uint32_t& p = pins[{m.granter->serial(), m.ref}];
                if (m.flags & gntmap::host_map)
                    p += ro ? pin::host_read : pin::host_write;
                FUZZ_CHECK(m.granter->id() == m.domid);
                if (m.flags & gntmap::device_map) {
                    p += ro ? pin::device_read : pin::device_write;
                    GrantTable& granter = *m.granter;
                    LockGuard g(granter.lock());
                    const Frame f = granter.active(m.ref).frame;
                    ++general[f];
                    if (!ro)
                        ++writable[f];
                }
            }
            FUZZ_CHECK(in_use == mapper.handles_in_use());
        }
        world.frames.for_each([&](Frame f, const testing::FakeFrames::Page& page) {
            FUZZ_CHECK(page.general == general[f]);
            FUZZ_CHECK(page.writable == writable[f]);
            FUZZ_CHECK(page.writable == 0 || !page.page_table);
        });
        for (auto& [serial, table] : tables) {
            GrantTable& granter = *table;
            LockGuard guard(granter.lock());
            uint32_t pinned = 0;
            for (xen::GrantRef r = 0; r < granter.nr_entries(); ++r) {
                const ActiveEntry& act = granter.active(r);
                auto it = pins.find({serial, r});
                FUZZ_CHECK(act.pin == (it == pins.end() ? 0u : it->second));
                pinned += act.pin != 0;
            }
            FUZZ_CHECK(pinned == granter.pinned_entries());
        }
        for (DomainId d = 0; d < kDomains; ++d)
            FUZZ_CHECK(world.domains.refs(d) == 0);
    }

    void finish() {
        for (DomainId d = 0; d < kDomains; ++d)
            if (alive(d))
                world.destroy(d);
        for (auto& [serial, table] : all_tables()) {
            FUZZ_CHECK(table->pinned_entries() == 0);
            FUZZ_CHECK(table->handles_in_use() == 0);
        }
        FUZZ_CHECK(world.frames.total_refs() == 0);
    }
};

void run(const uint8_t* data, size_t size) {
    Input in(data, size);
    Fuzz fuzz;
    for (unsigned step = 0; !in.empty() && step < 400; ++step) {
        switch (in.byte() % 10) {
        case 0:
        case 1:
        case 2: fuzz.map(in); break;
        case 3: fuzz.unmap(in, false); break;
        case 4: fuzz.unmap(in, true); break;
        case 5: fuzz.copy(in); break;
        case 6: fuzz.manage(in); break;
        case 7:
        case 8: fuzz.guest(in); break;
        case 9:
            if (in.byte() < 20)
                fuzz.destroy_or_recreate();
            break;
        }
        fuzz.check();
    }
    fuzz.finish();
}

}  // namespace
}  // namespace hv::grant

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    hv::grant::run(data, size);
    return 0;
}
