/* SPDX-License-Identifier: MIT
 * expr_lex.c: the expression tokenizer, DynamoDB's reserved-word list and
 * the "Syntax error; token: .., near: .." detail. The tokenizer never fails:
 * an unknown character becomes a BAD token so the parser reports it in
 * order with every other syntax error. Keywords are plain identifiers here;
 * only the parser knows where a keyword may appear. */
#include "storage/expr_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

/* DynamoDB's documented reserved words (573), sorted for bsearch. */
/* clang-format off */
static const char *const reserved_words[] = {
    "ABORT", "ABSOLUTE", "ACTION", "ADD", "AFTER", "AGENT", "AGGREGATE", "ALL",
    "ALLOCATE", "ALTER", "ANALYZE", "AND", "ANY", "ARCHIVE", "ARE", "ARRAY",
    "AS", "ASC", "ASCII", "ASENSITIVE", "ASSERTION", "ASYMMETRIC", "AT", "ATOMIC",
    "ATTACH", "ATTRIBUTE", "AUTH", "AUTHORIZATION", "AUTHORIZE", "AUTO", "AVG", "BACK",
    "BACKUP", "BASE", "BATCH", "BEFORE", "BEGIN", "BETWEEN", "BIGINT", "BINARY",
    "BIT", "BLOB", "BLOCK", "BOOLEAN", "BOTH", "BREADTH", "BUCKET", "BULK",
    "BY", "BYTE", "CALL", "CALLED", "CALLING", "CAPACITY", "CASCADE", "CASCADED",
    "CASE", "CAST", "CATALOG", "CHAR", "CHARACTER", "CHECK", "CLASS", "CLOB",
    "CLOSE", "CLUSTER", "CLUSTERED", "CLUSTERING", "CLUSTERS", "COALESCE", "COLLATE", "COLLATION",
    "COLLECTION", "COLUMN", "COLUMNS", "COMBINE", "COMMENT", "COMMIT", "COMPACT", "COMPILE",
    "COMPRESS", "CONDITION", "CONFLICT", "CONNECT", "CONNECTION", "CONSISTENCY", "CONSISTENT", "CONSTRAINT",
    "CONSTRAINTS", "CONSTRUCTOR", "CONSUMED", "CONTINUE", "CONVERT", "COPY", "CORRESPONDING", "COUNT",
    "COUNTER", "CREATE", "CROSS", "CUBE", "CURRENT", "CURSOR", "CYCLE", "DATA",
    "DATABASE", "DATE", "DATETIME", "DAY", "DEALLOCATE", "DEC", "DECIMAL", "DECLARE",
    "DEFAULT", "DEFERRABLE", "DEFERRED", "DEFINE", "DEFINED", "DEFINITION", "DELETE", "DELIMITED",
    "DEPTH", "DEREF", "DESC", "DESCRIBE", "DESCRIPTOR", "DETACH", "DETERMINISTIC", "DIAGNOSTICS",
    "DIRECTORIES", "DISABLE", "DISCONNECT", "DISTINCT", "DISTRIBUTE", "DO", "DOMAIN", "DOUBLE",
    "DROP", "DUMP", "DURATION", "DYNAMIC", "EACH", "ELEMENT", "ELSE", "ELSEIF",
    "EMPTY", "ENABLE", "END", "EQUAL", "EQUALS", "ERROR", "ESCAPE", "ESCAPED",
    "EVAL", "EVALUATE", "EXCEEDED", "EXCEPT", "EXCEPTION", "EXCEPTIONS", "EXCLUSIVE", "EXEC",
    "EXECUTE", "EXISTS", "EXIT", "EXPLAIN", "EXPLODE", "EXPORT", "EXPRESSION", "EXTENDED",
    "EXTERNAL", "EXTRACT", "FAIL", "FALSE", "FAMILY", "FETCH", "FIELDS", "FILE",
    "FILTER", "FILTERING", "FINAL", "FINISH", "FIRST", "FIXED", "FLATTERN", "FLOAT",
    "FOR", "FORCE", "FOREIGN", "FORMAT", "FORWARD", "FOUND", "FREE", "FROM",
    "FULL", "FUNCTION", "FUNCTIONS", "GENERAL", "GENERATE", "GET", "GLOB", "GLOBAL",
    "GO", "GOTO", "GRANT", "GREATER", "GROUP", "GROUPING", "HANDLER", "HASH",
    "HAVE", "HAVING", "HEAP", "HIDDEN", "HOLD", "HOUR", "IDENTIFIED", "IDENTITY",
    "IF", "IGNORE", "IMMEDIATE", "IMPORT", "IN", "INCLUDING", "INCLUSIVE", "INCREMENT",
    "INCREMENTAL", "INDEX", "INDEXED", "INDEXES", "INDICATOR", "INFINITE", "INITIALLY", "INLINE",
    "INNER", "INNTER", "INOUT", "INPUT", "INSENSITIVE", "INSERT", "INSTEAD", "INT",
    "INTEGER", "INTERSECT", "INTERVAL", "INTO", "INVALIDATE", "IS", "ISOLATION", "ITEM",
    "ITEMS", "ITERATE", "JOIN", "KEY", "KEYS", "LAG", "LANGUAGE", "LARGE",
    "LAST", "LATERAL", "LEAD", "LEADING", "LEAVE", "LEFT", "LENGTH", "LESS",
    "LEVEL", "LIKE", "LIMIT", "LIMITED", "LINES", "LIST", "LOAD", "LOCAL",
    "LOCALTIME", "LOCALTIMESTAMP", "LOCATION", "LOCATOR", "LOCK", "LOCKS", "LOG", "LOGED",
    "LONG", "LOOP", "LOWER", "MAP", "MATCH", "MATERIALIZED", "MAX", "MAXLEN",
    "MEMBER", "MERGE", "METHOD", "METRICS", "MIN", "MINUS", "MINUTE", "MISSING",
    "MOD", "MODE", "MODIFIES", "MODIFY", "MODULE", "MONTH", "MULTI", "MULTISET",
    "NAME", "NAMES", "NATIONAL", "NATURAL", "NCHAR", "NCLOB", "NEW", "NEXT",
    "NO", "NONE", "NOT", "NULL", "NULLIF", "NUMBER", "NUMERIC", "OBJECT",
    "OF", "OFFLINE", "OFFSET", "OLD", "ON", "ONLINE", "ONLY", "OPAQUE",
    "OPEN", "OPERATOR", "OPTION", "OR", "ORDER", "ORDINALITY", "OTHER", "OTHERS",
    "OUT", "OUTER", "OUTPUT", "OVER", "OVERLAPS", "OVERRIDE", "OWNER", "PAD",
    "PARALLEL", "PARAMETER", "PARAMETERS", "PARTIAL", "PARTITION", "PARTITIONED", "PARTITIONS", "PATH",
    "PERCENT", "PERCENTILE", "PERMISSION", "PERMISSIONS", "PIPE", "PIPELINED", "PLAN", "POOL",
    "POSITION", "PRECISION", "PREPARE", "PRESERVE", "PRIMARY", "PRIOR", "PRIVATE", "PRIVILEGES",
    "PROCEDURE", "PROCESSED", "PROJECT", "PROJECTION", "PROPERTY", "PROVISIONING", "PUBLIC", "PUT",
    "QUERY", "QUIT", "QUORUM", "RAISE", "RANDOM", "RANGE", "RANK", "RAW",
    "READ", "READS", "REAL", "REBUILD", "RECORD", "RECURSIVE", "REDUCE", "REF",
    "REFERENCE", "REFERENCES", "REFERENCING", "REGEXP", "REGION", "REINDEX", "RELATIVE", "RELEASE",
    "REMAINDER", "RENAME", "REPEAT", "REPLACE", "REQUEST", "RESET", "RESIGNAL", "RESOURCE",
    "RESPONSE", "RESTORE", "RESTRICT", "RESULT", "RETURN", "RETURNING", "RETURNS", "REVERSE",
    "REVOKE", "RIGHT", "ROLE", "ROLES", "ROLLBACK", "ROLLUP", "ROUTINE", "ROW",
    "ROWS", "RULE", "RULES", "SAMPLE", "SATISFIES", "SAVE", "SAVEPOINT", "SCAN",
    "SCHEMA", "SCOPE", "SCROLL", "SEARCH", "SECOND", "SECTION", "SEGMENT", "SEGMENTS",
    "SELECT", "SELF", "SEMI", "SENSITIVE", "SEPARATE", "SEQUENCE", "SERIALIZABLE", "SESSION",
    "SET", "SETS", "SHARD", "SHARE", "SHARED", "SHORT", "SHOW", "SIGNAL",
    "SIMILAR", "SIZE", "SKEWED", "SMALLINT", "SNAPSHOT", "SOME", "SOURCE", "SPACE",
    "SPACES", "SPARSE", "SPECIFIC", "SPECIFICTYPE", "SPLIT", "SQL", "SQLCODE", "SQLERROR",
    "SQLEXCEPTION", "SQLSTATE", "SQLWARNING", "START", "STATE", "STATIC", "STATUS", "STORAGE",
    "STORE", "STORED", "STREAM", "STRING", "STRUCT", "STYLE", "SUB", "SUBMULTISET",
    "SUBPARTITION", "SUBSTRING", "SUBTYPE", "SUM", "SUPER", "SYMMETRIC", "SYNONYM", "SYSTEM",
    "TABLE", "TABLESAMPLE", "TEMP", "TEMPORARY", "TERMINATED", "TEXT", "THAN", "THEN",
    "THROUGHPUT", "TIME", "TIMESTAMP", "TIMEZONE", "TINYINT", "TO", "TOKEN", "TOTAL",
    "TOUCH", "TRAILING", "TRANSACTION", "TRANSFORM", "TRANSLATE", "TRANSLATION", "TREAT", "TRIGGER",
    "TRIM", "TRUE", "TRUNCATE", "TTL", "TUPLE", "TYPE", "UNDER", "UNDO",
    "UNION", "UNIQUE", "UNIT", "UNKNOWN", "UNLOGGED", "UNNEST", "UNPROCESSED", "UNSIGNED",
    "UNTIL", "UPDATE", "UPPER", "URL", "USAGE", "USE", "USER", "USERS",
    "USING", "UUID", "VACUUM", "VALUE", "VALUED", "VALUES", "VARCHAR", "VARIABLE",
    "VARIANCE", "VARINT", "VARYING", "VIEW", "VIEWS", "VIRTUAL", "VOID", "WAIT",
    "WHEN", "WHENEVER", "WHERE", "WHILE", "WINDOW", "WITH", "WITHIN", "WITHOUT",
    "WORK", "WRAPPED", "WRITE", "YEAR", "ZONE",
};
/* clang-format on */

static int cmp_word(const void *key, const void *elem)
{
    return strcasecmp((const char *)key, *(const char *const *)elem);
}

bool expr__is_reserved(const char *word, size_t len)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return false; /* The longest reserved word has 14 letters. */
    memcpy(buf, word, len);
    buf[len] = '\0';
    return bsearch(buf, reserved_words, ENG_ARRAY_LEN(reserved_words), sizeof reserved_words[0],
                   cmp_word) != NULL;
}

static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Punctuation, longest first so "<=" wins over "<". */
static const struct {
    const char *text;
    expr_tok_type_t type;
} puncts[] = {
    {"<>", EXPR_TK_NE},    {"<=", EXPR_TK_LE},    {">=", EXPR_TK_GE},    {"(", EXPR_TK_LPAREN},
    {")", EXPR_TK_RPAREN}, {"[", EXPR_TK_LBRACK}, {"]", EXPR_TK_RBRACK}, {",", EXPR_TK_COMMA},
    {".", EXPR_TK_DOT},    {"=", EXPR_TK_EQ},     {"<", EXPR_TK_LT},     {">", EXPR_TK_GT},
    {"+", EXPR_TK_PLUS},   {"-", EXPR_TK_MINUS},
};

/* Length of a UTF-8 sequence starting at s (at most `left`), so a BAD token
 * is one whole character. */
static size_t utf8_len(const char *s, size_t left)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return n > left ? left : n;
}

/* Scan one token at text[pos]; pos is not whitespace and not the end. */
static expr_tok_t scan_one(const char *text, size_t len, size_t pos)
{
    expr_tok_t t = {.type = EXPR_TK_BAD, .pos = pos, .len = 1};
    const char c = text[pos];
    size_t end = pos + 1;
    /* A bare name starts with a letter: DynamoDB reports a leading '_' as a
     * token of its own ("_123" is a syntax error on "_"). */
    if (c == '#' || c == ':' || isalpha((unsigned char)c) || isdigit((unsigned char)c)) {
        while (end < len && is_word_char(text[end]))
            end++;
        t.len = end - pos;
        if (c == '#' || c == ':')
            t.type = t.len > 1 ? (c == '#' ? EXPR_TK_NAME : EXPR_TK_VALUE) : EXPR_TK_BAD;
        else
            t.type = isdigit((unsigned char)c) ? EXPR_TK_NUM : EXPR_TK_IDENT;
        if (t.type == EXPR_TK_NUM && end < len && is_word_char(text[end]))
            t.type = EXPR_TK_BAD;
        return t;
    }
    for (size_t i = 0; i < ENG_ARRAY_LEN(puncts); i++) {
        const size_t pl = strlen(puncts[i].text);
        if (pl <= len - pos && memcmp(text + pos, puncts[i].text, pl) == 0)
            return (expr_tok_t){.type = puncts[i].type, .pos = pos, .len = pl};
    }
    t.len = utf8_len(text + pos, len - pos);
    return t;
}

void expr__lex(const char *text, size_t len, expr_tok_t **toks, size_t *n)
{
    size_t cap = 16, count = 0, pos = 0;
    expr_tok_t *v = eng_malloc(cap * sizeof *v);
    for (;;) {
        while (pos < len && isspace((unsigned char)text[pos]))
            pos++;
        if (count == cap) {
            cap *= 2;
            v = eng_realloc(v, cap * sizeof *v);
        }
        if (pos >= len) {
            v[count++] = (expr_tok_t){.type = EXPR_TK_EOF, .pos = len, .len = 0};
            break;
        }
        v[count] = scan_one(text, len, pos);
        pos += v[count++].len;
    }
    *toks = v;
    *n = count;
}

void expr__syntax_msg(const char *text, const expr_tok_t *toks, size_t n, size_t i, eng_buf_t *out)
{
    /* DynamoDB shows the bad token and the source from the token before it
     * to the token after it. */
    const expr_tok_t *t = &toks[i];
    const size_t from = i > 0 ? toks[i - 1].pos : t->pos;
    const size_t to = i + 1 < n ? toks[i + 1].pos + toks[i + 1].len : t->pos + t->len;
    if (t->type == EXPR_TK_EOF)
        eng_buf_append_str(out, "Syntax error; token: \"<EOF>\", near: \"");
    else
        eng_buf_printf(out, "Syntax error; token: \"%.*s\", near: \"", (int)t->len, text + t->pos);
    eng_buf_append(out, text + from, to - from);
    eng_buf_append_char(out, '"');
}
