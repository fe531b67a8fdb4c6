// Host fakes for the grant-table seams (grant/grant_seams.hpp) and a small world of
// domains, shared by the tests/host/grant_*_test.cpp suites and the grant fuzzer.
//
// Frames are host pages with an owner and two reference counts (general, writable
// type), checked as the kernel's page-type core would: a frame marked as a page table
// refuses writable references, references are never taken on frames of another owner
// and never dropped below zero (the fake aborts). Host mappings live in fake page
// tables: one slot per linear page (or per machine address with GNTMAP_contains_pte),
// and each present slot owns its references, as a real L1 entry does.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "grant/grant_ops.hpp"
#include "grant/grant_table.hpp"

namespace hv::grant::testing {

#define GRANT_FAKE_CHECK(cond)                                                               \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::fprintf(stderr, "grant fake: %s failed (%s:%d)\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                                    \
        }                                                                                    \
    } while (0)

struct PageDeleter {
    void operator()(void* p) const { std::free(p); }
};
using PagePtr = std::unique_ptr<uint8_t, PageDeleter>;

inline PagePtr make_page() {
    void* p = std::aligned_alloc(4096, 4096);
    std::memset(p, 0, 4096);
    return PagePtr(static_cast<uint8_t*>(p));
}

inline constexpr Frame kTableFrameBase = 0x80000;  // frame numbers of table frames

// ---- frames ---------------------------------------------------------------------------------

// The host build's GrantFrames (a link-time seam: tests/host/fakes/grant_seams_fake.cpp
// forwards the seam's members to these, which hide them). Every GrantFrames in a host
// program is a FakeFrames.
class FakeFrames final : public GrantFrames {
public:
    struct Page {
        DomainId owner = 0;
        bool page_table = false;  // refuses writable references
        long general = 0;
        long writable = 0;
        PagePtr data = make_page();
    };

    // A RAM frame of `owner` (the domain's own memory).
    uint8_t* add(Frame frame, DomainId owner, bool page_table = false) {
        std::lock_guard<std::mutex> guard(mutex_);
        Page& p = pages_[frame];
        p.owner = owner;
        p.page_table = page_table;
        return p.data.get();
    }
    uint8_t* data(Frame frame) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = pages_.find(frame);
        return it == pages_.end() ? nullptr : it->second.data.get();
    }
    long general(Frame frame) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = pages_.find(frame);
        return it == pages_.end() ? 0 : it->second.general;
    }
    long writable(Frame frame) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = pages_.find(frame);
        return it == pages_.end() ? 0 : it->second.writable;
    }
    // References held on every frame, summed (0 when everything was given back).
    template <typename Fn>
    void for_each(Fn&& fn) {
        std::lock_guard<std::mutex> guard(mutex_);
        for (auto& [f, p] : pages_)
            fn(f, p);
    }
    long total_refs() {
        std::lock_guard<std::mutex> guard(mutex_);
        long n = 0;
        for (auto& [f, p] : pages_)
            n += p.general + p.writable;
        return n;
    }
    void set_owner(Frame frame, DomainId owner) {
        std::lock_guard<std::mutex> guard(mutex_);
        pages_.at(frame).owner = owner;
    }
    void set_page_table(Frame frame, bool value) {
        std::lock_guard<std::mutex> guard(mutex_);
        pages_.at(frame).page_table = value;
    }

    bool get_page(Frame frame, DomainId owner) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = pages_.find(frame);
        if (it == pages_.end() || it->second.owner != owner)
            return false;
        ++it->second.general;
        return true;
    }
    void put_page(Frame frame) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = pages_.find(frame);
        GRANT_FAKE_CHECK(it != pages_.end() && it->second.general > 0);
        GRANT_FAKE_CHECK(it->second.general > it->second.writable);  // a type ref is paired with a general one
        --it->second.general;
    }
    bool get_writable(Frame frame, DomainId owner) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = pages_.find(frame);
        GRANT_FAKE_CHECK(it != pages_.end() && it->second.general > it->second.writable);
        // The seam's contract: the caller's general reference was taken for this owner.
        GRANT_FAKE_CHECK(it->second.owner == owner);
        if (it->second.page_table)
            return false;
        ++it->second.writable;
        return true;
    }
    void put_writable(Frame frame) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = pages_.find(frame);
        GRANT_FAKE_CHECK(it != pages_.end() && it->second.writable > 0);
        --it->second.writable;
    }
    void copy(Frame dest, unsigned dest_offset, Frame source, unsigned source_offset, unsigned length) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto d = pages_.find(dest), s = pages_.find(source);
        GRANT_FAKE_CHECK(d != pages_.end() && s != pages_.end());
        GRANT_FAKE_CHECK(d->second.general > 0 && s->second.general > 0);
        GRANT_FAKE_CHECK(d->second.writable > 0);  // written only under a writable reference
        GRANT_FAKE_CHECK(dest_offset + length <= 4096 && source_offset + length <= 4096);
        std::memmove(d->second.data.get() + dest_offset, s->second.data.get() + source_offset, length);
        ++copies;
    }

    unsigned copies = 0;

private:
    std::mutex mutex_;
    std::map<Frame, Page> pages_;
};

// ---- table frames and bookkeeping pages ---------------------------------------------------

class FakeMemory final : public GrantMemory {
public:
    Result<TableFrame> allocate_table_frame(DomainId owner) override {
        std::lock_guard<std::mutex> guard(mutex_);
        if (fail_allocations_after == 0)
            return Status::OutOfMemory;
        if (fail_allocations_after > 0)
            --fail_allocations_after;
        const Frame frame = next_frame_++;
        auto& slot = table_frames_[frame];
        slot.page = make_page();
        slot.owner = owner;
        return TableFrame{slot.page.get(), frame};
    }
    void free_table_frame(DomainId owner, const TableFrame& f) override {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = table_frames_.find(f.frame);
        GRANT_FAKE_CHECK(it != table_frames_.end() && it->second.owner == owner && it->second.page.get() == f.page);
        table_frames_.erase(it);
    }
    void* allocate_page() override {
        std::lock_guard<std::mutex> guard(mutex_);
        if (fail_allocations_after == 0)
            return nullptr;
        if (fail_allocations_after > 0)
            --fail_allocations_after;
        void* p = std::aligned_alloc(4096, 4096);
        std::memset(p, 0, 4096);
        pages_.insert(p);
        return p;
    }
    void free_page(void* page) override {
        std::lock_guard<std::mutex> guard(mutex_);
        GRANT_FAKE_CHECK(pages_.erase(page) == 1);
        std::free(page);
    }
    ~FakeMemory() {
        for (void* p : pages_)
            std::free(p);
    }

    void* table_page(Frame frame) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = table_frames_.find(frame);
        return it == table_frames_.end() ? nullptr : it->second.page.get();
    }
    size_t table_frames() {
        std::lock_guard<std::mutex> guard(mutex_);
        return table_frames_.size();
    }
    size_t pages() {
        std::lock_guard<std::mutex> guard(mutex_);
        return pages_.size();
    }

    // Allocations (of either kind) that still succeed; negative = unlimited.
    long fail_allocations_after = -1;

private:
    struct TablePage {
        PagePtr page;
        DomainId owner = 0;
    };
    std::mutex mutex_;
    Frame next_frame_ = kTableFrameBase;
    std::map<Frame, TablePage> table_frames_;
    std::set<void*> pages_;
};

// ---- host mappings ------------------------------------------------------------------------

class FakeHostMappings final : public HostMappings {
public:
    struct Pte {
        Frame frame = 0;
        bool present = false;
        bool writable = false;
        bool user = false;
    };

    explicit FakeHostMappings(FakeFrames& frames) : frames_(frames) {}

    // Linear addresses at or above this have no L1 table (Xen: map_guest_l1e fails).
    static constexpr uint64_t kNoL1Start = 0x0000700000000000ull;
    // Frames holding the mapper's L1 tables, for GNTMAP_contains_pte addresses.
    void add_l1_table(DomainId mapper, Frame l1) {
        std::lock_guard<std::mutex> guard(mutex_);
        l1_tables_[mapper].insert(l1);
    }

    xen::GrantStatus create(DomainId mapper, uint64_t host_addr, Frame frame, uint32_t flags) {
        std::lock_guard<std::mutex> guard(mutex_);
        uint64_t key;
        if (!slot_key(mapper, host_addr, flags, key))
            return xen::GrantStatus::general_error;
        Pte& slot = tables_[mapper][key];
        const Pte old = slot;
        slot = Pte{frame, true, (flags & xen::gntmap::readonly) == 0, (flags & xen::gntmap::application_map) != 0};
        drop(old);
        ++creates;
        return xen::GrantStatus::okay;
    }
    xen::GrantStatus replace(DomainId mapper, uint64_t host_addr, Frame frame, uint64_t new_addr,
                             uint32_t flags) {
        std::lock_guard<std::mutex> guard(mutex_);
        if ((flags & xen::gntmap::contains_pte) && new_addr != 0)
            return xen::GrantStatus::general_error;
        Pte moved{};
        if (new_addr != 0) {
            uint64_t new_key;
            if (!slot_key(mapper, new_addr, 0, new_key))
                return xen::GrantStatus::general_error;
            Pte& source = tables_[mapper][new_key];
            moved = source;
            source = Pte{};
        }
        uint64_t key;
        if (!slot_key(mapper, host_addr, flags, key)) {
            drop(moved);
            return xen::GrantStatus::general_error;
        }
        Pte& slot = tables_[mapper][key];
        if (!slot.present || slot.frame != frame || slot.writable != ((flags & xen::gntmap::readonly) == 0)) {
            drop(moved);
            return xen::GrantStatus::general_error;
        }
        slot = moved;
        ++replaces;
        return xen::GrantStatus::okay;
    }
    void flush_tlb(DomainId mapper) {
        std::lock_guard<std::mutex> guard(mutex_);
        ++flushes[mapper];
    }

    // What the guest sees at host_addr (linear) or at a PTE machine address.
    Pte at(DomainId mapper, uint64_t host_addr, bool contains_pte = false) {
        std::lock_guard<std::mutex> guard(mutex_);
        uint64_t key;
        if (!slot_key(mapper, host_addr, contains_pte ? xen::gntmap::contains_pte : 0, key))
            return Pte{};
        auto t = tables_.find(mapper);
        if (t == tables_.end())
            return Pte{};
        auto it = t->second.find(key);
        return it == t->second.end() ? Pte{} : it->second;
    }
    // The guest writes its own entry at host_addr (an ordinary mapping of one of its own
    // frames, or nothing): the old entry's references are dropped, as mmu_update does.
    bool guest_write(DomainId mapper, uint64_t host_addr, Frame own_frame, bool present, bool writable) {
        std::lock_guard<std::mutex> guard(mutex_);
        uint64_t key;
        if (!slot_key(mapper, host_addr, 0, key))
            return false;
        Pte next{};
        if (present) {
            if (!frames_.get_page(own_frame, mapper))
                return false;
            if (writable && !frames_.get_writable(own_frame, mapper)) {
                frames_.put_page(own_frame);
                return false;
            }
            next = Pte{own_frame, true, writable, false};
        }
        Pte& slot = tables_[mapper][key];
        const Pte old = slot;
        slot = next;
        drop(old);
        return true;
    }
    // The mapper's page tables are torn down (domain destruction): every entry drops its
    // references.
    void teardown(DomainId mapper) {
        std::lock_guard<std::mutex> guard(mutex_);
        for (auto& [key, pte] : tables_[mapper])
            drop(pte);
        tables_.erase(mapper);
    }
    size_t present_entries(DomainId mapper) {
        std::lock_guard<std::mutex> guard(mutex_);
        size_t n = 0;
        for (auto& [key, pte] : tables_[mapper])
            n += pte.present;
        return n;
    }

    // Calls fn(mapper, pte) for every present entry.
    template <typename Fn>
    void for_each_present(Fn&& fn) {
        std::lock_guard<std::mutex> guard(mutex_);
        for (auto& [mapper, table] : tables_)
            for (auto& [key, pte] : table)
                if (pte.present)
                    fn(mapper, pte);
    }

    std::map<DomainId, unsigned> flushes;
    unsigned creates = 0;
    unsigned replaces = 0;

private:
    // Slot of a linear page, or (contains_pte) of an 8-byte entry in one of the mapper's L1s.
    bool slot_key(DomainId mapper, uint64_t addr, uint32_t flags, uint64_t& key) {
        if (flags & xen::gntmap::contains_pte) {
            if (addr % 8 != 0 || !l1_tables_[mapper].count(addr >> 12))
                return false;
            key = addr | (1ull << 63);  // distinct from linear keys
            return true;
        }
        if (addr >= kNoL1Start)
            return false;
        key = addr >> 12;
        return true;
    }
    void drop(const Pte& pte) {
        if (!pte.present)
            return;
        if (pte.writable)
            frames_.put_writable(pte.frame);
        frames_.put_page(pte.frame);
    }

    FakeFrames& frames_;
    std::mutex mutex_;
    std::map<DomainId, std::map<uint64_t, Pte>> tables_;
    std::map<DomainId, std::set<Frame>> l1_tables_;
};

// ---- domains --------------------------------------------------------------------------------

class FakeDomains final : public GrantDomains {
public:
    GrantTable* find(DomainId id) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = tables_.find(id);
        return it == tables_.end() ? nullptr : it->second;
    }
    void retain(GrantTable& table) {
        std::lock_guard<std::mutex> guard(mutex_);
        ++refs_[table.id()];
    }
    void release(GrantTable& table) {
        std::lock_guard<std::mutex> guard(mutex_);
        GRANT_FAKE_CHECK(refs_[table.id()] > 0);
        --refs_[table.id()];
    }
    void add(GrantTable& table) {
        std::lock_guard<std::mutex> guard(mutex_);
        tables_[table.id()] = &table;
    }
    void remove(DomainId id) {
        std::lock_guard<std::mutex> guard(mutex_);
        GRANT_FAKE_CHECK(refs_[id] == 0);
        tables_.erase(id);
    }
    // The domain is gone but others still pin its grants: reachable only through their
    // maptrack entries now.
    void retire(DomainId id) {
        std::lock_guard<std::mutex> guard(mutex_);
        retired_.push_back(tables_.at(id));
        tables_.erase(id);
    }
    long refs(DomainId id) {
        std::lock_guard<std::mutex> guard(mutex_);
        return refs_[id];
    }

private:
    std::mutex mutex_;
    std::map<DomainId, GrantTable*> tables_;
    std::vector<GrantTable*> retired_;
    std::map<DomainId, long> refs_;
};

// ---- the world ------------------------------------------------------------------------------

struct World {
    FakeMemory memory;
    FakeFrames frames;
    FakeHostMappings mappings{frames};
    FakeDomains domains;
    GrantContext ctx{domains, frames, mappings};
    std::map<DomainId, std::unique_ptr<GrantTable>> tables;

    GrantTable& add(DomainId id, bool control = false, unsigned max_frames = kDefaultMaxGrantFrames,
                    unsigned max_maptrack = kDefaultMaxMaptrackFrames) {
        GrantTableConfig config;
        config.id = id;
        config.control_domain = control;
        config.max_grant_frames = max_frames;
        config.max_maptrack_frames = max_maptrack;
        auto table = std::make_unique<GrantTable>(config, memory);
        GRANT_FAKE_CHECK(table->init() == Status::Ok);
        domains.add(*table);
        GrantTable& t = *table;
        tables[id] = std::move(table);
        return t;
    }
    GrantTable& table(DomainId id) { return *tables.at(id); }

    // Domain `id` is destroyed (Xen's domain_kill order: its page tables, its mappings of
    // others' grants, its own frames); its table stays reachable from their maptracks while others
    // pin its grants, as the kernel's retired tables do.
    GrantTable& destroy(DomainId id) {
        mappings.teardown(id);
        release_mappings(ctx, table(id));
        table(id).release_frames();
        domains.retire(id);
        retired.push_back(std::move(tables.at(id)));
        tables.erase(id);
        return *retired.back();
    }
    std::vector<std::unique_ptr<GrantTable>> retired;

    // The granter's shared entry for `ref`, as the granting guest sees it.
    xen::GrantEntryV1* entry(DomainId granter, xen::GrantRef ref) {
        GrantTable& t = table(granter);
        GRANT_FAKE_CHECK(ref < t.nr_entries());
        auto* page = static_cast<xen::GrantEntryV1*>(memory.table_page(t.frame(ref / kEntriesPerFrame)));
        GRANT_FAKE_CHECK(page != nullptr);
        return &page[ref % kEntriesPerFrame];
    }
    void grant(DomainId granter, xen::GrantRef ref, uint16_t flags, DomainId to, Frame frame) {
        xen::GrantEntryV1* e = entry(granter, ref);
        e->domid = to;
        e->frame = static_cast<uint32_t>(frame);
        __atomic_store_n(&e->flags, flags, __ATOMIC_SEQ_CST);
    }
    uint16_t flags(DomainId granter, xen::GrantRef ref) { return __atomic_load_n(&entry(granter, ref)->flags, __ATOMIC_SEQ_CST); }
    uint32_t pin(DomainId granter, xen::GrantRef ref) {
        GrantTable& t = table(granter);
        LockGuard guard(t.lock());
        return t.active(ref).pin;
    }

    xen::GrantMapRef map(DomainId mapper, DomainId granter, xen::GrantRef ref, uint32_t flags, uint64_t host_addr) {
        xen::GrantMapRef op{};
        op.host_addr = host_addr;
        op.flags = flags;
        op.ref = ref;
        op.dom = granter;
        op.handle = 0xdeadbeef;
        map_grant_ref(ctx, table(mapper), op);
        return op;
    }
    int16_t unmap(DomainId mapper, xen::GrantHandle handle, uint64_t host_addr, uint64_t dev_bus_addr = 0) {
        xen::GrantUnmapRef op{};
        op.host_addr = host_addr;
        op.dev_bus_addr = dev_bus_addr;
        op.handle = handle;
        UnmapBatch batch(ctx, table(mapper));
        batch.unmap(op);
        batch.finish();
        return op.status;
    }
    int16_t copy(DomainId caller, const xen::GrantCopy& request) {
        xen::GrantCopy op = request;
        CopyBatch batch(ctx, table(caller));
        batch.copy(op);
        return op.status;
    }
};

inline xen::GrantCopyPointer gref_ptr(xen::GrantRef ref, DomainId domid, uint16_t offset = 0) {
    xen::GrantCopyPointer p{};
    p.u.ref = ref;
    p.domid = domid;
    p.offset = offset;
    return p;
}
inline xen::GrantCopyPointer gmfn_ptr(Frame gmfn, uint16_t offset = 0) {
    xen::GrantCopyPointer p{};
    p.u.gmfn = gmfn;
    p.domid = kDomidSelf;
    p.offset = offset;
    return p;
}
inline xen::GrantCopy copy_op(xen::GrantCopyPointer source, xen::GrantCopyPointer dest, uint16_t len, uint16_t flags) {
    xen::GrantCopy op{};
    op.source = source;
    op.dest = dest;
    op.len = len;
    op.flags = flags;
    op.status = 0x5a5a;
    return op;
}

}  // namespace hv::grant::testing
