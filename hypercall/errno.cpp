#include "hypercall/errno.hpp"

#include "hypercall/public/hypercalls.hpp"

namespace hv {

int64_t to_guest_errno(Status s) {
    using xen::Errno;
    Errno e = Errno::einval;
    switch (s) {
    case Status::Ok: return 0;
    case Status::InvalidArgument: e = Errno::einval; break;
    case Status::OutOfMemory: e = Errno::enomem; break;
    case Status::NotFound: e = Errno::enoent; break;
    case Status::Exists: e = Errno::eexist; break;
    case Status::Busy: e = Errno::ebusy; break;
    case Status::Permission: e = Errno::eperm; break;
    case Status::Fault: e = Errno::efault; break;
    case Status::NotSupported: e = Errno::enosys; break;
    case Status::Range: e = Errno::erange; break;
    case Status::NoSpace: e = Errno::enospc; break;
    case Status::Again: e = Errno::eagain; break;
    case Status::Preempted: e = Errno::erestart; break;
    case Status::NoSuchDomain: e = Errno::esrch; break;
    case Status::AccessDenied: e = Errno::eacces; break;
    case Status::OperationNotSupported: e = Errno::eopnotsupp; break;
    case Status::TooBig: e = Errno::e2big; break;
    case Status::Overflow: e = Errno::eoverflow; break;
    case Status::CrossDomain: e = Errno::exdev; break;
    case Status::NoDevice: e = Errno::enodev; break;
    case Status::BadDescriptor: e = Errno::ebadf; break;
    case Status::Deadlock: e = Errno::edeadlk; break;
    case Status::Time: e = Errno::etime; break;
    case Status::NoData: e = Errno::enodata; break;
    case Status::NoSuchAddress: e = Errno::enxio; break;
    }
    return -static_cast<int64_t>(xen::raw(e));
}

}  // namespace hv
