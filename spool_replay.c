/* SPDX-License-Identifier: Apache-2.0 */
/* spool_replay.c: the spool's replay thread, one per child. Every tick it
 * writes the batched done marks and deletes finished segments, and re-sends
 * each producer's backlog in accept order once nothing of it is in flight;
 * every second it adopts the segment files of children that are gone (their
 * flock is free), skipping a torn last entry. Records Kafka refuses for good
 * go to the dead-letter file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_log.h"
#include <json-c/json.h>
#include "librdkafka/rdkafka.h"

#include "json_args.h"
#include "log_limit.h"
#include "mod_kafka_upstream.h"
#include "spool.h"
#include "spool_int.h"

#define KU_REPLAY_TICK_MS 100
#define KU_SCAN_TICKS 10          /* adoption scans: every second */
#define KU_RESEND_BATCH 1000      /* records re-sent per producer and tick */

static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

/* Refused for good: re-sending cannot help. */
int ku_spool_is_permanent(int err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
        return 1;
    default:
        return 0;
    }
}

/* A broker restarting, or fenced for a moment, answers for a few seconds
 * that it knows no such topic or partition (it is still loading its logs);
 * librdkafka then fails the message within topic.metadata.propagation.max.ms.
 * A spooled record is re-sent through that, and dead-lettered only when
 * the topic has stayed unknown this long. */
#define KU_UNKNOWN_TOPIC_GRACE apr_time_from_sec(20)

int ku_spool_gives_up_locked(ku_entry_t *e, int err)
{
    apr_time_t now = apr_time_now();

    if (!ku_spool_is_permanent(err))
        return 0;
    if (err != RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC && err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return 1;
    if (!e->unknown_since)
        e->unknown_since = now;
    return now - e->unknown_since >= KU_UNKNOWN_TOPIC_GRACE;
}

/* --- reading records back ----------------------------------------------------- */

/* The record in a payload; its key and value point into it. */
static int decode_record(apr_pool_t *p, const char *buf, uint32_t len, ku_record_t *rec,
                         int64_t *accepted)
{
    ku_spool_record_t kept;

    memset(rec, 0, sizeof(*rec));
    if (ku_spool_decode_record(p, buf, len, &kept))
        return -1;
    *accepted = kept.accepted;
    rec->topic = kept.topic;
    rec->key = kept.key;
    rec->key_len = kept.key_len;
    rec->headers = kept.headers;
    rec->value = kept.value;
    rec->len = kept.value_len;
    return 0;
}

/* The entry's record, read from its segment and checked. */
static int load_record(apr_pool_t *p, const ku_entry_t *e, ku_record_t *rec)
{
    char *buf = apr_palloc(p, KU_SPOOL_HEADER + e->len);
    ku_spool_header_t h;
    int64_t accepted;

    if (pread(e->seg->fd, buf, KU_SPOOL_HEADER + e->len, e->offset)
        != (ssize_t)(KU_SPOOL_HEADER + e->len))
        return -1;
    memcpy(&h, buf, sizeof(h));
    if (h.magic != KU_SPOOL_MAGIC || h.len != e->len
        || h.crc != ku_spool_entry_crc(h.type, h.len, buf + KU_SPOOL_HEADER)
        || decode_record(p, buf + KU_SPOOL_HEADER, e->len, rec, &accepted))
        return -1;
    ku_spool_add_id_header(p, rec, e);
    return 0;
}

/* --- the dead-letter file -------------------------------------------------------- */

static json_object *dead_letter_line(apr_pool_t *p, const ku_record_t *rec, int64_t accepted,
                                     const char *reason)
{
    json_object *o = json_object_new_object(), *hs = json_object_new_array();
    const ku_header_t *h = (const ku_header_t *)rec->headers->elts;
    char date[APR_RFC822_DATE_LEN];
    int i;

    apr_rfc822_date(date, (apr_time_t)accepted);
    for (i = 0; i < rec->headers->nelts; i++) {
        json_object *pair = json_object_new_array();

        json_object_array_add(pair, json_object_new_string(h[i].name));
        json_object_array_add(pair, json_object_new_string(h[i].value));
        json_object_array_add(hs, pair);
    }
    json_object_object_add(o, "reason", json_object_new_string(reason));
    json_object_object_add(o, "accepted", json_object_new_string(date));
    json_object_object_add(o, "topic", json_object_new_string(rec->topic));
    json_object_object_add(o, "key_base64", rec->key ? ku_base64_json(p, rec->key, rec->key_len) : NULL);
    json_object_object_add(o, "headers", hs);
    json_object_object_add(o, "value_base64", ku_base64_json(p, rec->value, rec->len));
    return o;
}

/* Each reason is logged once per child; all are counted. Lock held. */
static void log_dead_letter(const char *topic, const char *reason)
{
    static ku_log_causes_t logged;

    if (!ku_log_first_of_cause(&logged, reason))
        return;
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, ku_spool.server, "KU00049: spool: a record for "
                 "topic %s refused for good (%s): moved to %s/" KU_SPOOL_DEAD_LETTER_FILE
                 " (logged once per cause; counted on the status page)", topic, reason,
                 ku_spool.conf->dir);
}

/* Every refused record would repeat it while the file cannot be written. */
static void log_dead_letter_failure(int err)
{
    static ku_log_limit_t dead_letter_rl = KU_LOG_LIMIT("KU00062 (spool)");

    if (ku_log_allowed(&dead_letter_rl, ku_spool.server, APLOG_ERR))
        ap_log_error(APLOG_MARK, APLOG_ERR, err, ku_spool.server, "KU00062: spool %s: "
                     "cannot write the dead-letter file; the record is dropped", ku_spool.conf->dir);
}

void ku_spool_dead_letter_locked(ku_entry_t *e, const char *reason)
{
    apr_pool_t *p;
    ku_record_t rec;
    json_object *o;
    const char *line;

    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    if (ku_spool.dead_fd < 0)
        ku_spool.dead_fd = open(apr_pstrcat(p, ku_spool.conf->dir, "/" KU_SPOOL_DEAD_LETTER_FILE, NULL),
                                O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (load_record(p, e, &rec) == 0) {
        o = dead_letter_line(p, &rec, e->accepted, reason);
        line = apr_pstrcat(p, json_object_to_json_string_ext(
                               o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), "\n",
                           NULL);
        json_object_put(o);
        if (ku_spool.dead_fd < 0 || ku_spool_write_all(ku_spool.dead_fd, line, strlen(line)))
            log_dead_letter_failure(errno);
        log_dead_letter(rec.topic, reason);
    }
    apr_pool_destroy(p);
    __atomic_add_fetch(&ku_spool.shared->dead_lettered, 1, __ATOMIC_RELAXED);
    ku_spool_done_locked(e);
}

/* --- re-sending ----------------------------------------------------------------- */

static void torn(const char *path, apr_off_t at, apr_off_t bytes, const char *what)
{
    __atomic_add_fetch(&ku_spool.shared->torn, 1, __ATOMIC_RELAXED);
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, ku_spool.server, "KU00048: spool: %s: %s "
                 "entry at offset %" APR_OFF_T_FMT " (%" APR_OFF_T_FMT " bytes) skipped",
                 path, what, at, bytes);
}

static ku_entry_t *pop(ku_producer_backlog_t *b)
{
    ku_entry_t *e = b->head;

    if ((b->head = e->next) == NULL)
        b->tail = NULL;
    return e;
}

/* Re-sends the backlog's first records, once the earlier ones are settled. */
static void resend_locked(ku_producer_backlog_t *b, apr_pool_t *p)
{
    int i, err;

    if (!b->head || b->in_flight || !b->kp || apr_time_now() < b->retry_at)
        return;
    for (i = 0; i < KU_RESEND_BATCH && b->head; i++) {
        ku_entry_t *e = pop(b);
        ku_record_t rec;

        if (load_record(p, e, &rec)) {
            torn(e->seg->path, e->offset, KU_SPOOL_HEADER + e->len, "unreadable");
            ku_spool_done_locked(e);
            continue;
        }
        e->resent = 1;
        b->in_flight++;
        if (!(err = ku_producer_queue_spooled(b->kp, &rec, e, 0)))
            continue;
        b->in_flight--;
        if (ku_spool_gives_up_locked(e, err)) {
            ku_spool_dead_letter_locked(e, rd_kafka_err2str(err));
            continue;
        }
        e->next = b->head; /* back in front: the queue is full, or the producer failed */
        b->head = e;
        if (!b->tail)
            b->tail = e;
        b->retry_at = apr_time_now() + apr_time_from_sec(1);
        break;
    }
}

/* --- adopting a gone child's segments --------------------------------------------- */

/* Its records join their producers' backlogs (or wait for a producer of
 * their configuration). Lock held. */
static unsigned take_over_locked(ku_segment_t *seg, const ku_scanned_record_t *found, unsigned n)
{
    unsigned i, pending = 0;

    for (i = 0; i < n; i++) {
        ku_entry_t *e;
        ku_producer_backlog_t *b;

        if (found[i].done || !(e = calloc(1, sizeof(*e))))
            continue;
        e->seg = seg;
        e->offset = found[i].offset;
        e->len = found[i].len;
        e->accepted = found[i].accepted;
        e->producer = found[i].producer;
        e->seq = ku_spool.next_seq++;
        e->resent = 1;
        seg->pending++;
        pending++;
        ku_spool_waiting_add_locked(e);
        if ((b = ku_spool_backlog_by_hash(e->producer)))
            ku_spool_backlog_locked(b, e);
        else {
            e->next = ku_spool.unbound;
            ku_spool.unbound = e;
        }
    }
    return pending;
}

static void adopt(int fd, const char *path, const char *file, apr_off_t size)
{
    char *buf = malloc(size ? (size_t)size : 1);
    ku_scanned_record_t *found = NULL;
    ku_segment_t *seg = calloc(1, sizeof(*seg));
    unsigned n = 0, pending;
    apr_off_t end;

    if (!buf || !seg || pread(fd, buf, (size_t)size, 0) != (ssize_t)size) {
        free(buf);
        free(seg);
        close(fd);
        return;
    }
    end = ku_spool_parse_segment(buf, size, &found, &n);
    free(buf);
    if (end < size) {
        /* Cut off, so that the done marks appended from now on are read. */
        torn(path, end, size - end, "torn or corrupt last");
        if (ftruncate(fd, end) == 0) {
            ku_spool_add_bytes(-(int64_t)(size - end));
            size = end;
        }
    }
    seg->fd = fd;
    seg->size = size;
    seg->path = strdup(path);
    seg->name = strndup(file, strlen(file) - strlen(KU_SPOOL_SUFFIX));
    pthread_mutex_lock(&ku_spool.lock);
    seg->next = ku_spool.segments;
    ku_spool.segments = seg;
    pending = take_over_locked(seg, found, n);
    if (!pending)
        ku_spool_segment_free_locked(seg);
    pthread_mutex_unlock(&ku_spool.lock);
    free(found);
    ap_log_error(APLOG_MARK, pending ? APLOG_NOTICE : APLOG_INFO, 0, ku_spool.server,
                 "KU00047: spool: adopted %s: %u record(s) to send, %u already done",
                 path, pending, n - pending);
}

static int is_segment(const char *name)
{
    size_t len = strlen(name), suffix = strlen(KU_SPOOL_SUFFIX);

    return name[0] != '.' && len > suffix && !strcmp(name + len - suffix, KU_SPOOL_SUFFIX);
}

/* Every segment no living child holds; our own fail the flock too (a
 * second open file description). A file deleted meanwhile has no links. */
static void scan(apr_pool_t *p)
{
    DIR *d = opendir(ku_spool.conf->dir);
    struct dirent *de;

    while (d && (de = readdir(d))) {
        const char *path;
        struct stat st;
        int fd;

        if (!is_segment(de->d_name))
            continue;
        path = apr_pstrcat(p, ku_spool.conf->dir, "/", de->d_name, NULL);
        if ((fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) || fstat(fd, &st) || st.st_nlink == 0) {
            close(fd);
            continue;
        }
        adopt(fd, path, de->d_name, st.st_size);
    }
    if (d)
        closedir(d);
}

/* Adopted records whose producer was not made yet (made at request time). */
static void bind_unbound_locked(void)
{
    ku_entry_t *e = ku_spool.unbound, *next;
    ku_producer_backlog_t *b;

    ku_spool.unbound = NULL;
    for (; e; e = next) {
        next = e->next;
        if ((b = ku_spool_backlog_by_hash(e->producer)))
            ku_spool_backlog_locked(b, e);
        else {
            e->next = ku_spool.unbound;
            ku_spool.unbound = e;
        }
    }
}

/* --- the thread ----------------------------------------------------------------- */

static void wait_tick(void)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += KU_REPLAY_TICK_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ku_spool.lock);
    if (!ku_spool.stopping)
        pthread_cond_timedwait(&wake, &ku_spool.lock, &until);
    pthread_mutex_unlock(&ku_spool.lock);
}

static void *APR_THREAD_FUNC replay_loop(apr_thread_t *thread, void *data)
{
    apr_pool_t *p;
    unsigned tick;
    ku_producer_backlog_t *b;

    apr_pool_create(&p, apr_thread_pool_get(thread));
    for (tick = 0; !ku_spool.stopping; tick++) {
        if (tick % KU_SCAN_TICKS == 0)
            scan(p);
        pthread_mutex_lock(&ku_spool.lock);
        ku_spool_flush_done_locked();
        if (tick % KU_SCAN_TICKS == 0)
            bind_unbound_locked();
        for (b = ku_spool.backlogs; b; b = b->next)
            resend_locked(b, p);
        ku_spool_publish_locked();
        pthread_mutex_unlock(&ku_spool.lock);
        apr_pool_clear(p);
        wait_tick();
    }
    return NULL;
}

/* Before the producers' cleanup: nothing is re-sent while they close. */
static apr_status_t stop_replay(void *data)
{
    apr_status_t ignored;

    pthread_mutex_lock(&ku_spool.lock);
    ku_spool.stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&ku_spool.lock);
    apr_thread_join(&ignored, ku_spool.thread);
    return APR_SUCCESS;
}

apr_status_t ku_spool_start_replay(apr_pool_t *pchild)
{
    apr_status_t rv = apr_thread_create(&ku_spool.thread, NULL, replay_loop, NULL, pchild);

    /* A pre-cleanup: pchild's subpools, among them the thread's pool and
     * the loop's scratch pool, are destroyed before its plain cleanups run,
     * so the thread must have stopped by then (it crashed in apr_pool_clear
     * at child exit). It also runs before the producers close. */
    if (rv == APR_SUCCESS)
        apr_pool_pre_cleanup_register(pchild, NULL, stop_replay);
    return rv;
}
