#include "lib/log_ring.hpp"

#include "seam/panic.hpp"

namespace hv {

LogRing::LogRing(std::span<char> storage) : storage_(storage), mask_(storage.size() - 1) {
    HV_ASSERT(!storage.empty() && (storage.size() & mask_) == 0);
}

void LogRing::append(std::string_view text) {
    // Only the last capacity() bytes of a huge append can survive; skip the rest.
    if (text.size() > storage_.size()) {
        written_ += text.size() - storage_.size();
        text.remove_prefix(text.size() - storage_.size());
    }
    for (char c : text)
        storage_[written_++ & mask_] = c;
}

size_t LogRing::snapshot(std::span<char> out) const {
    uint64_t begin = written_ > storage_.size() ? written_ - storage_.size() : 0;
    if (begin > 0) {
        // The byte before `begin` was overwritten: skip to the start of the next line.
        while (begin < written_ && storage_[(begin - 1) & mask_] != '\n')
            ++begin;
    }
    if (written_ - begin > out.size())
        begin = written_ - out.size();
    size_t n = 0;
    for (uint64_t i = begin; i < written_; ++i)
        out[n++] = storage_[i & mask_];
    return n;
}

}  // namespace hv
