/* SPDX-License-Identifier: MIT
 * fuzz_ddb.c: libFuzzer target for the DynamoDB JSON 1.0 front door. Input:
 * the first byte modulo the number of entries in OPS picks the operation
 * (OPS[0] BatchGetItem ... OPS[21] UpdateTimeToLive, OPS[22] an unknown
 * name), the rest is the request body, sent as is.
 *
 * Seam: the real server in-process. Start-up opens a real store (LMDB in a
 * temporary directory, durability none) with its TTL sweeper, binds a real
 * gateway on 127.0.0.1:0 with one I/O thread and the DynamoDB front door,
 * and every input is one HTTP POST over a blocking keep-alive loopback
 * socket. It costs a loopback round trip per input but needs no product
 * change, and it exercises exactly what a client reaches: llhttp, routing,
 * the handlers, the writer thread's group commit and the reply back on the
 * loop. libFuzzer's coverage counters and the sanitizers are process-wide,
 * so the handlers running on the I/O and writer threads count.
 *
 * Oracle beyond ASan/UBSan/LSan: every answer must be 200 or 400 with a JSON
 * object body (200 may be empty), and every 400 must carry a "__type"; a 5xx, a closed connection
 * or an unparsable answer aborts. Tables inputs can name: fz_hash (pk S, TTL on "ttl"), fz_range
 * (pk S, sk N), fz_index (pk S, sk S, GSI gsi on g/sk, LSI lsi on pk/l) and fz_stream (pk S,
 * NEW_AND_OLD_IMAGES stream). Every RESET_EVERY inputs, once inputs created MAX_EXTRA tables, or
 * after an input deleted one, every table is deleted and the four recreated, so the catalog and the
 * items stay small.
 *
 * libFuzzer's entry points take no context, so the one fz_t lives behind a
 * file-scope pointer; an atexit handler stops the server, closes the store
 * and removes the directory, so LSan's exit check sees everything freed.
 * Crash paths (_Exit) skip it, which is fine: no per-input leak can hide;
 * the directory is made under $TMPDIR, which tools/fuzz removes either way.
 * FUZZ_DDB_TRACE=1 prints each operation and its answer (to check seeds). */
#include "engine/json.h"
#include "engine/log.h"
#include "gateway/gw.h"
#include "storage/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESET_EVERY 2048u /* Inputs between two resets of every table. */
#define MAX_EXTRA 8u      /* Tables inputs may create before a reset. */

static const char *const OPS[] = {
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeEndpoints",
    "DescribeLimits",
    "DescribeTable",
    "DescribeTimeToLive",
    "GetItem",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "Query",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateItem",
    "UpdateTable",
    "UpdateTimeToLive",
    "NoSuchOperation",
};
#define N_OPS (sizeof(OPS) / sizeof(OPS[0]))

/* The tables every reset recreates, as CreateTable bodies. */
static const char *const BASE_TABLES[] = {
    "{\"TableName\":\"fz_hash\",\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}",

    "{\"TableName\":\"fz_range\",\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}]}",

    "{\"TableName\":\"fz_index\",\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"l\",\"AttributeType\":\"N\"}],"
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gsi\",\"KeySchema\":["
    "{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":"
    "\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}],"
    "\"LocalSecondaryIndexes\":[{\"IndexName\":\"lsi\",\"KeySchema\":["
    "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"l\",\"KeyType\":"
    "\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"a\"]}}]}",

    "{\"TableName\":\"fz_stream\",\"BillingMode\":\"PAY_PER_REQUEST\","
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
    "\"StreamSpecification\":{\"StreamEnabled\":true,"
    "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}",
};

static const char TTL_ON[] = "{\"TableName\":\"fz_hash\",\"TimeToLiveSpecification\":"
                             "{\"Enabled\":true,\"AttributeName\":\"ttl\"}}";

typedef struct fz {
    char dir[4096];     /* Temporary data directory; removed at teardown. */
    store_t *store;     /* Owned; closed last. */
    store_ttl_t *ttl;   /* Owned sweeper; stopped before store_close. */
    gw_t *gw;           /* Owned server: one I/O thread on 127.0.0.1:port. */
    gw_ddb_t *ddb;      /* Owned front door. */
    int port;           /* The gateway's ephemeral port. */
    int fd;             /* Keep-alive connection; -1 when closed. */
    eng_buf_t req;      /* Request being sent; reused. */
    eng_buf_t resp;     /* Answer head and body; reused. */
    size_t head_len;    /* Bytes of resp up to and including the blank line. */
    size_t body_len;    /* Content-Length of the answer. */
    int status;         /* Status of the last answer. */
    bool is_close;      /* The last answer said Connection: close. */
    bool is_trace;      /* FUZZ_DDB_TRACE is set: print every answer to stderr. */
    unsigned n_inputs;  /* Inputs since the last reset. */
    unsigned n_created; /* Tables inputs created since the last reset. */
} fz_t;

static fz_t *g_fz; /* The only instance; see the header comment. */

/* Abort with `what` and the last answer, if any. */
static void die(const char *what)
{
    const fz_t *fz = g_fz;
    fprintf(stderr, "fuzz_ddb: %s\n%s\n", what, fz && fz->resp.ptr ? fz->resp.ptr : "");
    abort();
}

/* ---- the HTTP client --------------------------------------------------- */

static void client_connect(fz_t *fz)
{
    fz->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fz->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fz->fd < 0 || connect(fz->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("cannot connect to the gateway");
    int one = 1;
    setsockopt(fz->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void client_close(fz_t *fz)
{
    if (fz->fd >= 0)
        close(fz->fd);
    fz->fd = -1;
}

static void send_all(fz_t *fz, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fz->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("the gateway closed the connection while a request was sent");
        p += n;
        len -= (size_t)n;
    }
}

/* Read more of the answer; dies on EOF: a DynamoDB request is always answered. */
static void recv_some(fz_t *fz)
{
    char *p = eng_buf_reserve(&fz->resp, 16384);
    ssize_t n;
    do
        n = recv(fz->fd, p, 16384, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        die("the gateway closed the connection instead of answering");
    fz->resp.len += (size_t)n;
    fz->resp.ptr[fz->resp.len] = '\0';
}

/* The value of header `name` in the answer's head, or NULL. */
static const char *head_value(const fz_t *fz, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = strstr(fz->resp.ptr, "\r\n"); p && p < fz->resp.ptr + fz->head_len;
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nlen) == 0 && p[2 + nlen] == ':')
            return p + 3 + nlen;
    }
    return NULL;
}

static void read_answer(fz_t *fz)
{
    eng_buf_reset(&fz->resp);
    const char *end;
    while (!(end = strstr(fz->resp.ptr ? fz->resp.ptr : "", "\r\n\r\n")))
        recv_some(fz);
    fz->head_len = (size_t)(end + 4 - fz->resp.ptr);
    fz->status = atoi(fz->resp.ptr + sizeof("HTTP/1.1"));
    const char *cl = head_value(fz, "Content-Length");
    const char *conn = head_value(fz, "Connection");
    if (!cl)
        die("an answer without Content-Length");
    fz->body_len = strtoul(cl, NULL, 10);
    fz->is_close = conn && strncasecmp(conn, " close", 6) == 0;
    while (fz->resp.len < fz->head_len + fz->body_len)
        recv_some(fz);
    if (fz->resp.len != fz->head_len + fz->body_len)
        die("bytes after the answer to a request that was not pipelined");
}

/* POST `body` as operation `op`; the answer is in fz->status and fz->resp. */
static void call(fz_t *fz, const char *op, const char *body, size_t len)
{
    if (fz->fd < 0)
        client_connect(fz);
    eng_buf_reset(&fz->req);
    eng_buf_printf(&fz->req,
                   "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: DynamoDB_20120810.%s\r\n"
                   "Content-Type: application/x-amz-json-1.0\r\nContent-Length: %zu\r\n\r\n",
                   op, len);
    eng_buf_append(&fz->req, body, len);
    send_all(fz, fz->req.ptr, fz->req.len);
    read_answer(fz);
    if (fz->is_close)
        client_close(fz);
}

/* ---- the oracle -------------------------------------------------------- */

static void check_answer(const fz_t *fz, const char *op)
{
    const char *body = fz->resp.ptr + fz->head_len;
    cJSON *root = NULL;
    const char *bad = NULL;
    if (fz->status != 200 && fz->status != 400)
        bad = "status other than 200 or 400";
    else if (fz->status == 200 && fz->body_len == 0)
        bad = NULL; /* TagResource and UntagResource answer with no body, as DynamoDB does. */
    else if (eng_json_parse(body, fz->body_len, &root) < 0 || !cJSON_IsObject(root))
        bad = "answer is not a JSON object";
    else if (fz->status == 400 && !eng_json_get_str(root, "__type"))
        bad = "400 without __type";
    eng_json_delete(root);
    if (!bad)
        return;
    fprintf(stderr, "fuzz_ddb: %s: %s\n%.*s\n", op, bad, (int)fz->resp.len, fz->resp.ptr);
    abort();
}

/* ---- tables ------------------------------------------------------------ */

static void call_str(fz_t *fz, const char *op, const char *body)
{
    call(fz, op, body, strlen(body));
}

/* Delete every table, lifting deletion protection an input may have set. */
static void drop_all(fz_t *fz)
{
    call_str(fz, "ListTables", "{\"Limit\":100}");
    cJSON *root = NULL;
    if (fz->status != 200 || eng_json_parse(fz->resp.ptr + fz->head_len, fz->body_len, &root) < 0)
        die("ListTables failed during a reset");
    const cJSON *t;
    eng_buf_t name = {0}, b = {0};
    cJSON_ArrayForEach(t, eng_json_get(root, "TableNames"))
    {
        eng_buf_reset(&name);
        eng_json_append_string(&name, t->valuestring, strlen(t->valuestring));
        eng_buf_reset(&b);
        eng_buf_printf(&b, "{\"TableName\":%s,\"DeletionProtectionEnabled\":false}", name.ptr);
        call_str(fz, "UpdateTable", b.ptr);
        eng_buf_reset(&b);
        eng_buf_printf(&b, "{\"TableName\":%s}", name.ptr);
        call_str(fz, "DeleteTable", b.ptr);
    }
    eng_buf_free(&name);
    eng_buf_free(&b);
    eng_json_delete(root);
}

static void reset_tables(fz_t *fz)
{
    drop_all(fz);
    for (size_t i = 0; i < sizeof(BASE_TABLES) / sizeof(BASE_TABLES[0]); i++) {
        call_str(fz, "CreateTable", BASE_TABLES[i]);
        if (fz->status != 200)
            die("cannot create a base table");
    }
    call_str(fz, "UpdateTimeToLive", TTL_ON);
    if (fz->status != 200)
        die("cannot enable TTL on fz_hash");
    fz->n_inputs = 0;
    fz->n_created = 0;
}

/* ---- lifecycle --------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    fz_t *fz = g_fz;
    g_fz = NULL;
    client_close(fz);
    gw_shutdown(fz->gw);
    gw_wait(fz->gw);
    store_flush(fz->store);
    gw_ddb_destroy(fz->ddb);
    gw_destroy(fz->gw);
    store_ttl_stop(fz->ttl);
    store_close(fz->store);
    nftw(fz->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    eng_buf_free(&fz->req);
    eng_buf_free(&fz->resp);
    free(fz);
}

static void setup(fz_t *fz)
{
    const char *tmp = getenv("TMPDIR"); /* tools/fuzz points it at a directory it removes. */
    snprintf(fz->dir, sizeof(fz->dir), "%s/fuzz_ddb.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fz->dir))
        die("cannot create the data directory");
    const store_config_t scfg = {
        .dir = fz->dir, .durability = STORE_DURABILITY_NONE, .region = "us-east-1"};
    gw_config_t gcfg;
    gw_config_default(&gcfg);
    gcfg.port = 0;
    gcfg.threads = 1;
    if (store_open(&scfg, &fz->store) < 0 || store_ttl_start(fz->store, 50, &fz->ttl) < 0 ||
        gw_create(&gcfg, &fz->gw) < 0 ||
        gw_ddb_create(fz->gw, fz->store, "us-east-1", &fz->ddb) < 0 || gw_start(fz->gw) < 0)
        die("cannot start the store and the gateway");
    fz->port = gw_port(fz->gw);
    fz->fd = -1;
    fz->is_trace = getenv("FUZZ_DDB_TRACE") != NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    eng_log_set_level(ENG_LOG_ERROR); /* 400s are the normal case; keep the output for crashes. */
    g_fz = calloc(1, sizeof(*g_fz));
    setup(g_fz);
    reset_tables(g_fz);
    atexit(teardown);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t *fz = g_fz;
    if (size < 1)
        return 0;
    const char *op = OPS[data[0] % N_OPS];
    call(fz, op, (const char *)data + 1, size - 1);
    if (fz->is_trace)
        fprintf(stderr, "%s -> %d %.*s\n", op, fz->status, (int)fz->body_len,
                fz->resp.ptr + fz->head_len);
    check_answer(fz, op);
    if (fz->status == 200 && strcmp(op, "CreateTable") == 0)
        fz->n_created++;
    /* A deleted table may be a base one that later inputs expect. */
    bool is_dropped = fz->status == 200 && strcmp(op, "DeleteTable") == 0;
    if (++fz->n_inputs >= RESET_EVERY || fz->n_created >= MAX_EXTRA || is_dropped)
        reset_tables(fz);
    return 0;
}
