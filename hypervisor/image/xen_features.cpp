#include "image/xen_features.hpp"

#include "hypercall/public/hypercalls.hpp"
#include "image/decode_support.hpp"

namespace hv::image {
namespace {

constexpr size_t kMaxFeatureName = 63;  // libelf's token buffer is 64 bytes

struct FeatureName {
    xen::Feature bit;
    std::string_view name;
};
constexpr FeatureName kFeatureNames[] = {
    {xen::Feature::writable_page_tables, "writable_page_tables"},
    {xen::Feature::writable_descriptor_tables, "writable_descriptor_tables"},
    {xen::Feature::auto_translated_physmap, "auto_translated_physmap"},
    {xen::Feature::supervisor_mode_kernel, "supervisor_mode_kernel"},
    {xen::Feature::pae_pgdir_above_4gb, "pae_pgdir_above_4gb"},
    {xen::Feature::mmu_pt_update_preserve_ad, "mmu_pt_update_preserve_ad"},
    {xen::Feature::highmem_assist, "highmem_assist"},
    {xen::Feature::gnttab_map_avail_bits, "gnttab_map_avail_bits"},
    {xen::Feature::hvm_callback_vector, "hvm_callback_vector"},
    {xen::Feature::hvm_safe_pvclock, "hvm_safe_pvclock"},
    {xen::Feature::hvm_pirqs, "hvm_pirqs"},
    {xen::Feature::dom0, "dom0"},
    {xen::Feature::grant_map_identity, "grant_map_identity"},
    {xen::Feature::memory_op_vnode_supported, "memory_op_vnode_supported"},
    {xen::Feature::arm_smccc_supported, "arm_smccc_supported"},
    {xen::Feature::linux_rsdp_unrestricted, "linux_rsdp_unrestricted"},
    {xen::Feature::not_direct_mapped, "not_direct_mapped"},
    {xen::Feature::direct_mapped, "direct_mapped"},
};

}  // namespace

Result<FeatureSet> parse_feature_string(std::span<const uint8_t> text, const char** why) {
    size_t length = 0;
    while (length < text.size() && text[length] != 0)
        ++length;
    const std::string_view all(reinterpret_cast<const char*>(text.data()), length);

    FeatureSet set;
    size_t start = 0;
    while (start <= all.size()) {
        size_t end = all.find('|', start);
        if (end == std::string_view::npos)
            end = all.size();
        std::string_view token = all.substr(start, end - start);
        start = end + 1;
        if (token.empty())
            continue;
        if (token.size() > kMaxFeatureName)
            return fail(why, Status::InvalidArgument, "FEATURES: feature name too long");
        const bool required = token[0] == '!';
        if (required)
            token.remove_prefix(1);
        bool known = false;
        for (const FeatureName& f : kFeatureNames) {
            if (f.name == token) {
                set.declared |= xen::feature_bit(f.bit);
                if (required)
                    set.required |= xen::feature_bit(f.bit);
                known = true;
                break;
            }
        }
        if (!known && required)
            return fail(why, Status::NotSupported, "FEATURES: kernel requires a feature unknown to us");
    }
    return set;
}

}  // namespace hv::image
