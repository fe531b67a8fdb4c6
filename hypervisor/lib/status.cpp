#include "lib/status.hpp"

namespace hv {

const char* status_name(Status s) {
    switch (s) {
    case Status::Ok: return "ok";
    case Status::InvalidArgument: return "invalid argument";
    case Status::OutOfMemory: return "out of memory";
    case Status::NotFound: return "not found";
    case Status::Exists: return "exists";
    case Status::Busy: return "busy";
    case Status::Permission: return "permission denied";
    case Status::Fault: return "bad address";
    case Status::NotSupported: return "not supported";
    case Status::Range: return "out of range";
    case Status::NoSpace: return "no space";
    case Status::Again: return "try again";
    case Status::Preempted: return "preempted";
    case Status::NoSuchDomain: return "no such domain";
    case Status::AccessDenied: return "access denied";
    case Status::OperationNotSupported: return "operation not supported";
    case Status::TooBig: return "too big";
    case Status::Overflow: return "overflow";
    case Status::CrossDomain: return "belongs to another domain";
    case Status::NoDevice: return "no such device";
    case Status::BadDescriptor: return "bad descriptor";
    case Status::Deadlock: return "would deadlock";
    case Status::Time: return "deadline passed";
    case Status::NoData: return "no data";
    case Status::NoSuchAddress: return "no such address";
    }
    return "?";
}

}  // namespace hv
