// One error type inside the hypervisor (STYLE.md rule 7).
//
// Status names what went wrong in our own words; it is turned into a guest-visible
// -E* value in exactly one place (hypercall/errno.hpp, later). Result<T> carries either
// a value or a non-Ok Status and must be looked at ([[nodiscard]]).
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace hv {

enum class Status : uint8_t {
    Ok = 0,
    InvalidArgument,   // malformed input (EINVAL)
    OutOfMemory,       // no frames / heap (ENOMEM)
    NotFound,          // no such object (ENOENT/ESRCH)
    Exists,            // already there (EEXIST)
    Busy,              // in use, try later (EBUSY)
    Permission,        // caller not allowed (EPERM)
    Fault,             // unreadable/unwritable memory (EFAULT)
    NotSupported,      // unknown op (ENOSYS)
    Range,             // value out of range (ERANGE / E2BIG)
    NoSpace,           // table full (ENOSPC)
    Again,             // transient (EAGAIN)
    Preempted,         // long operation stopped for a continuation (ERESTART)
    NoSuchDomain,      // no such domain or vCPU target (ESRCH)
    AccessDenied,      // refused by policy, e.g. interface version mismatch (EACCES)
    OperationNotSupported,  // known operation not offered here (EOPNOTSUPP)
    TooBig,            // argument list/size too large (E2BIG)
    Overflow,          // value does not fit (EOVERFLOW)
    CrossDomain,       // object belongs to another domain (EXDEV)
    NoDevice,          // no such device (ENODEV)
    BadDescriptor,     // bad handle or port (EBADF)
    Deadlock,          // would deadlock (EDEADLK)
    Time,              // deadline already passed (ETIME)
    NoData,            // nothing to return (ENODATA)
    NoSuchAddress,     // no such device or address (ENXIO)
};

const char* status_name(Status s);

template <typename T>
class [[nodiscard]] Result {
public:
    // One copy (or move) of the value, not two: large plain structs (bounce frames) travel
    // through Result on hot paths.
    Result(const T& value) : status_(Status::Ok), value_(value) {}       // NOLINT implicit
    Result(T&& value) : status_(Status::Ok), value_(std::move(value)) {}  // NOLINT implicit
    Result(Status s) : status_(s), value_() {}                           // NOLINT implicit

    bool ok() const { return status_ == Status::Ok; }
    explicit operator bool() const { return ok(); }
    Status status() const { return status_; }
    T& value() { return value_; }
    const T& value() const { return value_; }
    T& operator*() { return value_; }
    const T& operator*() const { return value_; }
    T* operator->() { return &value_; }
    const T* operator->() const { return &value_; }
    T value_or(T fallback) const { return ok() ? value_ : fallback; }

private:
    Status status_;
    T value_;
};

// Propagate a non-Ok Status out of the current function.
#define HV_TRY(expr)                                  \
    do {                                              \
        ::hv::Status hv_try_status_ = (expr);         \
        if (hv_try_status_ != ::hv::Status::Ok)       \
            return hv_try_status_;                    \
    } while (0)

}  // namespace hv
