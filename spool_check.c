/* SPDX-License-Identifier: Apache-2.0 */
/* spool_check.c: the startup check of the spool directory (README "The
 * spool": KU00045 and no start when it cannot be used). The parent may be
 * root and the children not: what the parent can do proves nothing, so the
 * directory is tried in a forked process that has dropped its privileges
 * exactly as the MPM's children do (the drop_privileges hook: User, Group,
 * ChrootDir), doing what the children will do there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apr_strings.h"
#include "httpd.h"
#include "mpm_common.h"
#include "unixd.h"

#include "mod_kafka_upstream.h"
#include "spool_int.h"

/* The directory exists (made if missing) and, seen from the parent, the
 * httpd user owns it. */
static const char *check_owner(apr_pool_t *p)
{
    struct stat st;
    int root = geteuid() == 0;

    if (mkdir(ku_spool.conf->dir, 0700) == 0 && root
        && chown(ku_spool.conf->dir, ap_unixd_config.user_id, ap_unixd_config.group_id))
        return apr_psprintf(p, "cannot give %s to the httpd user: %s", ku_spool.conf->dir,
                            strerror(errno));
    if (stat(ku_spool.conf->dir, &st) || !S_ISDIR(st.st_mode))
        return apr_psprintf(p, "%s is not a directory", ku_spool.conf->dir);
    if (root ? st.st_uid != ap_unixd_config.user_id || (st.st_mode & 0700) != 0700
             : access(ku_spool.conf->dir, W_OK | X_OK) != 0)
        return apr_psprintf(p, "%s is not writable by the httpd user (it must own it)",
                            ku_spool.conf->dir);
    return NULL;
}

static const char *failed(apr_pool_t *p, const char *what, const char *path)
{
    return apr_psprintf(p, "the httpd user cannot %s %s: %s", what, path, strerror(errno));
}

/* Segment files to adopt and the dead-letter file: opened as a child would. */
static const char *try_existing_files(apr_pool_t *p)
{
    DIR *d = opendir(ku_spool.conf->dir);
    struct dirent *de;
    const char *error = NULL;

    if (!d)
        return failed(p, "list", ku_spool.conf->dir);
    while (!error && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        int segment = len > strlen(KU_SPOOL_SUFFIX)
                      && !strcmp(de->d_name + len - strlen(KU_SPOOL_SUFFIX), KU_SPOOL_SUFFIX);
        const char *path;
        int fd;

        if (!segment && strcmp(de->d_name, KU_SPOOL_DEAD_LETTER_FILE))
            continue;
        path = apr_pstrcat(p, ku_spool.conf->dir, "/", de->d_name, NULL);
        if ((fd = open(path, (segment ? O_RDWR : O_WRONLY) | O_APPEND)) < 0)
            error = failed(p, "open", path);
        else
            close(fd);
    }
    closedir(d);
    return error;
}

/* A new segment's life: made, written, locked, renamed, removed. */
static const char *try_new_file(apr_pool_t *p)
{
    const char *path = apr_psprintf(p, "%s/.ku-check-%" APR_PID_T_FMT, ku_spool.conf->dir, getpid());
    const char *renamed = apr_pstrcat(p, path, "-renamed", NULL);
    const char *error = NULL;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0600);

    if (fd < 0)
        return failed(p, "create a file in", ku_spool.conf->dir);
    if (ku_spool_write_all(fd, "k", 1))
        error = failed(p, "write to", path);
    else if (flock(fd, LOCK_EX | LOCK_NB))
        error = failed(p, "lock", path);
    else if (rename(path, renamed))
        error = failed(p, "rename a file in", ku_spool.conf->dir);
    close(fd);
    if (unlink(error ? path : renamed) && !error)
        error = failed(p, "remove a file from", ku_spool.conf->dir);
    return error;
}

/* In the forked process: the children's identity, then their work. */
static const char *try_as_child(apr_pool_t *p, server_rec *s)
{
    int rv = ap_run_drop_privileges(p, s);
    const char *error;

    if (rv != OK && rv != DECLINED)
        return "cannot take the identity of httpd's children (User, Group, ChrootDir)";
    if (!(error = try_existing_files(p)))
        error = try_new_file(p);
    return error;
}

/* Forks and runs try_as_child there; its answer comes back through a pipe. */
static const char *check_as_child(apr_pool_t *p, server_rec *s)
{
    char answer[1024];
    size_t got = 0;
    ssize_t n;
    int fds[2], status;
    pid_t pid;

    if (pipe(fds))
        return apr_psprintf(p, "cannot check %s: pipe: %s", ku_spool.conf->dir, strerror(errno));
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return apr_psprintf(p, "cannot check %s: fork: %s", ku_spool.conf->dir, strerror(errno));
    }
    if (pid == 0) {
        const char *error = try_as_child(p, s);

        close(fds[0]);
        if (error)
            ku_spool_write_all(fds[1], error, strlen(error));
        _exit(error ? 1 : 0);
    }
    close(fds[1]);
    while (got < sizeof(answer) - 1
           && ((n = read(fds[0], answer + got, sizeof(answer) - 1 - got)) > 0
               || (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got)
        return apr_pstrmemdup(p, answer, got);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return apr_psprintf(p, "the check of %s as the httpd user did not finish", ku_spool.conf->dir);
    return NULL;
}

const char *ku_spool_check_dir(apr_pool_t *p, server_rec *s)
{
    const char *error = check_owner(p);

    return error ? error : check_as_child(p, s);
}
