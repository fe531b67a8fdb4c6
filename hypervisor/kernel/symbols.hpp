// Symbolization of code addresses for backtraces, from the table the second link pass
// embeds (cmake/gen_symtab.sh).
#pragma once

#include <cstdint>

namespace hv {

struct Symbol {
    const char* name;  // nullptr if unknown
    uint64_t offset;   // address - symbol start
};

Symbol symbolize(uint64_t address);
uint64_t symbol_count();

}  // namespace hv
