/*
 * opendoor-sweep: the hot loop of the port sweep, as nmap, masscan and zmap have theirs in C.
 * Reads jobs (one address, up to 255 ports) on stdin, opens a non-blocking TCP connect to each
 * port, and writes per job the ports that accepted and the ports that neither accepted nor
 * refused in time. It only connects: nothing is sent or read, an accepted connection is reset at
 * once. Bounded: at most MAX_IN_FLIGHT connects and MAX_JOBS jobs held (stdin is not read while
 * full), one timeout for every connect, so the oldest expires first. The caller paces the jobs
 * (its --rate budget); this loop adds no traffic of its own except retries after local
 * shortages (descriptors, ephemeral ports), which are not connects that reached the network.
 *
 * usage:  opendoor-sweep TIMEOUT_MS MAX_IN_FLIGHT
 * job:    u32 id, u8 family (4 | 6), u8 n, address (4 | 16 bytes), u16 port[n]        (LE)
 * result: u32 id, u8 n_open, u8 n_slow, u16 port[n_open + n_slow]                     (LE)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 8192
#define MAX_TRIES 5
#define RETRY_MS 25
#define STDIN_TAG UINT32_MAX

struct job {
  uint32_t id;
  uint8_t family, n, next, pending, n_open, n_slow;
  uint8_t addr[16];
  uint16_t ports[255], open[255], slow[255];
  int32_t next_free; /* free list, or the start queue */
};

struct slot {
  int fd;
  int32_t job;
  uint16_t port;
  uint8_t tries;
  uint64_t deadline;
  int32_t prev, next; /* start order among live slots; also the free list */
};

struct retry {
  int32_t job;
  uint16_t port;
  uint8_t tries;
  uint64_t when;
};

static struct job *jobs;
static int32_t job_free = -1, queue_head = -1, queue_tail = -1, jobs_held = 0;
static struct slot *slots;
static int32_t slot_free = -1, live_head = -1, live_tail = -1, in_flight = 0, max_in_flight;
static struct retry *retries;
static size_t n_retries = 0, cap_retries = 0;
static uint64_t timeout_ms;
static int ep;
static unsigned char *out;
static size_t out_len = 0, out_cap = 1 << 16;

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void die(const char *what) {
  fprintf(stderr, "opendoor-sweep: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t w = write(1, out + off, out_len - off);
    if (w > 0) off += (size_t)w;
    else if (w < 0 && errno == EINTR) continue;
    else exit(0); /* the caller is gone: nothing left to report to */
  }
  out_len = 0;
}

static void emit(const void *p, size_t n) {
  if (out_len + n > out_cap) flush_out();
  memcpy(out + out_len, p, n);
  out_len += n;
}

static void finish_job(int32_t j) {
  struct job *b = &jobs[j];
  unsigned char head[6];
  memcpy(head, &b->id, 4);
  head[4] = b->n_open;
  head[5] = b->n_slow;
  emit(head, 6);
  emit(b->open, 2u * b->n_open);
  emit(b->slow, 2u * b->n_slow);
  b->next_free = job_free;
  job_free = j;
  jobs_held--;
}

static void settle(int32_t j, uint16_t port, int outcome /* 1 open, 0 refused, -1 slow */) {
  struct job *b = &jobs[j];
  if (outcome > 0) b->open[b->n_open++] = port;
  else if (outcome < 0) b->slow[b->n_slow++] = port;
  if (--b->pending == 0) finish_job(j);
}

static int local_shortage(int e) {
  return e == EMFILE || e == ENFILE || e == EADDRNOTAVAIL || e == ENOBUFS || e == EAGAIN || e == ENOMEM;
}

static void retry_later(int32_t j, uint16_t port, uint8_t tries) {
  if (tries >= MAX_TRIES) {
    settle(j, port, -1);
    return;
  }
  if (n_retries == cap_retries) {
    cap_retries = cap_retries ? cap_retries * 2 : 256;
    retries = realloc(retries, cap_retries * sizeof *retries);
    if (!retries) die("memory");
  }
  retries[n_retries++] = (struct retry){j, port, tries, now_ms() + (uint64_t)RETRY_MS * tries};
}

static void unlink_live(int32_t s) {
  struct slot *x = &slots[s];
  if (x->prev >= 0) slots[x->prev].next = x->next;
  else live_head = x->next;
  if (x->next >= 0) slots[x->next].prev = x->prev;
  else live_tail = x->prev;
  x->next = slot_free;
  slot_free = s;
  in_flight--;
}

/* Closes a connect; an accepted one with SO_LINGER 0, so it ends in a reset, not TIME_WAIT. */
static void close_slot(int32_t s, int accepted) {
  if (accepted) {
    struct linger l = {1, 0};
    setsockopt(slots[s].fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close(slots[s].fd);
  unlink_live(s);
}

static void start(int32_t j, uint16_t port, uint8_t tries) {
  struct job *b = &jobs[j];
  struct sockaddr_storage sa;
  socklen_t len;
  memset(&sa, 0, sizeof sa);
  if (b->family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    memcpy(&a->sin6_addr, b->addr, 16);
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&sa;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    memcpy(&a->sin_addr, b->addr, 4);
    len = sizeof *a;
  }
  int fd = socket(b->family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (local_shortage(errno)) retry_later(j, port, tries + 1);
    else settle(j, port, -1);
    return;
  }
  int r = connect(fd, (struct sockaddr *)&sa, len);
  if (r == 0 || errno != EINPROGRESS) {
    int e = r == 0 ? 0 : errno, ok = e == 0 || e == EISCONN;
    if (ok) {
      struct linger l = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(fd);
    if (ok) settle(j, port, 1);
    else if (e == ECONNREFUSED) settle(j, port, 0);
    else if (local_shortage(e)) retry_later(j, port, tries + 1);
    else settle(j, port, -1);
    return;
  }
  /* a nearby host may have answered already (loopback answers inside connect): no epoll round trip */
  int err = 0;
  socklen_t elen = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err != 0) {
    close(fd);
    if (err == ECONNREFUSED) settle(j, port, 0);
    else if (local_shortage(err)) retry_later(j, port, tries + 1);
    else settle(j, port, -1);
    return;
  }
  int32_t s = slot_free;
  slot_free = slots[s].next;
  slots[s] = (struct slot){fd, j, port, (uint8_t)(tries + 1), now_ms() + timeout_ms, live_tail, -1};
  if (live_tail >= 0) slots[live_tail].next = s;
  else live_head = s;
  live_tail = s;
  in_flight++;
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)s};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static void completed(int32_t s) {
  int err = 0;
  socklen_t l = sizeof err;
  if (getsockopt(slots[s].fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
  int32_t j = slots[s].job;
  uint16_t port = slots[s].port;
  uint8_t tries = slots[s].tries;
  close_slot(s, err == 0);
  if (err == 0) settle(j, port, 1);
  else if (err == ECONNREFUSED) settle(j, port, 0);
  else if (local_shortage(err)) retry_later(j, port, tries);
  else settle(j, port, -1);
}

static void expire(uint64_t now) {
  while (live_head >= 0 && slots[live_head].deadline <= now) {
    int32_t s = live_head, j = slots[s].job;
    uint16_t port = slots[s].port;
    close_slot(s, 0);
    settle(j, port, -1);
  }
}

/* Parses whole jobs from the input buffer; returns the bytes used. */
static size_t take_jobs(const unsigned char *p, size_t n) {
  size_t used = 0;
  while (jobs_held < MAX_JOBS && n - used >= 6) {
    const unsigned char *h = p + used;
    uint8_t family = h[4], count = h[5];
    size_t alen = family == 6 ? 16 : 4, need = 6 + alen + 2u * count;
    if (family != 4 && family != 6) {
      fprintf(stderr, "opendoor-sweep: bad job\n");
      exit(2);
    }
    if (n - used < need) break;
    int32_t j = job_free;
    job_free = jobs[j].next_free;
    jobs_held++;
    struct job *b = &jobs[j];
    memcpy(&b->id, h, 4);
    b->family = family;
    b->n = count;
    b->next = 0;
    b->pending = count;
    b->n_open = b->n_slow = 0;
    memcpy(b->addr, h + 6, alen);
    memcpy(b->ports, h + 6 + alen, 2u * count);
    b->next_free = -1;
    used += need;
    if (count == 0) {
      b->pending = 1;
      settle(j, 0, 0);
      continue;
    }
    if (queue_tail >= 0) jobs[queue_tail].next_free = j;
    else queue_head = j;
    queue_tail = j;
  }
  return used;
}

static void start_more(uint64_t now) {
  size_t keep = 0;
  for (size_t i = 0; i < n_retries; i++) {
    if (in_flight < max_in_flight && retries[i].when <= now) start(retries[i].job, retries[i].port, retries[i].tries);
    else retries[keep++] = retries[i];
  }
  n_retries = keep;
  while (in_flight < max_in_flight && queue_head >= 0) {
    int32_t j = queue_head;
    struct job *b = &jobs[j];
    uint16_t port = b->ports[b->next++];
    if (b->next == b->n) {
      queue_head = b->next_free;
      if (queue_head < 0) queue_tail = -1;
    }
    start(j, port, 0);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: opendoor-sweep TIMEOUT_MS MAX_IN_FLIGHT\n");
    return 2;
  }
  timeout_ms = strtoull(argv[1], NULL, 10);
  max_in_flight = atoi(argv[2]);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)max_in_flight > rl.rlim_cur - 16) max_in_flight = (int)rl.rlim_cur - 16;
  if (timeout_ms == 0 || max_in_flight < 1) {
    fprintf(stderr, "opendoor-sweep: bad arguments\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  jobs = calloc(MAX_JOBS, sizeof *jobs);
  slots = calloc((size_t)max_in_flight, sizeof *slots);
  out = malloc(out_cap);
  if (!jobs || !slots || !out) die("memory");
  for (int32_t i = 0; i < MAX_JOBS; i++) jobs[i].next_free = i + 1 < MAX_JOBS ? i + 1 : -1;
  job_free = 0;
  for (int32_t i = 0; i < max_in_flight; i++) slots[i].next = i + 1 < max_in_flight ? i + 1 : -1;
  slot_free = 0;
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event in_ev = {.events = EPOLLIN, .data.u32 = STDIN_TAG};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in_ev) < 0) die("epoll_ctl stdin");
  int input_open = 1, input_watched = 1;
  static unsigned char in[1 << 16];
  size_t in_len = 0;
  struct epoll_event evs[1024];
  for (;;) {
    uint64_t now = now_ms();
    expire(now);
    start_more(now);
    if (in_len > 0) {
      size_t used = take_jobs(in, in_len);
      memmove(in, in + used, in_len - used);
      in_len -= used;
      start_more(now);
    }
    if (!input_open && jobs_held == 0) break;
    /* read more only while there is room: a full table leaves the rest in the pipe */
    int want = input_open && jobs_held < MAX_JOBS && in_len < sizeof in;
    if (want != input_watched) {
      struct epoll_event ev = {.events = want ? EPOLLIN : 0, .data.u32 = STDIN_TAG};
      epoll_ctl(ep, EPOLL_CTL_MOD, 0, &ev);
      input_watched = want;
    }
    int wait = -1;
    if (live_head >= 0) wait = (int)(slots[live_head].deadline > now ? slots[live_head].deadline - now : 0);
    for (size_t i = 0; i < n_retries; i++) {
      int d = (int)(retries[i].when > now ? retries[i].when - now : 0);
      if (wait < 0 || d < wait) wait = d;
    }
    flush_out();
    int n = epoll_wait(ep, evs, 1024, wait);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      uint32_t tag = evs[i].data.u32;
      if (tag != STDIN_TAG) {
        completed((int32_t)tag);
        continue;
      }
      for (;;) {
        ssize_t r = read(0, in + in_len, sizeof in - in_len);
        if (r > 0) {
          in_len += (size_t)r;
          if (in_len == sizeof in) break;
        } else if (r == 0) {
          input_open = 0;
          epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
          input_watched = 0;
          break;
        } else {
          if (errno != EAGAIN && errno != EINTR) die("read");
          break;
        }
      }
    }
  }
  flush_out();
  return 0;
}
