#include "foreign_window.hpp"

#include "hypercall.hpp"
#include "page_pool.hpp"
#include "paging.hpp"

namespace guest {

bool ForeignWindow::open() {
    va_ = pool_alloc();
    foreign_ = false;
    return va_ != 0;
}

int64_t ForeignWindow::map(uint16_t domid, uint64_t mfn) {
    const int64_t rc = hypercall4(xen::Hypercall::update_va_mapping_otherdomain, va_, make_pte(mfn, pte_kernel_rw),
                                  xen::uvmf::invlpg, domid);
    if (rc == 0)
        foreign_ = true;
    return rc;
}

int64_t ForeignWindow::unmap() {
    if (!foreign_)
        return 0;
    const int64_t rc = remap_page(va_, pte_kernel_rw);
    if (rc == 0)
        foreign_ = false;
    return rc;
}

void ForeignWindow::close() {
    if (va_ == 0)
        return;
    (void)unmap();
    if (!foreign_)
        pool_free(va_);
    va_ = 0;
}

}  // namespace guest
