/* SPDX-License-Identifier: MIT
 * log.c: the change log. Each committed item change appends one DynamoDB
 * Streams record, stored ready to serve, under [u32 table id][u64 seq] (both
 * big-endian, so a cursor walks a table's log in order). apply.c decides
 * when a record is due; this file only formats, appends and reads them. */
#include "storage/store_int.h"

#include "engine/err.h"
#include "engine/json.h"

#include <assert.h>
#include <inttypes.h>

#define LOG_KEY_BYTES (STORE__TID_BYTES + 8)

static const char *const event_names[] = {"INSERT", "MODIFY", "REMOVE"};

static void append_event_id(store__wctx_t *w, uint32_t tid, uint64_t seq)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t in[LOG_KEY_BYTES], h[16];
    store__be32(in, tid);
    store__be64(in + STORE__TID_BYTES, seq);
    /* (table id, seq) is unique for the directory's life; the per-open random
     * key makes ids from different directories differ too. */
    store__siphash128(w->store->id_key, in, sizeof(in), h);
    char *p = eng_buf_reserve(&w->rec, 32);
    for (int i = 0; i < 16; i++) {
        p[2 * i] = hex[h[i] >> 4];
        p[2 * i + 1] = hex[h[i] & 15];
    }
    w->rec.len += 32;
    w->rec.ptr[w->rec.len] = '\0';
}

/* SizeBytes approximates DynamoDB's: the images' item sizes plus the key bytes. */
static uint64_t record_size(const store_write_t *wr, uint32_t old_size, uint32_t new_size)
{
    size_t key_len = wr->key.full_len ? wr->key.full_len : wr->key.len;
    return (uint64_t)old_size + new_size + (key_len > 6 ? key_len - 6 : 0);
}

void store__log_format(store__wctx_t *w, const store_write_t *wr, uint64_t seq, eng_slice_t old,
                       uint32_t old_size, eng_slice_t new_item, uint32_t new_size)
{
    eng_buf_t *b = &w->rec;
    int ev = !old.ptr ? 0 : new_item.ptr ? 1 : 2;
    eng_buf_reset(b);
    eng_buf_append_str(b, "{\"eventID\":\"");
    append_event_id(w, wr->table_id, seq);
    eng_buf_printf(b,
                   "\",\"eventName\":\"%s\",\"eventVersion\":\"1.1\","
                   "\"eventSource\":\"aws:dynamodb\",\"awsRegion\":",
                   event_names[ev]);
    eng_json_append_string(b, w->store->region, strlen(w->store->region));
    eng_buf_printf(
        b, ",\"dynamodb\":{\"ApproximateCreationDateTime\":%" PRId64 ",\"Keys\":", w->now_s);
    eng_buf_append(b, wr->keys_json.ptr, wr->keys_json.len);
    if (new_item.ptr) {
        eng_buf_append_str(b, ",\"NewImage\":");
        eng_buf_append(b, new_item.ptr, new_item.len);
    }
    if (old.ptr) {
        eng_buf_append_str(b, ",\"OldImage\":");
        eng_buf_append(b, old.ptr, old.len);
    }
    eng_buf_printf(b,
                   ",\"SequenceNumber\":\"%021" PRIu64 "\",\"SizeBytes\":%" PRIu64
                   ",\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}",
                   seq, record_size(wr, old_size, new_size));
    if (wr->is_service) /* A TTL expiry: DynamoDB marks who deleted it. */
        eng_buf_append_str(b, ",\"userIdentity\":{\"type\":\"Service\","
                              "\"principalId\":\"dynamodb.amazonaws.com\"}");
    eng_buf_append_char(b, '}');
}

int store__log_put(store__wctx_t *w, uint32_t tid, uint64_t seq)
{
    uint8_t kb[LOG_KEY_BYTES];
    store__be32(kb, tid);
    store__be64(kb + STORE__TID_BYTES, seq);
    MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb};
    MDB_val v = {.mv_size = w->rec.len, .mv_data = w->rec.ptr};
    int rc = mdb_put(w->txn, w->store->dbi_log, &k, &v, 0);
    return store__werr(w, rc, "mdb_put(log)");
}

int store_log_next(store_reader_t *r, uint32_t table_id, uint64_t after_seq, uint64_t *seq,
                   eng_slice_t *record)
{
    assert(r->is_active);
    if (after_seq == UINT64_MAX)
        return ENG_ENOTFOUND;
    int err = store__cursor_bind(r, r->store->dbi_log, &r->log_cur, &r->log_gen);
    if (err < 0)
        return err;
    uint8_t kb[LOG_KEY_BYTES];
    store__be32(kb, table_id);
    store__be64(kb + STORE__TID_BYTES, after_seq + 1);
    MDB_val k = {.mv_size = sizeof(kb), .mv_data = kb}, v;
    int rc = mdb_cursor_get(r->log_cur, &k, &v, MDB_SET_RANGE);
    if (rc != 0)
        return store__err(r->store, rc, "mdb_cursor_get(log)");
    if (k.mv_size != LOG_KEY_BYTES || store__get_be32(k.mv_data) != table_id)
        return ENG_ENOTFOUND;
    *seq = store__get_be64((const uint8_t *)k.mv_data + STORE__TID_BYTES);
    *record = eng_slice(v.mv_data, v.mv_size);
    return 0;
}
