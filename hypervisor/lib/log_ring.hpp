// Byte ring that keeps the most recent log text (it backs the `dmesg` command).
//
// Invariants: storage size is a power of two; `written_` counts every byte ever appended,
// so the retained text is bytes [max(0, written_ - size), written_) of that stream.
// A snapshot starts at the first complete line still retained, so it never shows the
// tail of a line whose beginning was overwritten. The ring is not locked: the console
// layer serialises writers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hv {

class LogRing {
public:
    explicit LogRing(std::span<char> storage);

    void append(std::string_view text);
    // Copies the retained text (oldest complete line first) into `out`; returns bytes copied.
    // If `out` is smaller than the retained text, the newest bytes are kept.
    size_t snapshot(std::span<char> out) const;
    uint64_t total_written() const { return written_; }
    size_t capacity() const { return storage_.size(); }

private:
    std::span<char> storage_;
    size_t mask_;
    uint64_t written_ = 0;
};

}  // namespace hv
