/* SPDX-License-Identifier: Apache-2.0 */
/* spool.c: the durable spool's configuration, segment files and write
 * path, and done-marking on Kafka's acknowledgement (spool_int.h has the
 * file format; spool_replay.c re-sends and adopts).
 *
 * Each child appends its accepted records to its own segment file, which
 * it holds an flock on while it lives; the kernel drops the lock when the
 * child exits for any reason, and a living child's replay thread adopts
 * the file. A segment whose records are all done is deleted. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apr_atomic.h"
#include "apr_strings.h"
#include "httpd.h"
#include "http_log.h"
#include "unixd.h"
#include "librdkafka/rdkafka.h"

#include "mod_kafka_upstream.h"
#include "log_limit.h"
#include "spool.h"
#include "spool_int.h"

/* Without a max-size: 1 GiB. */
#define KU_SPOOL_DEFAULT_MAX ((apr_off_t)1 << 30)
/* A segment takes new records up to this size (max-size / 8 within these
 * bounds), then the next one is opened. */
#define KU_SEGMENT_MIN ((apr_off_t)64 << 10)
#define KU_SEGMENT_MAX ((apr_off_t)16 << 20)
#define KU_STATE_FILE "spool.state"

ku_spool_t ku_spool = { .dead_fd = -1 };
static ku_segment_t *current_seg;       /* under ku_spool.lock */

int ku_spool_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* --- directives ------------------------------------------------------------ */

static const char *parse_size(apr_pool_t *p, const char *arg, apr_off_t *size)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);
    int shift = 0;

    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (end == arg || *end || v < 1 || v > ((apr_int64_t)1 << (62 - shift)))
        return apr_psprintf(p, "KafkaUpstreamSpool: invalid max-size '%s': a number "
                            "of bytes, with K, M or G for KiB, MiB, GiB", arg);
    *size = (apr_off_t)v << shift;
    if (*size < 2 * KU_SEGMENT_MIN)
        return apr_psprintf(p, "KafkaUpstreamSpool: max-size '%s' is below 128K", arg);
    return NULL;
}

const char *ku_spool_cmd(cmd_parms *cmd, void *conf, const char *arg1, const char *arg2)
{
    ku_spool_conf_t *spool = &ku_conf_module(cmd->server)->spool;

    if (!arg2 && (!strcasecmp(arg1, "On") || !strcasecmp(arg1, "Off"))) {
        ku_conf_set_spool(conf, !strcasecmp(arg1, "On"));
        if (!strcasecmp(arg1, "On"))
            spool->location_on = 1;
        return NULL;
    }
    /* One spool serves the whole server: a directory in a <VirtualHost>
     * would silently replace the main server's for every host. */
    if (ap_check_cmd_context(cmd, GLOBAL_ONLY))
        return "KafkaUpstreamSpool: a directory only in the main server config "
               "(one spool serves every virtual host); in a section On or Off";
    spool->dir = ap_server_root_relative(cmd->pool, arg1);
    spool->max_size = KU_SPOOL_DEFAULT_MAX;
    if (!spool->dir)
        return apr_psprintf(cmd->pool, "KafkaUpstreamSpool: invalid directory '%s'", arg1);
    return arg2 ? parse_size(cmd->pool, arg2, &spool->max_size) : NULL;
}

const char *ku_spool_sync_cmd(cmd_parms *cmd, void *conf, int on)
{
    if (ap_check_cmd_context(cmd, GLOBAL_ONLY))
        return "KafkaUpstreamSpoolSync: only in the main server config (one spool "
               "serves every virtual host)";
    ku_conf_module(cmd->server)->spool.sync = on;
    return NULL;
}

int ku_spool_wanted(const ku_dir_conf_t *conf, int sync)
{
    return !sync && ku_conf_spool(conf) && ku_spool.shared;
}

/* --- startup (parent) --------------------------------------------------------- */

static int spool_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    ku_spool.conf = NULL; /* the new configuration's, in post_config */
    ku_spool.shared = NULL;
    return OK;
}

/* The segment files' sizes, counted when no child runs yet. */
static uint64_t count_bytes(apr_pool_t *p)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    uint64_t total = 0;

    if (apr_dir_open(&d, ku_spool.conf->dir, p) != APR_SUCCESS)
        return 0;
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_SIZE | APR_FINFO_TYPE, d) == APR_SUCCESS)
        if (fi.filetype == APR_REG && strlen(fi.name) > 4
            && !strcmp(fi.name + strlen(fi.name) - 4, KU_SPOOL_SUFFIX))
            total += (uint64_t)fi.size;
    apr_dir_close(d);
    return total;
}

static apr_status_t unmap_shared(void *data)
{
    munmap(data, sizeof(ku_spool_shared_t));
    return APR_SUCCESS;
}

/* The shared figures live in a file of the spool directory, so that every
 * generation of children (graceful restarts) shares them. */
static const char *map_shared(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    const char *path = apr_pstrcat(ptemp, ku_spool.conf->dir, "/" KU_STATE_FILE, NULL);
    const char *first_key = "ku_spool_counted";
    void *counted = NULL;
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    struct stat st;
    void *m;

    /* Grown, never shrunk: children of another version, which map more of
     * it, may still run (a graceful restart), and a page past the end of
     * the file is a SIGBUS. */
    if (fd < 0 || fstat(fd, &st)
        || (st.st_size < (off_t)sizeof(ku_spool_shared_t)
            && ftruncate(fd, sizeof(ku_spool_shared_t)))
        || (geteuid() == 0 && fchown(fd, ap_unixd_config.user_id, ap_unixd_config.group_id))) {
        if (fd >= 0)
            close(fd);
        return apr_psprintf(ptemp, "%s: %s", path, strerror(errno));
    }
    m = mmap(NULL, sizeof(ku_spool_shared_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return apr_psprintf(ptemp, "%s: mmap: %s", path, strerror(errno));
    ku_spool.shared = m;
    apr_pool_cleanup_register(pconf, m, unmap_shared, apr_pool_cleanup_null);
    /* At the first start only: later generations' children may be writing. */
    apr_pool_userdata_get(&counted, first_key, s->process->pool);
    if (!counted) {
        __atomic_store_n(&ku_spool.shared->bytes, count_bytes(ptemp), __ATOMIC_SEQ_CST);
        apr_pool_userdata_set((void *)1, first_key, apr_pool_cleanup_null, s->process->pool);
    }
    return NULL;
}

static int spool_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                             server_rec *s)
{
    const char *error = NULL;

    ku_spool.conf = &ku_conf_module(s)->spool;
    if (!ku_spool.conf->dir && ku_spool.conf->location_on)
        error = "KafkaUpstreamSpool On needs a spool directory: KafkaUpstreamSpool "
                "directory [max-size] in the server config";
    else if (ku_spool.conf->dir && !(error = ku_spool_check_dir(ptemp, s)))
        error = map_shared(pconf, ptemp, s);
    if (!error)
        return OK;
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "KU00045: spool: %s", error);
    return !OK;
}

/* --- segments ----------------------------------------------------------------- */

static apr_off_t segment_limit(void)
{
    apr_off_t limit = ku_spool.conf->max_size / 8;

    return limit < KU_SEGMENT_MIN ? KU_SEGMENT_MIN : limit > KU_SEGMENT_MAX ? KU_SEGMENT_MAX : limit;
}

void ku_spool_add_bytes(int64_t n)
{
    __atomic_add_fetch(&ku_spool.shared->bytes, (uint64_t)n, __ATOMIC_RELAXED);
}

/* Made under a temporary name, locked, then renamed: no replay thread can
 * take a new segment for an orphan. Lock held. */
static ku_segment_t *segment_open_locked(void)
{
    char name[64], tmp[PATH_MAX], path[PATH_MAX];
    ku_segment_t *seg;
    int fd;

    apr_snprintf(name, sizeof(name), "%" APR_PID_T_FMT "-%" APR_UINT64_T_HEX_FMT "-%u",
                 getpid(), (apr_uint64_t)apr_time_now(), ku_spool.segments_made++);
    if (apr_snprintf(tmp, sizeof(tmp), "%s/.new-%s", ku_spool.conf->dir, name) >= (int)sizeof(tmp) - 1
        || apr_snprintf(path, sizeof(path), "%s/%s" KU_SPOOL_SUFFIX, ku_spool.conf->dir, name)
               >= (int)sizeof(path) - 1)
        return NULL;
    if ((fd = open(tmp, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return NULL;
    if (flock(fd, LOCK_EX | LOCK_NB) || !(seg = calloc(1, sizeof(*seg)))) {
        close(fd);
        unlink(tmp);
        return NULL;
    }
    seg->fd = fd;
    seg->name = strdup(name);
    seg->path = strdup(path);
    if (!seg->name || !seg->path || rename(tmp, seg->path)) {
        unlink(tmp);
        close(fd);
        free(seg->name);
        free(seg->path);
        free(seg);
        return NULL;
    }
    seg->current = 1;
    seg->next = ku_spool.segments;
    ku_spool.segments = seg;
    return seg;
}

void ku_spool_segment_free_locked(ku_segment_t *seg)
{
    ku_segment_t **pp;

    unlink(seg->path);
    close(seg->fd); /* after the unlink: an adopter checks st_nlink */
    ku_spool_add_bytes(-(int64_t)seg->size);
    for (pp = &ku_spool.segments; *pp; pp = &(*pp)->next)
        if (*pp == seg) {
            *pp = seg->next;
            break;
        }
    if (current_seg == seg)
        current_seg = NULL;
    free(seg->done);
    free(seg->name);
    free(seg->path);
    free(seg);
}

/* Appends a record; returns its entry, or NULL when it cannot be written. */
static ku_entry_t *append_locked(const char *buf, uint32_t len, int64_t accepted,
                                 uint64_t producer)
{
    ku_segment_t *seg = current_seg;
    ku_entry_t *e;

    if (!seg || seg->size >= segment_limit()) {
        if (seg) {
            seg->current = 0;
            if (!seg->pending)
                ku_spool_segment_free_locked(seg);
        }
        if (!(seg = current_seg = segment_open_locked()))
            return NULL;
    }
    if (!(e = calloc(1, sizeof(*e))))
        return NULL;
    if (ku_spool_write_all(seg->fd, buf, KU_SPOOL_HEADER + len)) {
        if (ftruncate(seg->fd, seg->size)) {
            /* A part written stays: nothing more goes after it (see write_done_locked). */
            seg->current = 0;
            current_seg = NULL;
        }
        free(e);
        return NULL;
    }
    e->seg = seg;
    e->offset = seg->size;
    e->len = len;
    e->accepted = accepted;
    e->producer = producer;
    e->seq = ku_spool.next_seq++;
    seg->size += KU_SPOOL_HEADER + len;
    seg->pending++;
    ku_spool_add_bytes(KU_SPOOL_HEADER + len);
    ku_spool_waiting_add_locked(e);
    return e;
}

/* SpoolSync On: one fdatasync covers every record written before it
 * started; threads that wait meanwhile find theirs covered. */
static int commit(ku_segment_t *seg, apr_off_t end)
{
    int rc = 0;

    pthread_mutex_lock(&ku_spool.sync_lock);
    if (seg->synced < end) {
        apr_off_t upto;

        pthread_mutex_lock(&ku_spool.lock);
        upto = seg->size;
        pthread_mutex_unlock(&ku_spool.lock);
        rc = fdatasync(seg->fd);
        if (!rc)
            seg->synced = upto;
    }
    pthread_mutex_unlock(&ku_spool.sync_lock);
    return rc;
}

/* --- done-marking --------------------------------------------------------------- */

void ku_spool_waiting_add_locked(ku_entry_t *e)
{
    ku_entry_t *at = ku_spool.newest;

    while (at && e->accepted < at->accepted)
        at = at->older;
    e->older = at;
    e->newer = at ? at->newer : ku_spool.oldest;
    *(e->newer ? &e->newer->older : &ku_spool.newest) = e;
    *(at ? &at->newer : &ku_spool.oldest) = e;
    ku_spool.waiting++;
}

void ku_spool_done_locked(ku_entry_t *e)
{
    ku_segment_t *seg = e->seg;

    *(e->older ? &e->older->newer : &ku_spool.oldest) = e->newer;
    *(e->newer ? &e->newer->older : &ku_spool.newest) = e->older;
    ku_spool.waiting--;

    if (seg->ndone == seg->done_cap) {
        unsigned cap = seg->done_cap ? seg->done_cap * 2 : 64;
        uint64_t *grown = realloc(seg->done, cap * sizeof(*grown));

        if (grown) {
            seg->done = grown;
            seg->done_cap = cap;
        }
    }
    /* Out of memory: the mark is not written; the record may be sent again. */
    if (seg->ndone < seg->done_cap)
        seg->done[seg->ndone++] = (uint64_t)e->offset;
    seg->pending--;
    free(e);
}

static void write_done_locked(ku_segment_t *seg)
{
    uint32_t len = seg->ndone * (uint32_t)sizeof(uint64_t);
    char *buf = malloc(KU_SPOOL_HEADER + len);
    ku_spool_header_t h = { KU_SPOOL_MAGIC, KU_SPOOL_DONE, len, 0 };

    if (!buf)
        return;
    h.crc = ku_spool_entry_crc(KU_SPOOL_DONE, len, seg->done);
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + KU_SPOOL_HEADER, seg->done, len);
    if (!ku_spool_write_all(seg->fd, buf, KU_SPOOL_HEADER + len)) {
        seg->size += KU_SPOOL_HEADER + len;
        ku_spool_add_bytes(KU_SPOOL_HEADER + len);
        seg->ndone = 0;
    }
    else if (ftruncate(seg->fd, seg->size)) {
        /* A part written stays: records appended after it would be cut off
         * by an adopter. No further record goes to this segment. */
        seg->current = 0;
        if (current_seg == seg)
            current_seg = NULL;
    }
    free(buf);
}

/* Segments whose records are all done are deleted (the current one once
 * it is past the smallest segment size); the others get their done marks. */
void ku_spool_flush_done_locked(void)
{
    ku_segment_t *seg = ku_spool.segments, *next;

    for (; seg; seg = next) {
        next = seg->next;
        if (!seg->pending && (!seg->current || seg->size >= KU_SEGMENT_MIN))
            ku_spool_segment_free_locked(seg);
        else if (seg->ndone)
            write_done_locked(seg);
    }
}

/* --- producers and their backlogs --------------------------------------------------- */

/* FNV-1a: the producer key's hash, kept in each record. */
static uint64_t key_hash(const char *key)
{
    uint64_t h = 14695981039346656037ULL;

    while (*key)
        h = (h ^ (unsigned char)*key++) * 1099511628211ULL;
    return h;
}

ku_producer_backlog_t *ku_spool_backlog_by_hash(uint64_t hash)
{
    ku_producer_backlog_t *b;

    for (b = ku_spool.backlogs; b; b = b->next)
        if (b->hash == hash)
            return b;
    return NULL;
}

static ku_producer_backlog_t *backlog_by_producer(ku_producer_t *kp)
{
    ku_producer_backlog_t *b;

    for (b = ku_spool.backlogs; b; b = b->next)
        if (b->kp == kp)
            return b;
    return NULL;
}

/* The producer's observer: a producer was made for a producer key
 * (replayed records find theirs by the key's hash). A replaced producer
 * (fatal error) hands its key, and backlog, to the new one. */
static void producer_added(ku_producer_t *kp, const char *key, server_rec *s,
                           const char *name)
{
    uint64_t hash;
    ku_producer_backlog_t *b;

    if (!ku_spool.shared)
        return;
    hash = key_hash(key);
    pthread_mutex_lock(&ku_spool.lock);
    if (!(b = ku_spool_backlog_by_hash(hash)) && (b = calloc(1, sizeof(*b)))) {
        b->hash = hash;
        b->next = ku_spool.backlogs;
        ku_spool.backlogs = b;
    }
    if (b) {
        b->kp = kp;
        b->server = s;
        b->name = name;
    }
    pthread_mutex_unlock(&ku_spool.lock);
}

static int comes_before(const ku_entry_t *a, const ku_entry_t *b)
{
    return a->accepted < b->accepted || (a->accepted == b->accepted && a->seq < b->seq);
}

void ku_spool_backlog_locked(ku_producer_backlog_t *b, ku_entry_t *e)
{
    ku_entry_t **pp;

    if (!b->head || !comes_before(e, b->tail)) {
        e->next = NULL;
        if (b->tail)
            b->tail->next = e;
        else
            b->head = e;
        b->tail = e;
        return;
    }
    for (pp = &b->head; *pp && !comes_before(e, *pp); pp = &(*pp)->next)
        ;
    e->next = *pp;
    *pp = e;
}

/* --- the write path --------------------------------------------------------------- */

/* Header and payload in one buffer, for one write(2). */
static char *encode_record(apr_pool_t *pool, const ku_record_t *rec, uint64_t producer,
                           int64_t accepted, uint32_t *len)
{
    ku_spool_record_t kept = { accepted, producer, rec->topic, rec->key, rec->key_len,
                               rec->headers, rec->value, rec->len };

    return ku_spool_encode_record(pool, &kept, len);
}

/* Hot-path failures, each its own tag and limiter: every request would
 * repeat them. */
static void log_full(void)
{
    static ku_log_limit_t full_rl = KU_LOG_LIMIT("KU00046 (spool)");

    if (ku_log_allowed(&full_rl, ku_spool.server, APLOG_ERR))
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, ku_spool.server, "KU00046: spool %s: "
                     "full (max-size reached): answered 503", ku_spool.conf->dir);
}

static void log_write_failure(int err)
{
    static ku_log_limit_t write_rl = KU_LOG_LIMIT("KU00064 (spool)");

    if (ku_log_allowed(&write_rl, ku_spool.server, APLOG_ERR))
        ap_log_error(APLOG_MARK, APLOG_ERR, err, ku_spool.server, "KU00064: spool %s: "
                     "cannot write a record: answered 503", ku_spool.conf->dir);
}

static void log_sync_failure(int err)
{
    static ku_log_limit_t sync_rl = KU_LOG_LIMIT("KU00065 (spool)");

    if (ku_log_allowed(&sync_rl, ku_spool.server, APLOG_ERR))
        ap_log_error(APLOG_MARK, APLOG_ERR, err, ku_spool.server, "KU00065: spool %s: "
                     "fdatasync failed: the record is sent, answered 503", ku_spool.conf->dir);
}

/* A record's result: accepted (why NULL), or not, and why (a 503). */
static void set_result(ku_record_t *rec, const char *why)
{
    memset(&rec->result, 0, sizeof(rec->result));
    rec->result.outcome = why ? KU_SEND_UNAVAILABLE : KU_SEND_DONE;
    rec->result.unavailable = why;
}

/* Writes the record to the spool; NULL (and the 503 result) when it cannot. */
static ku_entry_t *spool_record(apr_pool_t *p, ku_record_t *rec, uint64_t producer)
{
    int64_t accepted = apr_time_now();
    uint32_t len;
    char *buf = encode_record(p, rec, producer, accepted, &len);
    ku_entry_t *e = NULL;

    if (__atomic_load_n(&ku_spool.shared->bytes, __ATOMIC_RELAXED) + KU_SPOOL_HEADER + len
        > (uint64_t)ku_spool.conf->max_size) {
        set_result(rec, "spool full");
        log_full();
        return NULL;
    }
    pthread_mutex_lock(&ku_spool.lock);
    if (!(e = append_locked(buf, len, accepted, producer)))
        log_write_failure(errno);
    pthread_mutex_unlock(&ku_spool.lock);
    set_result(rec, e ? NULL : "spool unavailable");
    return e;
}

/* The record's headers and its spool id. */
void ku_spool_add_id_header(apr_pool_t *p, ku_record_t *rec, const ku_entry_t *e)
{
    apr_array_header_t *h = rec->headers ? apr_array_copy(p, rec->headers)
                                         : apr_array_make(p, 1, sizeof(ku_header_t));
    ku_header_t *id = apr_array_push(h);

    id->name = KU_SPOOL_ID_HEADER;
    id->value = apr_psprintf(p, "%s/%" APR_OFF_T_FMT, e->seg->name, e->offset);
    rec->headers = h;
}

/* Queues a spooled record, or leaves it in the backlog: while earlier
 * records wait there, so that records go out in accept order. */
static void queue_spooled(ku_producer_backlog_t *b, ku_record_t *rec, ku_entry_t *e)
{
    int err, queued = 0;

    pthread_mutex_lock(&ku_spool.lock);
    if (b->head)
        ku_spool_backlog_locked(b, e);
    else {
        b->in_flight++;
        queued = 1;
    }
    pthread_mutex_unlock(&ku_spool.lock);
    if (!queued)
        return;
    err = ku_producer_queue_spooled(b->kp, rec, e, 1);
    if (!err)
        return;
    pthread_mutex_lock(&ku_spool.lock);
    b->in_flight--;
    if (ku_spool_is_permanent(err))
        ku_spool_done_locked(e); /* never accepted: rec->result says why */
    else {
        ku_spool_backlog_locked(b, e); /* kept: re-sent when there is room */
        set_result(rec, NULL);
    }
    pthread_mutex_unlock(&ku_spool.lock);
}

void ku_spool_send(ku_producer_t *kp, ku_record_t *records, int n, apr_pool_t *p)
{
    ku_entry_t **entries = apr_pcalloc(p, sizeof(*entries) * (size_t)n);
    char *unsynced = apr_pcalloc(p, (size_t)n);
    ku_producer_backlog_t *b;
    int i;

    pthread_mutex_lock(&ku_spool.lock);
    b = backlog_by_producer(kp);
    pthread_mutex_unlock(&ku_spool.lock);
    for (i = 0; i < n; i++) {
        if (!b) {
            set_result(&records[i], "spool unavailable");
            continue;
        }
        entries[i] = spool_record(p, &records[i], b->hash);
    }
    for (i = 0; ku_spool.conf->sync && i < n; i++)
        if (entries[i] && commit(entries[i]->seg, entries[i]->offset + KU_SPOOL_HEADER
                                                      + entries[i]->len)) {
            log_sync_failure(errno);
            unsynced[i] = 1;
        }
    for (i = 0; i < n; i++) {
        if (!entries[i])
            continue;
        ku_spool_add_id_header(p, &records[i], entries[i]);
        queue_spooled(b, &records[i], entries[i]);
        /* Written but not known to be on disk: sent all the same, yet not
         * promised, so no 200 (queueing it would have set one). */
        if (unsynced[i] && records[i].result.outcome == KU_SEND_DONE)
            set_result(&records[i], "spool unavailable");
    }
}

/* --- delivery reports (the producer's poll thread) ---------------------------------- */

static void delivered(void *entry, int err)
{
    ku_entry_t *e = entry;
    ku_producer_backlog_t *b;

    pthread_mutex_lock(&ku_spool.lock);
    b = ku_spool_backlog_by_hash(e->producer);
    if (b && b->in_flight)
        b->in_flight--;
    if (!err) {
        if (e->resent)
            __atomic_add_fetch(&ku_spool.shared->replayed, 1, __ATOMIC_RELAXED);
        ku_spool_done_locked(e);
    }
    else if (ku_spool_gives_up_locked(e, err))
        ku_spool_dead_letter_locked(e, rd_kafka_err2str(err));
    else if (b) {
        /* Kept; re-sent once the earlier ones are (purged at exit: adopted). */
        ku_spool_backlog_locked(b, e);
        b->retry_at = apr_time_now() + apr_time_from_sec(1);
    }
    pthread_mutex_unlock(&ku_spool.lock);
}

/* --- the child ------------------------------------------------------------------- */

/* Registered before the producers' cleanup, so it runs after it: the exit
 * flush's acknowledgements are marked, what was purged stays for adoption. */
static apr_status_t spool_child_exit(void *data)
{
    ku_segment_t *seg, *next;
    unsigned left = 0;

    pthread_mutex_lock(&ku_spool.lock);
    for (seg = ku_spool.segments; seg; seg = seg->next)
        seg->current = 0;
    ku_spool_flush_done_locked();
    for (seg = ku_spool.segments; seg; seg = next) {
        next = seg->next;
        left += seg->pending;
        close(seg->fd); /* drops the flock: a living child adopts it */
    }
    ku_spool.segments = NULL;
    pthread_mutex_unlock(&ku_spool.lock);
    ku_spool_unpublish();
    if (ku_spool.dead_fd >= 0)
        close(ku_spool.dead_fd);
    ap_log_error(APLOG_MARK, left ? APLOG_NOTICE : APLOG_DEBUG, 0, ku_spool.server,
                 "KU00051: spool: child exits, %u record(s) left in the spool for another "
                 "child to send", left);
    return APR_SUCCESS;
}

/* Before the producers are made (APR_HOOK_FIRST). */
static void spool_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (!ku_spool.shared)
        return;
    static const ku_producer_observer_t observer = { producer_added, delivered };

    ku_spool.server = s;
    ku_spool.slot = -1;
    pthread_mutex_init(&ku_spool.lock, NULL);
    pthread_mutex_init(&ku_spool.sync_lock, NULL);
    apr_pool_cleanup_register(pchild, NULL, spool_child_exit, apr_pool_cleanup_null);
    ku_producer_observe(&observer);
}

/* After the producers are made (APR_HOOK_LAST): the replay thread. */
static void spool_child_start(apr_pool_t *pchild, server_rec *s)
{
    if (ku_spool.shared && ku_spool_start_replay(pchild) != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "KU00061: spool %s: cannot start "
                     "the replay thread", ku_spool.conf->dir);
}

void ku_spool_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(spool_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(spool_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(spool_child_init, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_child_init(spool_child_start, NULL, NULL, APR_HOOK_LAST);
}
