// Typed, direction-checked guest pointers (STYLE.md rule 5). A hypercall argument that
// names guest memory becomes a GuestPtr<T, Direction> at decode time; logic code never
// sees a raw guest address, copies are [[nodiscard]], and array indexing is
// overflow-checked. Nothing operates on mapped guest memory in place: values are copied
// in, worked on, copied out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lib/status.hpp"
#include "seam/guest_memory.hpp"

namespace hv {

enum class Direction { In, Out, InOut };

template <typename T, Direction D>
class GuestPtr {
    static_assert(std::is_trivially_copyable_v<T>, "guest-visible types are plain data");

public:
    constexpr GuestPtr() = default;
    constexpr explicit GuestPtr(uint64_t address) : address_(address) {}

    uint64_t address() const { return address_; }
    bool is_null() const { return address_ == 0; }

    // Element `index` of an array starting here; Fault on arithmetic overflow.
    [[nodiscard]] Result<GuestPtr> at(uint64_t index) const {
        uint64_t offset;
        uint64_t target;
        if (__builtin_mul_overflow(index, sizeof(T), &offset) || __builtin_add_overflow(address_, offset, &target))
            return Status::Fault;
        return GuestPtr(target);
    }

    [[nodiscard]] Status read(T& out) const
        requires(D != Direction::Out)
    {
        return copy_from_guest(&out, address_, sizeof(T));
    }
    [[nodiscard]] Status write(const T& value) const
        requires(D != Direction::In)
    {
        return copy_to_guest(address_, &value, sizeof(T));
    }
    // Array forms: element `index`.
    [[nodiscard]] Status read(uint64_t index, T& out) const
        requires(D != Direction::Out)
    {
        auto p = at(index);
        return p.ok() ? p->read(out) : p.status();
    }
    [[nodiscard]] Status write(uint64_t index, const T& value) const
        requires(D != Direction::In)
    {
        auto p = at(index);
        return p.ok() ? p->write(value) : p.status();
    }

private:
    uint64_t address_ = 0;
};

template <typename T>
using GuestIn = GuestPtr<T, Direction::In>;
template <typename T>
using GuestOut = GuestPtr<T, Direction::Out>;
template <typename T>
using GuestInOut = GuestPtr<T, Direction::InOut>;

}  // namespace hv
