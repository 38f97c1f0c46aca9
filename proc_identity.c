/* SPDX-License-Identifier: Apache-2.0 */
/* proc_identity.c: a recorded process told from a later owner of its pid
 * by its start time (proc_identity.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_identity.h"

/* Field 22 of /proc/<pid>/stat; the command name (field 2) is in
 * parentheses and may hold spaces and parentheses itself, so the fields
 * are counted from the last ')'. */
uint64_t ku_proc_start_time(pid_t pid)
{
    char path[64], buf[1024], *at;
    ssize_t n;
    int fd, field;

    if (pid <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (!(at = strrchr(buf, ')')))
        return 0;
    /* ") S ppid ...": field 3 is the state, after the ')' and a space. */
    for (field = 2; field < 22 && at; field++)
        at = strchr(at + 1, ' ');
    return at ? strtoull(at + 1, NULL, 10) : 0;
}

int ku_proc_exists(pid_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int ku_proc_is_running(pid_t pid, uint64_t started)
{
    uint64_t now;

    if (!ku_proc_exists(pid))
        return 0;
    now = ku_proc_start_time(pid);
    /* /proc cannot tell (none in a chroot): the pid is all there is. */
    if (!now && !started)
        return 1;
    return now == started;
}
