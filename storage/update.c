/* SPDX-License-Identifier: MIT
 * update.c: conditional writes and UpdateItem as a store_write_t check hook.
 * The hook runs on the writer thread inside the write transaction, so the
 * condition and the update see exactly the item the write replaces. It may
 * run more than once for one write (the writer replays a group after growing
 * the map): every run starts from scratch and owns only u's buffers. It does
 * not build keys or reply to anyone; results wait in `u` for the caller. */
#include "storage/expr_int.h"
#include "storage/store.h"

#include "engine/err.h"
#include "engine/json.h"

#include <assert.h>
#include <string.h>

#define ITEM_MAX_BYTES 409600 /* DynamoDB's 400 KB item limit. */

struct store_update {
    store_expr_t *update; /* Owned; NULL for a conditional Put or Delete. */
    store_expr_t *cond;   /* Owned; may be NULL. */
    unsigned flags;       /* STORE_UPDATE_*. */
    size_t item_max;      /* Bytes, DynamoDB size. */
    eng_buf_t old;        /* KEEP_OLD: the current item's text; empty when absent. */
    bool had_old;
    eng_buf_t item; /* The computed new item (w->item points here). */
    bool has_new;
    eng_buf_t why; /* Runtime ValidationException message. */
    bool has_why;
};

static int on_check(store_write_t *w, eng_slice_t old, void *arg);

static int check_key_paths(const store_schema_t *s, const store_expr_t *e, eng_buf_t *why)
{
    for (size_t i = 0; e && i < e->n_actions; i++) {
        const char *name = e->actions[i].path.segs[0].name;
        if (name && (strcmp(name, s->pk) == 0 || (s->has_sk && strcmp(name, s->sk) == 0))) {
            eng_buf_reset(why);
            eng_buf_printf(why,
                           "One or more parameter values were invalid: Cannot update attribute "
                           "%s. This attribute is part of the key",
                           name);
            return ENG_EINVAL;
        }
    }
    return 0;
}

int store_update_create(const store_schema_t *s, store_expr_t *update, store_expr_t *cond,
                        unsigned flags, size_t item_max_bytes, store_update_t **out, eng_buf_t *why)
{
    assert(!update || store_expr_kind(update) == STORE_EXPR_UPDATE);
    int err = check_key_paths(s, update, why);
    if (err < 0) {
        store_expr_destroy(update);
        store_expr_destroy(cond);
        return err;
    }
    store_update_t *u = eng_calloc(1, sizeof(*u));
    u->update = update;
    u->cond = cond;
    u->flags = flags;
    u->item_max = item_max_bytes ? item_max_bytes : ITEM_MAX_BYTES;
    *out = u;
    return 0;
}

static int parse_opt(store_expr_ctx_t *ctx, store_expr_kind_t kind, const char *text,
                     store_expr_t **out, eng_buf_t *why)
{
    *out = NULL;
    return text ? store_expr_parse(ctx, kind, text, strlen(text), out, why) : 0;
}

int store_update_parse(const store_schema_t *s, const char *update_text, const char *cond_text,
                       const cJSON *names, const cJSON *values, unsigned flags,
                       store_update_t **out, eng_buf_t *why)
{
    store_expr_ctx_t *ctx = NULL;
    store_expr_t *upd = NULL, *cond = NULL;
    eng_buf_reset(why);
    int err = store_expr_ctx_create(names, values, &ctx, why);
    if (err == 0)
        err = parse_opt(ctx, STORE_EXPR_UPDATE, update_text, &upd, why);
    if (err == 0)
        err = parse_opt(ctx, STORE_EXPR_CONDITION, cond_text, &cond, why);
    if (err == 0)
        err = store_expr_ctx_check_unused(ctx, why);
    store_expr_ctx_destroy(ctx);
    if (err < 0) {
        store_expr_destroy(upd);
        store_expr_destroy(cond);
        return err;
    }
    return store_update_create(s, upd, cond, flags, 0, out, why);
}

void store_update_attach(store_update_t *u, store_write_t *w)
{
    if (u->update)
        w->kind = STORE_W_PUT;
    w->check = on_check;
    w->check_arg = u;
}

static int fail_why(store_update_t *u, const char *msg)
{
    if (msg && msg != u->why.ptr) {
        eng_buf_reset(&u->why);
        eng_buf_append_str(&u->why, msg);
    }
    u->has_why = true;
    return ENG_EINVAL;
}

/* Apply the update to `cur` (the current item, modified in place) or, when
 * the item is absent, to an item made of the key alone. */
static int compute(store_update_t *u, store_write_t *w, cJSON *cur)
{
    cJSON *fresh = NULL;
    if (!cur && eng_json_parse(w->keys_json.ptr, w->keys_json.len, &fresh) < 0)
        return ENG_EINVAL;
    cJSON *item = cur ? cur : fresh;
    const char *why = NULL;
    size_t size = 0;
    int err = cur ? store_expr_update(u->update, item, &u->why)
                  : store_expr_update_new(u->update, item, &u->why);
    if (err == ENG_ENOTFOUND) {
        w->kind = STORE_W_DELETE; /* Nothing to create: a delete of the absent item. */
        err = 0;
        goto out;
    }
    if (err < 0) {
        err = fail_why(u, NULL);
        goto out;
    }
    if (store_item_canon(item, &u->item, &size, &why, &u->why) < 0) {
        err = fail_why(u, why);
        goto out;
    }
    if (size > u->item_max) {
        err = fail_why(u, "Item size to update has exceeded the maximum allowed size");
        goto out;
    }
    w->kind = STORE_W_PUT;
    w->item = eng_slice(u->item.ptr, u->item.len);
    w->item_size = (uint32_t)size;
    u->has_new = true;
out:
    eng_json_delete(fresh);
    return err;
}

/* Rewrite w into a no-op: the same item back (no change, no record), or a
 * delete of an absent item. */
static void check_only(store_update_t *u, store_write_t *w, eng_slice_t old)
{
    if (!old.ptr) {
        w->kind = STORE_W_DELETE;
        return;
    }
    eng_buf_append(&u->item, old.ptr, old.len);
    w->kind = STORE_W_PUT;
    w->item = eng_slice(u->item.ptr, u->item.len);
}

static int on_check(store_write_t *w, eng_slice_t old, void *arg) /* Writer thread. */
{
    store_update_t *u = arg;
    eng_buf_reset(&u->old);
    eng_buf_reset(&u->item);
    eng_buf_reset(&u->why);
    u->had_old = old.ptr != NULL;
    u->has_new = u->has_why = false;
    if (u->had_old && (u->flags & STORE_UPDATE_KEEP_OLD))
        eng_buf_append(&u->old, old.ptr, old.len);
    cJSON *cur = NULL;
    if (old.ptr && eng_json_parse(old.ptr, old.len, &cur) < 0)
        return ENG_ECORRUPT;
    int err = 0;
    if (u->cond && !store_expr_eval(u->cond, cur))
        err = ENG_ECONDITION;
    else if (u->flags & STORE_UPDATE_CHECK_ONLY)
        check_only(u, w, old);
    else if (u->update)
        err = compute(u, w, cur);
    eng_json_delete(cur);
    return err;
}

const char *store_update_why(const store_update_t *u)
{
    return u->has_why ? (u->why.ptr ? u->why.ptr : "") : NULL;
}

eng_slice_t store_update_old(const store_update_t *u)
{
    return u->had_old && u->old.ptr ? eng_slice(u->old.ptr, u->old.len) : (eng_slice_t){0};
}

eng_slice_t store_update_new(const store_update_t *u)
{
    return u->has_new ? eng_slice(u->item.ptr, u->item.len) : (eng_slice_t){0};
}

void store_update_changed(const store_update_t *u, bool is_new, eng_buf_t *out)
{
    eng_slice_t text = is_new ? store_update_new(u) : store_update_old(u);
    cJSON *item = NULL, *proj = NULL;
    if (!u->update || !text.ptr || eng_json_parse(text.ptr, text.len, &item) < 0) {
        eng_buf_append_str(out, "{}");
        return;
    }
    /* The touched paths, borrowed from the actions, as a projection. */
    expr_path_t *paths = eng_calloc(u->update->n_actions + 1, sizeof(*paths));
    for (size_t i = 0; i < u->update->n_actions; i++)
        paths[i] = u->update->actions[i].path;
    const store_expr_t sel = {
        .kind = STORE_EXPR_PROJECTION, .paths = paths, .n_paths = u->update->n_actions};
    store_expr_project(&sel, item, &proj);
    eng_json_print(proj, out);
    eng_json_delete(proj);
    eng_json_delete(item);
    eng_free(paths);
}

void store_update_destroy(store_update_t *u)
{
    if (!u)
        return;
    store_expr_destroy(u->update);
    store_expr_destroy(u->cond);
    eng_buf_free(&u->old);
    eng_buf_free(&u->item);
    eng_buf_free(&u->why);
    eng_free(u);
}
