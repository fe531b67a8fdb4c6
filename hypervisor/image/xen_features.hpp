// The XEN_ELFNOTE_FEATURES string: feature names separated by '|', a leading '!' marks a
// feature the kernel *requires* (it is then also declared). Names are Xen's XENFEAT_*
// names without the prefix (bit numbers in hypercall/public/hypercalls.hpp, xen::Feature).
// As in Xen's libelf: unknown names are ignored unless required, an unknown required name
// or a name longer than 63 characters refuses the image.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "lib/status.hpp"

namespace hv::image {

struct FeatureSet {
    uint32_t declared = 0;  // bit n = XENFEAT n named, with or without '!'
    uint32_t required = 0;  // bit n = XENFEAT n named with '!'; a subset of declared
};

// `text` ends at its first NUL or at its end, whichever comes first.
[[nodiscard]] Result<FeatureSet> parse_feature_string(std::span<const uint8_t> text, const char** why);

}  // namespace hv::image
