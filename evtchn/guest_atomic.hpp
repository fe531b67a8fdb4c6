// Bit operations on memory shared with a running guest: the shared_info event bitmaps,
// vcpu_info selectors and upcall flag, and FIFO event words and control blocks.
//
// The guest changes these words concurrently with locked instructions of its own, so
// every read-modify-write here is one atomic instruction (lock bts/btr/or/cmpxchg on
// x86), never a load followed by a store. Plain tests are single atomic loads. The
// sequentially consistent ordering also gives the full barriers the delivery algorithms
// depend on (pending bit before mask test before selector before upcall flag), as the
// locked x86 instructions do for Xen.
//
// These words are the one place where the event-channel core works on guest memory in
// place (STYLE.md rule 5 otherwise forbids it): the ABI is defined as lock-free sharing.
#pragma once

#include <concepts>
#include <cstdint>

namespace hv::evtchn::guest {

template <typename Word>
concept GuestWord = std::same_as<Word, uint8_t> || std::same_as<Word, uint32_t> || std::same_as<Word, uint64_t>;

template <GuestWord Word>
constexpr Word bit_mask(unsigned bit) {
    return static_cast<Word>(Word{1} << bit);
}

template <GuestWord Word>
inline Word load(const Word* word) {
    return __atomic_load_n(word, __ATOMIC_SEQ_CST);
}

template <GuestWord Word>
inline void store(Word* word, Word value) {
    __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
}

template <GuestWord Word>
inline bool test_bit(const Word* word, unsigned bit) {
    return (load(word) & bit_mask<Word>(bit)) != 0;
}

template <GuestWord Word>
inline void set_bit(Word* word, unsigned bit) {
    __atomic_fetch_or(word, bit_mask<Word>(bit), __ATOMIC_SEQ_CST);
}

template <GuestWord Word>
inline void clear_bit(Word* word, unsigned bit) {
    __atomic_fetch_and(word, static_cast<Word>(~bit_mask<Word>(bit)), __ATOMIC_SEQ_CST);
}

// Returns the bit's previous value.
template <GuestWord Word>
inline bool test_and_set_bit(Word* word, unsigned bit) {
    return (__atomic_fetch_or(word, bit_mask<Word>(bit), __ATOMIC_SEQ_CST) & bit_mask<Word>(bit)) != 0;
}

// Returns the bit's previous value.
template <GuestWord Word>
inline bool test_and_clear_bit(Word* word, unsigned bit) {
    return (__atomic_fetch_and(word, static_cast<Word>(~bit_mask<Word>(bit)), __ATOMIC_SEQ_CST) &
            bit_mask<Word>(bit)) != 0;
}

// Replaces *word with `desired` if it still holds `expected`; otherwise `expected`
// receives the current value.
template <GuestWord Word>
inline bool compare_exchange(Word* word, Word& expected, Word desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

// Bit `bit` of a bitmap made of 64-bit words (shared_info's evtchn_pending/evtchn_mask).
inline uint64_t* bitmap_word(uint64_t* bitmap, uint32_t bit) {
    return bitmap + bit / 64;
}

}  // namespace hv::evtchn::guest
