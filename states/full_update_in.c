/*  full_update_in.c - the in side of a full state: every update is the whole value; keep the newest.

    A gap does no harm (the next update is whole), so only a heartbeat asks
    for a snapshot: one ahead of us or from another epoch (the latest value
    was lost on the way), or one behind a seq we took (we hold a value the
    owner never published, e.g. a forged update at seq 2^53, which would
    otherwise hide every genuine update behind it).
*/
#include <string.h>
#include "state.h"

sync_action_t
full_update_in_decide (const state_sync_t *sync, const state_update_t *update)
{
    if (!sync->synced)
        return SYNC_QUEUE;
    bool same_epoch = strcmp (sync->epoch, update->epoch) == 0;
    if (update->is_heartbeat)
        return same_epoch? state_sync_heartbeat (sync, update->seq): SYNC_RESYNC;
    if (!same_epoch)
        return SYNC_REPLACE;            //  the out side restarted: its value is the newest
    return update->seq > sync->seq? SYNC_REPLACE: SYNC_IGNORE;
}

const state_policy_t full_update_policy = {
    "full_update", full_update_out_apply, full_update_in_decide
};
