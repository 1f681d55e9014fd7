/*
 * splice-epoll - the floor for a TCP forwarder: one thread, one edge-triggered epoll instance,
 * nothing but the kernel's work paid for.  Listens on 127.0.0.1:LISTEN_PORT and forwards each
 * connection to 127.0.0.1:TARGET_PORT.
 *
 *   gcc -O2 -Wall -o splice-epoll splice-epoll.c
 *   ./splice-epoll LISTEN_PORT TARGET_PORT
 *
 * Each direction reads into one shared 16 KiB scratch buffer and sends at once; only what the
 * peer's send buffer does not take is copied into a buffer of that direction's own, held until
 * it is sent, so an idle connection holds no buffer.  A FIN is passed on as shutdown(SHUT_WR);
 * both sockets close when both directions have ended.  An error on either side (or a refused
 * connect) resets the other side (SO_LINGER 0).  SIGTERM or SIGINT ends the loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define SCRATCH_SIZE (16 * 1024)
#define MAX_EVENTS 256

enum { CLIENT = 0, TARGET = 1 };

struct pair;

/* One socket of a pair; the epoll data pointer of its fd. */
struct end {
    struct pair *pair;
    int side;
    int fd;
};

/* Bytes read from `from` that `to` has not yet taken. */
struct direction {
    char *pending;
    size_t off, len;
    int read_eof;  /* `from` sent its FIN */
    int shut;      /* the FIN was passed on with shutdown(to, SHUT_WR) */
};

struct pair {
    struct end ends[2];
    struct direction dirs[2];  /* dirs[s] carries data from ends[s] to ends[1 - s] */
    int connected;             /* the connect to the target has completed */
    int closed;
    struct pair *next_free;
};

static volatile sig_atomic_t stop_requested;
static char scratch[SCRATCH_SIZE];
static struct pair *free_list;  /* closed pairs, freed after the current batch of events */
static int epfd;

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int parse_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535) return -1;
    return (int)v;
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void set_reset_on_close(int fd)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void close_pair(struct pair *p, int reset)
{
    if (p->closed) return;
    p->closed = 1;
    for (int s = 0; s < 2; s++) {
        if (reset) set_reset_on_close(p->ends[s].fd);
        close(p->ends[s].fd);  /* also removes it from the epoll set */
        free(p->dirs[s].pending);
        p->dirs[s].pending = NULL;
    }
    p->next_free = free_list;
    free_list = p;
}

/*
 * Moves data from ends[s] to ends[1 - s] until the source has nothing more (EAGAIN), the
 * destination is full (EAGAIN on send: resumed by its EPOLLOUT), or the source's FIN has been
 * passed on.  Returns -1 when the pair had to be reset.
 */
static int pump(struct pair *p, int s)
{
    struct direction *d = &p->dirs[s];
    int from = p->ends[s].fd, to = p->ends[1 - s].fd;

    for (;;) {
        if (d->pending) {
            while (d->off < d->len) {
                ssize_t n = send(to, d->pending + d->off, d->len - d->off, MSG_NOSIGNAL);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    if (errno == EAGAIN) return 0;
                    return -1;
                }
                d->off += (size_t)n;
            }
            free(d->pending);
            d->pending = NULL;
        }
        if (d->shut) return 0;
        if (d->read_eof) {
            if (shutdown(to, SHUT_WR) < 0) return -1;
            d->shut = 1;
            return 0;
        }
        ssize_t n = recv(from, scratch, sizeof scratch, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1;
        }
        if (n == 0) {
            d->read_eof = 1;
            continue;
        }
        size_t sent = 0;
        while (sent < (size_t)n) {
            ssize_t w = send(to, scratch + sent, (size_t)n - sent, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN) break;
                return -1;
            }
            sent += (size_t)w;
        }
        if (sent < (size_t)n) {
            d->len = (size_t)n - sent;
            d->off = 0;
            d->pending = malloc(d->len);
            if (!d->pending) return -1;
            memcpy(d->pending, scratch + sent, d->len);
            return 0;  /* wait for EPOLLOUT on `to` */
        }
    }
}

static void on_end_event(struct end *e, uint32_t events)
{
    struct pair *p = e->pair;
    if (p->closed) return;
    if (events & EPOLLERR) {
        close_pair(p, 1);
        return;
    }
    if (!p->connected) {
        if (e->side != TARGET || !(events & (EPOLLOUT | EPOLLHUP))) return;
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
            close_pair(p, 1);
            return;
        }
        p->connected = 1;
        /* Whatever the client sent while the connect was under way, and the target's greeting. */
        if (pump(p, CLIENT) < 0 || pump(p, TARGET) < 0) {
            close_pair(p, 1);
            return;
        }
    } else {
        int s = e->side;
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) && pump(p, s) < 0) {
            close_pair(p, 1);
            return;
        }
        if ((events & EPOLLOUT) && p->dirs[1 - s].pending && pump(p, 1 - s) < 0) {
            close_pair(p, 1);
            return;
        }
    }
    if (p->dirs[CLIENT].shut && p->dirs[TARGET].shut) close_pair(p, 0);
}

static void accept_all(int listener, const struct sockaddr_in *target)
{
    for (;;) {
        int cfd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN) perror("accept4");
            return;
        }
        int tfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (tfd < 0) {
            perror("socket");
            set_reset_on_close(cfd);
            close(cfd);
            continue;
        }
        set_nodelay(cfd);
        set_nodelay(tfd);
        struct pair *p = calloc(1, sizeof *p);
        if (!p) {
            set_reset_on_close(cfd);
            close(cfd);
            close(tfd);
            continue;
        }
        p->ends[CLIENT] = (struct end){ p, CLIENT, cfd };
        p->ends[TARGET] = (struct end){ p, TARGET, tfd };
        if (connect(tfd, (const struct sockaddr *)target, sizeof *target) < 0 && errno != EINPROGRESS) {
            close_pair(p, 1);
            continue;
        }
        for (int s = 0; s < 2; s++) {
            struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                      .data.ptr = &p->ends[s] };
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, p->ends[s].fd, &ev) < 0) {
                perror("epoll_ctl");
                close_pair(p, 1);
                break;
            }
        }
    }
}

int main(int argc, char **argv)
{
    int listen_port = argc == 3 ? parse_port(argv[1]) : -1;
    int target_port = argc == 3 ? parse_port(argv[2]) : -1;
    if (listen_port < 0 || target_port < 0) {
        fprintf(stderr, "usage: %s LISTEN_PORT TARGET_PORT  (both on 127.0.0.1, ports 1-65535)\n", argv[0]);
        return 2;
    }

    struct sigaction sa = { .sa_handler = on_signal };  /* no SA_RESTART: epoll_wait returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct sockaddr_in listen_addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port),
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in target_addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)target_port),
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || bind(listener, (struct sockaddr *)&listen_addr, sizeof listen_addr) < 0
        || listen(listener, 4096) < 0) {
        perror("listen");
        return 1;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = { .events = EPOLLIN | EPOLLET, .data.ptr = NULL };
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &lev) < 0) {
        perror("epoll");
        return 1;
    }

    struct epoll_event events[MAX_EVENTS];
    while (!stop_requested) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL) accept_all(listener, &target_addr);
            else on_end_event(events[i].data.ptr, events[i].events);
        }
        /* A pair closed in this batch may still have events later in it; free only now. */
        while (free_list) {
            struct pair *p = free_list;
            free_list = p->next_free;
            free(p);
        }
    }
    close(listener);
    close(epfd);
    return 0;
}
