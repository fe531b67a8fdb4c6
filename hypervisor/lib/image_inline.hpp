// HV_IMAGE_INLINE marks a function that is defined in another translation unit but
// belongs inline at its one hot caller in the image. The image is built with -flto, whose
// inliner honours always_inline across translation units; host programs, built without
// LTO, cannot inline it and simply call it.
#pragma once

#if defined(HV_KERNEL) && HV_KERNEL
#define HV_IMAGE_INLINE [[gnu::always_inline]]
#else
#define HV_IMAGE_INLINE
#endif
