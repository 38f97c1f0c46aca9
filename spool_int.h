/* SPDX-License-Identifier: Apache-2.0 */
/* spool_int.h: what spool.c (configuration, segment files, the write
 * path, done-marking) and spool_replay.c (the replay thread: re-sending,
 * adopting orphaned segments, the dead-letter file) share.
 *
 * The file format is spool_format.h's. Records are appended by request threads, done entries by the replay
 * thread; only the child holding the file's flock writes to it. */
#ifndef KU_SPOOL_INT_H
#define KU_SPOOL_INT_H

#include <pthread.h>
#include <stdint.h>

#include "apr_thread_proc.h"
#include "httpd.h"
#include "producer.h"
#include "spool_format.h"

#define KU_SPOOL_SUFFIX ".kus"
#define KU_SPOOL_DEAD_LETTER_FILE "dead-letter.jsonl"
/* The record header consumers deduplicate on: "<segment>/<offset>". */
#define KU_SPOOL_ID_HEADER "ku-spool-id"

/* Children publishing their waiting records; more are not counted. */
#define KU_SPOOL_CHILDREN 1024

/* Figures all children share (the mmapped spool.state file). */
typedef struct {
    uint64_t bytes;             /* segment files' sizes */
    uint64_t replayed;          /* records delivered after a failure or adoption */
    uint64_t dead_lettered;
    uint64_t torn;              /* torn or corrupt entries skipped */
    struct {
        int32_t pid;            /* 0: free; a gone child's slot is taken over */
        uint32_t waiting;       /* its records not done */
        int64_t oldest;         /* the oldest one's accept time, 0: none */
    } child[KU_SPOOL_CHILDREN];
    /* Each slot's child's start time (proc_identity.h): a child killed
     * with SIGKILL leaves its slot, and its pid may come to another
     * process. After child[], whose layout a previous version's children
     * still write during a graceful restart into the new one. */
    uint64_t child_started[KU_SPOOL_CHILDREN];
} ku_spool_shared_t;

typedef struct ku_segment ku_segment_t;
typedef struct ku_producer_backlog ku_producer_backlog_t;
typedef struct ku_entry ku_entry_t;

struct ku_segment {
    ku_segment_t *next;
    char *path;                 /* malloc'd */
    char *name;                 /* the basename without suffix: record ids */
    int fd;                     /* open and flock'ed while we own it */
    apr_off_t size;             /* bytes written */
    apr_off_t synced;           /* SpoolSync: bytes known to be on disk */
    unsigned pending;           /* records not done */
    int current;                /* this child's segment for new records */
    uint64_t *done;             /* done offsets not yet written */
    unsigned ndone, done_cap;
};

/* A record waiting for its acknowledgement: queued in librdkafka (its
 * opaque, tagged with bit 0) or in its producer's backlog. */
struct ku_entry {
    ku_entry_t *next;
    ku_entry_t *older, *newer;  /* every waiting entry, in accept order */
    ku_segment_t *seg;
    apr_off_t offset;           /* of its header */
    uint32_t len;               /* payload bytes */
    int64_t accepted;
    uint64_t seq;               /* accept order within this child */
    uint64_t producer;          /* producer-key hash */
    int resent;
    apr_time_t unknown_since;   /* first "unknown topic" failure, 0: none */
};

/* A producer key (hash) and its producer, with the records to re-send
 * through it in accept order. */
struct ku_producer_backlog {
    ku_producer_backlog_t *next;
    uint64_t hash;
    ku_producer_t *kp;
    server_rec *server;
    const char *name;
    ku_entry_t *head, *tail;    /* backlog */
    unsigned in_flight;         /* its spooled records queued in librdkafka */
    apr_time_t retry_at;        /* no re-send before */
};

typedef struct {
    const ku_spool_conf_t *conf; /* the directives, set by post_config */
    /* The child */
    pthread_mutex_t lock;       /* everything below */
    pthread_mutex_t sync_lock;  /* group commit */
    server_rec *server;
    ku_spool_shared_t *shared;
    ku_segment_t *segments;
    ku_producer_backlog_t *backlogs; /* one per producer key */
    ku_entry_t *unbound;        /* adopted records whose producer is unknown yet */
    ku_entry_t *oldest, *newest; /* every waiting entry, in accept order */
    unsigned waiting;
    int slot;                   /* ours in shared->child, -1: none */
    uint64_t next_seq;
    unsigned segments_made;
    int dead_fd;                /* the dead-letter file, opened when first needed */
    apr_thread_t *thread;
    volatile int stopping;
} ku_spool_t;

extern ku_spool_t ku_spool;

ku_producer_backlog_t *ku_spool_backlog_by_hash(uint64_t hash);
/* Marks done: the record is acknowledged or dead-lettered. Lock held. */
void ku_spool_done_locked(ku_entry_t *e);
/* Writes the batched done offsets and frees finished segments. Lock held. */
void ku_spool_flush_done_locked(void);
void ku_spool_segment_free_locked(ku_segment_t *seg);
/* Into the producer's backlog, in accept order. Lock held. */
void ku_spool_backlog_locked(ku_producer_backlog_t *b, ku_entry_t *e);
int ku_spool_write_all(int fd, const void *buf, size_t len);
void ku_spool_add_bytes(int64_t n);
/* The record header KU_SPOOL_ID_HEADER, added to a copy of its headers. */
void ku_spool_add_id_header(apr_pool_t *p, ku_record_t *rec, const ku_entry_t *e);

/* Into the list of waiting entries, in accept order. Lock held. */
void ku_spool_waiting_add_locked(ku_entry_t *e);

/* spool_check.c: the directory made if missing, then tried as httpd's
 * children will use it, as the user they run as. NULL or why not. */
const char *ku_spool_check_dir(apr_pool_t *p, server_rec *s);

/* spool_status.c */
void ku_spool_publish_locked(void);
void ku_spool_unpublish(void);

/* spool_replay.c */
apr_status_t ku_spool_start_replay(apr_pool_t *pchild);
int ku_spool_is_permanent(int err);
/* Whether a record that failed with err is given up (dead-lettered) now:
 * a permanent error, but for an unknown topic only once it has lasted
 * KU_UNKNOWN_TOPIC_GRACE for this record. Lock held. */
int ku_spool_gives_up_locked(ku_entry_t *e, int err);
void ku_spool_dead_letter_locked(ku_entry_t *e, const char *reason);

#endif
