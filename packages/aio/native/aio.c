/*
 * native/aio.c: the only C in @loop/aio.
 *
 * A thin Node-API layer over the Linux primitives an AioContext needs: epoll
 * sets, eventfds, timerfds, a uv_poll bridge onto the calling thread's libuv
 * loop, the process-wide VIRTUAL clock, and a few thread utilities (gettid,
 * thread names, CPU affinity). Every policy decision lives in TypeScript.
 *
 * Threads. The module is context-aware: everything that belongs to one Node
 * environment (one main thread or one worker) lives in its instance data: the
 * fds it opened, its uv_poll handles and its counters. When an environment is
 * torn down (worker exit, terminate(), process exit) its poll handles are
 * closed by async cleanup hooks and its fds by an environment cleanup hook,
 * so a terminated worker leaks nothing and cannot abort the process with an
 * active handle. Only three things are process-wide: the monotonic base that
 * REALTIME counts from, the VIRTUAL clock and its change eventfd, and a
 * counter of eventfd writes.
 *
 * Errors. Calls that wrap a system call return a negative errno on failure;
 * src/native.ts turns that into a SystemCallError naming the call. Bad
 * argument types throw a TypeError.
 */
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 128

/* ------------------------------------------------------------------------ */
/* Process-wide state                                                        */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int64_t g_mono_base;          /* CLOCK_MONOTONIC at first load, ns */
static pthread_mutex_t g_vclock_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_vclock_running;         /* guarded by g_vclock_lock */
static int64_t g_vclock_frozen;      /* value while stopped */
static int64_t g_vclock_offset;      /* mono - value while running */
static atomic_uint_fast64_t g_instance_ids;
static atomic_uint_fast64_t g_eventfd_writes;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void global_init(void) {
  g_mono_base = mono_ns();
}

/* ------------------------------------------------------------------------ */
/* Per-environment state                                                     */

/* Shared-memory stores run when the environment is torn down (see atExit). */
typedef struct {
  napi_ref view; /* keeps the shared memory alive until the stores ran */
  int32_t id;    /* for atExitCancel */
  int32_t *words;
  size_t nwords;
  int32_t *ops;
  size_t nops;
} exit_ops_t;

typedef struct {
  napi_env env;
  uint64_t id;
  int *fds;
  size_t nfds, capfds;
  exit_ops_t *exits;
  size_t nexits, capexits;
  int32_t next_exit_id;
  int polls_active;
  double epoll_waits, blocking_waits, eventfd_writes, poll_callbacks, timerfd_sets;
  double drive_waits, drive_batches, drive_returns;
  int drives_active;
} inst_t;

static inst_t *get_inst(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return (inst_t *)data;
}

static void track_fd(inst_t *in, int fd) {
  if (in->nfds == in->capfds) {
    size_t cap = in->capfds ? in->capfds * 2 : 16;
    int *n = realloc(in->fds, cap * sizeof(int));
    if (n == NULL) return; /* untracked fds are still closed by close() */
    in->fds = n;
    in->capfds = cap;
  }
  in->fds[in->nfds++] = fd;
}

static int untrack_fd(inst_t *in, int fd) {
  for (size_t i = 0; i < in->nfds; i++) {
    if (in->fds[i] == fd) {
      in->fds[i] = in->fds[--in->nfds];
      return 1;
    }
  }
  return 0;
}

/* Eventfds written on every VIRTUAL clock change (each context's notifier),
 * with the environment that registered them. Guarded by g_vclock_lock. */
typedef struct {
  int fd;
  inst_t *inst;
} vwatch_t;
static vwatch_t *g_vwatch;
static size_t g_nvwatch, g_capvwatch;

static void vwatch_remove_locked(int fd, inst_t *in) {
  for (size_t i = 0; i < g_nvwatch;) {
    if ((fd < 0 || g_vwatch[i].fd == fd) && g_vwatch[i].inst == in)
      g_vwatch[i] = g_vwatch[--g_nvwatch];
    else
      i++;
  }
}

enum { EXIT_CAS = 1, EXIT_STORE = 2, EXIT_WAIT_ZERO = 3, EXIT_ADD = 4, EXIT_SIGNAL = 5 };

/* Runs the registered exit stores, in registration order, once. A wait for
 * a word to become zero is bounded by its own limit (another thread's short
 * guarded section; never a reason to hang a worker's teardown). */
static void run_exit_ops(inst_t *in, napi_env env) {
  for (size_t e = 0; e < in->nexits; e++) {
    exit_ops_t *x = &in->exits[e];
    for (size_t i = 0; i + 3 < x->nops; i += 4) {
      int32_t op = x->ops[i], idx = x->ops[i + 1], a = x->ops[i + 2], b = x->ops[i + 3];
      if (idx < 0 || (size_t)idx >= x->nwords) continue;
      int32_t *w = &x->words[idx];
      if (op == EXIT_CAS) {
        int32_t expect = a;
        __atomic_compare_exchange_n(w, &expect, b, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
      } else if (op == EXIT_STORE) {
        __atomic_store_n(w, a, __ATOMIC_SEQ_CST);
      } else if (op == EXIT_WAIT_ZERO) {
        int64_t until = mono_ns() + (int64_t)a * 1000;
        while (__atomic_load_n(w, __ATOMIC_SEQ_CST) != 0 && mono_ns() < until) sched_yield();
      } else if (op == EXIT_ADD) {
        __atomic_add_fetch(w, a, __ATOMIC_SEQ_CST);
      } else if (op == EXIT_SIGNAL && a >= 0 && (size_t)a < x->nwords) {
        /* word[idx] counts writers (fd-guard.ts); word[a] holds an eventfd
         * that another thread owns and withdraws (stores -1) before closing. */
        __atomic_add_fetch(w, 1, __ATOMIC_SEQ_CST);
        int32_t fd = __atomic_load_n(&x->words[a], __ATOMIC_SEQ_CST);
        if (fd >= 0) {
          uint64_t one = 1;
          ssize_t r = write(fd, &one, sizeof one);
          (void)r;
        }
        __atomic_sub_fetch(w, 1, __ATOMIC_SEQ_CST);
      }
    }
    free(x->ops);
    if (env != NULL) napi_delete_reference(env, x->view);
  }
  in->nexits = 0;
}

/* Runs when the environment is torn down: gives back claims in shared
 * memory (before the fds they name are closed), then closes every fd still
 * open. */
static void env_cleanup(void *arg) {
  inst_t *in = arg;
  run_exit_ops(in, in->env);
  pthread_mutex_lock(&g_vclock_lock);
  vwatch_remove_locked(-1, in);
  pthread_mutex_unlock(&g_vclock_lock);
  for (size_t i = 0; i < in->nfds; i++) close(in->fds[i]);
  in->nfds = 0;
}

static void inst_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  inst_t *in = data;
  run_exit_ops(in, NULL); /* normally done by env_cleanup already */
  env_cleanup(in);
  free(in->fds);
  free(in->exits);
  free(in);
}

/* ------------------------------------------------------------------------ */
/* Argument helpers                                                          */

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, "LOOP_ERR_NATIVE", "Node-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value int_or_errno(napi_env env, int rc) {
  return num(env, rc < 0 ? -(double)errno : (double)rc);
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected a number");
    return 0;
  }
  return 1;
}

static int arg_double(napi_env env, napi_value v, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected a number");
    return 0;
  }
  return 1;
}

#define ARGS(n)                  \
  size_t argc = n;               \
  napi_value argv[n];            \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL))

/* ------------------------------------------------------------------------ */
/* fds                                                                       */

/* eventfd(initial) -> fd | -errno. Non-blocking, close-on-exec. */
static napi_value js_eventfd(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t init = 0;
  if (argc > 0 && !arg_int(env, argv[0], &init)) return NULL;
  int fd = eventfd((unsigned)init, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd >= 0) track_fd(get_inst(env), fd);
  return int_or_errno(env, fd);
}

/* eventfdWrite(fd) -> 0 | -errno. EAGAIN (counter full) counts as success:
 * the fd is readable either way. Safe from any thread. */
static napi_value js_eventfd_write(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  uint64_t one = 1;
  ssize_t n = write(fd, &one, sizeof one);
  atomic_fetch_add(&g_eventfd_writes, 1);
  get_inst(env)->eventfd_writes++;
  if (n < 0 && errno != EAGAIN) return num(env, -(double)errno);
  return num(env, 0);
}

/* eventfdRead(fd) -> count drained (0 if none) | -errno. */
static napi_value js_eventfd_read(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  uint64_t v = 0;
  ssize_t n = read(fd, &v, sizeof v);
  if (n < 0) return num(env, errno == EAGAIN ? 0 : -(double)errno);
  return num(env, (double)v);
}

/* close(fd) -> 0 | -errno. Only fds opened by this environment are closed;
 * anything else returns -EBADF, so a stale number never closes a stranger. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  if (!untrack_fd(get_inst(env), fd)) return num(env, -(double)EBADF);
  return int_or_errno(env, close(fd));
}

/* ------------------------------------------------------------------------ */
/* epoll                                                                     */

static napi_value js_epoll_create(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd >= 0) track_fd(get_inst(env), fd);
  return int_or_errno(env, fd);
}

/* epollCtl(epfd, op, fd, events) -> 0 | -errno. op: 1 add, 2 del, 3 mod.
 * The event's data is the fd itself. */
static napi_value js_epoll_ctl(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t epfd, op, fd, events;
  if (!arg_int(env, argv[0], &epfd) || !arg_int(env, argv[1], &op) || !arg_int(env, argv[2], &fd) ||
      !arg_int(env, argv[3], &events))
    return NULL;
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = (uint32_t)events;
  ev.data.fd = fd;
  return int_or_errno(env, epoll_ctl(epfd, op, fd, &ev));
}

/* epollWait(epfd, timeoutNs, out: Int32Array) -> n | -errno.
 * timeoutNs < 0 waits forever, 0 does not block, > 0 waits with nanosecond
 * precision (ppoll on the epoll fd, then a zero-timeout epoll_wait, as QEMU's
 * epoll back-end does). out[2i] = fd, out[2i + 1] = events. EINTR gives 0. */
static napi_value js_epoll_wait(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t epfd;
  double timeout;
  if (!arg_int(env, argv[0], &epfd) || !arg_double(env, argv[1], &timeout)) return NULL;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected an Int32Array");
    return NULL;
  }
  int32_t *out = data;
  int max = (int)(length / 2);
  if (max > MAX_EVENTS) max = MAX_EVENTS;
  if (max <= 0) return num(env, 0);
  inst_t *in = get_inst(env);
  in->epoll_waits++;
  if (timeout != 0) in->blocking_waits++;
  if (timeout > 0) {
    struct pollfd pfd = {.fd = epfd, .events = POLLIN, .revents = 0};
    int64_t t = timeout > 9.2e18 ? INT64_MAX : (int64_t)timeout;
    int64_t sec = t / 1000000000LL;
    struct timespec ts = {.tv_sec = sec > INT32_MAX ? INT32_MAX : (time_t)sec,
                          .tv_nsec = (long)(t % 1000000000LL)};
    int r = ppoll(&pfd, 1, &ts, NULL);
    if (r < 0) return num(env, errno == EINTR ? 0 : -(double)errno);
    if (r == 0) return num(env, 0);
    timeout = 0;
  }
  struct epoll_event evs[MAX_EVENTS];
  int n = epoll_wait(epfd, evs, max, timeout < 0 ? -1 : 0);
  if (n < 0) return num(env, errno == EINTR ? 0 : -(double)errno);
  for (int i = 0; i < n; i++) {
    out[2 * i] = evs[i].data.fd;
    out[2 * i + 1] = (int32_t)evs[i].events;
  }
  return num(env, n);
}

/* ------------------------------------------------------------------------ */
/* Clocks and timerfd                                                        */

/* nowNs() -> CLOCK_MONOTONIC ns since the addon was first loaded in this
 * process (the REALTIME clock of @loop; the same value in every thread). */
static napi_value js_now_ns(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, (double)(mono_ns() - g_mono_base));
}

/* hostNs() -> CLOCK_REALTIME in ns since the epoch, as a double (so its
 * resolution is 256 ns at today's dates). */
static napi_value js_host_ns(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return num(env, (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec);
}

static napi_value js_timerfd_create(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd >= 0) track_fd(get_inst(env), fd);
  return int_or_errno(env, fd);
}

/* timerfdSet(fd, deadlineNs) -> 0 | -errno. deadlineNs is on the nowNs()
 * scale (absolute); a negative value disarms. A deadline already passed
 * fires at once. */
static napi_value js_timerfd_set(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  double deadline;
  if (!arg_int(env, argv[0], &fd) || !arg_double(env, argv[1], &deadline)) return NULL;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (deadline >= 0) {
    int64_t abs = g_mono_base + (deadline > 9e18 ? (int64_t)9e18 : (int64_t)deadline);
    if (abs <= 0) abs = 1; /* an all-zero it_value would disarm */
    its.it_value.tv_sec = abs / 1000000000LL;
    its.it_value.tv_nsec = abs % 1000000000LL;
  }
  get_inst(env)->timerfd_sets++;
  return int_or_errno(env, timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
}

/* timerfdRead(fd) -> expirations drained (0 if none). */
static napi_value js_timerfd_read(napi_env env, napi_callback_info info) {
  return js_eventfd_read(env, info);
}

/* The VIRTUAL clock. Stopped (the initial state) it holds a value that only
 * set()/advance() change; running, it follows CLOCK_MONOTONIC from the value
 * it had when resumed. Every change writes each registered eventfd (each
 * context's notifier), so all contexts re-run their VIRTUAL timers. One
 * shared eventfd in every epoll set would be simpler, but the kernel refuses
 * more than about 1000 epoll sets watching one file. */
static int64_t vclock_get_locked(void) {
  return g_vclock_running ? mono_ns() - g_vclock_offset : g_vclock_frozen;
}

static void vclock_changed_locked(void) {
  uint64_t one = 1;
  for (size_t i = 0; i < g_nvwatch; i++) {
    ssize_t r = write(g_vwatch[i].fd, &one, sizeof one);
    (void)r;
  }
}

static napi_value js_vclock_get(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_mutex_lock(&g_vclock_lock);
  int64_t v = vclock_get_locked();
  pthread_mutex_unlock(&g_vclock_lock);
  return num(env, (double)v);
}

static napi_value js_vclock_running(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_mutex_lock(&g_vclock_lock);
  int r = g_vclock_running;
  pthread_mutex_unlock(&g_vclock_lock);
  napi_value v;
  napi_get_boolean(env, r, &v);
  return v;
}

/* vclockSet(ns, relative) -> new value. relative != 0 adds ns to the clock. */
static napi_value js_vclock_set(napi_env env, napi_callback_info info) {
  ARGS(2);
  double v;
  bool rel = false;
  if (!arg_double(env, argv[0], &v)) return NULL;
  napi_get_value_bool(env, argv[1], &rel);
  pthread_mutex_lock(&g_vclock_lock);
  int64_t target = (int64_t)v + (rel ? vclock_get_locked() : 0);
  if (target < 0) target = 0;
  if (g_vclock_running)
    g_vclock_offset = mono_ns() - target;
  else
    g_vclock_frozen = target;
  vclock_changed_locked();
  pthread_mutex_unlock(&g_vclock_lock);
  return num(env, (double)target);
}

/* vclockRun(running) -> previous state. */
static napi_value js_vclock_run(napi_env env, napi_callback_info info) {
  ARGS(1);
  bool run = false;
  napi_get_value_bool(env, argv[0], &run);
  pthread_mutex_lock(&g_vclock_lock);
  int prev = g_vclock_running;
  if (run && !prev) {
    g_vclock_offset = mono_ns() - g_vclock_frozen;
    g_vclock_running = 1;
  } else if (!run && prev) {
    g_vclock_frozen = mono_ns() - g_vclock_offset;
    g_vclock_running = 0;
  }
  if (prev != (int)run) vclock_changed_locked();
  pthread_mutex_unlock(&g_vclock_lock);
  napi_value r;
  napi_get_boolean(env, prev, &r);
  return r;
}

/* vclockWatch(fd, on) -> 0 | -errno: (un)registers an eventfd of this
 * environment to be written on every VIRTUAL clock change. */
static napi_value js_vclock_watch(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  bool on = false;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  napi_get_value_bool(env, argv[1], &on);
  inst_t *in = get_inst(env);
  int rc = 0;
  pthread_mutex_lock(&g_vclock_lock);
  vwatch_remove_locked(fd, in);
  if (on) {
    if (g_nvwatch == g_capvwatch) {
      size_t cap = g_capvwatch ? g_capvwatch * 2 : 64;
      vwatch_t *n = realloc(g_vwatch, cap * sizeof *n);
      if (n == NULL) rc = -ENOMEM;
      else {
        g_vwatch = n;
        g_capvwatch = cap;
      }
    }
    if (rc == 0) g_vwatch[g_nvwatch++] = (vwatch_t){.fd = fd, .inst = in};
  }
  pthread_mutex_unlock(&g_vclock_lock);
  return num(env, rc);
}

/* ------------------------------------------------------------------------ */
/* uv_poll bridge: "attached" mode                                           */

typedef struct {
  uv_poll_t handle;
  napi_env env;
  inst_t *inst;
  napi_ref cb;
  napi_async_context actx;
  napi_async_cleanup_hook_handle hook;
  int closing;
  int teardown;
} poll_t;

static void poll_on_close(uv_handle_t *h) {
  poll_t *p = (poll_t *)h->data;
  if (!p->teardown) {
    napi_delete_reference(p->env, p->cb);
    napi_async_destroy(p->env, p->actx);
  }
  p->inst->polls_active--;
  napi_remove_async_cleanup_hook(p->hook);
  free(p);
}

static void poll_close(poll_t *p) {
  if (p->closing) return;
  p->closing = 1;
  uv_poll_stop(&p->handle);
  uv_close((uv_handle_t *)&p->handle, poll_on_close);
}

static void poll_cleanup_hook(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  poll_t *p = arg;
  p->teardown = 1;
  if (p->closing) return; /* poll_on_close will remove the hook */
  poll_close(p);
}

static void poll_on_event(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  poll_t *p = (poll_t *)h->data;
  if (p->closing) return;
  napi_env env = p->env;
  p->inst->poll_callbacks++;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, p->cb, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &recv) == napi_ok) {
    /* The receiver must be an object (undefined gives napi_object_expected
     * and the callback silently never runs). */
    napi_status st = napi_make_callback(env, p->actx, recv, cb, 0, NULL, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* pollStart(fd, cb) -> handle. Watches fd for readability on the calling
 * thread's libuv loop; cb runs as a top-level callback, so microtasks and
 * nextTicks it queues run before libuv continues. */
static napi_value js_poll_start(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  poll_t *p = calloc(1, sizeof *p);
  if (p == NULL) return num(env, -(double)ENOMEM);
  p->env = env;
  p->inst = get_inst(env);
  int rc = uv_poll_init(loop, &p->handle, fd);
  if (rc != 0) {
    free(p);
    return num(env, rc);
  }
  p->handle.data = p;
  napi_value name;
  napi_create_string_utf8(env, "loop:aio:attached", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->actx);
  napi_create_reference(env, argv[1], 1, &p->cb);
  napi_add_async_cleanup_hook(env, poll_cleanup_hook, p, &p->hook);
  p->inst->polls_active++;
  uv_poll_start(&p->handle, UV_READABLE, poll_on_event);
  napi_value ext;
  CHECK(napi_create_external(env, p, NULL, NULL, &ext));
  return ext;
}

static poll_t *arg_poll(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected a poll handle");
    return NULL;
  }
  return p;
}

/* pollStop(handle): stops and closes it; later calls do nothing. The handle
 * must not be used after this. */
static napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  ARGS(1);
  poll_t *p = arg_poll(env, argv[0]);
  if (p == NULL) return NULL;
  poll_close(p);
  return NULL;
}

/* pollRef(handle, ref): whether the handle keeps the loop alive. */
static napi_value js_poll_ref(napi_env env, napi_callback_info info) {
  ARGS(2);
  poll_t *p = arg_poll(env, argv[0]);
  if (p == NULL) return NULL;
  bool ref = false;
  napi_get_value_bool(env, argv[1], &ref);
  if (p->closing) return NULL;
  if (ref)
    uv_ref((uv_handle_t *)&p->handle);
  else
    uv_unref((uv_handle_t *)&p->handle);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* The driven loop: a native loop in a uv_prepare callback                   */

/* In the prepare phase libuv's own timeout is exact (uv_backend_timeout).
 * The callback blocks in epoll_wait on a private set holding the context's
 * epoll fd and libuv's backend fd, with libuv's timeout; when the context's
 * set is ready it calls the JS dispatch once (a top-level callback, so
 * nextTicks and microtasks run after it), and it returns to libuv as soon as
 * libuv has work: its fd is ready or its timeout expired. Node wakes a
 * worker's loop through the backend fd to terminate it, so terminate() and
 * process exit are never held up. */
typedef struct {
  uv_prepare_t handle;
  napi_env env;
  inst_t *inst;
  napi_ref cb;
  napi_async_context actx;
  napi_async_cleanup_hook_handle hook;
  int ctx_fd, set_fd, uv_fd;
  int closing, teardown, in_callback;
  int again; /* the JS dispatch asked to be called again before blocking */
} drive_t;

static void drive_on_close(uv_handle_t *h) {
  drive_t *d = (drive_t *)h->data;
  if (!d->teardown) {
    napi_delete_reference(d->env, d->cb);
    napi_async_destroy(d->env, d->actx);
  }
  if (d->set_fd >= 0) close(d->set_fd);
  d->inst->drives_active--;
  napi_remove_async_cleanup_hook(d->hook);
  free(d);
}

static void drive_close(drive_t *d) {
  if (d->closing) return;
  d->closing = 1;
  uv_prepare_stop(&d->handle);
  uv_close((uv_handle_t *)&d->handle, drive_on_close);
}

static void drive_cleanup_hook(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  drive_t *d = arg;
  d->teardown = 1;
  if (!d->closing) drive_close(d);
}

static int drive_call(drive_t *d) {
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return -1;
  napi_value cb, recv, result;
  int rc = 0;
  d->in_callback = 1;
  if (napi_get_reference_value(env, d->cb, &cb) == napi_ok && cb != NULL && napi_get_global(env, &recv) == napi_ok) {
    napi_status st = napi_make_callback(env, d->actx, recv, cb, 0, NULL, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
      rc = -1;
    } else if (st != napi_ok) {
      rc = -1; /* e.g. the environment is terminating */
    } else {
      bool again = false;
      if (napi_get_value_bool(env, result, &again) == napi_ok && again) rc = 1;
    }
  }
  d->in_callback = 0;
  napi_close_handle_scope(env, scope);
  return rc;
}

/* The JS dispatch returns true when work is runnable at once (a scheduled
 * BH, or handlers found ready by busy-polling). Then the next round calls it
 * again after only a non-blocking look at libuv's fd, instead of JS writing
 * the context's eventfd for this loop to read back (an eventfd write, two
 * epoll_waits and a read per round). libuv still gets its turn: the loop
 * returns when its fd is ready or one of its timers is due, keeping the
 * request in d->again for the next prepare. */
static void drive_on_prepare(uv_prepare_t *h) {
  drive_t *d = (drive_t *)h->data;
  uv_loop_t *loop = h->loop;
  int again = d->again;
  d->again = 0;
  while (!d->closing) {
    int was_again = again;
    int timeout;
    if (again) {
      uv_update_time(loop);
      if (uv_backend_timeout(loop) == 0) {
        d->again = 1; /* a libuv timer is due: let libuv run it first */
        break;
      }
      timeout = 0;
    } else {
      timeout = uv_backend_timeout(loop);
    }
    struct epoll_event evs[2];
    if (timeout != 0) d->inst->drive_waits++;
    int n = epoll_wait(d->set_fd, evs, 2, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int ctx_ready = 0, uv_ready = 0;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.fd == d->ctx_fd)
        ctx_ready = 1;
      else
        uv_ready = 1;
    }
    again = 0;
    if (ctx_ready || was_again) {
      d->inst->drive_batches++;
      int rc = drive_call(d);
      if (rc < 0) break;
      again = rc;
    }
    if (uv_ready || (n == 0 && !was_again)) {
      d->again = again;
      break;
    }
  }
  /* The wait may have been long: libuv must not compute its poll timeout
   * from a stale loop time. */
  uv_update_time(loop);
  d->inst->drive_returns++;
}

/* driveStart(ctxEpfd, cb) -> handle | -errno. */
static napi_value js_drive_start(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  drive_t *d = calloc(1, sizeof *d);
  if (d == NULL) return num(env, -(double)ENOMEM);
  d->env = env;
  d->inst = get_inst(env);
  d->ctx_fd = fd;
  d->uv_fd = uv_backend_fd(loop);
  d->set_fd = epoll_create1(EPOLL_CLOEXEC);
  if (d->set_fd < 0) {
    int e = errno;
    free(d);
    return num(env, -(double)e);
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  int rc = epoll_ctl(d->set_fd, EPOLL_CTL_ADD, fd, &ev);
  if (rc == 0) {
    ev.data.fd = d->uv_fd;
    rc = epoll_ctl(d->set_fd, EPOLL_CTL_ADD, d->uv_fd, &ev);
  }
  if (rc != 0) {
    int e = errno;
    close(d->set_fd);
    free(d);
    return num(env, -(double)e);
  }
  uv_prepare_init(loop, &d->handle);
  d->handle.data = d;
  napi_value name;
  napi_create_string_utf8(env, "loop:aio:driven", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &d->actx);
  napi_create_reference(env, argv[1], 1, &d->cb);
  napi_add_async_cleanup_hook(env, drive_cleanup_hook, d, &d->hook);
  d->inst->drives_active++;
  uv_prepare_start(&d->handle, drive_on_prepare);
  napi_value ext;
  CHECK(napi_create_external(env, d, NULL, NULL, &ext));
  return ext;
}

/* driveStop(handle): stops the driven loop (also from inside its callback). */
static napi_value js_drive_stop(napi_env env, napi_callback_info info) {
  ARGS(1);
  void *p = NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected a drive handle");
    return NULL;
  }
  drive_close((drive_t *)p);
  return NULL;
}

/* uvBackendFd() -> the calling thread's libuv backend fd (its epoll fd). It
 * becomes readable whenever libuv has work, including the async wake-up Node
 * sends to stop a worker, so a blocking wait that includes it can be
 * interrupted by terminate() and process exit. */
static napi_value js_uv_backend_fd(napi_env env, napi_callback_info info) {
  (void)info;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  return num(env, uv_backend_fd(loop));
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */

static napi_value js_gettid(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, (double)syscall(SYS_gettid));
}

/* setThreadName(name) -> 0 | -errno. Linux keeps 15 bytes. */
static napi_value js_set_thread_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  char buf[16];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len) != napi_ok) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected a string");
    return NULL;
  }
  return int_or_errno(env, prctl(PR_SET_NAME, buf, 0, 0, 0));
}

static napi_value js_get_thread_name(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[17] = {0};
  prctl(PR_GET_NAME, buf, 0, 0, 0);
  napi_value r;
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &r);
  return r;
}

/* setAffinity(cpus: number[]) -> 0 | -errno, for the calling thread. */
static napi_value js_set_affinity(napi_env env, napi_callback_info info) {
  ARGS(1);
  uint32_t n = 0;
  if (napi_get_array_length(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected an array of CPU numbers");
    return NULL;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int32_t cpu;
    CHECK(napi_get_element(env, argv[0], i, &e));
    if (!arg_int(env, e, &cpu)) return NULL;
    if (cpu < 0 || cpu >= CPU_SETSIZE) return num(env, -(double)EINVAL);
    CPU_SET(cpu, &set);
  }
  return int_or_errno(env, sched_setaffinity(0, sizeof set, &set));
}

static napi_value js_get_affinity(napi_env env, napi_callback_info info) {
  (void)info;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return num(env, -(double)errno);
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  uint32_t k = 0;
  for (int i = 0; i < CPU_SETSIZE; i++) {
    if (CPU_ISSET(i, &set)) napi_set_element(env, arr, k++, num(env, i));
  }
  return arr;
}

static napi_value js_get_cpu(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, sched_getcpu());
}

/* ------------------------------------------------------------------------ */
/* Counters                                                                  */

static void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_set_named_property(env, obj, key, num(env, v));
}

/* counters() -> what this environment did, plus process-wide totals. */
/* atExit(view: Int32Array, ops: Int32Array) -> id > 0 | -errno. When this
 * thread's environment is torn down (the worker ends, exits or is
 * terminated), runs `ops` on `view`'s shared memory before closing the
 * thread's fds: quads (op, index, a, b), op 1 compare-exchange word[index]
 * from a to b, 2 store a, 3 wait up to a µs for word[index] to be 0, 4 add
 * a, 5 write eventfd word[a] (if >= 0) with word[index] counting writers.
 * This is how a thread gives back what it claimed in another thread's
 * memory (a call channel, a writer lock), and how an owner that dies marks
 * its objects closed, even when terminated mid-way. */
static napi_value js_at_exit(napi_env env, napi_callback_info info) {
  ARGS(2);
  napi_typedarray_type t1, t2;
  size_t n1, n2;
  void *d1, *d2;
  if (napi_get_typedarray_info(env, argv[0], &t1, &n1, &d1, NULL, NULL) != napi_ok || t1 != napi_int32_array ||
      napi_get_typedarray_info(env, argv[1], &t2, &n2, &d2, NULL, NULL) != napi_ok || t2 != napi_int32_array) {
    napi_throw_type_error(env, "LOOP_ERR_NATIVE_ARG", "expected two Int32Arrays");
    return NULL;
  }
  inst_t *in = get_inst(env);
  if (in->nexits == in->capexits) {
    size_t cap = in->capexits ? in->capexits * 2 : 4;
    exit_ops_t *n = realloc(in->exits, cap * sizeof *n);
    if (n == NULL) return num(env, -(double)ENOMEM);
    in->exits = n;
    in->capexits = cap;
  }
  int32_t *ops = malloc(n2 * sizeof(int32_t) + 1);
  if (ops == NULL) return num(env, -(double)ENOMEM);
  memcpy(ops, d2, n2 * sizeof(int32_t));
  exit_ops_t *x = &in->exits[in->nexits];
  if (napi_create_reference(env, argv[0], 1, &x->view) != napi_ok) {
    free(ops);
    return num(env, -(double)ENOMEM);
  }
  x->id = ++in->next_exit_id;
  x->words = d1;
  x->nwords = n1;
  x->ops = ops;
  x->nops = n2;
  in->nexits++;
  return num(env, x->id);
}

/* atExitCancel(id) -> 1 if it was registered (and is now dropped), else 0:
 * the owner closed the object itself. */
static napi_value js_at_exit_cancel(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t id;
  if (!arg_int(env, argv[0], &id)) return NULL;
  inst_t *in = get_inst(env);
  for (size_t e = 0; e < in->nexits; e++) {
    if (in->exits[e].id != id) continue;
    free(in->exits[e].ops);
    napi_delete_reference(env, in->exits[e].view);
    /* keep the others in registration order (a context's stores come before its callers' wake-ups) */
    memmove(&in->exits[e], &in->exits[e + 1], (in->nexits - e - 1) * sizeof *in->exits);
    in->nexits--;
    return num(env, 1);
  }
  return num(env, 0);
}

static napi_value js_counters(napi_env env, napi_callback_info info) {
  (void)info;
  inst_t *in = get_inst(env);
  napi_value o;
  CHECK(napi_create_object(env, &o));
  set_num(env, o, "instanceId", (double)in->id);
  set_num(env, o, "fdsOpen", (double)in->nfds);
  set_num(env, o, "pollsActive", in->polls_active);
  set_num(env, o, "epollWaits", in->epoll_waits);
  set_num(env, o, "blockingWaits", in->blocking_waits);
  set_num(env, o, "eventfdWrites", in->eventfd_writes);
  set_num(env, o, "pollCallbacks", in->poll_callbacks);
  set_num(env, o, "timerfdSets", in->timerfd_sets);
  set_num(env, o, "drivesActive", in->drives_active);
  set_num(env, o, "driveWaits", in->drive_waits);
  set_num(env, o, "driveBatches", in->drive_batches);
  set_num(env, o, "driveReturns", in->drive_returns);
  set_num(env, o, "processEventfdWrites", (double)atomic_load(&g_eventfd_writes));
  return o;
}

/* ------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  napi_callback fn;
} export_t;

static const export_t exports_table[] = {
    {"eventfd", js_eventfd},
    {"eventfdWrite", js_eventfd_write},
    {"eventfdRead", js_eventfd_read},
    {"close", js_close},
    {"epollCreate", js_epoll_create},
    {"epollCtl", js_epoll_ctl},
    {"epollWait", js_epoll_wait},
    {"nowNs", js_now_ns},
    {"hostNs", js_host_ns},
    {"timerfdCreate", js_timerfd_create},
    {"timerfdSet", js_timerfd_set},
    {"timerfdRead", js_timerfd_read},
    {"vclockGet", js_vclock_get},
    {"vclockRunning", js_vclock_running},
    {"vclockSet", js_vclock_set},
    {"vclockRun", js_vclock_run},
    {"vclockWatch", js_vclock_watch},
    {"pollStart", js_poll_start},
    {"pollStop", js_poll_stop},
    {"pollRef", js_poll_ref},
    {"uvBackendFd", js_uv_backend_fd},
    {"driveStart", js_drive_start},
    {"driveStop", js_drive_stop},
    {"gettid", js_gettid},
    {"setThreadName", js_set_thread_name},
    {"getThreadName", js_get_thread_name},
    {"setAffinity", js_set_affinity},
    {"getAffinity", js_get_affinity},
    {"getCpu", js_get_cpu},
    {"counters", js_counters},
    {"atExit", js_at_exit},
    {"atExitCancel", js_at_exit_cancel},
};

NAPI_MODULE_INIT() {
  pthread_once(&g_once, global_init);
  inst_t *in = calloc(1, sizeof *in);
  if (in == NULL) {
    napi_throw_error(env, "LOOP_ERR_NATIVE", "out of memory");
    return NULL;
  }
  in->env = env;
  in->id = atomic_fetch_add(&g_instance_ids, 1) + 1;
  if (napi_set_instance_data(env, in, inst_finalize, NULL) != napi_ok) {
    free(in);
    napi_throw_error(env, "LOOP_ERR_NATIVE", "napi_set_instance_data failed");
    return NULL;
  }
  napi_add_env_cleanup_hook(env, env_cleanup, in);
  for (size_t i = 0; i < sizeof exports_table / sizeof exports_table[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, exports_table[i].name, NAPI_AUTO_LENGTH, exports_table[i].fn, NULL, &fn) !=
            napi_ok ||
        napi_set_named_property(env, exports, exports_table[i].name, fn) != napi_ok) {
      return NULL;
    }
  }
  napi_value consts;
  napi_create_object(env, &consts);
  set_num(env, consts, "EPOLLIN", EPOLLIN);
  set_num(env, consts, "EPOLLOUT", EPOLLOUT);
  set_num(env, consts, "EPOLLERR", EPOLLERR);
  set_num(env, consts, "EPOLLHUP", EPOLLHUP);
  set_num(env, consts, "EPOLLRDHUP", EPOLLRDHUP);
  set_num(env, consts, "EPOLLET", (double)EPOLLET);
  set_num(env, consts, "EPOLL_CTL_ADD", EPOLL_CTL_ADD);
  set_num(env, consts, "EPOLL_CTL_DEL", EPOLL_CTL_DEL);
  set_num(env, consts, "EPOLL_CTL_MOD", EPOLL_CTL_MOD);
  napi_set_named_property(env, exports, "constants", consts);
  return exports;
}
