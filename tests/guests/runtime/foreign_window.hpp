// A page of our own address space through which frames of another domain are mapped one
// at a time, as a toolstack in dom0 maps a new domain's memory to fill it
// (update_va_mapping_otherdomain: the PTE names a frame owned by `domid`; Xen checks the
// ownership and takes a reference on the frame for as long as the mapping exists).
//
// Invariants: between open() and close() the window owns one pool page; while a foreign
// frame is mapped the pool page's own frame is not mapped anywhere; unmap() (and
// close()) put the pool page's own frame back read-write, dropping the reference on the
// foreign frame, which must happen before that frame is pinned as a page table or its
// domain is destroyed.
#pragma once

#include <cstdint>

namespace guest {

class ForeignWindow {
public:
    // Takes a pool page; false if the pool is exhausted.
    bool open();
    // Maps `mfn` of `domid` writable at the window (replacing any previous mapping).
    // Returns the hypercall result.
    int64_t map(uint16_t domid, uint64_t mfn);
    uint8_t* bytes() const { return reinterpret_cast<uint8_t*>(va_); }
    // Restores the pool page's own mapping. Returns the hypercall result.
    int64_t unmap();
    void close();

private:
    uint64_t va_ = 0;
    bool foreign_ = false;
};

}  // namespace guest
