/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of proc_identity.c: a process is told from another owner of
 * its pid (a thread's id, a process that exited) by its start time. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_identity.h"
#include "check.h"

static pid_t thread_id;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static int stage;

static void *thread_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&lock);
    thread_id = (pid_t)syscall(SYS_gettid);
    stage = 1;
    pthread_cond_signal(&ready);
    while (stage < 2)
        pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    uint64_t me = ku_proc_start_time(getpid());
    pthread_t t;
    pid_t child;

    CHECK("this process has a start time", me > 0);
    CHECK("this process, recorded with it, runs", ku_proc_is_running(getpid(), me));
    CHECK("this pid with another start time is another process",
          !ku_proc_is_running(getpid(), me + 1));
    CHECK("this pid recorded without a start time, while /proc knows one: another process",
          !ku_proc_is_running(getpid(), 0));
    CHECK("pid 0 and negative pids are no process",
          !ku_proc_is_running(0, 0) && !ku_proc_is_running(-1, 0) && !ku_proc_start_time(0));

    /* A thread's id: kill(tid, 0) succeeds, yet it is not the process
     * recorded under that number (a reused pid). */
    usleep(30000); /* the thread starts a few clock ticks after this process */
    pthread_mutex_lock(&lock);
    pthread_create(&t, NULL, thread_main, NULL);
    while (stage < 1)
        pthread_cond_wait(&ready, &lock);
    pthread_mutex_unlock(&lock);
    CHECK("a thread's id answers kill(2) but is not this process",
          kill(thread_id, 0) == 0 && !ku_proc_is_running(thread_id, me));
    CHECK("a thread's id recorded with its own start time runs",
          ku_proc_is_running(thread_id, ku_proc_start_time(thread_id)));
    pthread_mutex_lock(&lock);
    stage = 2;
    pthread_cond_signal(&done);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);

    if ((child = fork()) == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    CHECK("a process that exited (reaped) is not running", !ku_proc_is_running(child, 0)
          && !ku_proc_is_running(child, me) && !ku_proc_start_time(child));

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
