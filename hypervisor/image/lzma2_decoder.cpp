#include "image/lzma2_decoder.hpp"

#include "image/decode_support.hpp"

namespace hv::image {

Result<Lzma2Outcome> decode_lzma2(std::span<const uint8_t> in, std::span<uint8_t> out, size_t out_pos,
                                  LzmaDecoder& lzma, const char** why) {
    if (out_pos > out.size())
        return fail(why, Status::InvalidArgument, "LZMA2: output position beyond buffer");
    size_t ip = 0;
    size_t pos = out_pos;
    size_t dict_start = out_pos;
    bool need_dict_reset = true;
    bool need_properties = true;

    for (;;) {
        if (ip >= in.size())
            return fail(why, Status::InvalidArgument, "LZMA2: truncated before end marker");
        const uint8_t control = in[ip++];
        if (control == 0x00)
            return Lzma2Outcome{ip, pos};

        if (control > 0x02 && control < 0x80)
            return fail(why, Status::InvalidArgument, "LZMA2: invalid control byte");
        if (control >= 0xE0 || control == 0x01) {
            need_dict_reset = false;
            need_properties = true;
            dict_start = pos;
        } else if (need_dict_reset) {
            return fail(why, Status::InvalidArgument, "LZMA2: first chunk does not reset the dictionary");
        }

        if (control < 0x80) {
            if (!in_bounds(ip, 2, in.size()))
                return fail(why, Status::InvalidArgument, "LZMA2: truncated stored chunk header");
            const size_t size = size_t{load_be16(in.data() + ip)} + 1;
            ip += 2;
            if (!in_bounds(ip, size, in.size()))
                return fail(why, Status::InvalidArgument, "LZMA2: truncated stored chunk");
            if (!in_bounds(pos, size, out.size()))
                return fail(why, Status::NoSpace, "LZMA2: output buffer too small");
            for (size_t i = 0; i < size; ++i)
                out[pos + i] = in[ip + i];
            ip += size;
            pos += size;
            continue;
        }

        // LZMA chunk header: 4 more bytes, 5 with properties.
        const unsigned reset = (control >> 5) & 3;
        const size_t header = reset >= 2 ? 5 : 4;
        if (!in_bounds(ip, header, in.size()))
            return fail(why, Status::InvalidArgument, "LZMA2: truncated chunk header");
        const size_t unpacked = ((size_t{control} & 0x1F) << 16) + load_be16(in.data() + ip) + 1;
        const size_t packed = size_t{load_be16(in.data() + ip + 2)} + 1;
        if (reset >= 2) {
            LzmaProperties props;
            HV_TRY(decode_lzma2_properties(in[ip + 4], &props, why));
            lzma.set_properties(props);
            need_properties = false;
        } else if (need_properties) {
            return fail(why, Status::InvalidArgument, "LZMA2: chunk after dictionary reset lacks properties");
        } else if (reset == 1) {
            lzma.reset_state();
        }
        ip += header;
        if (!in_bounds(ip, packed, in.size()))
            return fail(why, Status::InvalidArgument, "LZMA2: truncated LZMA chunk");
        if (!in_bounds(pos, unpacked, out.size()))
            return fail(why, Status::NoSpace, "LZMA2: output buffer too small");
        HV_TRY(lzma.decode_chunk(in.subspan(ip, packed), out, dict_start, pos, pos + unpacked, why));
        ip += packed;
        pos += unpacked;
    }
}

}  // namespace hv::image
