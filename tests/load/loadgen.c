/*
 * loadgen: load generator and matching servers for Bouncer's load benchmark (tests/load/run.sh).
 *
 * Written in C so the client costs as little CPU as possible on a 2-core machine, where the
 * client, the forwarder and the servers all compete for the same cores.
 *
 * Safety: servers bind 127.0.0.1 only; clients refuse any target outside 127.0.0.0/8 and ::1
 * (exit 2, no name lookup). Every client mode stops at its count or its duration, whichever
 * comes first, and is killed by a hard alarm (LOADGEN_HARD_SECONDS, default 120) after that.
 * Servers stop after their lifetime argument and when the parent process dies.
 *
 * Integrity: every payload byte comes from a fixed pseudo-random table with a prime period,
 * indexed by stream offset (TCP bulk) or sequence number (request/response), and every byte
 * received is compared with it. A dropped, repeated or reordered chunk cannot match.
 *
 * Output: clients print exactly one machine-readable line "RESULT mode=... key=value ... ok=0|1"
 * and exit 0 only when ok=1. Servers print "LISTEN port=N" once bound.
 *
 * Build: gcc -O2 -Wall -Wextra -pthread -o loadgen loadgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAT_PERIOD 1000003u        /* prime: a shifted stream never lines up with the table */
#define PAT_SLACK (256u * 1024u)   /* largest single compare or send */
#define MSG_SIZE 64                /* TCP request/response size */
#define BULK_CHUNK (128u * 1024u)
#define BULK_MAGIC 0x31424c47u     /* "GLB1" */
#define UDP_MAGIC 0x3155474cu      /* "LGU1" */
#define IO_TIMEOUT_S 5

static unsigned char *pat;
static const char *g_mode = "?";

/* ---------- small helpers ---------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    printf("RESULT mode=%s ok=0 error=%s errno=%d\n", g_mode, what, errno);
    fflush(stdout);
    exit(1);
}

static void on_hard_alarm(int sig)
{
    (void)sig;
    char line[128];
    int n = snprintf(line, sizeof line, "RESULT mode=%s ok=0 error=hard-timeout\n", g_mode);
    if (write(1, line, (size_t)n) < 0) { /* nothing else to do */ }
    _exit(3);
}

static void pat_init(void)
{
    pat = malloc(PAT_PERIOD + PAT_SLACK);
    if (!pat) die("malloc");
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (uint32_t i = 0; i < PAT_PERIOD; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;   /* xorshift64 */
        pat[i] = (unsigned char)(x >> 32);
    }
    memcpy(pat + PAT_PERIOD, pat, PAT_SLACK);
}

static const unsigned char *pat_at(uint64_t off) { return pat + off % PAT_PERIOD; }

/* Offset of a request's payload in the table: spreads sequence numbers over the period. */
static uint64_t seq_off(uint64_t seq) { return seq * 7919u; }

static uint64_t count_bad(const unsigned char *got, const unsigned char *want, size_t n)
{
    if (memcmp(got, want, n) == 0) return 0;
    uint64_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += got[i] != want[i];
    return bad;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static long nofile_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : 1024;
}

static long arg_long(const char *s, const char *name, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        fprintf(stderr, "loadgen: bad %s '%s' (%ld..%ld)\n", name, s, min, max);
        exit(2);
    }
    return v;
}

static double arg_seconds(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0) || v > 3600) {
        fprintf(stderr, "loadgen: bad seconds '%s'\n", s);
        exit(2);
    }
    return v;
}

/* Only loopback targets: 127.0.0.0/8 or ::1, given as numeric addresses. */
static socklen_t loopback_target(const char *host, const char *port, struct sockaddr_storage *ss)
{
    long p = arg_long(port, "port", 1, 65535);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        if ((ntohl(a4->sin_addr.s_addr) >> 24) != 127) goto refuse;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        return sizeof *a4;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)) goto refuse;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        return sizeof *a6;
    }
refuse:
    fprintf(stderr, "loadgen: refusing target '%s': only 127.0.0.0/8 and ::1 are allowed\n", host);
    exit(2);
}

static void set_io_timeouts(int fd, int seconds)
{
    struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int connect_blocking(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    set_io_timeouts(fd, IO_TIMEOUT_S);
    if (connect(fd, (const struct sockaddr *)ss, len) != 0) die("connect");
    return fd;
}

static int send_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Percentile (0..100) of n sorted latencies in ns, returned in microseconds. */
static double pct_us(const uint64_t *sorted, size_t n, double p)
{
    if (n == 0) return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return (double)sorted[i] / 1000.0;
}

/* ---------- servers ---------- */

static volatile sig_atomic_t g_stop;
static void on_stop(int sig) { (void)sig; g_stop = 1; }

static int listen_loopback(int type, long port)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
    if (type == SOCK_STREAM && listen(fd, 4096) != 0) die("listen");
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    printf("LISTEN port=%u\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static void server_common(void)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
}

/* Echo bytes that could not be written at once; kept per connection until EPOLLOUT. */
struct pending { char *buf; size_t len, off; };

static void echo_close(int ep, int fd, struct pending *pend)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    free(pend[fd].buf);
    pend[fd] = (struct pending){ 0 };
    close(fd);
}

static void echo_watch(int ep, int fd, uint32_t events, int op)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };
    epoll_ctl(ep, op, fd, &ev);
}

static int serve_echo_tcp(long port, double lifetime)
{
    server_common();
    long maxfd = nofile_limit();
    struct pending *pend = calloc((size_t)maxfd, sizeof *pend);
    static char buf[64 * 1024];
    int lfd = listen_loopback(SOCK_STREAM, port);
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    echo_watch(ep, lfd, EPOLLIN, EPOLL_CTL_ADD);
    uint64_t end = now_ns() + (uint64_t)(lifetime * 1e9);
    struct epoll_event evs[256];
    while (!g_stop && now_ns() < end) {
        int n = epoll_wait(ep, evs, 256, 500);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    if (c >= maxfd) { close(c); continue; }
                    set_nodelay(c);
                    echo_watch(ep, c, EPOLLIN, EPOLL_CTL_ADD);
                }
                continue;
            }
            struct pending *p = &pend[fd];
            if (p->buf) {   /* waiting for room to finish an earlier echo */
                ssize_t w = send(fd, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN) { echo_close(ep, fd, pend); continue; }
                if (w > 0) p->off += (size_t)w;
                if (p->off == p->len) {
                    free(p->buf);
                    *p = (struct pending){ 0 };
                    echo_watch(ep, fd, EPOLLIN, EPOLL_CTL_MOD);
                }
                continue;
            }
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN)) { echo_close(ep, fd, pend); continue; }
            if (r < 0) continue;
            ssize_t w = send(fd, buf, (size_t)r, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN) { echo_close(ep, fd, pend); continue; }
            if (w < 0) w = 0;
            if (w < r) {
                p->len = (size_t)(r - w);
                p->off = 0;
                p->buf = malloc(p->len);
                memcpy(p->buf, buf + w, p->len);
                echo_watch(ep, fd, EPOLLOUT, EPOLL_CTL_MOD);
            }
        }
    }
    return 0;
}

struct bulk_hello { uint32_t magic; uint32_t dir; uint32_t seconds; uint32_t zero; };
struct bulk_report { uint64_t bytes; uint64_t bad; };

static void *bulk_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    set_io_timeouts(fd, IO_TIMEOUT_S);
    struct bulk_hello h;
    if (recv_all(fd, &h, sizeof h) != 0 || h.magic != BULK_MAGIC || h.seconds > 600) goto out;
    uint64_t end = now_ns() + (uint64_t)(h.seconds + IO_TIMEOUT_S) * 1000000000u;
    uint64_t off = 0;
    if (h.dir == 'D') {   /* source: stream the pattern until the client hangs up */
        while (!g_stop && now_ns() < end && send_all(fd, pat_at(off), BULK_CHUNK) == 0) off += BULK_CHUNK;
        goto out;
    }
    /* sink: frames of (u64 length, payload); length 0 ends the stream and asks for the report */
    char *buf = malloc(PAT_SLACK);
    uint64_t bad = 0;
    while (!g_stop && now_ns() < end) {
        uint64_t len;
        if (recv_all(fd, &len, sizeof len) != 0 || len > (64u << 20)) break;
        if (len == 0) {
            struct bulk_report rep = { off, bad };
            send_all(fd, &rep, sizeof rep);
            break;
        }
        while (len > 0) {
            ssize_t r = recv(fd, buf, len < PAT_SLACK ? len : PAT_SLACK, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) { len = UINT64_MAX; break; }
            bad += count_bad((unsigned char *)buf, pat_at(off), (size_t)r);
            off += (uint64_t)r;
            len -= (uint64_t)r;
        }
        if (len == UINT64_MAX) break;
    }
    free(buf);
out:
    close(fd);
    return NULL;
}

static int serve_bulk_tcp(long port, double lifetime)
{
    server_common();
    pat_init();
    int lfd = listen_loopback(SOCK_STREAM, port);
    uint64_t end = now_ns() + (uint64_t)(lifetime * 1e9);
    while (!g_stop && now_ns() < end) {
        struct pollfd pf = { .fd = lfd, .events = POLLIN };
        if (poll(&pf, 1, 500) <= 0) continue;
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) continue;
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, bulk_conn, (void *)(intptr_t)c) != 0) close(c);
        pthread_attr_destroy(&at);
    }
    return 0;
}

#define UDP_BATCH 64
#define UDP_MAX 2048

static int serve_echo_udp(long port, double lifetime)
{
    server_common();
    int fd = listen_loopback(SOCK_DGRAM, port);
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    static char bufs[UDP_BATCH][UDP_MAX];
    struct sockaddr_storage from[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    struct mmsghdr msgs[UDP_BATCH];
    uint64_t end = now_ns() + (uint64_t)(lifetime * 1e9);
    while (!g_stop && now_ns() < end) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, 500) <= 0) continue;
        for (;;) {
            for (int i = 0; i < UDP_BATCH; i++) {
                iov[i] = (struct iovec){ bufs[i], UDP_MAX };
                msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i],
                                                   .msg_iov = &iov[i], .msg_iovlen = 1 };
            }
            int n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
            if (n <= 0) break;
            for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len;
            int done = 0;
            while (done < n) {
                int s = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
                if (s <= 0) break;   /* a full buffer drops the rest, as a real server would */
                done += s;
            }
        }
    }
    return 0;
}

/* ---------- clients ---------- */

static int client_bulk(const char *host, const char *port, const char *dir, double seconds)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback_target(host, port, &ss);
    int up = strcmp(dir, "up") == 0;
    if (!up && strcmp(dir, "down") != 0) { fprintf(stderr, "loadgen: direction is up or down\n"); return 2; }
    pat_init();
    uint64_t t0 = now_ns(), stop = t0 + (uint64_t)(seconds * 1e9);
    int fd = connect_blocking(&ss, len);
    struct bulk_hello h = { BULK_MAGIC, up ? 'U' : 'D', (uint32_t)seconds + 1, 0 };
    if (send_all(fd, &h, sizeof h) != 0) die("send-hello");
    uint64_t off = 0, bad = 0, peer_bytes = 0;
    if (up) {
        while (now_ns() < stop) {
            uint64_t n = BULK_CHUNK;
            if (send_all(fd, &n, sizeof n) != 0 || send_all(fd, pat_at(off), BULK_CHUNK) != 0) die("send");
            off += BULK_CHUNK;
        }
        uint64_t zero = 0;
        struct bulk_report rep;
        if (send_all(fd, &zero, sizeof zero) != 0) die("send-end");
        if (recv_all(fd, &rep, sizeof rep) != 0) die("no-report");
        peer_bytes = rep.bytes;
        bad = rep.bad;
    } else {
        char *buf = malloc(PAT_SLACK);
        while (now_ns() < stop) {
            ssize_t r = recv(fd, buf, PAT_SLACK, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) die("recv");
            bad += count_bad((unsigned char *)buf, pat_at(off), (size_t)r);
            off += (uint64_t)r;
        }
        peer_bytes = off;
        free(buf);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    close(fd);
    int ok = bad == 0 && peer_bytes == off && off > 0;
    printf("RESULT mode=bulk dir=%s bytes=%llu peer_bytes=%llu bad=%llu secs=%.3f mb_s=%.1f ok=%d\n", dir,
           (unsigned long long)off, (unsigned long long)peer_bytes, (unsigned long long)bad, secs,
           (double)off / 1e6 / secs, ok);
    return ok ? 0 : 1;
}

/* One connection, one 64-byte request in flight: the latency a forwarder adds per round trip. */
static int client_rr(const char *host, const char *port, long count, double seconds)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback_target(host, port, &ss);
    pat_init();
    uint64_t *lat = malloc((size_t)count * sizeof *lat);
    int fd = connect_blocking(&ss, len);
    set_nodelay(fd);
    unsigned char req[MSG_SIZE], rsp[MSG_SIZE];
    uint64_t t0 = now_ns(), stop = t0 + (uint64_t)(seconds * 1e9), bad = 0;
    long done = 0;
    const char *err = "none";
    while (done < count && now_ns() < stop) {
        uint64_t seq = (uint64_t)done + 1;
        memcpy(req, &seq, 8);
        memcpy(req + 8, pat_at(seq_off(seq)), MSG_SIZE - 8);
        uint64_t t = now_ns();
        if (send_all(fd, req, MSG_SIZE) != 0) { err = "send"; break; }
        if (recv_all(fd, rsp, MSG_SIZE) != 0) { err = "recv"; break; }
        lat[done++] = now_ns() - t;
        bad += count_bad(rsp, req, MSG_SIZE);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    close(fd);
    qsort(lat, (size_t)done, sizeof *lat, cmp_u64);
    int ok = done > 0 && bad == 0 && strcmp(err, "none") == 0;
    printf("RESULT mode=rr ops=%ld of=%ld secs=%.3f ops_s=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f "
           "bad=%llu error=%s ok=%d\n", done, count, secs, done / secs, pct_us(lat, (size_t)done, 50),
           pct_us(lat, (size_t)done, 90), pct_us(lat, (size_t)done, 99), pct_us(lat, (size_t)done, 100),
           (unsigned long long)bad, err, ok);
    return ok ? 0 : 1;
}

/*
 * Non-blocking connection slots shared by the crr and idle modes: connect, send one 64-byte
 * request, read the echo and compare it.
 */
enum { SLOT_FREE, SLOT_CONNECTING, SLOT_WAITING, SLOT_VERIFIED };
struct slot { int fd; int state; unsigned got; uint64_t seq, start; unsigned char rsp[MSG_SIZE]; };

struct conn_stats { uint64_t connect_err, eof_err, timeouts, bad; };

static int slot_open(int ep, struct slot *s, const struct sockaddr_storage *ss, socklen_t len, uint64_t seq,
                     uint32_t tag)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    set_nodelay(fd);
    *s = (struct slot){ .fd = fd, .state = SLOT_CONNECTING, .seq = seq, .start = now_ns() };
    if (connect(fd, (const struct sockaddr *)ss, len) != 0 && errno != EINPROGRESS) {
        close(fd);
        s->state = SLOT_FREE;
        return -1;
    }
    struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = tag };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static void fill_request(unsigned char *req, uint64_t seq)
{
    memcpy(req, &seq, 8);
    memcpy(req + 8, pat_at(seq_off(seq)), MSG_SIZE - 8);
}

/* Sends the request once connected; returns -1 when the slot failed (and closes it). */
static int slot_send(int ep, struct slot *s, uint32_t tag, struct conn_stats *st)
{
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    unsigned char req[MSG_SIZE];
    fill_request(req, s->seq);
    if (err != 0 || send(s->fd, req, MSG_SIZE, MSG_NOSIGNAL) != MSG_SIZE) {
        st->connect_err++;
        close(s->fd);
        s->state = SLOT_FREE;
        return -1;
    }
    s->state = SLOT_WAITING;
    s->got = 0;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
    epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
    return 0;
}

/* Reads echo bytes; returns 1 when the full echo arrived and matched, 0 to wait, -1 on failure. */
static int slot_recv(struct slot *s, struct conn_stats *st)
{
    ssize_t r = recv(s->fd, s->rsp + s->got, MSG_SIZE - s->got, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (r <= 0) { st->eof_err++; return -1; }
    s->got += (unsigned)r;
    if (s->got < MSG_SIZE) return 0;
    unsigned char req[MSG_SIZE];
    fill_request(req, s->seq);
    uint64_t b = count_bad(s->rsp, req, MSG_SIZE);
    st->bad += b;
    return b == 0 ? 1 : -1;
}

static void slot_fail(int ep, struct slot *s)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->state = SLOT_FREE;
}

/* Handles one epoll event for a slot; returns 1 when its round trip completed. */
static int slot_event(int ep, struct slot *s, uint32_t tag, struct conn_stats *st)
{
    if (s->state == SLOT_CONNECTING) {
        if (slot_send(ep, s, tag, st) != 0) s->state = SLOT_FREE;
        return 0;
    }
    if (s->state != SLOT_WAITING) return 0;
    int r = slot_recv(s, st);
    if (r < 0) slot_fail(ep, s);
    return r > 0;
}

static void slot_expire(int ep, struct slot *s, struct conn_stats *st, uint64_t now)
{
    if ((s->state == SLOT_CONNECTING || s->state == SLOT_WAITING) && now - s->start > IO_TIMEOUT_S * 1000000000ull) {
        st->timeouts++;
        slot_fail(ep, s);
    }
}

/* Connect, one 64-byte round trip, close: CONC transactions at a time. */
static int client_crr(const char *host, const char *port, long count, double seconds, long conc)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback_target(host, port, &ss);
    pat_init();
    struct slot *slots = calloc((size_t)conc, sizeof *slots);
    uint64_t *lat = malloc((size_t)count * sizeof *lat);
    struct conn_stats st = { 0 };
    int ep = epoll_create1(EPOLL_CLOEXEC);
    uint64_t t0 = now_ns(), stop = t0 + (uint64_t)(seconds * 1e9), next = 1;
    long done = 0, active = 0;
    struct epoll_event evs[256];
    for (;;) {
        uint64_t now = now_ns();
        for (long i = 0; i < conc; i++) {
            slot_expire(ep, &slots[i], &st, now);
            if (slots[i].state != SLOT_FREE || (long)next > count || now >= stop) continue;
            if (slot_open(ep, &slots[i], &ss, len, next, (uint32_t)i) == 0) next++; else st.connect_err++;
        }
        active = 0;
        for (long i = 0; i < conc; i++) active += slots[i].state != SLOT_FREE;
        if (active == 0 || st.connect_err + st.eof_err + st.timeouts > 1000) break;
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; k++) {
            uint32_t i = evs[k].data.u32;
            if (slot_event(ep, &slots[i], i, &st)) {
                lat[done++] = now_ns() - slots[i].start;
                slot_fail(ep, &slots[i]);   /* the client closes first, as a short request does */
            }
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    qsort(lat, (size_t)done, sizeof *lat, cmp_u64);
    uint64_t errs = st.connect_err + st.eof_err + st.timeouts + st.bad;
    int ok = done > 0 && errs == 0;
    printf("RESULT mode=crr conns=%ld of=%ld conc=%ld secs=%.3f conn_s=%.0f p50_us=%.1f p99_us=%.1f "
           "connect_err=%llu eof_err=%llu timeouts=%llu bad=%llu ok=%d\n", done, count, conc, secs, done / secs,
           pct_us(lat, (size_t)done, 50), pct_us(lat, (size_t)done, 99), (unsigned long long)st.connect_err,
           (unsigned long long)st.eof_err, (unsigned long long)st.timeouts, (unsigned long long)st.bad, ok);
    return ok ? 0 : 1;
}

/*
 * Runs one round trip on each of n slots, WINDOW at a time, until each is verified or has failed;
 * connects first when CONNECT_NEW, else reuses the connections verified before. Returns verified count.
 */
static long run_round(int ep, struct slot *slots, long n, long window, struct conn_stats *st,
                      const struct sockaddr_storage *ss, socklen_t len, int connect_new, uint64_t seq_base)
{
    long started = 0, verified = 0, busy = 0;
    struct epoll_event evs[256];
    uint64_t hard = now_ns() + 120ull * 1000000000u, last_scan = now_ns();
    while (now_ns() < hard) {
        while (busy < window && started < n) {
            struct slot *s = &slots[started];
            uint64_t seq = seq_base + (uint64_t)started;
            int rc;
            if (connect_new) {
                rc = slot_open(ep, s, ss, len, seq, (uint32_t)started);
            } else if (s->state == SLOT_VERIFIED) {
                s->seq = seq;
                s->start = now_ns();
                s->state = SLOT_CONNECTING;   /* already connected: slot_send sends at once */
                struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)started };
                rc = epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
            } else {
                rc = -1;   /* failed in the first round: nothing to check */
            }
            started++;
            if (rc == 0) busy++; else if (connect_new) st->connect_err++;
        }
        if (busy == 0 && started == n) break;
        int k = epoll_wait(ep, evs, 256, 100);
        for (int j = 0; j < k; j++) {
            uint32_t i = evs[j].data.u32;
            int was = slots[i].state;
            if (slot_event(ep, &slots[i], i, st)) {
                slots[i].state = SLOT_VERIFIED;
                epoll_ctl(ep, EPOLL_CTL_DEL, slots[i].fd, NULL);
                verified++;
                busy--;
            } else if (slots[i].state == SLOT_FREE && was != SLOT_FREE) {
                busy--;
            }
        }
        uint64_t now = now_ns();
        if (now - last_scan < 100000000u) continue;   /* expiry scan at most every 100 ms */
        last_scan = now;
        for (long i = 0; i < started; i++) {
            int was = slots[i].state;
            slot_expire(ep, &slots[i], st, now);
            if (was != SLOT_FREE && slots[i].state == SLOT_FREE) busy--;
        }
    }
    return verified;
}

static volatile sig_atomic_t g_release;
static void on_release(int sig) { (void)sig; g_release = 1; }

/*
 * Opens N connections, verifies each with one round trip, prints READY and holds them idle
 * until SIGUSR1 or HOLD seconds, then verifies every connection once more and closes them.
 */
static int client_idle(const char *host, const char *port, long n, double hold)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback_target(host, port, &ss);
    raise_nofile();
    if (n + 64 > nofile_limit()) {
        printf("RESULT mode=idle ok=0 error=nofile-limit limit=%ld\n", nofile_limit());
        return 1;
    }
    pat_init();
    signal(SIGUSR1, on_release);
    struct slot *slots = calloc((size_t)n, sizeof *slots);
    struct conn_stats st = { 0 };
    int ep = epoll_create1(EPOLL_CLOEXEC);
    uint64_t t0 = now_ns();
    long v1 = run_round(ep, slots, n, 128, &st, &ss, len, 1, 1);
    double setup = (double)(now_ns() - t0) / 1e9;
    printf("READY conns=%ld verified=%ld setup_s=%.3f\n", n, v1, setup);
    fflush(stdout);
    uint64_t until = now_ns() + (uint64_t)(hold * 1e9);
    while (!g_release && now_ns() < until) usleep(20000);
    long v2 = run_round(ep, slots, n, 128, &st, &ss, len, 0, (uint64_t)n + 1);
    for (long i = 0; i < n; i++)
        if (slots[i].state == SLOT_VERIFIED) close(slots[i].fd);
    int ok = v1 == n && v2 == n;
    printf("RESULT mode=idle conns=%ld verified=%ld verified_again=%ld setup_s=%.3f released=%d "
           "connect_err=%llu eof_err=%llu timeouts=%llu bad=%llu ok=%d\n", n, v1, v2, setup, (int)g_release,
           (unsigned long long)st.connect_err, (unsigned long long)st.eof_err, (unsigned long long)st.timeouts,
           (unsigned long long)st.bad, ok);
    return ok ? 0 : 1;
}

/*
 * UDP closed loop: SOCKETS connected sockets (each its own source port), INFLIGHT datagrams
 * outstanding in total, spread evenly. A reply restores its slot at once; a datagram with no
 * reply after LOSS_MS counts as lost and its slot is reused.
 */
#define LOSS_MS 200
struct uslot { uint64_t seq, sent; };
struct udp_hdr { uint32_t magic, size; uint64_t seq; };

struct udp_state {
    int *fds;
    long nsock, per;
    struct uslot *slots;   /* nsock * per */
    size_t size;
    uint64_t next, sent, recv, lost, late, bad, count, stop_ns;
    uint64_t *lat;
    size_t nlat;
};

static void udp_fill(unsigned char *d, size_t size, uint64_t seq)
{
    struct udp_hdr h = { UDP_MAGIC, (uint32_t)size, seq };
    memcpy(d, &h, sizeof h);
    memcpy(d + sizeof h, pat_at(seq_off(seq)), size - sizeof h);
}

/* Sends a new datagram from every empty slot of socket s while the run is still sending. */
static void udp_refill(struct udp_state *u, long s, uint64_t now)
{
    static unsigned char bufs[UDP_BATCH][UDP_MAX];
    struct iovec iov[UDP_BATCH];
    struct mmsghdr msgs[UDP_BATCH];
    long idx[UDP_BATCH];
    int n = 0;
    for (long k = 0; k < u->per && n < UDP_BATCH; k++) {
        struct uslot *sl = &u->slots[s * u->per + k];
        if (sl->seq != 0 || u->next > u->count || now >= u->stop_ns) continue;
        sl->seq = u->next++;
        sl->sent = now;
        udp_fill(bufs[n], u->size, sl->seq);
        iov[n] = (struct iovec){ bufs[n], u->size };
        msgs[n].msg_hdr = (struct msghdr){ .msg_iov = &iov[n], .msg_iovlen = 1 };
        idx[n++] = k;
    }
    int done = n > 0 ? sendmmsg(u->fds[s], msgs, (unsigned)n, MSG_DONTWAIT) : 0;
    if (done < 0) done = 0;
    u->sent += (uint64_t)done;
    for (int i = done; i < n; i++) {   /* not sent (full buffer): counts as lost at once */
        u->slots[s * u->per + idx[i]].seq = 0;
        u->sent++;
        u->lost++;
    }
}

static void udp_receive(struct udp_state *u, long s)
{
    static unsigned char bufs[UDP_BATCH][UDP_MAX];
    struct iovec iov[UDP_BATCH];
    struct mmsghdr msgs[UDP_BATCH];
    unsigned char want[UDP_MAX];
    for (int i = 0; i < UDP_BATCH; i++) {
        iov[i] = (struct iovec){ bufs[i], UDP_MAX };
        msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    int n = recvmmsg(u->fds[s], msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
    uint64_t now = now_ns();
    for (int i = 0; i < n; i++) {
        struct udp_hdr h;
        if (msgs[i].msg_len != u->size) { u->bad++; continue; }
        memcpy(&h, bufs[i], sizeof h);
        udp_fill(want, u->size, h.seq);
        if (h.magic != UDP_MAGIC || memcmp(bufs[i], want, u->size) != 0) { u->bad++; continue; }
        struct uslot *sl = NULL;
        for (long k = 0; k < u->per; k++)
            if (u->slots[s * u->per + k].seq == h.seq) sl = &u->slots[s * u->per + k];
        if (!sl) { u->late++; continue; }   /* already counted lost, or a duplicate */
        if (u->nlat < u->count) u->lat[u->nlat++] = now - sl->sent;
        sl->seq = 0;
        u->recv++;
    }
}

static int client_udp(const char *host, const char *port, long count, double seconds, long inflight, long nsock,
                      long size)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback_target(host, port, &ss);
    if (inflight % nsock != 0) { fprintf(stderr, "loadgen: inflight must be a multiple of sockets\n"); return 2; }
    pat_init();
    raise_nofile();
    struct udp_state u = { .nsock = nsock, .per = inflight / nsock, .size = (size_t)size, .next = 1,
                           .count = (uint64_t)count };
    u.fds = calloc((size_t)nsock, sizeof *u.fds);
    u.slots = calloc((size_t)inflight, sizeof *u.slots);
    u.lat = malloc((size_t)count * sizeof *u.lat);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (long s = 0; s < nsock; s++) {
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) die("udp-socket");
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)s };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        u.fds[s] = fd;
    }
    uint64_t t0 = now_ns(), last_reply = t0, last_scan = t0;
    u.stop_ns = t0 + (uint64_t)(seconds * 1e9);
    uint64_t grace_end = 0;
    for (long s = 0; s < nsock; s++) udp_refill(&u, s, t0);
    struct epoll_event evs[256];
    int gave_up = 0;
    for (;;) {
        int n = epoll_wait(ep, evs, 256, 10);
        uint64_t before = u.recv;
        for (int k = 0; k < n; k++) {
            long s = evs[k].data.u32;
            udp_receive(&u, s);
            udp_refill(&u, s, now_ns());
        }
        uint64_t now = now_ns();
        if (u.recv != before) last_reply = now;
        if (now - last_scan > 10000000u) {   /* every 10 ms: expire datagrams with no reply */
            last_scan = now;
            for (long s = 0; s < nsock; s++) {
                int expired = 0;
                for (long k = 0; k < u.per; k++) {
                    struct uslot *sl = &u.slots[s * u.per + k];
                    if (sl->seq && now - sl->sent > LOSS_MS * 1000000ull) { sl->seq = 0; u.lost++; expired = 1; }
                }
                if (expired) udp_refill(&u, s, now);
            }
        }
        long outstanding = 0;
        for (long i = 0; i < inflight; i++) outstanding += u.slots[i].seq != 0;
        int sending = u.next <= u.count && now < u.stop_ns;
        if (!sending && outstanding == 0) break;
        if (!sending && grace_end == 0) grace_end = now + (LOSS_MS + 100) * 1000000ull;
        if (grace_end && now > grace_end) {   /* end of grace: whatever is left is lost */
            u.lost += (uint64_t)outstanding;
            break;
        }
        if (now - last_reply > 3000000000ull) { gave_up = 1; u.lost += (uint64_t)outstanding; break; }
    }
    double secs = (double)(last_reply - t0) / 1e9;
    if (secs <= 0) secs = (double)(now_ns() - t0) / 1e9;
    qsort(u.lat, u.nlat, sizeof *u.lat, cmp_u64);
    int ok = u.recv > 0 && u.bad == 0 && !gave_up;
    printf("RESULT mode=udp sent=%llu recv=%llu lost=%llu late=%llu bad=%llu inflight=%ld sockets=%ld size=%ld "
           "secs=%.3f pps=%.0f loss_pct=%.3f p50_us=%.1f p99_us=%.1f gave_up=%d ok=%d\n",
           (unsigned long long)u.sent, (unsigned long long)u.recv, (unsigned long long)u.lost,
           (unsigned long long)u.late, (unsigned long long)u.bad, inflight, nsock, size, secs, u.recv / secs,
           u.sent ? 100.0 * (double)u.lost / (double)u.sent : 0.0, pct_us(u.lat, u.nlat, 50),
           pct_us(u.lat, u.nlat, 99), gave_up, ok);
    return ok ? 0 : 1;
}

/* ---------- helpers for run.sh ---------- */

static int free_port(const char *proto)
{
    int udp = strcmp(proto, "udp") == 0;
    int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return 1;
    printf("%u\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

static long read_kb(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    long v = 0;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0) { v = atol(line + kl); break; }
    fclose(f);
    return v;
}

/* ppid and utime+stime+cutime+cstime (ticks) from /proc/PID/stat; -1 if gone. */
static long stat_of(long pid, long *cpu_ticks)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');   /* the command name may contain spaces */
    if (!p) return -1;
    long ppid = 0;
    unsigned long ut = 0, st = 0;
    long cut = 0, cst = 0;
    if (sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", &ppid, &ut, &st, &cut, &cst) != 5)
        return -1;
    *cpu_ticks = (long)(ut + st) + cut + cst;
    return ppid;
}

/* Sums RSS, PSS and CPU over PID and all its descendants: "MEM procs= rss_kb= pss_kb= cpu_ms=". */
static int proc_tree(long root)
{
    enum { MAXP = 65536 };
    static long pids[MAXP], ppids[MAXP], ticks[MAXP];
    long np = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && np < MAXP) {
        long pid = atol(e->d_name);
        if (pid <= 0) continue;
        long t = 0, pp = stat_of(pid, &t);
        if (pp < 0) continue;
        pids[np] = pid; ppids[np] = pp; ticks[np] = t; np++;
    }
    if (d) closedir(d);
    static char in[MAXP];
    long maxpid = 0;
    for (long i = 0; i < np; i++) if (pids[i] > maxpid) maxpid = pids[i];
    char *inpid = calloc((size_t)maxpid + 1, 1);   /* by pid: is this process in the tree? */
    memset(in, 0, (size_t)np);
    long procs = 0, rss = 0, pss = 0, cpu = 0;
    for (int changed = 1; changed;) {   /* one pass per generation; trees here are shallow */
        changed = 0;
        for (long i = 0; i < np; i++) {
            if (in[i] || !(pids[i] == root || (ppids[i] <= maxpid && inpid[ppids[i]]))) continue;
            in[i] = 1;
            inpid[pids[i]] = 1;
            changed = 1;
        }
    }
    free(inpid);
    char path[64];
    for (long i = 0; i < np; i++) {
        if (!in[i]) continue;
        procs++;
        cpu += ticks[i];
        snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pids[i]);
        rss += read_kb(path, "Rss:");
        pss += read_kb(path, "Pss:");
    }
    printf("MEM procs=%ld rss_kb=%ld pss_kb=%ld cpu_ms=%ld\n", procs, rss, pss, cpu * 1000 / sysconf(_SC_CLK_TCK));
    return procs > 0 ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: loadgen MODE ARGS\n"
            "servers (bind 127.0.0.1; PORT 0 picks a free port):\n"
            "  serve-echo PORT LIFETIME_S | serve-bulk PORT LIFETIME_S | serve-udp PORT LIFETIME_S\n"
            "clients (HOST must be 127.0.0.0/8 or ::1):\n"
            "  bulk HOST PORT up|down SECONDS\n"
            "  rr HOST PORT COUNT SECONDS\n"
            "  crr HOST PORT COUNT SECONDS CONC\n"
            "  idle HOST PORT N HOLD_S            (SIGUSR1 releases)\n"
            "  udp HOST PORT COUNT SECONDS INFLIGHT SOCKETS SIZE\n"
            "helpers: free-port tcp|udp | proc-tree PID\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    g_mode = argv[1];
    const char *m = argv[1];
    if (strcmp(m, "free-port") == 0 && argc == 3) return free_port(argv[2]);
    if (strcmp(m, "proc-tree") == 0 && argc == 3) return proc_tree(arg_long(argv[2], "pid", 1, 1L << 30));
    if (strncmp(m, "serve-", 6) == 0 && argc == 4) {
        long port = arg_long(argv[2], "port", 0, 65535);
        double life = arg_seconds(argv[3]);
        if (strcmp(m, "serve-echo") == 0) return serve_echo_tcp(port, life);
        if (strcmp(m, "serve-bulk") == 0) return serve_bulk_tcp(port, life);
        if (strcmp(m, "serve-udp") == 0) return serve_echo_udp(port, life);
        return usage();
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);   /* never outlive the timeout or shell that started us */
    const char *hard = getenv("LOADGEN_HARD_SECONDS");
    signal(SIGALRM, on_hard_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm(hard ? (unsigned)arg_long(hard, "LOADGEN_HARD_SECONDS", 1, 3600) : 120);
    if (strcmp(m, "bulk") == 0 && argc == 6) return client_bulk(argv[2], argv[3], argv[4], arg_seconds(argv[5]));
    if (strcmp(m, "rr") == 0 && argc == 6)
        return client_rr(argv[2], argv[3], arg_long(argv[4], "count", 1, 100000000), arg_seconds(argv[5]));
    if (strcmp(m, "crr") == 0 && argc == 7)
        return client_crr(argv[2], argv[3], arg_long(argv[4], "count", 1, 10000000), arg_seconds(argv[5]),
                          arg_long(argv[6], "conc", 1, 1024));
    if (strcmp(m, "idle") == 0 && argc == 6)
        return client_idle(argv[2], argv[3], arg_long(argv[4], "n", 1, 60000), arg_seconds(argv[5]));
    if (strcmp(m, "udp") == 0 && argc == 9)
        return client_udp(argv[2], argv[3], arg_long(argv[4], "count", 1, 100000000), arg_seconds(argv[5]),
                          arg_long(argv[6], "inflight", 1, 4096), arg_long(argv[7], "sockets", 1, 4096),
                          arg_long(argv[8], "size", (long)sizeof(struct udp_hdr), UDP_MAX));
    return usage();
}
