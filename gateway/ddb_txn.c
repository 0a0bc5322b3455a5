/* SPDX-License-Identifier: MIT
 * ddb_txn.c: TransactWriteItems and TransactGetItems. A write transaction
 * is validated whole, then goes to the writer as ONE atomic batch (so its
 * change-log records are appended together); each action's condition runs
 * on the writer against the item it guards. A ClientRequestToken is kept
 * as an engine record (written in the same batch) for 10 minutes, so a
 * retried request is answered without applying twice. A get transaction
 * reads every key from one snapshot. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TXN_MAX 100
#define TOKEN_TTL_MS (10 * 60 * 1000)
#define TOKEN_PREFIX "ddb/txn-token/"

static void on_write_done(ddb_wreq_t *w);

typedef struct act_kind {
    const char *name;   /* Member of the TransactItems element. */
    unsigned which;     /* Expressions it takes. */
    const char *member; /* "Item" or "Key". */
} act_kind_t;

static const act_kind_t ACTS[] = {
    {.name = "ConditionCheck", .which = DDB_X_COND, .member = "Key"},
    {.name = "Put", .which = DDB_X_COND, .member = "Item"},
    {.name = "Delete", .which = DDB_X_COND, .member = "Key"},
    {.name = "Update", .which = DDB_X_COND | DDB_X_UPDATE, .member = "Key"},
};

static int bad(ddb_call_t *c, const char *why)
{
    ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
    return ENG_EINVAL;
}

/* A read transaction's (or a replay's) capacity per table. DynamoDB bills 2
 * units per item (rounded up to whole 4 KB read) and, on transactions only,
 * also reports them as ReadCapacityUnits. Writes go through ddb_wcap.c, which
 * adds their indexes. */
typedef struct txn_cap {
    eng_slice_t name[TXN_MAX];
    double units[TXN_MAX];
    size_t n;
} txn_cap_t;

static void cap_add(txn_cap_t *cap, eng_slice_t name, size_t bytes, double per)
{
    double u = ceil((double)bytes / per);
    u = 2 * (u < 1 ? 1 : u);
    for (size_t i = 0; i < cap->n; i++) {
        if (eng_slice_eq(cap->name[i], name)) {
            cap->units[i] += u;
            return;
        }
    }
    if (cap->n < TXN_MAX) {
        cap->name[cap->n] = name;
        cap->units[cap->n++] = u;
    }
}

/* ConsumedCapacity as a list, one entry per table; `kind` "Read" or "Write". */
static void cap_append(eng_buf_t *out, int rcc, const txn_cap_t *cap, const char *kind)
{
    if (rcc <= 0)
        return;
    ddb__sep(out);
    eng_buf_append_str(out, "\"ConsumedCapacity\":[");
    for (size_t i = 0; i < cap->n; i++) {
        double u = cap->units[i];
        eng_buf_append_str(out, i ? ",{\"TableName\":" : "{\"TableName\":");
        eng_json_append_string(out, cap->name[i].ptr, cap->name[i].len);
        eng_buf_printf(out, ",\"CapacityUnits\":%.1f,\"%sCapacityUnits\":%.1f", u, kind, u);
        if (rcc == 2)
            eng_buf_printf(out, ",\"Table\":{\"CapacityUnits\":%.1f,\"%sCapacityUnits\":%.1f}", u,
                           kind, u);
        eng_buf_append_char(out, '}');
    }
    eng_buf_append_char(out, ']');
}

/* The request's own members, checked before any action is read: DynamoDB
 * reports every one that fails in one message, the token first. */
static const ddb_rule_t WRITE_MEMBER_RULES[] = {
    {.kind = DDB_RULE_LENGTH,
     .member = "ClientRequestToken",
     .field = "clientRequestToken",
     .min = 1,
     .max = 36},
    DDB_RULE_RCC,
    DDB_RULE_ICM,
};
static const ddb_rule_t GET_MEMBER_RULES[] = {DDB_RULE_RCC};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t fnv(uint64_t h, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* A hash of a request's parameters: a retry must send the same ones, but
 * its client may space them or order an object's members differently, so
 * members combine by sum and only arrays keep their order. */
static uint64_t param_hash(const cJSON *j)
{
    uint64_t h = fnv(1469598103934665603ull, (const char *)&j->type, sizeof(j->type));
    if (cJSON_IsString(j))
        return fnv(h, j->valuestring, strlen(j->valuestring));
    if (cJSON_IsNumber(j))
        return fnv(h, (const char *)&j->valuedouble, sizeof(j->valuedouble));
    uint64_t sum = 0;
    for (const cJSON *m = j->child; m; m = m->next) {
        uint64_t mh = param_hash(m);
        if (cJSON_IsObject(j))
            sum += fnv(mh, m->string, strlen(m->string)) * 0x9e3779b97f4a7c15ull;
        else
            h = fnv(h, (const char *)&mh, sizeof(mh));
    }
    return h + sum;
}

/* act_add's result for a fault DynamoDB reports as a ValidationError
 * cancellation reason of that action, not as a ValidationException. */
#define ACT_CANCEL 1
#define TXN_PAYLOAD_MAX (4u * 1024 * 1024)

/* The item or key text of one action into the last write. Returns 0,
 * ACT_CANCEL or ENG_EINVAL (*why set either way). */
static int act_key(ddb_call_t *c, ddb_wreq_t *w, const act_kind_t *k, const cJSON *a,
                   const ddb_schema_t *s, const char **why)
{
    store_write_t *sw = &w->writes[w->n_writes - 1];
    const cJSON *obj = eng_json_get(a, k->member);
    bool is_put = strcmp(k->name, "Put") == 0;
    int err = 0;
    if (is_put) {
        size_t off = w->data.len, size = 0;
        if ((err = ddb__item_canon(c->th, obj, &w->data, &size, why)) < 0)
            return err;
        ddb__wreq_mark(w, off, true);
        sw->item_size = (uint32_t)size;
    }
    size_t off = w->data.len;
    /* DynamoDB refuses an empty key value up front and reports other key
     * faults as the action's ValidationError. */
    store_key_fault_t fault;
    if ((err = ddb__key_build(c->th, s, obj, !is_put, &sw->key, &w->data, why, &fault)) < 0)
        return fault == STORE_KEY_EMPTY ? ENG_EINVAL : ACT_CANCEL;
    ddb__wreq_mark(w, off, false);
    sw->kind = strcmp(k->name, "Delete") == 0 ? STORE_W_DELETE : STORE_W_PUT;
    for (size_t i = 0; i + 1 < w->n_writes; i++)
        if (w->writes[i].table_id == sw->table_id && w->writes[i].key.len == sw->key.len &&
            memcmp(w->writes[i].key.buf, sw->key.buf, sw->key.len) == 0) {
            *why = "Transaction request cannot include multiple operations on one item";
            return ENG_EINVAL;
        }
    return 0;
}

static const char *const CF_FIELDS[] = {"conditionCheck", "put", "delete", "update"};

/* ReturnValuesOnConditionCheckFailure must be ALL_OLD or NONE. */
static int check_cf(ddb_call_t *c, const char *cf, int pos, size_t kind)
{
    if (!cf || strcmp(cf, "ALL_OLD") == 0 || strcmp(cf, "NONE") == 0)
        return 0;
    ddb__reply_validation(c->th, c->req,
                          "1 validation error detected: Value '%s' at "
                          "'transactItems.%d.member.%s.returnValuesOnConditionCheckFailure' "
                          "failed to satisfy constraint: Member must satisfy enum value set: "
                          "[ALL_OLD, NONE]",
                          cf, pos, CF_FIELDS[kind]);
    return ENG_EINVAL;
}

/* A Put whose item breaks an index key: a wrong type cancels the action
 * (ACT_CANCEL, message in th->why), an empty key value refuses the request. */
static int check_put_index(ddb_call_t *c, const store_table_t *t, const cJSON *item)
{
    eng_buf_reset(&c->th->why);
    bool is_type;
    cJSON *meta = ddb__index_meta(t);
    const int err = ddb__index_check_item(meta, item, &c->th->why, &is_type);
    eng_json_delete(meta);
    if (err == 0)
        return 0;
    /* DynamoDB cancels over a type mismatch, and refuses an empty key outright. */
    return is_type ? ACT_CANCEL : bad(c, c->th->why.ptr);
}

/* The action of TransactItems element `pos` (1-based) and its member
 * constraints: one operation, a well-formed table name, a known
 * ReturnValuesOnConditionCheckFailure. Returns 0 or ENG_EINVAL (replied). */
static int act_shape(ddb_call_t *c, const cJSON *elem, int pos, const act_kind_t **kind,
                     const cJSON **action)
{
    const act_kind_t *k = NULL;
    const cJSON *a = NULL;
    for (size_t i = 0; i < ENG_ARRAY_LEN(ACTS) && !k; i++)
        if ((a = eng_json_get(elem, ACTS[i].name)))
            k = &ACTS[i];
    if (!k)
        return bad(c, "Invalid Request: TransactWriteRequest should contain Delete or Put or "
                      "Update request");
    if (!cJSON_IsObject(a))
        return bad(c, "TransactItems can only contain one of Check, Put, Update or Delete");
    const char *why = NULL;
    char field[64]; /* The member path DynamoDB names, e.g. transactItems.2.member.put. */
    snprintf(field, sizeof(field), "transactItems.%d.member.%s.tableName", pos,
             CF_FIELDS[k - ACTS]);
    if (ddb__check_table_name(c->th, ddb__name_of(a), field, &why) < 0)
        return bad(c, why);
    const char *cf = eng_json_get_str(a, "ReturnValuesOnConditionCheckFailure");
    if (check_cf(c, cf, pos, (size_t)(k - ACTS)) < 0)
        return ENG_EINVAL;
    *kind = k;
    *action = a;
    return 0;
}

/* Is an ExpressionAttributeValue nested past DynamoDB's 32 levels (the value
 * itself is level 1)? Transactions refuse it as a whole request, in the
 * item's words; a value past 60 levels is left to the expression parser,
 * which names its key as DynamoDB does. */
static bool has_deep_value(const cJSON *a)
{
    const cJSON *vals = eng_json_get(a, "ExpressionAttributeValues");
    for (const cJSON *v = cJSON_IsObject(vals) ? vals->child : NULL; v; v = v->next) {
        const int d = ddb__value_depth(v);
        if (d >= 32 && d <= 60)
            return true;
    }
    return false;
}

/* One TransactItems element as read up front: its action and the action's
 * parsed expressions, which act_add takes over. */
typedef struct txn_act {
    const act_kind_t *kind;
    const cJSON *action;
    ddb_exprs_t x;
} txn_act_t;

static void acts_free(txn_act_t *acts, int n)
{
    for (int i = 0; i < n; i++)
        ddb__exprs_free(&acts[i].x);
    eng_free(acts);
}

/* What DynamoDB reads of an action before it looks up any table: its
 * expressions (syntax, unused names and values; kept in act->x) and a Put's
 * item (depth, size, values). Returns 0 or ENG_EINVAL (replied). */
static int act_read(ddb_call_t *c, txn_act_t *act)
{
    const char *why = NULL;
    const act_kind_t *k = act->kind;
    const cJSON *a = act->action;
    if (has_deep_value(a))
        return bad(c, DDB_NEST_MSG);
    if (ddb__exprs_parse(c->th, a, k->which, &act->x, &why) < 0)
        return bad(c, why);
    if (strcmp(k->name, "Put") != 0)
        return 0;
    size_t size = 0;
    eng_buf_reset(&c->th->canon);
    return ddb__item_canon(c->th, eng_json_get(a, "Item"), &c->th->canon, &size, &why) < 0
               ? bad(c, why)
               : 0;
}

/* Every element's member constraints, then what each action says: both
 * outrank a missing table or a duplicate target anywhere in the request.
 * Returns 0 or ENG_EINVAL (replied). */
static int acts_read(ddb_call_t *c, const cJSON *items, txn_act_t *acts)
{
    const cJSON *e;
    int i = 0;
    cJSON_ArrayForEach(e, items)
    {
        if (act_shape(c, e, i + 1, &acts[i].kind, &acts[i].action) < 0)
            return ENG_EINVAL;
        i++;
    }
    for (int j = 0; j < i; j++)
        if (act_read(c, &acts[j]) < 0)
            return ENG_EINVAL;
    return 0;
}

/* One TransactItems element, read by acts_read, into one write of `w`.
 * Returns 0, ACT_CANCEL (not replied; message in *cancel_why) or an error
 * (replied). */
static int act_add(ddb_call_t *c, ddb_wreq_t *w, txn_act_t *act, const char **cancel_why)
{
    const act_kind_t *k = act->kind;
    const cJSON *a = act->action;
    const char *why = NULL, *table = ddb__name_of(a);
    const char *cf = eng_json_get_str(a, "ReturnValuesOnConditionCheckFailure");
    store_table_t t;
    const ddb_schema_t *s = NULL;
    int err = ddb__table(c, table, &t, &s);
    if (err < 0)
        return err;
    ddb_exprs_t x = act->x; /* Taken over: freed here on every path. */
    act->x = (ddb_exprs_t){0};
    store_write_t *sw = ddb__wreq_add(w);
    sw->table_id = t.id;
    if ((err = act_key(c, w, k, a, s, &why)) != 0) {
        ddb__exprs_free(&x);
        *cancel_why = why;
        return err == ACT_CANCEL ? ACT_CANCEL : bad(c, why);
    }
    bool is_icm = false;
    if (strcmp(k->name, "ConditionCheck") != 0)
        ddb__icm_wanted(c, s, &is_icm); /* The value itself was checked up front. */
    const bool is_update = strcmp(k->name, "Update") == 0;
    /* Both replies group by table name; an Update's name explains an index fault. */
    if (w->rcc > 0 || is_icm || is_update) {
        ddb_woff_t *o = &w->offs[w->n_writes - 1];
        o->name_off = w->data.len;
        o->name_len = strlen(table);
        eng_buf_append(&w->data, table, o->name_len);
    }
    if (is_icm)
        ddb__icm_mark(w, s);
    sw->want_old = w->rcc > 0; /* Billed by the larger of the item before and after. */
    if (strcmp(k->name, "Put") == 0 &&
        (err = check_put_index(c, &t, eng_json_get(a, "Item"))) != 0) {
        ddb__exprs_free(&x);
        *cancel_why = c->th->why.ptr;
        return err;
    }
    unsigned flags = (cf && strcmp(cf, "ALL_OLD") == 0) ? STORE_UPDATE_KEEP_OLD : 0;
    bool is_check = strcmp(k->name, "ConditionCheck") == 0;
    if (is_check && !x.cond) {
        ddb__exprs_free(&x);
        return bad(c, "The ConditionCheck operation requires a ConditionExpression");
    }
    if (strcmp(k->name, "Update") == 0 && !x.update)
        store_expr_from_legacy_updates(NULL, &x.update, &c->th->why);
    flags |= is_check ? STORE_UPDATE_CHECK_ONLY : 0;
    store_expr_t *upd = x.update, *cond = x.cond;
    x.update = x.cond = NULL;
    ddb__exprs_free(&x);
    if ((upd || cond) && ddb__wreq_update(w, s, upd, cond, flags, &why) < 0)
        return bad(c, why);
    return 0;
}

/* A token seen within 10 minutes: 1 (same request: already applied), or a
 * mismatch reply (ENG_EEXIST); 0 when new. */
static int token_check(ddb_call_t *c, const char *token, uint64_t hash)
{
    char key[64 + 40];
    snprintf(key, sizeof(key), TOKEN_PREFIX "%s", token);
    eng_slice_t val;
    if (ddb__read(c) < 0 || store_kv_get(c->th->reader, eng_slice_cstr(key), &val) < 0)
        return 0;
    uint64_t h = 0, at = 0;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*s", (int)(val.len < 63 ? val.len : 63), val.ptr);
    if (sscanf(buf, "%" SCNx64 " %" SCNu64, &h, &at) != 2 || now_ms() - at > TOKEN_TTL_MS)
        return 0;
    if (h == hash)
        return 1;
    ddb__reply_err(c->th, c->req, DDB_E_IDEMPOTENT,
                   "Request parameters do not match the original request with the same "
                   "ClientRequestToken");
    return ENG_EEXIST;
}

/* Add the token record to the batch (aux holds its key, then its value). */
static void token_add(ddb_wreq_t *w, const char *token, uint64_t hash)
{
    eng_buf_printf(&w->aux, TOKEN_PREFIX "%s", token);
    size_t klen = w->aux.len;
    eng_buf_printf(&w->aux, "%016" PRIx64 " %" PRIu64, hash, now_ms());
    store_write_t *sw = ddb__wreq_add(w);
    /* aux does not grow again before the commit, so these slices stay valid. */
    sw->kind = STORE_W_KV_PUT;
    sw->table = eng_slice(w->aux.ptr, klen);
    sw->item = eng_slice(w->aux.ptr + klen, w->aux.len - klen);
}

/* TransactionCanceledException naming each action's code (`names`, "A, B")
 * with `reasons` ("CancellationReasons":[...]) beside the message. */
static void reply_cancelled(ddb_thread_t *th, gw_req_t *req, const eng_buf_t *names,
                            eng_slice_t reasons)
{
    eng_buf_t msg = {0};
    eng_buf_printf(&msg,
                   "Transaction cancelled, please refer cancellation reasons for specific "
                   "reasons [%s]",
                   names->ptr ? names->ptr : "");
    ddb__reply_err_extra(th, req, DDB_E_TXN_CANCELED, msg.ptr, reasons);
    eng_buf_free(&msg);
}

/* Reply TransactionCanceledException for a validation fault in action `pos`
 * (1-based) of `n`: DynamoDB stops at the first, so the others say None. */
static void cancel_invalid(ddb_call_t *c, int n, int pos, const char *why)
{
    eng_buf_t extra = {0}, names = {0};
    eng_buf_append_str(&extra, "\"CancellationReasons\":[");
    for (int i = 1; i <= n; i++) {
        const char *code = i == pos ? "ValidationError" : "None";
        eng_buf_printf(&extra, "%s{\"Code\":\"%s\"", i > 1 ? "," : "", code);
        if (i == pos) {
            eng_buf_append_str(&extra, ",\"Message\":");
            eng_json_append_string(&extra, why ? why : "", why ? strlen(why) : 0);
        }
        eng_buf_append_char(&extra, '}');
        eng_buf_printf(&names, "%s%s", i > 1 ? ", " : "", code);
    }
    eng_buf_append_char(&extra, ']');
    reply_cancelled(c->th, c->req, &names, eng_slice(extra.ptr, extra.len));
    eng_buf_free(&extra);
    eng_buf_free(&names);
}

/* The bytes of the items a transaction puts: DynamoDB caps the payload. */
static size_t payload_bytes(const ddb_wreq_t *w)
{
    size_t total = 0;
    for (size_t i = 0; i < w->n_writes; i++)
        total += w->writes[i].kind == STORE_W_PUT ? w->writes[i].item_size : 0;
    return total;
}

/* The size a replay bills action `a` by: its item as stored now. 0 when the
 * item or its table is gone (a missing item is billed as a read too). */
static size_t replay_size(ddb_call_t *c, const txn_act_t *a)
{
    store_table_t t;
    const ddb_schema_t *s = NULL;
    store_key_t key;
    store_key_fault_t fault;
    const char *why = NULL;
    eng_slice_t text;
    const char *table = ddb__name_of(a->action);
    bool is_put = strcmp(a->kind->name, "Put") == 0;
    if (!table || ddb__table_find(c, table, &t, &s) < 0 ||
        ddb__key_build(c->th, s, eng_json_get(a->action, a->kind->member), !is_put, &key, NULL,
                       &why, &fault) < 0 ||
        store_item_get(c->th->reader, t.id, &key, &text) < 0)
        return 0;
    return ddb__item_size(c->th, text);
}

/* A repeated request under the same token: nothing is applied again, and
 * DynamoDB bills the answer as a transactional read of each item, 2 units
 * per 4 KB of the item it holds. */
static void reply_replay(ddb_call_t *c, const txn_act_t *acts, int n, int rcc)
{
    txn_cap_t cap = {.n = 0};
    for (int i = 0; i < n && rcc > 0; i++) {
        const char *table = ddb__name_of(acts[i].action);
        if (table)
            cap_add(&cap, eng_slice_cstr(table), replay_size(c, &acts[i]), 4096.0);
    }
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_char(out, '{');
    cap_append(out, rcc, &cap, "Read");
    eng_buf_append_char(out, '}');
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

/* TransactItems' length, which DynamoDB checks before anything else.
 * Returns the number of items, or ENG_EINVAL (replied). */
static int items_count(ddb_call_t *c, const cJSON *items)
{
    const int n = cJSON_GetArraySize(items);
    if (cJSON_IsArray(items) && n >= 1 && n <= TXN_MAX)
        return n;
    return bad(c, !cJSON_IsArray(items) ? "1 validation error detected: Value null at "
                                          "'transactItems' failed to satisfy constraint: Member "
                                          "must not be null"
                  : n > TXN_MAX ? "1 validation error detected: Value at 'TransactItems' failed "
                                  "to satisfy constraint: Member must have length less than or "
                                  "equal to 100"
                                : "1 validation error detected: Value at 'TransactItems' failed "
                                  "to satisfy constraint: Member must have length greater than "
                                  "or equal to 1");
}

/* Every action into `w`. A request-level fault in any action outranks an
 * earlier action's cancellation, so all are checked before the first
 * cancellation is reported. Returns 0 or ENG_EINVAL (replied). */
static int acts_add(ddb_call_t *c, ddb_wreq_t *w, txn_act_t *acts, int n)
{
    int cancel_pos = 0;
    for (int pos = 1; pos <= n; pos++) {
        const char *why = NULL;
        int err = act_add(c, w, &acts[pos - 1], &why);
        if (err == ACT_CANCEL && !cancel_pos) {
            cancel_pos = pos;
            eng_buf_reset(&w->aux);
            eng_buf_append_str(&w->aux, why ? why : "");
        } else if (err < 0) {
            return ENG_EINVAL;
        }
    }
    if (cancel_pos) {
        cancel_invalid(c, n, cancel_pos, w->aux.ptr);
        return ENG_EINVAL;
    }
    if (payload_bytes(w) > TXN_PAYLOAD_MAX)
        return bad(c, "Transaction request payload size cannot exceed 4 MB");
    return 0;
}

/* After every action was read: replay a known token, or build the write
 * (charged per `rcc`) and submit it. Replies on every path. */
static void transact_write(ddb_call_t *c, txn_act_t *acts, int n, int rcc)
{
    const char *token = eng_json_get_str(c->body, "ClientRequestToken");
    uint64_t hash = param_hash(c->body);
    int seen = token ? token_check(c, token, hash) : 0;
    if (seen != 0) {
        if (seen > 0)
            reply_replay(c, acts, n, rcc);
        return;
    }
    ddb_wreq_t *w = ddb__wreq_get(c, on_write_done);
    w->rcc = rcc;
    if (acts_add(c, w, acts, n) < 0) {
        ddb__wreq_put(w);
        return;
    }
    w->units = n;
    if (token)
        token_add(w, token, hash);
    ddb__wreq_keep_body(w, c);
    ddb__wreq_submit(w, true);
}

void ddb__op_transact_write(ddb_call_t *c)
{
    const cJSON *items = eng_json_get(c->body, "TransactItems");
    const int n = items_count(c, items);
    bool is_icm = false;
    ddb_members_t got;
    if (n < 0 ||
        ddb__rules_check(c, WRITE_MEMBER_RULES, ENG_ARRAY_LEN(WRITE_MEMBER_RULES), 0, &got) < 0 ||
        ddb__icm_wanted(c, NULL, &is_icm) < 0)
        return;
    /* Each action is read (shape, expressions) once, here, for both passes. */
    txn_act_t *acts = eng_calloc((size_t)n, sizeof(*acts));
    if (acts_read(c, items, acts) == 0)
        transact_write(c, acts, n, got.rcc);
    acts_free(acts, n);
}

/* Why storage refused Update action i's new item (an index key of the
 * wrong type or an empty value), as DynamoDB words it, into `out`. Returns
 * 0 with *is_type, or ENG_ENOTFOUND when no index explains it. */
static int index_fault(ddb_wreq_t *w, size_t i, eng_buf_t *out, bool *is_type)
{
    const store_update_t *u = w->offs[i].upd;
    const ddb_woff_t *o = &w->offs[i];
    if (!u || !store_update_new(u).len || !o->name_len || o->name_len > DDB_NAME_MAX)
        return ENG_ENOTFOUND;
    char table[DDB_NAME_MAX + 1];
    memcpy(table, w->data.ptr + o->name_off, o->name_len);
    table[o->name_len] = '\0';
    eng_buf_reset(out);
    return ddb__index_mismatch(w->th, table, store_update_new(u), true, out, is_type);
}

/* Code and message of one action for CancellationReasons (`why`: the
 * action's explained ValidationError, or NULL). */
static void reason(ddb_wreq_t *w, size_t i, int err, const char *why, eng_buf_t *out,
                   eng_buf_t *names)
{
    const store_update_t *u = w->offs[i].upd;
    const char *code = "None", *msg = NULL;
    if (err == ENG_ECONDITION) {
        code = "ConditionalCheckFailed";
        msg = "The conditional request failed";
    } else if (err == ENG_EINVAL) {
        code = "ValidationError";
        msg = u && store_update_why(u) ? store_update_why(u) : why ? why : "Invalid request";
    } else if (err < 0) {
        code = "InternalError";
        msg = "Internal server error";
    }
    ddb__sep(out);
    eng_buf_printf(out, "{\"Code\":\"%s\"", code);
    if (msg) {
        eng_buf_append_str(out, ",\"Message\":");
        eng_json_append_string(out, msg, strlen(msg));
    }
    if (err == ENG_ECONDITION && u && store_update_old(u).len) {
        eng_buf_append_str(out, ",\"Item\":");
        eng_buf_append(out, store_update_old(u).ptr, store_update_old(u).len);
    }
    eng_buf_append_char(out, '}');
    eng_buf_printf(names, "%s%s", names->len ? ", " : "", code);
}

/* The table name action i was given. */
static eng_slice_t action_table(const ddb_wreq_t *w, size_t i)
{
    return eng_slice(w->data.ptr + w->offs[i].name_off, w->offs[i].name_len);
}

/* Action i's item before and after its committed write (len 0: absent; a
 * ConditionCheck's are the same text); returns the size it is billed by,
 * the larger of the two. */
static size_t action_images(const ddb_wreq_t *w, size_t i, eng_slice_t *old, eng_slice_t *nw)
{
    const store_write_t *sw = &w->writes[i];
    const store_update_t *u = w->offs[i].upd;
    *old = sw->had_old ? eng_slice(sw->old.ptr, sw->old.len)
                       : (u ? store_update_old(u) : (eng_slice_t){0});
    /* After the commit a Put or Update write holds its final item. */
    *nw = sw->kind == STORE_W_PUT ? sw->item : (eng_slice_t){0};
    size_t bytes = sw->kind == STORE_W_PUT ? sw->item_size : 0;
    size_t old_size = old->len ? ddb__item_size(w->th, *old) : 0;
    return old_size > bytes ? old_size : bytes;
}

/* The ConsumedCapacity entry of the table of action `first` (its first
 * action), from its actions among the first n: the table is charged 2 units
 * per action, per 1 KB of the larger item; each index what the same write
 * costs outside a transaction (ddb_wcap.c), so a ConditionCheck, which
 * leaves its item as it was, charges none. */
static void table_capacity(const ddb_wreq_t *w, size_t first, size_t n, eng_buf_t *out)
{
    const eng_slice_t name = action_table(w, first);
    char table[DDB_NAME_MAX + 1];
    snprintf(table, sizeof(table), "%.*s", (int)name.len, name.ptr);
    ddb_wcap_t cap;
    ddb__wcap_open(w->th, table, &cap); /* On failure: table units alone. */
    cap.is_txn = true;
    for (size_t i = first; i < n; i++) {
        if (!eng_slice_eq(action_table(w, i), name))
            continue;
        eng_slice_t old, nw;
        const size_t bytes = action_images(w, i, &old, &nw);
        ddb__wcap_add(&cap, old, nw, 2 * ddb__wcap_units(bytes));
    }
    ddb__sep(out);
    ddb__wcap_obj(&cap, w->rcc, name, out);
    ddb__wcap_close(&cap);
}

/* ConsumedCapacity: one entry per table, in the order tables first appear. */
static void write_capacity(const ddb_wreq_t *w, eng_buf_t *out)
{
    if (w->rcc <= 0)
        return;
    size_t n = (size_t)w->units; /* Actions; a token record may follow them. */
    ddb__sep(out);
    eng_buf_append_str(out, "\"ConsumedCapacity\":[");
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && !eng_slice_eq(action_table(w, j), action_table(w, i)))
            j++;
        if (j == i) /* The first action on its table. */
            table_capacity(w, i, n, out);
    }
    eng_buf_append_char(out, ']');
}

static void on_write_done(ddb_wreq_t *w)
{
    int err = w->batch.err;
    if (err == 0) {
        eng_buf_t *out = &w->th->out;
        eng_buf_reset(out);
        eng_buf_append_char(out, '{');
        write_capacity(w, out);
        ddb__icm_append(w, out);
        eng_buf_append_char(out, '}');
        ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
        return;
    }
    if (err != ENG_ECONDITION && err != ENG_EINVAL) {
        ddb__reply_store_err(w->th, w->req, err);
        return;
    }
    eng_buf_t names = {0}, why = {0};
    eng_buf_t *aux = &w->aux;
    size_t n = (size_t)w->units; /* Actions; a token record may follow them. */
    /* An update that empties an index key refuses the whole request. */
    bool is_type = false;
    for (size_t i = 0; i < n && !is_type; i++) {
        if (w->writes[i].err == ENG_EINVAL && index_fault(w, i, &why, &is_type) == 0 && !is_type) {
            ddb__reply_err(w->th, w->req, DDB_E_VALIDATION, why.ptr);
            eng_buf_free(&why);
            return;
        }
    }
    eng_buf_reset(aux);
    eng_buf_append_str(aux, "\"CancellationReasons\":[");
    for (size_t i = 0; i < n; i++) {
        bool has_why = w->writes[i].err == ENG_EINVAL && index_fault(w, i, &why, &is_type) == 0;
        reason(w, i, w->writes[i].err, has_why ? why.ptr : NULL, aux, &names);
    }
    eng_buf_append_char(aux, ']');
    reply_cancelled(w->th, w->req, &names, eng_slice(aux->ptr, aux->len));
    eng_buf_free(&names);
    eng_buf_free(&why);
}

/* ---- TransactGetItems --------------------------------------------------- */

/* What a get transaction gathers as it walks its Gets. */
typedef struct get_txn {
    eng_buf_t body;              /* The reply, built as the Gets are read. */
    txn_cap_t cap;               /* Read capacity per table. */
    eng_buf_t keys;              /* Encoded keys read so far, back to back. */
    uint32_t key_table[TXN_MAX]; /* Table id of each key in `keys`. */
    size_t key_end[TXN_MAX];     /* End offset of each key in `keys`. */
    size_t n_keys;
} get_txn_t;

/* Remember the key of a Get; ENG_EEXIST when an earlier Get named the same
 * item, which DynamoDB refuses as it does for write transactions. */
static int get_seen(get_txn_t *g, uint32_t table_id, const store_key_t *key)
{
    size_t start = 0;
    for (size_t i = 0; i < g->n_keys; start = g->key_end[i++])
        if (g->key_table[i] == table_id && g->key_end[i] - start == key->len &&
            memcmp(g->keys.ptr + start, key->buf, key->len) == 0)
            return ENG_EEXIST;
    eng_buf_append(&g->keys, (const char *)key->buf, key->len);
    g->key_table[g->n_keys] = table_id;
    g->key_end[g->n_keys++] = g->keys.len;
    return 0;
}

/* Append the response of a Get of `key`: {} when the item is missing or
 * the projection keeps none of its attributes (DynamoDB then omits Item). */
static void get_read(ddb_call_t *c, get_txn_t *g, const store_table_t *t, const char *table,
                     const store_key_t *key, const store_expr_t *proj)
{
    eng_slice_t text;
    size_t bytes = 0; /* A missing item is billed too. */
    ddb__sep(&g->body);
    eng_buf_append_char(&g->body, '{');
    if (store_item_get(c->th->reader, t->id, key, &text) == 0) {
        size_t at = g->body.len;
        eng_buf_append_str(&g->body, "\"Item\":");
        size_t item_at = g->body.len;
        ddb__project(text, proj, &g->body);
        if (g->body.len - item_at == 2) { /* "{}": nothing projected. */
            g->body.len = at;
            g->body.ptr[at] = '\0';
        }
        bytes = ddb__item_size(c->th, text);
    }
    cap_add(&g->cap, eng_slice_cstr(table), bytes, 4096.0);
    eng_buf_append_char(&g->body, '}');
}

/* One Get (1-based `pos`) into `g`. Returns 0, ACT_CANCEL (a key fault: not
 * replied, message in *cancel_why) or an error (replied). */
static int get_one(ddb_call_t *c, const cJSON *elem, int pos, get_txn_t *g, const char **cancel_why)
{
    const cJSON *gj = eng_json_get(elem, "Get");
    const char *why = NULL, *table = ddb__name_of(gj);
    char field[48];
    snprintf(field, sizeof(field), "transactItems.%d.member.get.tableName", pos);
    if (!cJSON_IsObject(gj) || ddb__check_table_name(c->th, table, field, &why) < 0)
        return bad(c, why ? why : "TransactItems can only contain Get");
    store_table_t t;
    const ddb_schema_t *s = NULL;
    int err = ddb__table(c, table, &t, &s);
    if (err < 0)
        return err;
    ddb_exprs_t x;
    if (ddb__exprs_parse(c->th, gj, DDB_X_PROJ, &x, &why) < 0)
        return bad(c, why);
    store_key_t key;
    store_key_fault_t fault;
    if ((err = ddb__key_build(c->th, s, eng_json_get(gj, "Key"), true, &key, NULL, &why, &fault)) <
        0) {
        ddb__exprs_free(&x);
        if (fault == STORE_KEY_EMPTY) /* Refused up front, as for writes. */
            return bad(c, why);
        *cancel_why = why;
        return ACT_CANCEL;
    }
    if (get_seen(g, t.id, &key) < 0) {
        ddb__exprs_free(&x);
        return bad(c, "Transaction request cannot include multiple operations on one item");
    }
    get_read(c, g, &t, table, &key, x.proj);
    ddb__exprs_free(&x);
    return 0;
}

void ddb__op_transact_get(ddb_call_t *c)
{
    const cJSON *items = eng_json_get(c->body, "TransactItems");
    const int n = items_count(c, items);
    ddb_members_t got;
    if (n < 0 ||
        ddb__rules_check(c, GET_MEMBER_RULES, ENG_ARRAY_LEN(GET_MEMBER_RULES), 0, &got) < 0)
        return;
    const int rcc = got.rcc;
    eng_buf_t cancel = {0};
    get_txn_t gt = {.n_keys = 0}, *g = &gt;
    eng_buf_append_str(&g->body, "{\"Responses\":[");
    const cJSON *e;
    int pos = 0, cancel_pos = 0;
    cJSON_ArrayForEach(e, items)
    {
        const char *why = NULL;
        const int err = get_one(c, e, ++pos, g, &why);
        if (err == ACT_CANCEL && !cancel_pos) { /* Later Gets may still refuse the request. */
            cancel_pos = pos;
            eng_buf_append_str(&cancel, why);
        } else if (err < 0) {
            goto out;
        }
    }
    if (cancel_pos) {
        cancel_invalid(c, n, cancel_pos, cancel.ptr);
        goto out;
    }
    eng_buf_append_char(&g->body, ']');
    cap_append(&g->body, rcc, &g->cap, "Read");
    eng_buf_append_char(&g->body, '}');
    ddb__reply(c->th, c->req, eng_slice(g->body.ptr, g->body.len));
out:
    eng_buf_free(&g->body);
    eng_buf_free(&g->keys);
    eng_buf_free(&cancel);
}
