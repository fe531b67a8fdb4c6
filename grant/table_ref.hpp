// Another domain's grant table while an operation uses it (Xen: rcu_lock_domain_by_id /
// rcu_lock_domain_by_any_id around a grant operation): found by id (uncounted, alive until
// the operation ends) or retained through a pin (counted, released on reset).
#pragma once

#include <cstdint>

#include "grant/grant_seams.hpp"
#include "grant/grant_table.hpp"

namespace hv::grant {

inline constexpr DomainId kDomidSelf = 0x7ff0;  // xen::domid_self

class [[nodiscard]] TableRef {
public:
    TableRef() = default;
    TableRef(TableRef&& other) noexcept : domains_(other.domains_), table_(other.table_) {
        other.domains_ = nullptr;
        other.table_ = nullptr;
    }
    TableRef& operator=(TableRef&& other) noexcept {
        if (this != &other) {
            reset();
            domains_ = other.domains_;
            table_ = other.table_;
            other.domains_ = nullptr;
            other.table_ = nullptr;
        }
        return *this;
    }
    TableRef(const TableRef&) = delete;
    TableRef& operator=(const TableRef&) = delete;
    ~TableRef() { reset(); }

    // Domain `id` by number only, so DOMID_SELF finds nothing (Xen rcu_lock_domain_by_id,
    // which map_grant_ref uses: a self-mapping names the caller's real id). Uncounted
    // (GrantDomains::find): nothing to release.
    static TableRef find(GrantDomains& domains, DomainId id) {
        TableRef ref;
        ref.table_ = domains.find(id);
        return ref;
    }
    // The granter of a mapping still in place (MaptrackEntry::granter, valid by G3).
    static TableRef retain(GrantDomains& domains, GrantTable& table) {
        domains.retain(table);
        TableRef ref;
        ref.domains_ = &domains;
        ref.table_ = &table;
        return ref;
    }
    // DOMID_SELF means `caller`, which the operation already holds.
    static TableRef find_any(GrantDomains& domains, GrantTable& caller, DomainId id) {
        if (id != kDomidSelf)
            return find(domains, id);
        TableRef ref;
        ref.table_ = &caller;
        return ref;
    }

    explicit operator bool() const { return table_ != nullptr; }
    GrantTable* get() const { return table_; }
    GrantTable& operator*() const { return *table_; }
    GrantTable* operator->() const { return table_; }
    // Inline: most TableRefs an operation resets hold nothing (empty, or the caller's own
    // table), and a call per reset cost more than the check.
    [[gnu::always_inline]] void reset() {
        if (domains_ != nullptr)
            domains_->release(*table_);
        domains_ = nullptr;
        table_ = nullptr;
    }

private:
    // Set only for a retained table (the one case with something to release); then
    // table_ is not null either.
    GrantDomains* domains_ = nullptr;
    GrantTable* table_ = nullptr;
};

}  // namespace hv::grant
