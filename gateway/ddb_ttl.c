/* SPDX-License-Identifier: MIT
 * ddb_ttl.c: the table-meta settings that are not UpdateTable's: Time to
 * Live (UpdateTimeToLive, DescribeTimeToLive) and tags (TagResource,
 * UntagResource, ListTagsOfResource), plus the two constant answers
 * DescribeEndpoints and DescribeLimits. Meta edits run inside the writer's
 * TABLE_UPDATE check against the current meta, so concurrent edits of one
 * table never lose each other. The sweeping itself is storage/ttl.c. */
#include "gateway/ddb_int.h"

#include "engine/err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define TAGS_MEMBER "Tags"
#define TAGS_MAX 50

static void on_edit_done(ddb_wreq_t *w);

/* Rewrite `meta` for the request `body`. Returns 0 or ENG_EINVAL with the
 * reason appended to `msg`. */
typedef int (*edit_fn)(cJSON *meta, const cJSON *body, eng_buf_t *msg);

static int edit_ttl(cJSON *meta, const cJSON *body, eng_buf_t *msg)
{
    const cJSON *spec = eng_json_get(body, "TimeToLiveSpecification");
    const char *attr = eng_json_get_str(spec, "AttributeName");
    bool is_on = cJSON_IsTrue(eng_json_get(spec, "Enabled"));
    const cJSON *cur = eng_json_get(meta, STORE_TTL_MEMBER);
    const char *cur_attr = eng_json_get_str(cur, "AttributeName");
    if ((is_on && cur) || (!is_on && !cur)) {
        eng_buf_append_str(msg, is_on ? "TimeToLive is already enabled"
                                      : "TimeToLive is already disabled");
        return ENG_EINVAL;
    }
    if (!is_on && cur_attr && attr && strcmp(cur_attr, attr) != 0) {
        /* Disabling must name the attribute that is enabled. */
        eng_buf_printf(msg,
                       "TimeToLive is active on a different AttributeName: current "
                       "AttributeName is %s",
                       cur_attr);
        return ENG_EINVAL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, STORE_TTL_MEMBER);
    if (is_on) {
        cJSON *s = cJSON_AddObjectToObject(meta, STORE_TTL_MEMBER);
        cJSON_AddStringToObject(s, "AttributeName", attr);
        cJSON_AddTrueToObject(s, "Enabled");
    }
    return 0;
}

static int edit_tag(cJSON *meta, const cJSON *body, eng_buf_t *msg)
{
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(meta, TAGS_MEMBER);
    if (!tags)
        tags = cJSON_AddObjectToObject(meta, TAGS_MEMBER);
    const cJSON *t;
    cJSON_ArrayForEach(t, eng_json_get(body, "Tags"))
    {
        const char *k = eng_json_get_str(t, "Key"), *v = eng_json_get_str(t, "Value");
        cJSON_DeleteItemFromObjectCaseSensitive(tags, k);
        cJSON_AddStringToObject(tags, k, v);
    }
    if (cJSON_GetArraySize(tags) > TAGS_MAX) {
        eng_buf_append_str(msg, "One or more parameter values were invalid: The number of tags "
                                "exceeds the limit");
        return ENG_EINVAL;
    }
    return 0;
}

static int edit_untag(cJSON *meta, const cJSON *body, eng_buf_t *msg)
{
    (void)msg;
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(meta, TAGS_MEMBER);
    const cJSON *k;
    cJSON_ArrayForEach(k, eng_json_get(body, "TagKeys"))
    {
        if (tags && cJSON_IsString(k))
            cJSON_DeleteItemFromObjectCaseSensitive(tags, k->valuestring);
    }
    return 0;
}

static const edit_fn EDITS[] = {edit_ttl, edit_tag, edit_untag};
enum { EDIT_TTL, EDIT_TAG, EDIT_UNTAG };

/* Writer thread: apply the edit to the current meta; the new meta goes to
 * w->aux, a refusal's message to w->data. */
static int on_edit_check(store_write_t *sw, eng_slice_t old, void *arg)
{
    ddb_wreq_t *w = arg;
    cJSON *meta = NULL;
    if (!old.ptr || eng_json_parse(old.ptr, old.len, &meta) < 0)
        return old.ptr ? ENG_ECORRUPT : ENG_ENOTFOUND;
    eng_buf_reset(&w->aux);
    eng_buf_reset(&w->data);
    int err = EDITS[w->mode](meta, w->body, &w->data);
    if (err == 0)
        eng_json_print(meta, &w->aux);
    eng_json_delete(meta);
    sw->item = eng_slice(w->aux.ptr, w->aux.len);
    return err;
}

/* Queue a meta edit of table `name` (checked to exist). Takes the body. */
static void edit_submit(ddb_call_t *c, const char *name, int mode)
{
    ddb_wreq_t *w = ddb__wreq_get(c, on_edit_done);
    snprintf(w->table, sizeof(w->table), "%s", name);
    w->mode = mode;
    ddb__wreq_keep_body(w, c);
    store_write_t *sw = ddb__wreq_add(w);
    sw->kind = STORE_W_TABLE_UPDATE;
    sw->table = eng_slice_cstr(w->table);
    sw->check = on_edit_check;
    sw->check_arg = w;
    ddb__wreq_submit(w, false);
}

static void on_edit_done(ddb_wreq_t *w)
{
    int err = ddb__wreq_err(w);
    if (err == ENG_EINVAL) {
        ddb__reply_err(w->th, w->req, DDB_E_VALIDATION, w->data.ptr);
        return;
    }
    if (err < 0) {
        ddb__reply_store_err(w->th, w->req, err);
        return;
    }
    if (w->mode != EDIT_TTL) { /* TagResource, UntagResource: DynamoDB sends no body. */
        ddb__reply(w->th, w->req, ENG_SLICE_LIT(""));
        return;
    }
    eng_buf_t *out = &w->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"TimeToLiveSpecification\":");
    eng_json_print(eng_json_get(w->body, "TimeToLiveSpecification"), out);
    eng_buf_append_char(out, '}');
    ddb__reply(w->th, w->req, eng_slice(out->ptr, out->len));
}

/* Look up table `name` in the call's snapshot; replies when it is missing. */
static int find(ddb_call_t *c, const char *name, store_table_t *t, const char *arn)
{
    int err = ddb__read(c);
    if (err == 0)
        err = store_table_get(c->th->reader, eng_slice_cstr(name), t);
    if (err == ENG_ENOTFOUND) { /* DynamoDB's own spelling, "ResourcArn", kept. */
        eng_buf_reset(&c->th->why);
        if (arn)
            eng_buf_printf(&c->th->why, "Requested resource not found: ResourcArn: %s not found",
                           arn);
        else
            eng_buf_printf(&c->th->why, "Requested resource not found: Table: %s not found", name);
        ddb__reply_err(c->th, c->req, DDB_E_NOT_FOUND, c->th->why.ptr);
    } else if (err < 0) {
        ddb__reply_store_err(c->th, c->req, err);
    }
    return err;
}

/* ---- Time to Live -------------------------------------------------------- */

/* Why a TimeToLiveSpecification is refused (th->why or static), or NULL. */
static const char *ttl_spec_fault(ddb_thread_t *th, const cJSON *spec)
{
    static const char *const nulls[] = {
        "1 validation error detected: Value null at 'timeToLiveSpecification' failed to "
        "satisfy constraint: Member must not be null",
        "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' "
        "failed to satisfy constraint: Member must not be null",
        "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed "
        "to satisfy constraint: Member must not be null",
    };
    const cJSON *name = eng_json_get(spec, "AttributeName");
    if (!cJSON_IsObject(spec) || !name || !eng_json_get(spec, "Enabled"))
        return nulls[!cJSON_IsObject(spec) ? 0 : !name ? 1 : 2];
    if (!cJSON_IsString(name) || !cJSON_IsBool(eng_json_get(spec, "Enabled")))
        return "Invalid TimeToLiveSpecification: AttributeName must be a string and Enabled a "
               "boolean";
    size_t len = strlen(name->valuestring);
    if (len >= 1 && len <= DDB_NAME_MAX)
        return NULL;
    eng_buf_reset(&th->why);
    eng_buf_printf(&th->why,
                   "1 validation error detected: Value '%s' at "
                   "'timeToLiveSpecification.attributeName' failed to satisfy constraint: "
                   "Member must have length %s",
                   name->valuestring,
                   len ? "less than or equal to 255" : "greater than or equal to 1");
    return th->why.ptr;
}

void ddb__op_update_ttl(ddb_call_t *c)
{
    const char *why = NULL, *name = ddb__name_of(c->body);
    if (ddb__check_table_name(c->th, name, "tableName", &why) < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        return;
    }
    if ((why = ttl_spec_fault(c->th, eng_json_get(c->body, "TimeToLiveSpecification")))) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        return;
    }
    store_table_t t;
    if (find(c, name, &t, NULL) == 0)
        edit_submit(c, name, EDIT_TTL);
}

void ddb__op_describe_ttl(ddb_call_t *c)
{
    const char *why = NULL, *name = ddb__name_of(c->body);
    if (ddb__check_table_name(c->th, name, "tableName", &why) < 0) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION, why);
        return;
    }
    store_table_t t;
    cJSON *meta = NULL;
    if (find(c, name, &t, NULL) < 0)
        return;
    if (eng_json_parse(t.meta.ptr, t.meta.len, &meta) < 0) {
        ddb__reply_store_err(c->th, c->req, ENG_ECORRUPT);
        return;
    }
    const char *attr = eng_json_get_str(eng_json_get(meta, STORE_TTL_MEMBER), "AttributeName");
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":");
    eng_buf_append_str(out, attr ? "\"ENABLED\",\"AttributeName\":" : "\"DISABLED\"");
    if (attr)
        eng_json_append_string(out, attr, strlen(attr));
    eng_buf_append_str(out, "}}");
    eng_json_delete(meta);
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

/* ---- Tags ---------------------------------------------------------------- */

/* The table name of a table ARN into `name`; replies and fails when malformed. */
static int arn_table(ddb_call_t *c, const char **arn, char *name, size_t cap)
{
    *arn = eng_json_get_str(c->body, "ResourceArn");
    if (*arn && strncmp(*arn, "arn:", 4) != 0) {
        ddb__reply_validation(c->th, c->req,
                              "Invalid ResourceArn provided as input %s: ARNs "
                              "must start with 'arn:'",
                              *arn);
        return ENG_EINVAL;
    }
    const char *t = *arn ? strstr(*arn, ":table/") : NULL;
    if (!*arn || !t || !t[7] || strchr(t + 7, '/') || strlen(t + 7) >= cap) {
        ddb__reply_validation(c->th, c->req,
                              "Invalid TableArn: Invalid ResourceArn provided as "
                              "input %s",
                              *arn ? *arn : "null");
        return ENG_EINVAL;
    }
    snprintf(name, cap, "%s", t + 7);
    return 0;
}

/* Characters in UTF-8 text (DynamoDB limits tags in characters, not bytes). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Tags allow letters, numbers, whitespace and + - = . _ : / @. Bytes of a
 * multi-byte UTF-8 character count as letters: no Unicode tables here. */
static bool tag_text_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x80 && !isalnum(ch) && !isspace(ch) && !strchr("+-=._:/@", ch))
            return false;
    }
    return true;
}

/* Why tag `t` (1-based `pos`) is refused, in th->why; NULL when fine. */
static const char *tag_fault(ddb_thread_t *th, const cJSON *t, int pos)
{
    static const char *const parts[] = {"key", "value"};
    const char *text[] = {eng_json_get_str(t, "Key"), eng_json_get_str(t, "Value")};
    const size_t max[] = {128, 256};
    eng_buf_reset(&th->why);
    for (size_t i = 0; i < 2; i++) {
        const char *rule = NULL;
        if (!text[i]) {
            eng_buf_printf(&th->why,
                           "1 validation error detected: Value null at 'tags.%d.member.%s' "
                           "failed to satisfy constraint: Member must not be null",
                           pos, parts[i]);
            return th->why.ptr;
        }
        if (i == 0 && !*text[i])
            rule = "Member must have length greater than or equal to 1";
        else if (utf8_chars(text[i]) > max[i])
            rule = i == 0 ? "Member must have length less than or equal to 128"
                          : "Member must have length less than or equal to 256";
        else if (!tag_text_ok(text[i]))
            rule = "Member must satisfy regular expression pattern: "
                   "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";
        if (rule) {
            eng_buf_printf(&th->why,
                           "1 validation error detected: Value '%s' at 'tags.%d.member.%s' "
                           "failed to satisfy constraint: %s",
                           text[i], pos, parts[i], rule);
            return th->why.ptr;
        }
    }
    if (strncmp(text[0], "aws:", 4) == 0) {
        eng_buf_printf(&th->why,
                       "One or more parameter values were invalid: Tag keys starting "
                       "with 'aws:' are reserved for system use: %s",
                       text[0]);
        return th->why.ptr;
    }
    return NULL;
}

/* Why the Tags list is refused (th->why or a constant); NULL when fine. */
static const char *tags_fault(ddb_thread_t *th, const cJSON *tags)
{
    if (!cJSON_IsArray(tags) || cJSON_GetArraySize(tags) < 1)
        return "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
               "Member must not be null";
    if (cJSON_GetArraySize(tags) > TAGS_MAX)
        return "One or more parameter values were invalid: The number of tags exceeds the limit";
    const cJSON *t;
    int pos = 0;
    cJSON_ArrayForEach(t, tags)
    {
        const char *why = tag_fault(th, t, ++pos);
        if (why)
            return why;
    }
    return NULL;
}

int ddb__tags_create(ddb_thread_t *th, const cJSON *body, cJSON *meta, const char **why)
{
    const cJSON *tags = eng_json_get(body, "Tags");
    if (!tags)
        return 0;
    if ((*why = tags_fault(th, tags)) != NULL)
        return ENG_EINVAL;
    eng_buf_reset(&th->why);
    int err = edit_tag(meta, body, &th->why);
    *why = err < 0 ? th->why.ptr : NULL;
    return err;
}

static void tag_op(ddb_call_t *c, int mode)
{
    const char *arn = NULL;
    char name[DDB_NAME_MAX + 1];
    if (arn_table(c, &arn, name, sizeof(name)) < 0)
        return;
    const char *member = mode == EDIT_TAG ? "Tags" : "TagKeys";
    const cJSON *list = eng_json_get(c->body, member);
    const char *why = mode == EDIT_TAG ? tags_fault(c->th, list) : NULL;
    if (why || (mode != EDIT_TAG && !cJSON_IsArray(list))) {
        ddb__reply_err(c->th, c->req, DDB_E_VALIDATION,
                       why ? why
                           : "1 validation error detected: Value null at 'tagKeys' "
                             "failed to satisfy constraint: Member must not be null");
        return;
    }
    store_table_t t;
    if (find(c, name, &t, arn) == 0)
        edit_submit(c, name, mode);
}

void ddb__op_tag_resource(ddb_call_t *c)
{
    tag_op(c, EDIT_TAG);
}

void ddb__op_untag_resource(ddb_call_t *c)
{
    tag_op(c, EDIT_UNTAG);
}

void ddb__op_list_tags(ddb_call_t *c)
{
    const char *arn = NULL;
    char name[DDB_NAME_MAX + 1];
    store_table_t t;
    cJSON *meta = NULL;
    if (arn_table(c, &arn, name, sizeof(name)) < 0 || find(c, name, &t, arn) < 0)
        return;
    if (eng_json_parse(t.meta.ptr, t.meta.len, &meta) < 0) {
        ddb__reply_store_err(c->th, c->req, ENG_ECORRUPT);
        return;
    }
    eng_buf_t *out = &c->th->out;
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"Tags\":[");
    const cJSON *tag;
    cJSON_ArrayForEach(tag, eng_json_get(meta, TAGS_MEMBER))
    {
        ddb__sep(out);
        eng_buf_append_str(out, "{\"Key\":");
        eng_json_append_string(out, tag->string, strlen(tag->string));
        eng_buf_append_str(out, ",\"Value\":");
        eng_json_append_string(out, tag->valuestring, strlen(tag->valuestring));
        eng_buf_append_char(out, '}');
    }
    eng_buf_append_str(out, "]}");
    eng_json_delete(meta);
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

/* ---- Constant answers ------------------------------------------------------ */

/* DynamoDB answers with the address the client reached it at; here that is
 * the request's Host, so endpoint discovery keeps talking to this server
 * rather than to AWS. Without a Host, the regional AWS name. */
void ddb__op_describe_endpoints(ddb_call_t *c)
{
    eng_buf_t *out = &c->th->out;
    eng_slice_t host = {0};
    eng_buf_reset(out);
    eng_buf_append_str(out, "{\"Endpoints\":[{\"Address\":");
    if (gw_req_header(c->req, "Host", &host) && host.len) {
        eng_json_append_string(out, host.ptr, host.len);
    } else {
        eng_buf_printf(out, "\"dynamodb.%s.amazonaws.com\"", c->ddb->region);
    }
    eng_buf_append_str(out, ",\"CachePeriodInMinutes\":1440}]}");
    ddb__reply(c->th, c->req, eng_slice(out->ptr, out->len));
}

void ddb__op_describe_limits(ddb_call_t *c)
{
    /* DynamoDB's default quotas for an account and for one table. */
    ddb__reply(c->th, c->req,
               ENG_SLICE_LIT("{\"AccountMaxReadCapacityUnits\":80000,"
                             "\"AccountMaxWriteCapacityUnits\":80000,"
                             "\"TableMaxReadCapacityUnits\":40000,"
                             "\"TableMaxWriteCapacityUnits\":40000}"));
}
