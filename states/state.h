/*  state.h - what the replicated-state modules share: the update wire format,
    the in side's sync bookkeeping, and the per-type policies.

    An update on the wire (SPEC §6), published as [topic][update]:
      {"epoch": "…", "seq": N, "is_snapshot": bool, "state": {…}, "workflow_id": "…"}
    and, between updates, a heartbeat carrying the last published seq:
      {"epoch": "…", "seq": N, "is_heartbeat": true}
    A snapshot on the state's replyer: {"args": {}} → {"return_args":
    {"epoch": "…", "seq": N, "state": {…}}}.

    Each state type is a policy: delta_update_* and full_update_* files say
    how a send becomes an update and how an in side treats what arrives; the
    sockets, snapshots and sequencing live once in state_out.c / state_in.c.
*/
#ifndef STATE_H_INCLUDED
#define STATE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "err.h"
#include "types.h"
#include "wire.h"

#define STATE_EPOCH_LEN 40

/* One decoded update, heartbeat or snapshot reply. */
typedef struct {
    cJSON *root;                //  the parsed message; owned
    const char *epoch;          //  borrowed from root
    uint64_t seq;
    bool is_snapshot;           //  `state` is the whole value
    bool is_heartbeat;          //  no state: only epoch and seq
    const cJSON *state;         //  borrowed from root; NULL for a heartbeat
    const char *workflow_id;    //  borrowed from root, or NULL
} state_update_t;

/* Decodes a published update or heartbeat. Returns 0 with `update` filled
   (free with state_update_clear), or -1 with err saying what is wrong. */
int state_update_decode (const void *data, size_t len, state_update_t *update, char *err);

/* The hot-path decode: parses into `arena` (wire/wire.h). update->root
   stays NULL and the borrowed pointers point into the arena, valid until
   the caller resets it; state_update_clear is then a no-op. */
int state_update_decode_wire (wire_arena_t *arena, const void *data, size_t len,
                              state_update_t *update, char *err);

/* Decodes a snapshot reply ({"return_args": {"epoch", "seq", "state"}}).
   Returns 0 with `update` filled as a snapshot, or -1 with err. */
int state_update_decode_snapshot (const void *data, size_t len, state_update_t *update, char *err);

/* Frees what update owns and empties it. */
void state_update_clear (state_update_t *update);

/* Encodes an update (state borrowed; NULL makes a heartbeat) or a snapshot
   reply. Fresh strings; the caller frees them with cJSON_free. */
char *state_update_encode (const char *epoch, uint64_t seq, bool is_snapshot,
                           const cJSON *state, const char *workflow_id);
char *state_update_encode_snapshot (const char *epoch, uint64_t seq, const cJSON *state);

/* The in side's view of where it is in the out side's sequence. */
typedef struct {
    bool synced;                //  a snapshot was applied and nothing was missed since
    char epoch [STATE_EPOCH_LEN];   //  the out side's run the value belongs to
    uint64_t seq;               //  seq of the last update reflected in the value
    uint64_t snapshot_seq;      //  seq of the snapshot it was synced from
} state_sync_t;

/* What the in side does with an update that arrived. */
typedef enum {
    SYNC_QUEUE,                 //  not synced yet: keep it for after the snapshot
    SYNC_APPLY,                 //  the next one in sequence: apply it
    SYNC_REPLACE,               //  a whole value newer than ours: take it
    SYNC_IGNORE,                //  already reflected in the value
    SYNC_RESYNC,                //  something was missed: fetch a snapshot
    SYNC_DROP,                  //  kept during a sync, and the snapshot cannot cover it: drop it
} sync_action_t;

/* The name of an action, for logs and tests. Static string. */
const char *state_sync_action_name (sync_action_t action);

/* What a synced in side does with a heartbeat of its own epoch at `seq`
   (both policies): at our seq, ignore; ahead of us, resync (the last
   updates were lost); behind us, ignore only while we are still at the
   snapshot's seq (a heartbeat sent before the snapshot was taken);
   behind a seq we took from the stream, resync: updates and heartbeats
   arrive in the order they were published, so we hold a seq the owner
   never published (a forged or confused update, e.g. at seq 2^53). */
sync_action_t state_sync_heartbeat (const state_sync_t *sync, uint64_t seq);

/* A state type's policies. */
typedef struct {
    const char *name;
    /* Out side: turns the args of a send into the new value (*value, owned,
       replaced or patched in place) and the `state` to publish (*published,
       borrowed from args or *value), checked against the model `args`
       (NULL: any object). On failure returns -1 with err and leaves *value
       unchanged. */
    int (*out_apply) (const type_t *model, cJSON **value, const cJSON *args,
                      const cJSON **published, bool *is_snapshot, char *err);
    /* In side: what to do with `update` given `sync`. */
    sync_action_t (*in_decide) (const state_sync_t *sync, const state_update_t *update);
} state_policy_t;

extern const state_policy_t delta_update_policy;   //  delta_update_out.c / delta_update_in.c
extern const state_policy_t full_update_policy;    //  full_update_out.c / full_update_in.c

/* What the in side does, right after applying a snapshot, with an update it
   kept while the snapshot was on its way (`sync` is the snapshot's
   position, advanced by the kept updates applied before this one). The
   policy decides, except that what the snapshot cannot cover is
   SYNC_DROP, never SYNC_RESYNC: an update of another epoch than the
   snapshot's, and one the policy would resync on (a gap, a seq ahead of the
   owner). So a snapshot always ends the resync it answered; the in side
   may start one later, paced resync for what it dropped (state_in.c). */
sync_action_t state_sync_after_snapshot (const state_policy_t *policy, const state_sync_t *sync,
                                         const state_update_t *update);

/* The decisions, exported for their unit tests. */
sync_action_t delta_update_in_decide (const state_sync_t *sync, const state_update_t *update);
sync_action_t full_update_in_decide (const state_sync_t *sync, const state_update_t *update);
int delta_update_out_apply (const type_t *model, cJSON **value, const cJSON *args,
                            const cJSON **published, bool *is_snapshot, char *err);
int full_update_out_apply (const type_t *model, cJSON **value, const cJSON *args,
                           const cJSON **published, bool *is_snapshot, char *err);

#endif
