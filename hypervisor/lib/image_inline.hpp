// HV_IMAGE_INLINE marks a function that is defined in another translation unit but
// belongs inline at its one hot caller in the image. The image is built with -flto, whose
// inliner honours always_inline across translation units; host programs, built without
// LTO, cannot inline it and simply call it.
//
// GCC warns (-Wattributes, "might not be inlinable") about every always_inline function
// not declared `inline`, which these cannot be: their bodies are in one .cpp file. The
// image's translation units that include this header therefore do not report
// -Wattributes; the same sources compiled for the host programs still do, so a misused
// attribute is still caught there.
#pragma once

#if defined(HV_KERNEL) && HV_KERNEL
#pragma GCC diagnostic ignored "-Wattributes"
#define HV_IMAGE_INLINE [[gnu::always_inline]]
#else
#define HV_IMAGE_INLINE
#endif
