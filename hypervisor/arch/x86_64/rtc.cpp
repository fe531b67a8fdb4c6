#include "arch/x86_64/rtc.hpp"

#include "arch/x86_64/cpu.hpp"

namespace hv::arch {
namespace {

constexpr uint16_t kIndex = 0x70, kData = 0x71;
constexpr uint8_t kSeconds = 0x00, kMinutes = 0x02, kHours = 0x04, kDay = 0x07, kMonth = 0x08, kYear = 0x09,
                  kStatusA = 0x0a, kStatusB = 0x0b, kCentury = 0x32;
constexpr uint8_t kUpdateInProgress = 0x80, kBinaryMode = 0x04, kHour24 = 0x02;

uint8_t read(uint8_t reg) {
    outb(kIndex, reg);
    return inb(kData);
}

unsigned from_bcd(uint8_t v) { return (v & 0x0f) + (v >> 4) * 10; }

struct Reading {
    unsigned sec, min, hour, day, month, year, century;
    bool operator==(const Reading&) const = default;
};

Reading sample() {
    for (unsigned i = 0; i < 1000000 && (read(kStatusA) & kUpdateInProgress); ++i)
        __builtin_ia32_pause();
    return {read(kSeconds), read(kMinutes), read(kHours), read(kDay), read(kMonth), read(kYear), read(kCentury)};
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), the usual civil-from-days inverse.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

uint64_t rtc_read_unix_seconds() {
    // Read twice until two consecutive readings agree (an update may intervene).
    Reading a = sample(), b = sample();
    for (int i = 0; i < 5 && !(a == b); ++i) {
        a = b;
        b = sample();
    }
    const uint8_t status_b = read(kStatusB);
    Reading r = b;
    const bool pm = !(status_b & kHour24) && (r.hour & 0x80);
    r.hour &= 0x7f;
    if (!(status_b & kBinaryMode)) {
        r.sec = from_bcd(r.sec), r.min = from_bcd(r.min), r.hour = from_bcd(r.hour);
        r.day = from_bcd(r.day), r.month = from_bcd(r.month), r.year = from_bcd(r.year);
        r.century = from_bcd(r.century);
    }
    if (!(status_b & kHour24))
        r.hour = (r.hour % 12) + (pm ? 12 : 0);
    const unsigned year = (r.century >= 19 && r.century <= 30 ? r.century * 100 : 2000) + r.year;
    if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > 31 || r.hour > 23 || r.min > 59 || r.sec > 59)
        return 0;
    return static_cast<uint64_t>(days_from_civil(year, r.month, r.day)) * 86400 + r.hour * 3600 + r.min * 60 + r.sec;
}

}  // namespace hv::arch
