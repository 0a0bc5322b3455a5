/* SPDX-License-Identifier: MIT
 * trigger_latency.c: open-loop load generator for the trigger latency
 * benchmark. It sends PutItem {pk: "k<seq>", n: <seq>} at a fixed rate
 * (request i is due at t0 + i/rate, whatever the answers do) over several
 * pipelined keep-alive connections, records CLOCK_MONOTONIC when each 200
 * arrives, then waits for the benchmark handler (tests/functions/
 * trigger_bench.c) to have stamped every seq into the shared file and prints
 * the distribution of handler_start - ack. One thread, epoll + timerfd. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX 64
#define RBUF_BYTES 65536
#define STAMP_WAIT_S 30

typedef struct conn {
    int fd;
    char rbuf[RBUF_BYTES]; /* Unparsed response bytes. */
    size_t rlen;
    char *wbuf; /* Requests not yet written (grows). */
    size_t wlen, wcap;
    uint64_t *fifo; /* Seqs awaiting an answer, in send order (ring of cap). */
    size_t f_head, f_len, f_cap;
} conn_t;

typedef struct opts {
    int port;
    double rate;    /* Requests per second. */
    uint64_t count; /* Requests to send. */
    uint64_t first; /* Seq of the first request (index into the stamps file). */
    int conns;
    const char *table;
    const char *stamps; /* Path of the handler's file. */
} opts_t;

typedef struct run {
    opts_t o;
    conn_t c[CONNS_MAX];
    int ep, tfd;
    uint64_t t0, sent, acked, errors;
    uint64_t *sent_ns, *ack_ns; /* Indexed by seq - first. */
} run_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static int conn_open(int port)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect");
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void fifo_push(conn_t *c, uint64_t seq)
{
    if (c->f_len == c->f_cap) {
        const size_t cap = c->f_cap ? c->f_cap * 2 : 256;
        uint64_t *f = malloc(cap * sizeof(*f));
        for (size_t i = 0; i < c->f_len; i++)
            f[i] = c->fifo[(c->f_head + i) % c->f_cap];
        free(c->fifo);
        c->fifo = f, c->f_cap = cap, c->f_head = 0;
    }
    c->fifo[(c->f_head + c->f_len++) % c->f_cap] = seq;
}

static void flush(run_t *r, conn_t *c)
{
    size_t off = 0;
    while (off < c->wlen) {
        const ssize_t n = write(c->fd, c->wbuf + off, c->wlen - off);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n < 0)
            die("write");
        off += (size_t)n;
    }
    memmove(c->wbuf, c->wbuf + off, c->wlen - off);
    c->wlen -= off;
    struct epoll_event ev = {.events = EPOLLIN | (c->wlen ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void send_one(run_t *r, uint64_t i)
{
    conn_t *c = &r->c[i % (uint64_t)r->o.conns];
    const uint64_t seq = r->o.first + i;
    char body[256], req[512];
    const int blen = snprintf(body, sizeof body,
                              "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"k%" PRIu64
                              "\"},\"n\":{\"N\":\"%" PRIu64 "\"}}}",
                              r->o.table, seq, seq);
    const int len = snprintf(req, sizeof req,
                             "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: "
                             "DynamoDB_20120810.PutItem\r\nContent-Type: application/"
                             "x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n%s",
                             blen, body);
    if (c->wlen + (size_t)len > c->wcap) {
        c->wcap = (c->wcap + (size_t)len) * 2;
        c->wbuf = realloc(c->wbuf, c->wcap);
    }
    memcpy(c->wbuf + c->wlen, req, (size_t)len);
    c->wlen += (size_t)len;
    fifo_push(c, seq);
    r->sent_ns[i] = now_ns();
    r->sent++;
    flush(r, c);
}

/* Length of one complete response at the start of buf, or 0 if incomplete. */
static size_t response_len(const char *buf, size_t len, bool *is_ok)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    const size_t head = (size_t)(end + 4 - buf);
    size_t body = 0;
    for (const char *p = buf; p && p < end;) {
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            body = strtoul(p + 15, NULL, 10);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : NULL;
    }
    *is_ok = len >= 12 && memcmp(buf + 9, "200", 3) == 0;
    return head + body <= len ? head + body : 0;
}

static void on_readable(run_t *r, conn_t *c)
{
    const ssize_t n = read(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        die("read (server closed?)");
    if (n < 0)
        return;
    const uint64_t t = now_ns();
    c->rlen += (size_t)n;
    size_t off = 0, one;
    bool is_ok = false;
    while (c->f_len && (one = response_len(c->rbuf + off, c->rlen - off, &is_ok)) > 0) {
        const uint64_t seq = c->fifo[c->f_head];
        c->f_head = (c->f_head + 1) % c->f_cap;
        c->f_len--;
        r->ack_ns[seq - r->o.first] = is_ok ? t : 0;
        r->errors += !is_ok;
        r->acked++;
        off += one;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
}

static void arm_timer(run_t *r)
{
    const uint64_t due = r->t0 + (uint64_t)((double)r->sent * 1e9 / r->o.rate);
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(due / 1000000000u), .tv_nsec = (long)(due % 1000000000u)}};
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Send every request that is due by now, then arm the timer for the next. */
static void on_timer(run_t *r)
{
    uint64_t expirations;
    if (read(r->tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        die("timerfd");
    const uint64_t t = now_ns();
    while (r->sent < r->o.count && r->t0 + (uint64_t)((double)r->sent * 1e9 / r->o.rate) <= t)
        send_one(r, r->sent);
    if (r->sent < r->o.count)
        arm_timer(r);
}

static void event_loop(run_t *r)
{
    struct epoll_event evs[CONNS_MAX + 1];
    r->t0 = now_ns();
    arm_timer(r);
    while (r->acked < r->o.count) {
        const int n = epoll_wait(r->ep, evs, CONNS_MAX + 1, 1000);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                on_timer(r);
                continue;
            }
            conn_t *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT)
                flush(r, c);
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(r, c);
        }
    }
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_us(const int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

/* Map the handler's file and wait until every seq of this run is stamped. */
static const uint64_t *wait_stamps(const run_t *r, uint64_t *missing)
{
    const int fd = open(r->o.stamps, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die("stamps file");
    const size_t n = (size_t)st.st_size / sizeof(uint64_t);
    if (r->o.first + r->o.count > n) {
        fprintf(stderr, "stamps file too small\n");
        exit(1);
    }
    const uint64_t *s = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (s == MAP_FAILED)
        die("mmap");
    const uint64_t deadline = now_ns() + (uint64_t)STAMP_WAIT_S * 1000000000u;
    do {
        *missing = 0;
        for (uint64_t i = 0; i < r->o.count; i++)
            *missing += r->ack_ns[i] && !__atomic_load_n(&s[r->o.first + i], __ATOMIC_RELAXED);
        if (*missing)
            usleep(10000);
    } while (*missing && now_ns() < deadline);
    return s;
}

static void report(const run_t *r)
{
    uint64_t missing = 0;
    const uint64_t *s = wait_stamps(r, &missing);
    int64_t *lat = malloc(r->o.count * sizeof(*lat)), *ack = malloc(r->o.count * sizeof(*ack));
    size_t n = 0, negative = 0;
    for (uint64_t i = 0; i < r->o.count; i++) {
        const uint64_t st = s[r->o.first + i];
        if (!r->ack_ns[i] || !st)
            continue;
        ack[n] = (int64_t)(r->ack_ns[i] - r->sent_ns[i]);
        lat[n] = (int64_t)(st - r->ack_ns[i]);
        negative += lat[n] < 0;
        lat[n] = lat[n] < 0 ? 0 : lat[n]; /* Started before the client read its ack. */
        n++;
    }
    qsort(lat, n, sizeof(*lat), cmp_i64);
    qsort(ack, n, sizeof(*ack), cmp_i64);
    const double secs = (double)(now_ns() - r->t0) / 1e9;
    printf("TRIGGER_LATENCY rate=%.0f count=%" PRIu64 " measured=%zu errors=%" PRIu64
           " missing=%" PRIu64 " negative=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f"
           " max_us=%.1f ack_p50_us=%.1f ack_p99_us=%.1f elapsed_s=%.2f\n",
           r->o.rate, r->o.count, n, r->errors, missing, negative, pct_us(lat, n, 0.5),
           pct_us(lat, n, 0.9), pct_us(lat, n, 0.99), pct_us(lat, n, 0.999), pct_us(lat, n, 1.0),
           pct_us(ack, n, 0.5), pct_us(ack, n, 0.99), secs);
    free(lat);
    free(ack);
}

static void parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.rate = 1000, .count = 10000, .conns = 8, .table = "trig"};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--port") == 0)
            o->port = atoi(v);
        else if (strcmp(k, "--rate") == 0)
            o->rate = atof(v);
        else if (strcmp(k, "--count") == 0)
            o->count = strtoull(v, NULL, 10);
        else if (strcmp(k, "--first") == 0)
            o->first = strtoull(v, NULL, 10);
        else if (strcmp(k, "--conns") == 0)
            o->conns = atoi(v);
        else if (strcmp(k, "--table") == 0)
            o->table = v;
        else if (strcmp(k, "--stamps") == 0)
            o->stamps = v;
    }
    if (!o->port || !o->stamps || o->rate <= 0 || !o->count || o->conns < 1 ||
        o->conns > CONNS_MAX) {
        fprintf(stderr, "usage: trigger_latency --port P --stamps FILE [--rate R] [--count N] "
                        "[--first SEQ] [--conns C<=64] [--table T]\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    static run_t r;
    parse_opts(argc, argv, &r.o);
    r.sent_ns = calloc(r.o.count, sizeof(uint64_t));
    r.ack_ns = calloc(r.o.count, sizeof(uint64_t));
    r.ep = epoll_create1(0);
    r.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (r.ep < 0 || r.tfd < 0 || !r.sent_ns || !r.ack_ns)
        die("setup");
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(r.ep, EPOLL_CTL_ADD, r.tfd, &tev);
    for (int i = 0; i < r.o.conns; i++) {
        r.c[i].fd = conn_open(r.o.port);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &r.c[i]};
        epoll_ctl(r.ep, EPOLL_CTL_ADD, r.c[i].fd, &ev);
    }
    event_loop(&r);
    report(&r);
    return 0;
}
