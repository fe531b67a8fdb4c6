// Releasing the mappings of a domain being destroyed (Xen gnttab_release_mappings for a
// PV domain). See grant_ops.hpp for where this sits in domain destruction.
#include "grant/grant_ops.hpp"
#include "grant/shared_entry.hpp"

namespace hv::grant {

namespace gntmap = xen::gntmap;

void release_mappings(GrantContext& ctx, GrantTable& mapper) {
    {
        LockGuard maptrack_guard(mapper.maptrack_lock());
        for (xen::GrantHandle handle = mapper.maptrack_limit(); handle-- > 0;) {
            MaptrackEntry& map = *mapper.maptrack(handle);
            if ((map.flags & (gntmap::device_map | gntmap::host_map)) == 0)
                continue;
            const uint16_t flags = map.flags;
            const bool readonly = (flags & gntmap::readonly) != 0;
            TableRef granter = TableRef::retain(ctx.domains, *map.granter);
            {
                uint32_t units = 0;
                unsigned general = 0, typed = 0;
                if (flags & gntmap::device_map) {
                    units += readonly ? pin::device_read : pin::device_write;
                    ++general;
                    typed += readonly ? 0 : 1;
                }
                // A host mapping's references belong to the page-table entry that holds it.
                if (flags & gntmap::host_map)
                    units += readonly ? pin::host_read : pin::host_write;
                Frame frame;
                {
                    LockGuard guard(granter->lock());
                    ActiveEntry& act = granter->active(map.ref);
                    frame = act.frame;
                    granter->unpin(act, units);
                    release_flags(granter->shared_entry(map.ref), act.pin, readonly);
                }
                for (; typed > 0; --typed)
                    ctx.frames.put_writable(frame);
                for (; general > 0; --general)
                    ctx.frames.put_page(frame);
            }
            map.flags = 0;
            mapper.put_handle(handle);
        }
    }
    mapper.release_maptrack();
}

}  // namespace hv::grant
