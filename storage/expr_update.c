/* SPDX-License-Identifier: MIT
 * expr_update.c: applying an UpdateExpression to an item. Every operand is
 * read from the item as it was before the update (DynamoDB's semantics), so
 * values are computed first and applied after; REMOVEs run in descending
 * path order so list indexes refer to the original list. The update works
 * on a copy: a runtime error leaves the caller's item untouched. */
#include "engine/err.h"
#include "storage/expr_int.h"

#include <stdlib.h>

static const char msg_missing[] =
    "The provided expression refers to an attribute that does not exist in the item";
static const char msg_type[] = "An operand in the update expression has an incorrect data type";
static const char msg_path[] = "The document path provided in the update expression is invalid "
                               "for update";
/* AttributeUpdates reports an ADD or DELETE that meets the wrong type this way. */
static const char msg_legacy_type[] = "Type mismatch for attribute to update";

static int fail(eng_buf_t *why, const char *msg)
{
    eng_buf_append_str(why, msg);
    return ENG_EINVAL;
}

static int compute(const expr_node_t *n, const cJSON *item, cJSON **out, eng_buf_t *why);

static int compute_arith(const expr_node_t *n, const cJSON *item, cJSON **out, eng_buf_t *why)
{
    cJSON *a = NULL, *b = NULL;
    const cJSON *pa, *pb;
    int err = compute(n->args[0], item, &a, why);
    if (err == 0)
        err = compute(n->args[1], item, &b, why);
    if (err == 0 && (expr__type_of(a, &pa) != EXPR_T_N || expr__type_of(b, &pb) != EXPR_T_N ||
                     !cJSON_IsString(pa) || !cJSON_IsString(pb)))
        err = fail(why, msg_type);
    eng_buf_t num = {0};
    const char *msg = NULL;
    if (err == 0 && (err = expr__num_add(pa->valuestring, pb->valuestring, n->kind == EXPR_N_MINUS,
                                         &num, &msg)) < 0)
        fail(why, msg);
    if (err == 0) {
        *out = cJSON_CreateObject();
        cJSON_AddStringToObject(*out, "N", num.ptr);
    }
    eng_buf_free(&num);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return err;
}

static int compute_list_append(const expr_node_t *n, const cJSON *item, cJSON **out, eng_buf_t *why)
{
    cJSON *a = NULL, *b = NULL;
    const cJSON *pa, *pb;
    int err = compute(n->args[0], item, &a, why);
    if (err == 0)
        err = compute(n->args[1], item, &b, why);
    if (err == 0 && (expr__type_of(a, &pa) != EXPR_T_L || expr__type_of(b, &pb) != EXPR_T_L))
        err = fail(why, msg_type);
    if (err == 0) {
        cJSON *la = cJSON_GetObjectItemCaseSensitive(a, "L");
        cJSON *lb = cJSON_GetObjectItemCaseSensitive(b, "L");
        while (lb->child)
            cJSON_AddItemToArray(la, cJSON_DetachItemViaPointer(lb, lb->child));
        *out = a;
        a = NULL;
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return err;
}

/* Evaluate a SET operand against the original item into a new value. */
static int compute(const expr_node_t *n, const cJSON *item, cJSON **out, eng_buf_t *why)
{
    *out = NULL;
    const cJSON *v;
    switch (n->kind) {
    case EXPR_N_VALUE:
        *out = cJSON_Duplicate(n->value, true);
        return 0;
    case EXPR_N_PATH:
        if (!(v = expr__path_get(item, &n->path)))
            return fail(why, msg_missing);
        *out = cJSON_Duplicate(v, true);
        return 0;
    case EXPR_N_PLUS:
    case EXPR_N_MINUS:
        return compute_arith(n, item, out, why);
    case EXPR_N_FUNC:
        if (n->op == EXPR_F_LIST_APPEND)
            return compute_list_append(n, item, out, why);
        if ((v = expr__path_get(item, &n->args[0]->path)))
            *out = cJSON_Duplicate(v, true);
        return v ? 0 : compute(n->args[1], item, out, why);
    default:
        return fail(why, msg_type);
    }
}

/* The container a path's last segment lives in (the item itself, or the
 * payload of an M or L), or NULL when it does not exist or has the wrong type. */
static cJSON *parent_of(cJSON *item, const expr_path_t *path)
{
    if (path->n == 1)
        return item;
    const expr_path_t up = {.segs = path->segs, .n = path->n - 1};
    const cJSON *p = NULL;
    const expr_type_t t = expr__type_of(expr__path_get(item, &up), &p);
    const bool is_index = path->segs[path->n - 1].is_index;
    return (is_index ? t == EXPR_T_L : t == EXPR_T_M) ? (cJSON *)p : NULL;
}

/* Store `v` (taken over) at `path`. Past the end of a list, it is appended. */
static int assign(cJSON *item, const expr_path_t *path, cJSON *v, eng_buf_t *why)
{
    cJSON *parent = parent_of(item, path);
    const expr_seg_t *last = &path->segs[path->n - 1];
    if (!parent) {
        cJSON_Delete(v);
        return fail(why, msg_path);
    }
    if (!last->is_index) {
        if (cJSON_GetObjectItemCaseSensitive(parent, last->name))
            cJSON_ReplaceItemInObjectCaseSensitive(parent, last->name, v);
        else
            cJSON_AddItemToObject(parent, last->name, v);
    } else if (last->index < (size_t)cJSON_GetArraySize(parent)) {
        cJSON_ReplaceItemInArray(parent, (int)last->index, v);
    } else {
        cJSON_AddItemToArray(parent, v);
    }
    return 0;
}

/* Remove what `path` names; removing what does not exist changes nothing.
 * A nested path whose parent is missing or not a container is an error,
 * except in an item that does not exist yet (`is_lax`), where DynamoDB
 * ignores it. */
static int remove_at(cJSON *item, const expr_path_t *path, bool is_lax, eng_buf_t *why)
{
    cJSON *parent = parent_of(item, path);
    const expr_seg_t *last = &path->segs[path->n - 1];
    if (!parent)
        return is_lax ? 0 : fail(why, msg_path);
    if (!last->is_index)
        cJSON_DeleteItemFromObjectCaseSensitive(parent, last->name);
    else if (last->index < (size_t)cJSON_GetArraySize(parent))
        cJSON_DeleteItemFromArray(parent, (int)last->index);
    return 0;
}

static bool set_has(expr_type_t st, const cJSON *set, const cJSON *x)
{
    const cJSON *y;
    cJSON_ArrayForEach(y, set)
    {
        const char *a = cJSON_GetStringValue(x), *b = cJSON_GetStringValue(y);
        if (a && b && (st == EXPR_T_NS ? expr__num_cmp(a, b) == 0 : strcmp(a, b) == 0))
            return true;
    }
    return false;
}

static bool is_set(expr_type_t t)
{
    return t == EXPR_T_SS || t == EXPR_T_NS || t == EXPR_T_BS;
}

/* ADD: numbers add, sets unite, a missing attribute takes the value. Only
 * AttributeUpdates gets here with a list (the parser refuses L operands):
 * DynamoDB appends its elements there. */
static int apply_add(cJSON *item, const expr_action_t *a, bool is_legacy, eng_buf_t *why)
{
    const cJSON *old = expr__path_get(item, &a->path), *po, *pv;
    const expr_type_t to = expr__type_of(old, &po), tv = expr__type_of(a->val->value, &pv);
    if (!old)
        return assign(item, &a->path, cJSON_Duplicate(a->val->value, true), why);
    if (to != tv || (to != EXPR_T_N && !is_set(to) && !(is_legacy && to == EXPR_T_L)))
        return fail(why, is_legacy ? msg_legacy_type : msg_type);
    cJSON *nv = cJSON_Duplicate(old, true);
    if (to == EXPR_T_L) {
        const cJSON *x;
        cJSON_ArrayForEach(x, pv) cJSON_AddItemToArray(nv->child, cJSON_Duplicate(x, true));
    } else if (to == EXPR_T_N) {
        eng_buf_t num = {0};
        const char *msg = NULL;
        const int err =
            expr__num_add(cJSON_GetStringValue(po) ? po->valuestring : "",
                          cJSON_GetStringValue(pv) ? pv->valuestring : "", false, &num, &msg);
        if (err == 0)
            cJSON_SetValuestring(nv->child, num.ptr);
        eng_buf_free(&num);
        if (err < 0) {
            cJSON_Delete(nv);
            return fail(why, msg);
        }
    } else {
        const cJSON *x;
        cJSON_ArrayForEach(x, pv)
        {
            if (!set_has(to, nv->child, x))
                cJSON_AddItemToArray(nv->child, cJSON_Duplicate(x, true));
        }
    }
    return assign(item, &a->path, nv, why);
}

/* DELETE: remove the given elements from a set; an emptied set disappears. */
static int apply_delete(cJSON *item, const expr_action_t *a, bool is_legacy, eng_buf_t *why)
{
    const cJSON *old = expr__path_get(item, &a->path), *po, *pv;
    const expr_type_t to = expr__type_of(old, &po), tv = expr__type_of(a->val->value, &pv);
    if (!old)
        return 0;
    if (to != tv || !is_set(to))
        return fail(why, is_legacy ? msg_legacy_type : msg_type);
    cJSON *nv = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(nv, expr__type_name(to));
    const cJSON *x;
    cJSON_ArrayForEach(x, po)
    {
        if (!set_has(to, pv, x))
            cJSON_AddItemToArray(arr, cJSON_Duplicate(x, true));
    }
    if (arr->child)
        return assign(item, &a->path, nv, why);
    cJSON_Delete(nv);
    return remove_at(item, &a->path, true, why);
}

/* Ascending path order (list indexes numerically). */
static int cmp_path_asc(const void *pa, const void *pb)
{
    const expr_path_t *a = &(*(const expr_action_t *const *)pa)->path;
    const expr_path_t *b = &(*(const expr_action_t *const *)pb)->path;
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        const expr_seg_t *x = &a->segs[i], *y = &b->segs[i];
        int c = x->is_index && y->is_index     ? (x->index > y->index) - (x->index < y->index)
                : !x->is_index && !y->is_index ? strcmp(x->name, y->name)
                                               : (int)x->is_index - (int)y->is_index;
        if (c)
            return c;
    }
    return (a->n > b->n) - (a->n < b->n);
}

/* Descending path order, so later list elements go first. */
static int cmp_path_desc(const void *pa, const void *pb)
{
    return cmp_path_asc(pb, pa);
}

/* The actions of kind `act`, sorted with `cmp`; the caller frees the array. */
static const expr_action_t **sorted_actions(const store_expr_t *e, expr_act_t act,
                                            int (*cmp)(const void *, const void *), size_t *n)
{
    const expr_action_t **v = eng_malloc((e->n_actions + 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; i < e->n_actions; i++)
        if (e->actions[i].act == act)
            v[(*n)++] = &e->actions[i];
    qsort(v, *n, sizeof *v, cmp);
    return v;
}

static int apply_removes(const store_expr_t *e, cJSON *work, bool is_new, eng_buf_t *why)
{
    size_t n;
    const expr_action_t **rm = sorted_actions(e, EXPR_ACT_REMOVE, cmp_path_desc, &n);
    int err = 0;
    for (size_t i = 0; err == 0 && i < n; i++)
        err = remove_at(work, &rm[i]->path, is_new, why);
    eng_free(rm);
    return err;
}

/* SETs run in ascending path order: several elements set past the end of
 * one list are appended in index order, as DynamoDB documents. */
static int apply_sets(const store_expr_t *e, cJSON *work, cJSON **vals, eng_buf_t *why)
{
    size_t n;
    const expr_action_t **set = sorted_actions(e, EXPR_ACT_SET, cmp_path_asc, &n);
    int err = 0;
    for (size_t i = 0; err == 0 && i < n; i++) {
        const size_t k = (size_t)(set[i] - e->actions);
        err = assign(work, &set[i]->path, vals[k], why);
        vals[k] = NULL;
    }
    eng_free(set);
    return err;
}

/* Apply the SET values, computed beforehand, then REMOVE, ADD and DELETE. */
static int apply_all(const store_expr_t *e, cJSON *work, cJSON **vals, bool is_new, eng_buf_t *why)
{
    int err = apply_sets(e, work, vals, why);
    if (err == 0)
        err = apply_removes(e, work, is_new, why);
    for (size_t i = 0; err == 0 && i < e->n_actions; i++) {
        if (e->actions[i].act == EXPR_ACT_ADD)
            err = apply_add(work, &e->actions[i], e->is_legacy, why);
        else if (e->actions[i].act == EXPR_ACT_DELETE)
            err = apply_delete(work, &e->actions[i], e->is_legacy, why);
    }
    return err;
}

static int update(const store_expr_t *e, cJSON *item, bool is_new, eng_buf_t *why)
{
    cJSON **vals = eng_calloc(e->n_actions + 1, sizeof *vals);
    cJSON *work = NULL;
    int err = 0;
    /* Step 1: every SET operand, read from the original item. */
    for (size_t i = 0; err == 0 && i < e->n_actions; i++)
        if (e->actions[i].act == EXPR_ACT_SET)
            err = compute(e->actions[i].val, item, &vals[i], why);
    /* Step 2: apply to a copy, so a failure leaves `item` as it was. */
    if (err == 0) {
        work = cJSON_Duplicate(item, true);
        err = apply_all(e, work, vals, is_new, why);
    }
    /* Step 3: move the result's members into the caller's object. */
    if (err == 0) {
        while (item->child)
            cJSON_Delete(cJSON_DetachItemViaPointer(item, item->child));
        while (work->child) {
            cJSON *m = cJSON_DetachItemViaPointer(work, work->child);
            cJSON_AddItemToObject(item, m->string, m);
        }
    }
    for (size_t i = 0; i < e->n_actions; i++)
        cJSON_Delete(vals[i]);
    eng_free(vals);
    cJSON_Delete(work);
    return err;
}

int store_expr_update(const store_expr_t *e, cJSON *item, eng_buf_t *why)
{
    return update(e, item, false, why);
}

int store_expr_update_new(const store_expr_t *e, cJSON *item, eng_buf_t *why)
{
    /* Only REMOVEs on an absent item: DynamoDB leaves the item absent. In
     * AttributeUpdates a DELETE of set elements counts as one too. */
    size_t n_remove = 0;
    for (size_t i = 0; i < e->n_actions; i++)
        n_remove += e->actions[i].act == EXPR_ACT_REMOVE ||
                    (e->is_legacy && e->actions[i].act == EXPR_ACT_DELETE);
    if (e->n_actions > 0 && n_remove == e->n_actions)
        return ENG_ENOTFOUND;
    return update(e, item, true, why);
}
