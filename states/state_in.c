/*  state_in.c - a replica of another service's state, kept current by snapshot + updates.

    @discuss
    Phases: WAITING (subscribed, no message yet), REQUESTING (a snapshot is
    on its way), SYNCED. A snapshot is requested only once the subscriber
    has heard its first message: then the subscription is live at the out
    side, so every update after the snapshot is sure to arrive. Asking
    earlier races the subscription and can miss updates published between
    the snapshot and the subscription taking effect. The wait is short: the
    out side greets each new subscriber with a heartbeat, and sends one
    every heartbeat_ms anyway (which is what reaches a second subscriber
    behind a proxy that forwards a topic's subscription only once).
    Updates that arrive before the snapshot is applied are queued, and
    applied after it in order: none is lost to the resync.

    A snapshot always ends the resync it answered. What it cannot cover (a
    kept update of another epoch, or one past a gap or far ahead, as a
    forged update or a new owner's would be) is dropped
    (state_sync_after_snapshot), and starts at most one later resync; that
    one's own leftovers are only dropped. Before, such an update was kept
    again after every snapshot and made each snapshot ask for the next.

    Resyncs are paced: the first after a quiet spell (S_QUIET_MS synced) is
    asked at once, each next one after a full-jitter backoff wait
    (resilience/backoff.h, S_PACE_BASE_MS doubling to S_PACE_MAX_MS). The
    resync log lines are rate-limited (S_LOG_BURST per S_LOG_WINDOW_MS),
    and the next line says how many were held back.

    The queue is capped in count (S_QUEUE_MAX) and in bytes received
    (`max_queue_bytes`, default S_QUEUE_BYTES). Past either, the queue is
    dropped and nothing more is kept until the snapshot; the snapshot is
    then followed by one later resync, as for any update it cannot cover.
    @end
*/
#include <pthread.h>
#include <stdatomic.h>
#include "state_in.h"
#include "envelope.h"
#include "frames.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"
#include "merge_patch.h"
#include "backoff.h"

#define S_QUEUE_MAX 100000      //  updates kept while syncing; past this they are dropped (and resynced)
#define S_QUEUE_BYTES (16 << 20)    //  default max_queue_bytes: bytes of updates kept while syncing
#define S_BATCH 1024            //  updates handled per loop wake-up
//  Messages ZeroMQ buffers between the SUB's connection and the loop. Large
//  updates can make this buffer, not the sync queue, the in side's biggest
//  memory (about 120 MB in e2e_state_resync's flood); lowering it to 1000
//  stalled e2e_replication under ASan (not understood yet), so it stays.
#define S_RCVHWM 100000
#define S_PACE_BASE_MS 100      //  backoff ceiling before the second resync of a streak
#define S_PACE_MAX_MS 5000      //  cap on the wait before a resync
#define S_QUIET_MS 10000        //  synced this long: the next resync is asked at once
#define S_LOG_BURST 5           //  resync log lines per window...
#define S_LOG_WINDOW_MS 10000   //  ...of this many ms; the rest are counted

//  A log line rate limit: S_LOG_BURST lines per S_LOG_WINDOW_MS.
typedef struct {
    int64_t window_start;       //  zclock_mono of the window's start
    int lines;                  //  lines logged in this window
    uint64_t suppressed;        //  lines held back since the last logged one
} s_limit_t;

typedef enum { S_WAITING, S_REQUESTING, S_SYNCED } s_phase_t;

struct _state_in_t {
    pthread_mutex_t lock;       //  guards value and the on_update notes (read on handler threads too)
    void *notify;               //  the on_update job and its notes (s_notify_t), made at the first update; owned
    const host_t *host;
    const model_t *model;       //  borrowed
    const state_policy_t *policy;
    svcfw_handler_fn *on_update;    //  or NULL
    char req_endpoint [256];
    char sub_endpoint [256];    //  linked again while the owner is lost
    zsock_t *sub;
    zsock_t *dealer;            //  snapshot requests; NULL between a timeout and the next try
    zloop_t *loop;
    int timer_id;               //  snapshot timeout, -1 when none
    int timeout_ms;
    s_phase_t phase;
    state_sync_t sync;
    cJSON *value;               //  owned
    state_update_t *queue;      //  updates kept while syncing, in arrival order
    size_t queued;
    size_t queue_size;
    uint64_t snapshots;         //  snapshot requests sent, retries included
    size_t max_bytes;
    size_t queued_bytes;        //  bytes of the updates in the queue
    size_t max_queue_bytes;     //  cap on queued_bytes
    bool overflowed;            //  the queue was dropped this sync: keep nothing more until the snapshot
    uint64_t overflow_dropped;  //  updates dropped by the caps this sync
    bool awaiting;              //  a snapshot request is out and not answered yet
    bool follow_up;             //  this resync was started for what the last snapshot could not cover
    int streak;                 //  resyncs since the last quiet spell; paces the next one
    int64_t synced_at;          //  zclock_mono when the last snapshot was applied
    backoff_t *pace;            //  waits between the resyncs of a streak
    char reason [300];          //  why the pending resync was asked, for its log line
    s_limit_t request_log;      //  "requesting snapshot" lines
    s_limit_t synced_log;       //  "synced from snapshot" lines
    const char *topic;          //  borrowed from the model; updates under another topic are not ours
    size_t topic_len;
    uint64_t faults [FAULT_COUNT];
    wire_arena_t *arena;        //  each update is parsed into it, reset after
    int heartbeat_ms;           //  the owner's heartbeat interval ("heartbeat_ms", as on its out side)
    int64_t heard_at;           //  zclock_mono of the last message from the owner
    bool owner_lost;            //  3 heartbeats passed in silence; logged once
    int64_t relinked_at;        //  zclock_mono of the last fresh link to the owner's publisher
    int lost_timer_id;          //  the liveness check, -1 when none
    metrics_state_t *metrics;   //  this state's seq and resyncs (metrics.h)
};

static void s_want_snapshot (state_in_t *self, const char *reason, bool follow_up);
static void s_send_request (state_in_t *self);

//  True if a line may be logged now; then *held gets how many were held
//  back since the last one logged.
static bool
s_limit_pass (s_limit_t *limit, uint64_t *held)
{
    int64_t now = zclock_mono ();
    if (now - limit->window_start >= S_LOG_WINDOW_MS) {
        limit->window_start = now;
        limit->lines = 0;
    }
    if (limit->lines == S_LOG_BURST) {
        limit->suppressed++;
        return false;
    }
    limit->lines++;
    *held = limit->suppressed;
    limit->suppressed = 0;
    return true;
}

state_in_t *
state_in_new (const host_t *host, const model_t *model, const state_policy_t *policy,
              const char *sub_endpoint, const char *req_endpoint,
              svcfw_handler_fn *on_update, char *err)
{
    state_in_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->host = host;
    self->model = model;
    self->metrics = metrics_state (model->name);
    self->policy = policy;
    self->on_update = on_update;
    self->timer_id = -1;
    self->lost_timer_id = -1;
    pthread_mutex_init (&self->lock, NULL);
    self->heartbeat_ms = model_int (model, "heartbeat_ms", STATE_IN_HEARTBEAT_MS);
    self->timeout_ms = model_int (model, "timeout_ms", 1000);
    self->max_bytes = (size_t) model_int (model, "max_message_bytes", 64 << 20);
    self->max_queue_bytes = (size_t) model_int (model, "max_queue_bytes", S_QUEUE_BYTES);
    snprintf (self->req_endpoint, sizeof self->req_endpoint, "%s", req_endpoint);
    snprintf (self->sub_endpoint, sizeof self->sub_endpoint, "%s", sub_endpoint);
    self->value = cJSON_CreateObject ();
    self->arena = wire_arena_new ();
    self->pace = backoff_new (S_PACE_BASE_MS, S_PACE_MAX_MS, NULL, NULL);
    if (!self->value || !self->arena || !self->pace) {
        err_set (err, "%s: out of memory", model->where);
        goto fail;
    }
    self->sub = sock_new (model, ZMQ_SUB, 0, self->max_bytes, err);
    if (!self->sub)
        goto fail;
    zsock_set_rcvhwm (self->sub, S_RCVHWM);
    self->topic = model_string (model, "topic", "");
    self->topic_len = strlen (self->topic);
    zsock_set_subscribe (self->sub, self->topic);
    if (sock_attach (model, self->sub, sub_endpoint, false, err))
        goto fail;
    log_debug ("%s: state %s subscribed to %s, snapshots from %s", model->name, policy->name,
               sub_endpoint, req_endpoint);
    return self;
fail:
    state_in_destroy (&self);
    return NULL;
}

const cJSON *
state_in_value (state_in_t *self)
{
    return self->value;
}

cJSON *
state_in_copy (state_in_t *self)
{
    pthread_mutex_lock (&self->lock);
    cJSON *copy = cJSON_Duplicate (self->value, true);
    pthread_mutex_unlock (&self->lock);
    return copy;
}

//  Applies a merge patch to the value, under the lock.
static void
s_patch (state_in_t *self, const cJSON *patch)
{
    pthread_mutex_lock (&self->lock);
    merge_patch_apply (&self->value, patch);
    pthread_mutex_unlock (&self->lock);
}

uint64_t
state_in_snapshots (state_in_t *self)
{
    return self->snapshots;
}

static void
s_queue_clear (state_in_t *self)
{
    for (size_t i = 0; i < self->queued; i++)
        state_update_clear (&self->queue [i]);
    self->queued = 0;
    self->queued_bytes = 0;
}

//  Takes the update over (it is emptied) into the queue; `size` is its size
//  on the wire. Past the caps the queue is dropped, and nothing more is kept
//  until the snapshot (which a later resync then follows).
static void
s_queue_push (state_in_t *self, state_update_t *update, size_t size)
{
    if (!self->overflowed
    &&  (self->queued == S_QUEUE_MAX || self->queued_bytes + size > self->max_queue_bytes)) {
        log_warning ("%s: over %zu bytes or %d updates arrived while syncing; dropping them, "
                     "a resync will follow the snapshot", self->model->name, self->max_queue_bytes, S_QUEUE_MAX);
        self->overflow_dropped += self->queued;
        s_queue_clear (self);
        self->overflowed = true;
    }
    if (self->overflowed) {
        self->overflow_dropped++;
        state_update_clear (update);
        return;
    }
    if (self->queued == self->queue_size) {
        size_t size = self->queue_size? self->queue_size * 2: 64;
        state_update_t *queue = realloc (self->queue, size * sizeof *queue);
        if (!queue) {
            state_update_clear (update);
            return;
        }
        self->queue = queue;
        self->queue_size = size;
    }
    self->queue [self->queued++] = *update;
    self->queued_bytes += size;
    memset (update, 0, sizeof *update);
}

//  The on_update calls of this state: one call per applied update, in
//  order, each with the value right after that update, and one per
//  snapshot. The loop copies nothing per update: it moves the update's
//  frame into a note, and the handler thread keeps a value of its own
//  (the value as on_update last saw it), applying each note's update to it
//  before the call. Notes are bounded (S_NOTES_MAX, S_NOTES_BYTES): an
//  on_update that falls that far behind gets the waiting updates folded
//  into one call with the newest value (one copy on the loop), as a
//  resync's snapshot folds what it covers, with a warning saying how many.
#define S_NOTES_MAX 1024        //  updates waiting for their on_update call, at most
#define S_NOTES_BYTES (8 << 20) //  bytes of their frames, at most
#define S_NOTES_TURN 256        //  on_update calls per turn on the handler thread: others get theirs between

typedef struct {
    sync_action_t action;       //  SYNC_APPLY (patch in msg), SYNC_REPLACE (whole value in msg),
                                //  SYNC_QUEUE: `whole` holds the value (a snapshot, or a fold)
    zmq_msg_t msg;              //  the update's frame, for APPLY and REPLACE
    cJSON *whole;               //  owned, for SYNC_QUEUE
} s_note_t;

typedef struct {
    host_job_t job;             //  first: the host hands this pointer back
    state_in_t *state;
    bool queued;                //  with the host (loop thread)
    cJSON *value;               //  the value on_update last saw (handler thread: the job runs on one at a time)
    s_note_t notes [S_NOTES_MAX];   //  a ring, under state->lock
    size_t head, count, bytes;
    uint64_t folded;            //  updates folded since the last warning (loop thread)
    s_limit_t fold_log;
} s_notify_t;

static void
s_note_clear (s_note_t *note)
{
    if (note->action == SYNC_QUEUE)
        cJSON_Delete (note->whole);
    else
        zmq_msg_close (&note->msg);
    note->whole = NULL;
}

//  Brings the job's value to what it was right after the note's update;
//  returns the workflow id the update carried (in arena), or NULL.
static const char *
s_note_apply (s_notify_t *job, s_note_t *note, wire_arena_t *arena)
{
    state_in_t *self = job->state;
    if (note->action == SYNC_QUEUE) {
        cJSON_Delete (job->value);
        job->value = note->whole;
        note->whole = NULL;
        return NULL;
    }
    state_update_t update;
    char why [ERR_LEN];
    if (state_update_decode_wire (arena, zmq_msg_data (&note->msg), zmq_msg_size (&note->msg), &update, why)) {
        log_error ("%s: an applied update no longer decodes: %s", self->model->name, why);
        return NULL;
    }
    if (note->action == SYNC_APPLY)
        merge_patch_apply (&job->value, update.state);
    else {
        cJSON *copy = cJSON_Duplicate (update.state, true);
        if (copy) {
            cJSON_Delete (job->value);
            job->value = copy;
        }
    }
    return update.workflow_id;
}

static void
s_notify_work (host_job_t *host_job, wire_arena_t *arena)
{
    s_notify_t *job = (s_notify_t *) host_job;
    state_in_t *self = job->state;
    for (int turn = 0; turn < S_NOTES_TURN && !host_stopping (self->host); turn++) {
        pthread_mutex_lock (&self->lock);
        if (!job->count) {
            pthread_mutex_unlock (&self->lock);
            break;
        }
        s_note_t note = job->notes [job->head];
        job->head = (job->head + 1) % S_NOTES_MAX;
        job->count--;
        if (note.action != SYNC_QUEUE)
            job->bytes -= zmq_msg_size (&note.msg);
        pthread_mutex_unlock (&self->lock);
        const char *workflow_id = s_note_apply (job, &note, arena);
        s_note_clear (&note);
        if (!job->value)
            log_error ("%s: out of memory: on_update not called", self->model->name);
        else {
            cJSON *returned = NULL;
            char why [ERR_LEN];
            if (host_call (self->host, self->on_update, job->value, workflow_id, NULL, 0, &returned, why))
                log_warning ("%s: on_update failed: %s", self->model->name, why);
            cJSON_Delete (returned);
        }
        wire_arena_reset (arena);
        log_set_workflow_id (NULL);
    }
}

static void
s_notify_submit (s_notify_t *job)
{
    job->queued = true;
    host_submit (job->state->host, &job->job);
}

//  Loop thread: once a turn ends, the next if notes wait.
static void
s_notify_done (host_job_t *host_job)
{
    s_notify_t *job = (s_notify_t *) host_job;
    state_in_t *self = job->state;
    job->queued = false;
    pthread_mutex_lock (&self->lock);
    bool more = job->count > 0;
    pthread_mutex_unlock (&self->lock);
    if (more && !job->job.cancelled)
        s_notify_submit (job);
}

//  Notes an applied update for its on_update call: `msg` (the update's
//  frame, moved from) with `action`, or NULL for a snapshot (the value now,
//  copied). Loop thread.
static void
s_notify (state_in_t *self, sync_action_t action, zmq_msg_t *msg)
{
    if (!self->on_update)
        return;
    s_notify_t *job = self->notify;
    if (!job) {
        job = self->notify = calloc (1, sizeof *job);
        if (!job || !(job->value = cJSON_CreateObject ())) {
            log_error ("%s: out of memory: on_update not called for an update", self->model->name);
            free (job);
            self->notify = NULL;
            return;
        }
        job->state = self;
        job->job.work = s_notify_work;
        job->job.done = s_notify_done;
    }
    s_note_t note = { .action = msg? action: SYNC_QUEUE };
    size_t size = msg? zmq_msg_size (msg): 0;
    pthread_mutex_lock (&self->lock);
    bool full = job->count == S_NOTES_MAX || job->bytes + size > S_NOTES_BYTES;
    uint64_t dropped = full? job->count: 0;
    if (full || !msg) {
        //  A snapshot, or on_update fell behind: the notes waiting (if
        //  any) and this update become one call with the value as it is now.
        note.action = SYNC_QUEUE;
        note.whole = cJSON_Duplicate (self->value, true);
    }
    if (full) {
        while (job->count) {
            s_note_clear (&job->notes [job->head]);
            job->head = (job->head + 1) % S_NOTES_MAX;
            job->count--;
        }
        job->bytes = 0;
    }
    bool noted = !(note.action == SYNC_QUEUE && !note.whole);
    if (noted) {
        if (note.action != SYNC_QUEUE) {
            zmq_msg_init (&note.msg);
            zmq_msg_move (&note.msg, msg);
            job->bytes += size;
        }
        job->notes [(job->head + job->count) % S_NOTES_MAX] = note;
        job->count++;
    }
    pthread_mutex_unlock (&self->lock);
    if (!noted)
        log_error ("%s: out of memory: on_update not called for an update", self->model->name);
    if (full) {
        job->folded += dropped + 1;
        uint64_t held;
        if (s_limit_pass (&job->fold_log, &held)) {
            log_warning ("%s: on_update fell %d updates (or %d bytes) behind: %" PRIu64 " updates folded into "
                         "one call with the newest value", self->model->name, S_NOTES_MAX, S_NOTES_BYTES,
                         job->folded);
            job->folded = 0;
        }
    }
    if (!job->queued)
        s_notify_submit (job);
}

//  Replaces the value with `state` (a whole value, borrowed) at epoch/seq.
static void
s_take_whole (state_in_t *self, const cJSON *state, const char *epoch, uint64_t seq)
{
    cJSON *copy = cJSON_Duplicate (state, true);
    if (!copy)
        return;
    pthread_mutex_lock (&self->lock);
    cJSON_Delete (self->value);
    self->value = copy;
    pthread_mutex_unlock (&self->lock);
    snprintf (self->sync.epoch, sizeof self->sync.epoch, "%s", epoch);
    self->sync.seq = seq;
    metrics_state_seq (self->metrics, false, seq);
}

//  Handles one update in the synced phase. Returns false if a resync began
//  (the update is then queued for after the snapshot).
static bool
s_handle_synced (state_in_t *self, state_update_t *update, zmq_msg_t *msg)
{
    sync_action_t action = self->policy->in_decide (&self->sync, update);
    switch (action) {
        case SYNC_APPLY:
            s_patch (self, update->state);
            self->sync.seq = update->seq;
            metrics_state_seq (self->metrics, false, update->seq);
            break;
        case SYNC_REPLACE:
            s_take_whole (self, update->state, update->epoch, update->seq);
            break;
        case SYNC_IGNORE:
        case SYNC_QUEUE:
        case SYNC_DROP:                     //  not a live decision
            return true;
        case SYNC_RESYNC: {
            char reason [160];
            if (strcmp (update->epoch, self->sync.epoch))
                snprintf (reason, sizeof reason, "new epoch %s", update->epoch);
            else
                snprintf (reason, sizeof reason, "%s seq %" PRIu64 " after %" PRIu64,
                          update->is_heartbeat? "heartbeat at": "update", update->seq, self->sync.seq);
            s_want_snapshot (self, reason, false);
            return false;
        }
    }
    if (action == SYNC_APPLY || action == SYNC_REPLACE)
        s_notify (self, action, msg);
    return true;
}

//  Applies a snapshot, then the updates kept while it was on its way. It
//  ends this resync: what it cannot cover is dropped, and starts one later
//  resync unless this one was such a follow-up already.
static void
s_apply_snapshot (state_in_t *self, state_update_t *snapshot)
{
    s_take_whole (self, snapshot->state, snapshot->epoch, snapshot->seq);
    self->sync.snapshot_seq = snapshot->seq;
    self->sync.synced = true;
    self->phase = S_SYNCED;
    self->awaiting = false;
    self->synced_at = zclock_mono ();
    size_t kept = self->queued, applied = 0, dropped = 0;
    for (size_t i = 0; i < self->queued; i++) {
        state_update_t *update = &self->queue [i];
        switch (state_sync_after_snapshot (self->policy, &self->sync, update)) {
            case SYNC_APPLY:
                s_patch (self, update->state);
                self->sync.seq = update->seq;
                applied++;
                break;
            case SYNC_REPLACE:
                s_take_whole (self, update->state, update->epoch, update->seq);
                applied++;
                break;
            case SYNC_IGNORE:
                break;
            default:
                dropped++;
                break;
        }
    }
    s_queue_clear (self);
    uint64_t over_cap = self->overflow_dropped;
    bool follow_up = self->follow_up;
    self->overflowed = false;
    self->overflow_dropped = 0;
    uint64_t held;
    if (s_limit_pass (&self->synced_log, &held)) {
        char more [64] = "";
        if (held)
            snprintf (more, sizeof more, " [%" PRIu64 " similar lines held back]", held);
        log_info ("%s: synced from snapshot at seq %" PRIu64 " (epoch %s): %zu kept update%s, %zu applied, "
                  "%zu dropped, %" PRIu64 " over the queue cap%s", self->model->name, snapshot->seq,
                  snapshot->epoch, kept, kept == 1? "": "s", applied, dropped, over_cap, more);
    }
    s_notify (self, SYNC_QUEUE, NULL);
    if ((dropped || over_cap) && !follow_up && self->phase == S_SYNCED) {
        char reason [160];
        snprintf (reason, sizeof reason, "%zu kept update%s the snapshot could not cover, %" PRIu64
                  " over the queue cap", dropped, dropped == 1? "": "s", over_cap);
        s_want_snapshot (self, reason, true);
    }
}

static void
s_end_timer (state_in_t *self)
{
    if (self->timer_id >= 0 && self->loop)
        zloop_timer_end (self->loop, self->timer_id);
    self->timer_id = -1;
}

static int
s_on_snapshot_timeout (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    state_in_t *self = arg;
    self->timer_id = -1;
    //  A REQ/REP exchange that lost its reply is dropped with its socket;
    //  a fresh one asks again.
    zloop_reader_end (self->loop, self->dealer);
    zsock_destroy (&self->dealer);
    self->awaiting = false;
    snprintf (self->reason, sizeof self->reason, "no snapshot from %s within %d ms",
              self->req_endpoint, self->timeout_ms);
    s_send_request (self);
    return 0;
}

static int
s_on_snapshot_reply (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    state_in_t *self = arg;
    void *handle = zsock_resolve (reader);
    //  [empty][reply], as the out side replies along our route.
    zmq_msg_t frames [2];
    zmq_msg_init (&frames [0]);
    zmq_msg_init (&frames [1]);
    int count = frames_recv (handle, frames, 2, ZMQ_DONTWAIT);
    if (count == 2 && self->phase == S_REQUESTING && self->awaiting
    &&  zmq_msg_size (&frames [1]) > self->max_bytes) {
        char why [ERR_LEN];
        snprintf (why, sizeof why, "snapshot of %zu bytes is over max_message_bytes %zu (will ask again)",
                  zmq_msg_size (&frames [1]), self->max_bytes);
        fault_log (self->model->name, self->faults, FAULT_TOO_LARGE, why);
    }
    else if (count == 2 && self->phase == S_REQUESTING && self->awaiting) {
        state_update_t snapshot;
        char why [ERR_LEN];
        if (state_update_decode_snapshot (zmq_msg_data (&frames [1]), zmq_msg_size (&frames [1]), &snapshot, why))
            log_warning ("%s: unusable snapshot reply: %s (will ask again)", self->model->name, why);
        else {
            s_end_timer (self);
            s_apply_snapshot (self, &snapshot);
            state_update_clear (&snapshot);
        }
    }
    zmq_msg_close (&frames [0]);
    zmq_msg_close (&frames [1]);
    return 0;
}

//  Sends a snapshot request now, for self->reason, and arms its timeout.
static void
s_send_request (state_in_t *self)
{
    s_end_timer (self);
    if (!self->dealer) {
        char why [ERR_LEN];
        self->dealer = sock_open (self->model, ZMQ_DEALER, self->req_endpoint, false, 0, self->max_bytes, why);
        if (!self->dealer)
            log_error ("%s", why);          //  the timeout below tries again
        else
            zloop_reader (self->loop, self->dealer, s_on_snapshot_reply, self);
    }
    self->snapshots++;
    uint64_t held;
    if (s_limit_pass (&self->request_log, &held)) {
        char more [64] = "";
        if (held)
            snprintf (more, sizeof more, " [%" PRIu64 " similar lines held back]", held);
        log_info ("%s: requesting snapshot #%" PRIu64 " (%s)%s", self->model->name, self->snapshots,
                  self->reason, more);
    }
    static const char request [] = "{\"args\":{}}";
    if (self->dealer
    &&  (zmq_send (zsock_resolve (self->dealer), "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
    ||   zmq_send (zsock_resolve (self->dealer), request, sizeof request - 1, ZMQ_DONTWAIT) < 0))
        log_warning ("%s: cannot send the snapshot request: %s", self->model->name, zmq_strerror (zmq_errno ()));
    self->awaiting = true;
    self->timer_id = zloop_timer (self->loop, self->timeout_ms, 1, s_on_snapshot_timeout, self);
}

static int
s_on_pace (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    state_in_t *self = arg;
    self->timer_id = -1;
    s_send_request (self);
    return 0;
}

//  Begins a resync: from now on updates are kept for after the snapshot.
//  The request goes out at once after a quiet spell, else after the
//  streak's backoff wait.
static void
s_want_snapshot (state_in_t *self, const char *reason, bool follow_up)
{
    int64_t now = zclock_mono ();
    if (self->phase == S_SYNCED && now - self->synced_at >= S_QUIET_MS)
        self->streak = 0;
    self->sync.synced = false;
    self->phase = S_REQUESTING;
    self->follow_up = follow_up;
    snprintf (self->reason, sizeof self->reason, "%s", reason);
    metrics_state_resync (self->metrics, follow_up? "follow_up": strcmp (reason, "start") == 0? "late_join":
                                         strncmp (reason, "new epoch", 9) == 0? "epoch": "gap");
    int delay = self->streak? backoff_delay (self->pace, self->streak): 0;
    if (self->streak < 30)
        self->streak++;
    s_end_timer (self);
    if (delay == 0)
        s_send_request (self);
    else
        self->timer_id = zloop_timer (self->loop, (size_t) delay, 1, s_on_pace, self);
}

//  Keeps an update for after the snapshot: parsed again into memory of its
//  own, as the arena is reset after each message (only while syncing).
static void
s_keep (state_in_t *self, const void *data, size_t size)
{
    state_update_t owned;
    char why [ERR_LEN];
    if (state_update_decode (data, size, &owned, why) == 0 && !owned.is_heartbeat)
        s_queue_push (self, &owned, size);
    state_update_clear (&owned);
}

//  One update's frame (`msg`: it may be moved from, for on_update).
static void
s_on_update (state_in_t *self, zmq_msg_t *msg)
{
    const void *data = zmq_msg_data (msg);
    size_t size = zmq_msg_size (msg);
    state_update_t update;
    char why [ERR_LEN];
    if (size > self->max_bytes) {
        snprintf (why, sizeof why, "update of %zu bytes is over max_message_bytes %zu", size, self->max_bytes);
        fault_log (self->model->name, self->faults, FAULT_TOO_LARGE, why);
        return;
    }
    if (state_update_decode_wire (self->arena, data, size, &update, why)) {
        fault_log (self->model->name, self->faults, FAULT_INVALID_ENVELOPE, why);
        wire_arena_reset (self->arena);
        return;
    }
    switch (self->phase) {
        case S_WAITING:
            s_want_snapshot (self, "start", false);
            __attribute__ ((fallthrough));      //  and keep it
        case S_REQUESTING:
            if (!update.is_heartbeat)
                s_keep (self, data, size);
            break;
        case S_SYNCED:
            if (!s_handle_synced (self, &update, msg) && !update.is_heartbeat)
                s_keep (self, data, size);      //  it began a resync: keep it for after
            break;
    }
    wire_arena_reset (self->arena);
}

//  ---------------------------------------------------------------------------
//  The owner's liveness: it sends a heartbeat every heartbeat_ms, so three
//  of them passing in silence means it is gone (stopped, or a partition).
//  Said once, and again when it is heard from; the seq of its next message
//  then tells whether a resync is needed.

#define S_LOST_AFTER 3          //  heartbeats of silence before the owner counts as lost

static int
s_on_liveness_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    state_in_t *self = arg;
    int64_t silent = zclock_mono () - self->heard_at;
    int64_t lost_after = (int64_t) S_LOST_AFTER * self->heartbeat_ms;
    if (!self->owner_lost && silent >= lost_after) {
        self->owner_lost = true;
        log_warning ("%s: owner lost: nothing from its publisher for %" PRId64 " ms (%d heartbeats of %d ms)",
                     self->model->name, silent, S_LOST_AFTER, self->heartbeat_ms);
    }
    //  While it is lost, link again now and then on a fresh session: libzmq
    //  reconnects by itself after a broken connection, but not after a
    //  protocol error (an update frame over the cap), which ends the session.
    int64_t now = zclock_mono ();
    if (self->owner_lost && now - self->relinked_at >= lost_after) {
        self->relinked_at = now;
        char err [ERR_LEN];
        if (sock_relink (self->model, self->sub, self->sub_endpoint, err))
            log_error ("%s", err);
        else
            log_debug ("%s: linked again to %s", self->model->name, self->sub_endpoint);
    }
    return 0;
}

static void
s_heard (state_in_t *self)
{
    int64_t now = zclock_mono ();
    if (self->owner_lost)
        log_info ("%s: owner back after %" PRId64 " ms of silence", self->model->name, now - self->heard_at);
    self->owner_lost = false;
    self->heard_at = now;
}

static int
s_on_readable (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    state_in_t *self = arg;
    void *handle = zsock_resolve (reader);
    for (int n = 0; n < S_BATCH; n++) {
        zmq_msg_t frames [2];
        zmq_msg_init (&frames [0]);
        zmq_msg_init (&frames [1]);
        int count = frames_recv (handle, frames, 2, ZMQ_DONTWAIT);
        if (count == 0) {
            zmq_msg_close (&frames [0]);
            zmq_msg_close (&frames [1]);
            break;
        }
        s_heard (self);
        zmq_msg_t *topic = &frames [0], *body = &frames [1];
        //  SUB filters by prefix: "book" also hears "books", whose epoch and
        //  seq would look like a restart. Only our exact topic counts.
        bool ours = zmq_msg_size (topic) == self->topic_len
                 && memcmp (zmq_msg_data (topic), self->topic, self->topic_len) == 0;
        if (count == 2 && ours)
            s_on_update (self, body);
        else if (count == 2)
            log_debug ("%s: skipped an update for topic \"%.*s\"", self->model->name,
                       (int) zmq_msg_size (topic), (const char *) zmq_msg_data (topic));
        else {
            char why [64];
            snprintf (why, sizeof why, "%d frame%s, expected [topic][update]", count, count == 1? "": "s");
            fault_log (self->model->name, self->faults, FAULT_BAD_FRAMES, why);
        }
        zmq_msg_close (&frames [0]);
        zmq_msg_close (&frames [1]);
    }
    return 0;
}

int
state_in_attach (state_in_t *self, zloop_t *loop)
{
    if (zloop_reader (loop, self->sub, s_on_readable, self))
        return -1;
    self->loop = loop;
    self->phase = S_WAITING;
    self->heard_at = zclock_mono ();
    self->lost_timer_id = zloop_timer (loop, self->heartbeat_ms, 0, s_on_liveness_check, self);
    return 0;
}

bool
state_in_synced (state_in_t *self)
{
    return self->phase == S_SYNCED;
}

void
state_in_destroy (state_in_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    state_in_t *self = *self_p;
    if (self->loop) {
        s_end_timer (self);
        if (self->lost_timer_id >= 0)
            zloop_timer_end (self->loop, self->lost_timer_id);
        zloop_reader_end (self->loop, self->sub);
        if (self->dealer)
            zloop_reader_end (self->loop, self->dealer);
    }
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    s_queue_clear (self);
    free (self->queue);
    cJSON_Delete (self->value);
    wire_arena_destroy (&self->arena);
    backoff_destroy (&self->pace);
    s_notify_t *notify = self->notify;  //  the host has run its done before (handler threads end first)
    if (notify) {
        for (; notify->count; notify->count--, notify->head = (notify->head + 1) % S_NOTES_MAX)
            s_note_clear (&notify->notes [notify->head]);
        cJSON_Delete (notify->value);
        free (notify);
    }
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}
