// Shared helpers for the kernel-image decoder tests (xz_test, inflate_test, bzimage_test,
// elf_image_test): test data files, reference texts, and tiny *stored* (uncompressed)
// encoders for xz and gzip, so container-level cases can be built byte by byte.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "image/crc.hpp"

namespace image_test {

using Bytes = std::vector<uint8_t>;

inline std::filesystem::path data_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "data" / "image";
}

inline Bytes read_file(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline Bytes read_data(const std::string& name) { return read_file(data_dir() / name); }

// The output of `seq first last`.
inline Bytes seq_text(int first, int last) {
    std::string s;
    for (int i = first; i <= last; ++i)
        s += std::to_string(i) + "\n";
    return Bytes(s.begin(), s.end());
}

inline void put_le(Bytes& b, uint64_t v, int n) {
    for (int i = 0; i < n; ++i)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline void put_vli(Bytes& b, uint64_t v) {
    while (v >= 0x80) {
        b.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    b.push_back(static_cast<uint8_t>(v));
}

inline void pad4(Bytes& b) {
    while (b.size() % 4 != 0)
        b.push_back(0);
}

// LZMA2 data made of stored chunks only (first one resets the dictionary).
inline Bytes lzma2_stored(const Bytes& data, size_t chunk = 65536) {
    Bytes out;
    for (size_t at = 0; at < data.size(); at += chunk) {
        const size_t n = std::min(chunk, data.size() - at);
        out.push_back(at == 0 ? 0x01 : 0x02);
        out.push_back(static_cast<uint8_t>((n - 1) >> 8));
        out.push_back(static_cast<uint8_t>(n - 1));
        out.insert(out.end(), data.begin() + at, data.begin() + at + n);
    }
    out.push_back(0x00);
    return out;
}

// Builds one xz stream from blocks of stored LZMA2 data. Knobs exist to break it on
// purpose; defaults give a valid stream.
struct XzBuilder {
    unsigned check = 1;                // 0 none, 1 CRC32, 4 CRC64, others written as zeros
    bool sizes_in_header = false;
    bool x86_filter = false;           // declares BCJ x86: data must be pre-encoded by the caller
    std::vector<Bytes> blocks;         // uncompressed contents
    std::vector<Bytes> raw_lzma2;      // if non-empty for a block index: its LZMA2 bytes instead
    std::vector<Bytes> decoded;        // if given: what block i decodes to (checks, index), e.g. after BCJ
    int64_t index_uncompressed_delta = 0;  // added to the first index record
    int backward_size_delta = 0;
    std::vector<uint8_t> extra_filter;     // raw filter flags inserted before LZMA2 (counts as a filter)

    Bytes build() const {
        Bytes s = {0xFD, '7', 'z', 'X', 'Z', 0x00, 0x00, static_cast<uint8_t>(check)};
        put_le(s, hv::image::crc32(std::span<const uint8_t>(s).subspan(6, 2)), 4);
        std::vector<std::pair<uint64_t, uint64_t>> records;
        for (size_t i = 0; i < blocks.size(); ++i) {
            const Bytes data = i < raw_lzma2.size() && !raw_lzma2[i].empty() ? raw_lzma2[i] : lzma2_stored(blocks[i]);
            Bytes h = {0};  // size byte patched below
            const unsigned filters = 1 + (x86_filter ? 1 : 0) + (extra_filter.empty() ? 0 : 1);
            h.push_back(static_cast<uint8_t>((filters - 1) | (sizes_in_header ? 0xC0 : 0)));
            if (sizes_in_header) {
                put_vli(h, data.size());
                put_vli(h, blocks[i].size());
            }
            if (x86_filter)
                h.insert(h.end(), {0x04, 0x00});
            h.insert(h.end(), extra_filter.begin(), extra_filter.end());
            h.insert(h.end(), {0x21, 0x01, 0x08});
            pad4(h);
            h[0] = static_cast<uint8_t>((h.size() + 4) / 4 - 1);
            put_le(h, hv::image::crc32(h), 4);
            const size_t start = s.size();
            s.insert(s.end(), h.begin(), h.end());
            s.insert(s.end(), data.begin(), data.end());
            const uint64_t unpadded_no_check = s.size() - start;
            pad4(s);
            const size_t check_bytes = check == 0 ? 0 : size_t{4} << ((check - 1) / 3);
            const Bytes& output = i < decoded.size() ? decoded[i] : blocks[i];
            if (check == 1)
                put_le(s, hv::image::crc32(output), 4);
            else if (check == 4)
                put_le(s, hv::image::crc64(output), 8);
            else
                s.insert(s.end(), check_bytes, 0);
            records.emplace_back(unpadded_no_check + check_bytes, output.size());
        }
        Bytes index = {0x00};
        put_vli(index, records.size());
        for (size_t i = 0; i < records.size(); ++i) {
            put_vli(index, records[i].first);
            put_vli(index, records[i].second + (i == 0 ? index_uncompressed_delta : 0));
        }
        pad4(index);
        put_le(index, hv::image::crc32(index), 4);
        s.insert(s.end(), index.begin(), index.end());
        Bytes footer;
        put_le(footer, index.size() / 4 - 1 + backward_size_delta, 4);
        footer.insert(footer.end(), {0x00, static_cast<uint8_t>(check)});
        Bytes f;
        put_le(f, hv::image::crc32(footer), 4);
        f.insert(f.end(), footer.begin(), footer.end());
        f.insert(f.end(), {'Y', 'Z'});
        s.insert(s.end(), f.begin(), f.end());
        return s;
    }
};

// A gzip member whose deflate data is stored blocks (at most 65535 bytes each).
inline Bytes gzip_stored(const Bytes& data) {
    Bytes g = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3};
    size_t at = 0;
    do {
        const size_t n = std::min<size_t>(65535, data.size() - at);
        const bool last = at + n == data.size();
        g.push_back(last ? 1 : 0);
        put_le(g, n, 2);
        put_le(g, ~n & 0xFFFF, 2);
        g.insert(g.end(), data.begin() + at, data.begin() + at + n);
        at += n;
    } while (at < data.size());
    put_le(g, hv::image::crc32(data), 4);
    put_le(g, data.size(), 4);
    return g;
}

}  // namespace image_test

namespace image_test {

// Assembles small ELF64 x86-64 executables with program headers, notes and sections.
struct ElfBuilder {
    struct Note {
        std::string name;  // written with a NUL (namesz = size + 1)
        uint32_t type;
        Bytes desc;
    };
    struct Segment {
        uint32_t type = 1, flags = 4;  // PT_LOAD, R
        uint64_t vaddr = 0, paddr = 0;
        Bytes data;
        uint64_t memsz = 0;  // >= data.size()
    };
    struct Section {
        std::string name;
        uint32_t type;
        Bytes data;
    };

    uint16_t elf_type = 2, machine = 62;
    uint64_t entry = 0x1000000;
    std::vector<Segment> segments;
    std::vector<Note> notes;
    bool notes_in_segment = true, notes_in_section = false;
    std::vector<Section> sections;

    static Bytes u64(uint64_t v) {
        Bytes b;
        put_le(b, v, 8);
        return b;
    }
    static Bytes u32(uint32_t v) {
        Bytes b;
        put_le(b, v, 4);
        return b;
    }
    static Bytes str(const std::string& s, bool nul = true) {
        Bytes b(s.begin(), s.end());
        if (nul)
            b.push_back(0);
        return b;
    }
    void xen_note(uint32_t type, Bytes desc) { notes.push_back({"Xen", type, std::move(desc)}); }
    void set_xen_note(uint32_t type, Bytes desc) {
        for (auto& n : notes)
            if (n.name == "Xen" && n.type == type) {
                n.desc = std::move(desc);
                return;
            }
        xen_note(type, std::move(desc));
    }
    void drop_xen_note(uint32_t type) {
        std::erase_if(notes, [&](const Note& n) { return n.name == "Xen" && n.type == type; });
    }

    // Shaped like Debian's 6.1 vmlinux (spec §1.3-1.4), scaled down: text, data, a percpu
    // segment with p_vaddr 0, init+bss (memsz > filesz), and the same Xen notes.
    static ElfBuilder linux_like() {
        ElfBuilder b;
        b.entry = 0x1000000;  // bare-metal entry: must not be used
        auto fill = [](size_t n, uint8_t seed) {
            Bytes d(n);
            for (size_t i = 0; i < n; ++i)
                d[i] = static_cast<uint8_t>(seed + i * 7);
            return d;
        };
        b.segments.push_back({1, 5, 0xffffffff81000000, 0x1000000, fill(0x300, 1), 0x300});
        b.segments.push_back({1, 6, 0xffffffff81001000, 0x1001000, fill(0x200, 2), 0x1000});
        b.segments.push_back({1, 6, 0x0, 0x1002000, fill(0x100, 3), 0x100});
        b.segments.push_back({1, 7, 0xffffffff81003000, 0x1003000, fill(0x80, 4), 0x3000});
        b.xen_note(6, str("linux"));
        b.xen_note(7, str("2.6"));
        b.xen_note(5, str("xen-3.0"));
        b.xen_note(3, u64(0xffffffff80000000));
        b.xen_note(15, u64(0x8000000000));
        b.xen_note(1, u64(0xffffffff81003010));
        b.xen_note(10, str("!writable_page_tables|pae_pgdir_above_4gb", false));  // no NUL, as Debian's
        b.xen_note(17, u32(0x8801));
        b.xen_note(9, str("yes"));
        b.xen_note(8, str("generic"));
        Bytes l1 = u64(1);
        Bytes l1v = u64(1);
        l1.insert(l1.end(), l1v.begin(), l1v.end());
        b.xen_note(13, l1);
        b.xen_note(14, u32(1));
        b.xen_note(16, u32(1));
        b.xen_note(12, u64(0xffff800000000000));
        b.xen_note(4, u64(0));
        b.notes.push_back({"GNU", 3, Bytes(20, 0xAB)});
        b.notes.push_back({"Linux", 0x100, str("6.1.0-56-amd64")});
        b.xen_note(18, u64(0x01000850));
        return b;
    }

    Bytes note_blob() const {
        Bytes blob;
        for (const Note& n : notes) {
            put_le(blob, n.name.size() + 1, 4);
            put_le(blob, n.desc.size(), 4);
            put_le(blob, n.type, 4);
            blob.insert(blob.end(), n.name.begin(), n.name.end());
            blob.push_back(0);
            pad4(blob);
            blob.insert(blob.end(), n.desc.begin(), n.desc.end());
            pad4(blob);
        }
        return blob;
    }

    Bytes build() const {
        const Bytes blob = note_blob();
        const size_t phnum = segments.size() + (notes_in_segment ? 1 : 0);
        Bytes f(64 + 56 * phnum, 0);
        auto align16 = [&] {
            while (f.size() % 16)
                f.push_back(0);
        };
        std::vector<uint64_t> offsets;
        for (const Segment& s : segments) {
            align16();
            offsets.push_back(f.size());
            f.insert(f.end(), s.data.begin(), s.data.end());
        }
        align16();
        const uint64_t notes_at = f.size();
        f.insert(f.end(), blob.begin(), blob.end());

        // Sections: null, the given ones, an optional .notes, then .shstrtab.
        std::vector<Section> all = sections;
        if (notes_in_section)
            all.push_back({".notes", 7, blob});
        Bytes names = {0};
        std::vector<uint32_t> name_at;
        std::vector<uint64_t> data_at;
        for (const Section& s : all) {
            name_at.push_back(static_cast<uint32_t>(names.size()));
            names.insert(names.end(), s.name.begin(), s.name.end());
            names.push_back(0);
            align16();
            data_at.push_back(f.size());
            f.insert(f.end(), s.data.begin(), s.data.end());
        }
        const uint32_t shstrtab_name = static_cast<uint32_t>(names.size());
        const std::string shstrtab = ".shstrtab";
        names.insert(names.end(), shstrtab.begin(), shstrtab.end());
        names.push_back(0);
        align16();
        const uint64_t names_at = f.size();
        f.insert(f.end(), names.begin(), names.end());
        align16();
        const uint64_t shoff = f.size();
        auto section_header = [&](uint32_t name, uint32_t type, uint64_t offset, uint64_t size) {
            put_le(f, name, 4);
            put_le(f, type, 4);
            put_le(f, 0, 8);  // flags
            put_le(f, 0, 8);  // addr
            put_le(f, offset, 8);
            put_le(f, size, 8);
            put_le(f, 0, 4);
            put_le(f, 0, 4);
            put_le(f, 4, 8);
            put_le(f, 0, 8);
        };
        section_header(0, 0, 0, 0);
        for (size_t i = 0; i < all.size(); ++i)
            section_header(name_at[i], all[i].type, data_at[i], all[i].data.size());
        section_header(shstrtab_name, 3, names_at, names.size());
        const uint16_t shnum = static_cast<uint16_t>(all.size() + 2);

        Bytes h = {0x7F, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        put_le(h, elf_type, 2);
        put_le(h, machine, 2);
        put_le(h, 1, 4);
        put_le(h, entry, 8);
        put_le(h, 64, 8);     // phoff
        put_le(h, shoff, 8);  // shoff
        put_le(h, 0, 4);
        put_le(h, 64, 2);
        put_le(h, 56, 2);
        put_le(h, phnum, 2);
        put_le(h, 64, 2);
        put_le(h, shnum, 2);
        put_le(h, shnum - 1, 2);
        std::copy(h.begin(), h.end(), f.begin());

        Bytes ph;
        auto program_header = [&](uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t paddr,
                                  uint64_t filesz, uint64_t memsz) {
            put_le(ph, type, 4);
            put_le(ph, flags, 4);
            put_le(ph, offset, 8);
            put_le(ph, vaddr, 8);
            put_le(ph, paddr, 8);
            put_le(ph, filesz, 8);
            put_le(ph, memsz, 8);
            put_le(ph, 16, 8);
        };
        for (size_t i = 0; i < segments.size(); ++i) {
            const Segment& s = segments[i];
            program_header(s.type, s.flags, offsets[i], s.vaddr, s.paddr, s.data.size(), s.memsz);
        }
        if (notes_in_segment)
            program_header(4, 4, notes_at, 0, 0, blob.size(), blob.size());
        std::copy(ph.begin(), ph.end(), f.begin() + 64);
        return f;
    }
};

}  // namespace image_test
