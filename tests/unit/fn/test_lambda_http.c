/* SPDX-License-Identifier: MIT
 * test_lambda_http.c: the Lambda REST front door (gateway/lambda*.c) over a
 * real gateway on an ephemeral loopback port, spoken to with raw HTTP/1.1:
 * CreateFunction, GetFunction, ListFunctions, Invoke in its three types with
 * LogType Tail and function errors, Lambda's error shape, DeleteFunction. */
#include "gateway/lambda_int.h"
#include "tests/lib/test.h"
#include "tests/unit/fn/t_fn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

T_MAIN_GLOBALS

typedef struct env {
    eng_fn_registry_t *reg;
    gw_t *gw;
    gw_lambda_t *lam;
    int port;
} env_t;

typedef struct reply {
    int status;
    eng_buf_t raw;    /* Whole response. */
    const char *body; /* Into raw. */
} reply_t;

static env_t env_start(void)
{
    env_t e = {.reg = t_fn_registry()};
    gw_config_t cfg;
    gw_config_default(&cfg);
    cfg.port = 0;
    cfg.threads = 1;
    if (gw_create(&cfg, &e.gw) < 0 || gw_lambda_create(e.gw, e.reg, &e.lam) < 0 ||
        gw_start(e.gw) < 0) {
        printf("Bail out! gateway did not start\n");
        exit(1);
    }
    e.port = gw_port(e.gw);
    return e;
}

static void env_stop(env_t *e)
{
    gw_shutdown(e->gw);
    gw_destroy(e->gw);
    gw_lambda_destroy(e->lam);
    eng_fn_registry_destroy(e->reg);
}

/* One request on a fresh connection; `headers` are extra lines with CRLFs. */
static reply_t request(const env_t *e, const char *method, const char *path, const char *headers,
                       const char *body)
{
    reply_t r = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)e->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return r;
    }
    eng_buf_t req = {0};
    eng_buf_printf(&req,
                   "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: "
                   "%zu\r\n\r\n%s",
                   method, path, headers, strlen(body), body);
    if (write(fd, req.ptr, req.len) != (ssize_t)req.len)
        r.status = -1;
    eng_buf_free(&req);
    char buf[8192];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
        eng_buf_append(&r.raw, buf, (size_t)n);
    close(fd);
    if (r.raw.ptr && sscanf(r.raw.ptr, "HTTP/1.1 %d", &r.status) == 1) {
        const char *sep = strstr(r.raw.ptr, "\r\n\r\n");
        r.body = sep ? sep + 4 : "";
    }
    return r;
}

static bool has_header(const reply_t *r, const char *line)
{
    return r->raw.ptr && strcasestr(r->raw.ptr, line) != NULL;
}

static void create(const env_t *e, const char *name, const char *module, const char *handler,
                   const char *extra)
{
    eng_buf_t b = {0};
    eng_buf_printf(&b,
                   "{\"FunctionName\":\"%s\",\"Runtime\":\"c\",\"Handler\":\"%s\","
                   "\"Code\":{\"Path\":\"%s/fn_%s.so\"}%s}",
                   name, handler, getenv("EDDY_TEST_FN_DIR"), module, extra);
    reply_t r = request(e, "POST", "/2015-03-31/functions", "", b.ptr);
    if (r.status != 201)
        printf("# create %s: %d %s\n", name, r.status, r.raw.ptr ? r.raw.ptr : "");
    eng_buf_free(&r.raw);
    eng_buf_free(&b);
}

static void test_crud_and_errors(void)
{
    env_t e = env_start();
    create(&e, "echo", "echo", "echo", "");
    reply_t r = request(&e, "GET", "/2015-03-31/functions/echo", "", "");
    T_ASSERT_EQ(200, r.status);
    T_ASSERT(strstr(r.body, "\"Configuration\":{\"FunctionName\":\"echo\""));
    eng_buf_free(&r.raw);
    r = request(&e, "GET",
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000"
                "%3Afunction%3Aecho/configuration",
                "", "");
    T_ASSERT_EQ(200, r.status);
    T_ASSERT(strstr(r.body, "\"State\":\"Active\""));
    eng_buf_free(&r.raw);
    r = request(&e, "POST", "/2015-03-31/functions", "",
                "{\"FunctionName\":\"echo\","
                "\"Runtime\":\"c\",\"Handler\":\"h\",\"Code\":{\"Path\":\"/bin/sh\"}}");
    T_ASSERT_EQ(409, r.status);
    T_ASSERT(has_header(&r, "x-amzn-ErrorType: ResourceConflictException"));
    eng_buf_free(&r.raw);
    r = request(&e, "GET", "/2015-03-31/functions/?MaxItems=10", "", "");
    T_ASSERT_EQ(200, r.status);
    T_ASSERT(strstr(r.body, "{\"Functions\":[{\"FunctionName\":\"echo\""));
    eng_buf_free(&r.raw);
    r = request(&e, "GET", "/2015-03-31/functions/nope", "", "");
    T_ASSERT_EQ(404, r.status);
    T_ASSERT(has_header(&r, "x-amzn-ErrorType: ResourceNotFoundException"));
    T_ASSERT_STREQ("{\"Type\":\"User\",\"message\":\"Function not found: "
                   "arn:aws:lambda:us-east-1:000000000000:function:nope\"}",
                   r.body);
    eng_buf_free(&r.raw);
    r = request(&e, "DELETE", "/2015-03-31/functions/echo", "", "");
    T_ASSERT_EQ(204, r.status);
    eng_buf_free(&r.raw);
    r = request(&e, "POST", "/2015-03-31/functions/echo/invocations", "", "{}");
    T_ASSERT_EQ(404, r.status);
    eng_buf_free(&r.raw);
    env_stop(&e);
}

static void test_invoke_types(void)
{
    env_t e = env_start();
    create(&e, "echo", "echo", "echo", "");
    create(&e, "logs", "logs", "logs", "");
    reply_t r = request(&e, "POST", "/2015-03-31/functions/echo/invocations", "", "{\"a\":1}");
    T_ASSERT_EQ(200, r.status);
    T_ASSERT_STREQ("{\"a\":1}", r.body);
    T_ASSERT(!has_header(&r, "X-Amz-Function-Error"));
    eng_buf_free(&r.raw);
    r = request(&e, "POST", "/2015-03-31/functions/logs/invocations", "X-Amz-Log-Type: Tail\r\n",
                "");
    T_ASSERT_EQ(200, r.status);
    T_ASSERT(has_header(&r, "X-Amz-Log-Result: "));
    eng_buf_free(&r.raw);
    r = request(&e, "POST", "/2015-03-31/functions/echo/invocations",
                "X-Amz-Invocation-Type: Event\r\n", "{}");
    T_ASSERT_EQ(202, r.status);
    eng_buf_free(&r.raw);
    r = request(&e, "POST", "/2015-03-31/functions/echo/invocations",
                "X-Amz-Invocation-Type: DryRun\r\n", "{}");
    T_ASSERT_EQ(204, r.status);
    eng_buf_free(&r.raw);
    r = request(&e, "POST", "/2015-03-31/functions/echo/invocations", "", "{not json");
    T_ASSERT_EQ(400, r.status);
    T_ASSERT(has_header(&r, "x-amzn-ErrorType: InvalidRequestContentException"));
    eng_buf_free(&r.raw);
    env_stop(&e);
}

static void test_function_errors_over_http(void)
{
    env_t e = env_start();
    create(&e, "crash", "crash", "crash", "");
    create(&e, "hang", "hang", "hang", ",\"Timeout\":0.3");
    reply_t r = request(&e, "POST", "/2015-03-31/functions/crash/invocations", "", "{}");
    T_ASSERT_EQ(200, r.status);
    T_ASSERT(has_header(&r, "X-Amz-Function-Error: Unhandled"));
    T_ASSERT(strstr(r.body, "\"errorType\":\"Runtime.ExitError\""));
    eng_buf_free(&r.raw);
    r = request(&e, "POST", "/2015-03-31/functions/hang/invocations", "", "{}");
    T_ASSERT_EQ(200, r.status);
    T_ASSERT(has_header(&r, "X-Amz-Function-Error: Unhandled"));
    T_ASSERT(strstr(r.body, "Task timed out after 0.30 seconds"));
    eng_buf_free(&r.raw);
    env_stop(&e);
}

static void test_base64(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eng_buf_t b = {0};
        eng_buf_append_str(&b, "");
        gw__lambda_base64(&b, cases[i].in, strlen(cases[i].in));
        T_ASSERT_STREQ(cases[i].out, b.ptr);
        eng_buf_free(&b);
    }
}

int main(void)
{
    T_RUN(test_base64);
    T_RUN(test_crud_and_errors);
    T_RUN(test_invoke_types);
    T_RUN(test_function_errors_over_http);
    return t_done();
}
