/*  delta_update_in.c - the in side of a delta state: apply patches strictly in sequence.

    The zguide's Clone pattern: updates that arrive before the snapshot are
    queued; after it, only the next seq applies. Anything else means the
    value may have missed something, and a fresh snapshot is the cure:
    a gap in seq, an old or duplicate seq (past what the snapshot covered),
    a new epoch (the out side restarted), or a heartbeat that disagrees
    with our seq (state_sync_heartbeat).
*/
#include <string.h>
#include "state.h"

sync_action_t
delta_update_in_decide (const state_sync_t *sync, const state_update_t *update)
{
    if (!sync->synced)
        return SYNC_QUEUE;
    bool same_epoch = strcmp (sync->epoch, update->epoch) == 0;
    if (update->is_heartbeat)
        return same_epoch? state_sync_heartbeat (sync, update->seq): SYNC_RESYNC;
    if (!same_epoch)
        return SYNC_RESYNC;
    if (update->seq <= sync->snapshot_seq)
        return SYNC_IGNORE;             //  in flight while the snapshot was taken
    if (update->is_snapshot)
        return update->seq > sync->seq? SYNC_REPLACE: SYNC_RESYNC;
    if (update->seq == sync->seq + 1)
        return SYNC_APPLY;
    return SYNC_RESYNC;                 //  a gap, or an old or duplicate seq
}

const state_policy_t delta_update_policy = {
    "delta_update", delta_update_out_apply, delta_update_in_decide
};
