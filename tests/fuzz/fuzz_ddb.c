/* SPDX-License-Identifier: MIT
 * fuzz_ddb.c: libFuzzer target for the DynamoDB JSON 1.0 front door and the
 * DynamoDB Streams one. Input: the first byte modulo the number of entries
 * in OPS picks the operation (OPS[0] BatchGetItem ... OPS[21]
 * UpdateTimeToLive, OPS[22] an unknown DynamoDB name, then the Streams ones:
 * OPS[23] DescribeStream, [24] GetRecords, [25] GetShardIterator, [26]
 * ListStreams, [27] an unknown Streams name; appended so the committed
 * corpus keeps its meaning), the rest is the request body. Before it is sent
 * the body's placeholders are replaced, at most MAX_MARKS of them:
 *   @ARN@    the stream ARN of fz_stream, learned after each reset, then
 *            the last LatestStreamArn a TableDescription carried (so a
 *            stream an input enables on another table can be read too);
 *   @SHARD@  the id of that stream's only shard, learned with it, then the
 *            last one a DescribeStream answer listed;
 *   @IT@     the last ShardIterator or NextShardIterator an answer carried
 *            (after a reset: a TRIM_HORIZON iterator of fz_stream).
 * Iterators are signed with a key random per process, so inputs can only
 * name a valid one through @IT@. Any other '@' is sent as is.
 *
 * Seam: the real server in-process. Start-up opens a real store (LMDB in a
 * temporary directory, durability none) with its TTL sweeper, binds a real
 * gateway on 127.0.0.1:0 with one I/O thread and the DynamoDB and Streams
 * front doors (wired as `eddy serve` does), and every input is one HTTP POST
 * over a blocking keep-alive loopback socket. It costs a loopback round trip
 * per input but needs no product change, and it exercises exactly what a
 * client reaches: llhttp, routing, the handlers, the writer thread's group
 * commit and the reply back on the loop. libFuzzer's coverage counters and
 * the sanitizers are process-wide, so the handlers running on the I/O and
 * writer threads count.
 *
 * Oracle beyond ASan/UBSan/LSan: every answer must be 200 or 400 with a JSON
 * object body (200 may be empty), and every 400 must carry a "__type"; a 5xx, a closed connection
 * or an unparsable answer aborts. Tables inputs can name: fz_hash (pk S, TTL on "ttl"), fz_range
 * (pk S, sk N), fz_index (pk S, sk S, GSI gsi on g/sk, LSI lsi on pk/l) and fz_stream (pk S,
 * NEW_AND_OLD_IMAGES stream). Every RESET_EVERY inputs, once inputs created MAX_EXTRA tables, or
 * after an input deleted one, every table is deleted and the four recreated (and the placeholders
 * learned again), so the catalog and the items stay small.
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
#define MAX_MARKS 16u     /* Placeholders replaced per input; later ones are sent as is. */
#define MARK_CAP 1024u    /* Room for a placeholder's value; longer values are not learned. */

/* The placeholders an input body may contain; see the header comment. */
typedef enum mark { MARK_ARN, MARK_SHARD, MARK_IT, N_MARKS } mark_t;
static const char *const MARKS[N_MARKS] = {
    [MARK_ARN] = "@ARN@", [MARK_SHARD] = "@SHARD@", [MARK_IT] = "@IT@"};

#define DDB "DynamoDB_20120810."         /* X-Amz-Target prefix of the DynamoDB API. */
#define DDBS "DynamoDBStreams_20120810." /* And of the DynamoDB Streams API. */

/* X-Amz-Target of each operation; append only (see the header comment). */
static const char *const OPS[] = {
    DDB "BatchGetItem",
    DDB "BatchWriteItem",
    DDB "CreateTable",
    DDB "DeleteItem",
    DDB "DeleteTable",
    DDB "DescribeEndpoints",
    DDB "DescribeLimits",
    DDB "DescribeTable",
    DDB "DescribeTimeToLive",
    DDB "GetItem",
    DDB "ListTables",
    DDB "ListTagsOfResource",
    DDB "PutItem",
    DDB "Query",
    DDB "Scan",
    DDB "TagResource",
    DDB "TransactGetItems",
    DDB "TransactWriteItems",
    DDB "UntagResource",
    DDB "UpdateItem",
    DDB "UpdateTable",
    DDB "UpdateTimeToLive",
    DDB "NoSuchOperation",
    DDBS "DescribeStream",
    DDBS "GetRecords",
    DDBS "GetShardIterator",
    DDBS "ListStreams",
    DDBS "NoSuchOperation",
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
    char dir[4096];               /* Temporary data directory; removed at teardown. */
    store_t *store;               /* Owned; closed last. */
    store_ttl_t *ttl;             /* Owned sweeper; stopped before store_close. */
    gw_t *gw;                     /* Owned server: one I/O thread on 127.0.0.1:port. */
    gw_ddb_t *ddb;                /* Owned DynamoDB front door. */
    gw_ddbs_t *ddbs;              /* Owned Streams front door. */
    int port;                     /* The gateway's ephemeral port. */
    int fd;                       /* Keep-alive connection; -1 when closed. */
    char mark[N_MARKS][MARK_CAP]; /* Current value of each placeholder. */
    eng_buf_t body;               /* Input body with its placeholders replaced; reused. */
    eng_buf_t req;                /* Request being sent; reused. */
    eng_buf_t resp;               /* Answer head and body; reused. */
    size_t head_len;              /* Bytes of resp up to and including the blank line. */
    size_t body_len;              /* Content-Length of the answer. */
    int status;                   /* Status of the last answer. */
    bool is_close;                /* The last answer said Connection: close. */
    bool is_trace;                /* FUZZ_DDB_TRACE is set: print every answer to stderr. */
    unsigned n_inputs;            /* Inputs since the last reset. */
    unsigned n_created;           /* Tables inputs created since the last reset. */
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

/* POST `body` with X-Amz-Target `target`; the answer is in fz->status and fz->resp. */
static void call(fz_t *fz, const char *target, const char *body, size_t len)
{
    if (fz->fd < 0)
        client_connect(fz);
    eng_buf_reset(&fz->req);
    eng_buf_printf(&fz->req,
                   "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: %s\r\n"
                   "Content-Type: application/x-amz-json-1.0\r\nContent-Length: %zu\r\n\r\n",
                   target, len);
    eng_buf_append(&fz->req, body, len);
    send_all(fz, fz->req.ptr, fz->req.len);
    read_answer(fz);
    if (fz->is_close)
        client_close(fz);
}

/* ---- placeholders ------------------------------------------------------ */

/* Set placeholder `m` to `v` unless it does not fit; NULL leaves it as is. */
static void mark_set(fz_t *fz, mark_t m, const char *v)
{
    if (v && strlen(v) < MARK_CAP)
        memcpy(fz->mark[m], v, strlen(v) + 1);
}

/* The placeholder `p` (of `len` bytes) starts with, or N_MARKS. */
static mark_t mark_at(const char *p, size_t len)
{
    for (mark_t m = 0; m < N_MARKS; m++) {
        size_t n = strlen(MARKS[m]);
        if (n <= len && memcmp(p, MARKS[m], n) == 0)
            return m;
    }
    return N_MARKS;
}

/* Copy the input body into fz->body with up to MAX_MARKS placeholders replaced. */
static void expand(fz_t *fz, const char *p, size_t len)
{
    eng_buf_reset(&fz->body);
    eng_buf_reserve(&fz->body, len + 1); /* So an empty body still has a pointer. */
    unsigned n_marks = 0;
    const char *end = p + len;
    while (p < end) {
        const char *at = memchr(p, '@', (size_t)(end - p));
        if (!at)
            at = end;
        eng_buf_append(&fz->body, p, (size_t)(at - p));
        p = at;
        if (p == end)
            break;
        mark_t m = n_marks < MAX_MARKS ? mark_at(p, (size_t)(end - p)) : N_MARKS;
        if (m == N_MARKS) {
            eng_buf_append_char(&fz->body, *p++);
            continue;
        }
        eng_buf_append_str(&fz->body, fz->mark[m]);
        p += strlen(MARKS[m]);
        n_marks++;
    }
}

/* Keep the stream, shard and iterator a successful answer named for later inputs. */
static void learn(fz_t *fz, const cJSON *root)
{
    if (fz->status != 200)
        return;
    const cJSON *table = eng_json_get(root, "TableDescription");
    mark_set(fz, MARK_ARN, eng_json_get_str(table, "LatestStreamArn"));
    const cJSON *shards = eng_json_get(eng_json_get(root, "StreamDescription"), "Shards");
    mark_set(fz, MARK_SHARD, eng_json_get_str(cJSON_GetArrayItem(shards, 0), "ShardId"));
    mark_set(fz, MARK_IT, eng_json_get_str(root, "ShardIterator"));
    mark_set(fz, MARK_IT, eng_json_get_str(root, "NextShardIterator"));
}

/* ---- the oracle -------------------------------------------------------- */

static void check_answer(fz_t *fz, const char *op)
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
    else
        learn(fz, root);
    eng_json_delete(root);
    if (!bad)
        return;
    fprintf(stderr, "fuzz_ddb: %s: %s\n%.*s\n", op, bad, (int)fz->resp.len, fz->resp.ptr);
    abort();
}

/* ---- tables ------------------------------------------------------------ */

static void call_str(fz_t *fz, const char *target, const char *body)
{
    call(fz, target, body, strlen(body));
}

/* Call, die unless the answer is 200, and return it parsed (the caller deletes it). */
static cJSON *call_ok(fz_t *fz, const char *target, const char *body)
{
    call_str(fz, target, body);
    cJSON *root = NULL;
    if (fz->status != 200 || eng_json_parse(fz->resp.ptr + fz->head_len, fz->body_len, &root) < 0)
        die(target);
    return root;
}

/* Delete every table, lifting deletion protection an input may have set. */
static void drop_all(fz_t *fz)
{
    cJSON *root = call_ok(fz, DDB "ListTables", "{\"Limit\":100}");
    const cJSON *t;
    eng_buf_t name = {0}, b = {0};
    cJSON_ArrayForEach(t, eng_json_get(root, "TableNames"))
    {
        eng_buf_reset(&name);
        eng_json_append_string(&name, t->valuestring, strlen(t->valuestring));
        eng_buf_reset(&b);
        eng_buf_printf(&b, "{\"TableName\":%s,\"DeletionProtectionEnabled\":false}", name.ptr);
        call_str(fz, DDB "UpdateTable", b.ptr);
        eng_buf_reset(&b);
        eng_buf_printf(&b, "{\"TableName\":%s}", name.ptr);
        call_str(fz, DDB "DeleteTable", b.ptr);
    }
    eng_buf_free(&name);
    eng_buf_free(&b);
    eng_json_delete(root);
}

/* Learn @ARN@, @SHARD@ and a first @IT@ from the new fz_stream. */
static void learn_stream(fz_t *fz)
{
    cJSON *t = call_ok(fz, DDB "DescribeTable", "{\"TableName\":\"fz_stream\"}");
    mark_set(fz, MARK_ARN, eng_json_get_str(eng_json_get(t, "Table"), "LatestStreamArn"));
    eng_buf_t b = {0};
    eng_buf_printf(&b, "{\"StreamArn\":\"%s\"}", fz->mark[MARK_ARN]);
    cJSON *d = call_ok(fz, DDBS "DescribeStream", b.ptr);
    const cJSON *shards = eng_json_get(eng_json_get(d, "StreamDescription"), "Shards");
    mark_set(fz, MARK_SHARD, eng_json_get_str(cJSON_GetArrayItem(shards, 0), "ShardId"));
    eng_buf_reset(&b);
    eng_buf_printf(&b,
                   "{\"StreamArn\":\"%s\",\"ShardId\":\"%s\",\"ShardIteratorType\":"
                   "\"TRIM_HORIZON\"}",
                   fz->mark[MARK_ARN], fz->mark[MARK_SHARD]);
    cJSON *it = call_ok(fz, DDBS "GetShardIterator", b.ptr);
    mark_set(fz, MARK_IT, eng_json_get_str(it, "ShardIterator"));
    eng_json_delete(it);
    eng_json_delete(d);
    eng_json_delete(t);
    eng_buf_free(&b);
}

static void reset_tables(fz_t *fz)
{
    drop_all(fz);
    for (size_t i = 0; i < sizeof(BASE_TABLES) / sizeof(BASE_TABLES[0]); i++) {
        eng_json_delete(call_ok(fz, DDB "CreateTable", BASE_TABLES[i]));
    }
    eng_json_delete(call_ok(fz, DDB "UpdateTimeToLive", TTL_ON));
    learn_stream(fz);
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
    gw_ddbs_destroy(fz->ddbs);
    gw_destroy(fz->gw);
    store_ttl_stop(fz->ttl);
    store_close(fz->store);
    nftw(fz->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    eng_buf_free(&fz->body);
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
    /* The Streams front door as engine/main.c wires it, iterators living the default 15 min. */
    const gw_ddbs_config_t dcfg = {.region = "us-east-1"};
    if (store_open(&scfg, &fz->store) < 0 || store_ttl_start(fz->store, 50, &fz->ttl) < 0 ||
        gw_create(&gcfg, &fz->gw) < 0 ||
        gw_ddb_create(fz->gw, fz->store, "us-east-1", &fz->ddb) < 0 ||
        gw_ddbs_create(fz->gw, fz->store, &dcfg, &fz->ddbs) < 0 || gw_start(fz->gw) < 0)
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
    expand(fz, (const char *)data + 1, size - 1);
    call(fz, op, fz->body.ptr, fz->body.len);
    if (fz->is_trace)
        fprintf(stderr, "%s -> %d %.*s\n", op, fz->status, (int)fz->body_len,
                fz->resp.ptr + fz->head_len);
    check_answer(fz, op);
    if (fz->status == 200 && strcmp(op, DDB "CreateTable") == 0)
        fz->n_created++;
    /* A deleted table may be a base one that later inputs expect. */
    bool is_dropped = fz->status == 200 && strcmp(op, DDB "DeleteTable") == 0;
    if (++fz->n_inputs >= RESET_EVERY || fz->n_created >= MAX_EXTRA || is_dropped)
        reset_tables(fz);
    return 0;
}
