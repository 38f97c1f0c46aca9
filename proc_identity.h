/* SPDX-License-Identifier: Apache-2.0 */
/* proc_identity.h: telling whether a process recorded in shared memory
 * (its pid) still runs, or its pid now belongs to another process. Pids
 * are reused: with Linux's default pid_max (32768) a busy machine goes
 * round in minutes, and kill(pid, 0) also succeeds for any thread's id. A
 * process is therefore recorded with its start time (/proc/<pid>/stat),
 * which the pid's next owner does not share. Without /proc (a ChrootDir
 * that has none) only the pid is known. httpd-free (libku_core). */
#ifndef KU_PROC_IDENTITY_H
#define KU_PROC_IDENTITY_H

#include <stdint.h>
#include <sys/types.h>

/* The process's (or thread's) start time in clock ticks since boot;
 * 0 when it is gone or /proc cannot tell. */
uint64_t ku_proc_start_time(pid_t pid);

/* Whether some process (or thread) has this pid now. */
int ku_proc_exists(pid_t pid);

/* Whether pid is the process that had this start time when it was
 * recorded (started 0: recorded where /proc could not tell; then only
 * whether some process has the pid, unless /proc knows it). */
int ku_proc_is_running(pid_t pid, uint64_t started);

#endif
