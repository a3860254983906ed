/* One-pass parsers for the numeric parts of profile JSON (see profile_frames/native.py).
 *
 * parse_numbers: a comma-separated list of JSON numbers and nulls (an array's content) into
 *   int32, int64 or float64 values and an Arrow validity bitmap.
 * row_counts / parse_rows: an array of short rows of numbers, nulls, booleans and objects
 *   (Gecko's {schema, data} tables, marker rows with their payload) into column-major float64
 *   cells, a state per cell and the objects' JSON text.
 * split_payloads: a processed marker data array (objects and nulls) into the objects' text.
 * count_byte: how many bytes equal one byte (the commas that size a parse).
 * row_marks: how many '[' and ']' and "],[" there are (whether rows are flat), in one pass.
 * rows_end: where a rows array's first "]]" is, and whether a quote or brace comes first.
 * move_indexes: float index columns checked (whole, in their part's bounds) and moved to int64.
 * parent_depths: the depth of every node of a forest whose parents come before their children.
 * count_indexes: samples per stack, counted from an Arrow integer column's buffers.
 * string_array: an array of strings (string tables) as Arrow string parts, unescaped.
 * bool_array: an array of true and false (funcTable.isJS) as a packed bitmap.
 *
 * The grammar is JSON's: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, blanks between
 * tokens. A float is computed exactly when its significant digits and its power of ten are
 * both exact doubles (Clinger's fast path: one correctly rounded multiplication or division);
 * any other ("hard") number is reported by position and the caller parses it with Arrow's
 * correctly rounded parser. The parsing runs without the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { ST_OK = 0, ST_WIDER = 1, ST_FRACTION = 2, ST_SYNTAX = 3, ST_FULL = 4, ST_BIGINT = 5 };
enum { KIND_INT32 = 0, KIND_INT64 = 1, KIND_FLOAT64 = 2 };
enum { CELL_ABSENT = 0, CELL_NUMBER = 1, CELL_NULL = 2, CELL_TRUE = 3, CELL_FALSE = 4, CELL_HARD = 5, CELL_TEXT = 6 };

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#define MAX_EXACT (((uint64_t)1) << 53)
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#define LITTLE_ENDIAN_WORDS (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#elif defined(_M_X64) || defined(_M_IX86) || defined(_M_ARM64)
#define LITTLE_ENDIAN_WORDS 1
#else
#define LITTLE_ENDIAN_WORDS 0
#endif

typedef struct {
    uint64_t mantissa; /* the first 19 significant digits */
    int64_t exp10;     /* value = mantissa * 10^exp10 (if not truncated) */
    int negative;
    int is_int;    /* neither fraction nor exponent */
    int truncated; /* more than 19 significant digits */
} Number;

static inline int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static inline const unsigned char *skip_blanks(const unsigned char *p, const unsigned char *end) {
    while (p < end && is_blank(*p)) p++;
    return p;
}

#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

static const uint64_t POW10_INT[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* How many of the 8 bytes at p are digits before the first that is not (p + 8 <= end): each
 * byte xor '0' is 0-9 for a digit; adding 0x76 to its low 7 bits sets the high bit from 10 up,
 * without a carry into the next byte. */
static inline int leading_digits8(const unsigned char *p) {
    uint64_t v, x, t;
    memcpy(&v, p, 8);
    if (!LITTLE_ENDIAN_WORDS) {
        int k = 0;
        while (k < 8 && is_digit(p[k])) k++;
        return k;
    }
    x = v ^ 0x3030303030303030ULL;
    t = (((x & 0x7F7F7F7F7F7F7F7FULL) + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
    if (t == 0) return 8;
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(t) >> 3;
#else
    {
        int k = 0;
        while (!(t & 0x80)) {
            t >>= 8;
            k++;
        }
        return k;
    }
#endif
}

/* The value of the k (1-8) digits at p (p + 8 <= end): moved to the top of a word (the bytes
 * below become leading zeros), then pairs, quads and halves combined by three multiplications. */
static inline uint64_t digits_value8(const unsigned char *p, int k) {
    uint64_t v;
    if (!LITTLE_ENDIAN_WORDS) {
        uint64_t m = 0;
        int i;
        for (i = 0; i < k; i++) m = m * 10 + (uint64_t)(p[i] - '0');
        return m;
    }
    memcpy(&v, p, 8);
    v = (v ^ 0x3030303030303030ULL) << (8 * (8 - k));
    v = (v * 2561) >> 8;
    v = ((v & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
    return ((v & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
}

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define HAVE_BULK 1

/* Bit i set where p[i] (i < 64) is a comma, a digit, a point. */
static ALWAYS_INLINE void window_masks(const unsigned char *p, uint64_t *commas, uint64_t *digits, uint64_t *points) {
    const __m128i comma = _mm_set1_epi8(','), zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
    const __m128i point = _mm_set1_epi8('.');
    uint64_t c = 0, d = 0, q = 0;
    int i;
    for (i = 0; i < 4; i++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        __m128i v = _mm_sub_epi8(x, zero);
        c |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, comma)) << (16 * i);
        d |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, nine), v)) << (16 * i);
        q |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, point)) << (16 * i);
    }
    *commas = c;
    *digits = d;
    *points = q;
}

/* The compact elements from p on ("123," in the int kinds; "123," and "1.25," in float64)
 * while 64-byte windows hold only digits, commas (and points): every comma's position comes
 * from one mask, so no element waits for the end of the one before it, as the scan of one
 * token after another does. Returns where the first element it did not take starts; the
 * general parser reads that one (a null, a sign, blanks, a long or hard number, the end). */
static const unsigned char *bulk_elements(const unsigned char *p, const unsigned char *end, int kind,
                                          void *values, Py_ssize_t *count,
                                          Py_ssize_t capacity) {
    const unsigned char *start = p; /* of the element whose comma comes next */
    Py_ssize_t k = *count;
    int32_t *out32 = (int32_t *)values;
    int64_t *out64 = (int64_t *)values;
    double *outf = (double *)values;
    while (end - p >= 64 + 16) { /* digits_value8 reads 8 bytes from within the window */
        uint64_t commas, digits, points, bad, cm;
        window_masks(p, &commas, &digits, &points);
        bad = ~(commas | digits | (kind == KIND_FLOAT64 ? points : 0));
        cm = bad ? commas & ((bad & (0 - bad)) - 1) : commas; /* commas before the first bad byte */
        while (cm) {
            const unsigned char *comma = p + __builtin_ctzll(cm);
            Py_ssize_t len = comma - start;
            uint64_t v;
            cm &= cm - 1;
            if (len < 1 || k >= capacity) goto done;
            if (kind == KIND_FLOAT64) {
                int whole = leading_digits8(start), f;
                if (whole > 1 && *start == '0') goto done; /* "01", "01.5": not JSON */
                if (whole == len) {
                    if (len > 8) goto done;
                    outf[k] = (double)digits_value8(start, whole);
                } else {
                    f = (int)len - whole - 1;
                    if (whole == 0 || start[whole] != '.' || f < 1 || f > 8 || whole + f > 15 ||
                        leading_digits8(start + whole + 1) < f)
                        goto done;
                    v = digits_value8(start, whole) * POW10_INT[f] + digits_value8(start + whole + 1, f);
                    outf[k] = (double)v / POW10[f];
                }
            } else {
                if (len > 16 || (len > 1 && *start == '0')) goto done;
                v = len <= 8 ? digits_value8(start, (int)len)
                             : digits_value8(start, (int)len - 8) * 100000000u + digits_value8(start + len - 8, 8);
                if (kind == KIND_INT32) {
                    if (v > 2147483647u) goto done;
                    out32[k] = (int32_t)v;
                } else {
                    out64[k] = (int64_t)v;
                }
            }
            k++;
            start = comma + 1;
        }
        if (bad) break;
        p += 64;
    }
done:
    *count = k;
    return start;
}
#else
#define HAVE_BULK 0
#endif

/* The number at p, or NULL if p does not start a JSON number. */
static ALWAYS_INLINE const unsigned char *scan_number(const unsigned char *p, const unsigned char *end, Number *n) {
    uint64_t m = 0;
    int significant = 0;
    int64_t exp10 = 0;
    n->negative = 0;
    n->is_int = 1;
    n->truncated = 0;
    if (p < end && *p == '-') {
        n->negative = 1;
        p++;
    }
    if (p >= end) return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        const unsigned char *digits = p;
        /* eight digits at a time, then one at a time; 19 digits always fit a uint64 */
        while (end - p >= 8) {
            int k = leading_digits8(p);
            if (k == 0 || (p - digits) + k > 19) break;
            m = m * POW10_INT[k] + digits_value8(p, k);
            p += k;
            if (k < 8) break;
        }
        while (p < end && is_digit(*p) && p - digits < 19) m = m * 10 + (uint64_t)(*p++ - '0');
        significant = (int)(p - digits);
        while (p < end && is_digit(*p)) { /* beyond 19: the value is only approximate */
            n->truncated = 1;
            exp10++;
            p++;
        }
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        n->is_int = 0;
        if (p >= end || !is_digit(*p)) return NULL;
        if (m == 0) { /* 0.000123: leading zeros are not significant */
            while (p < end && *p == '0') {
                exp10--;
                p++;
            }
        }
        while (end - p >= 8) {
            int k = leading_digits8(p);
            if (k == 0 || significant + k > 19) break;
            m = m * POW10_INT[k] + digits_value8(p, k);
            significant += k;
            exp10 -= k;
            p += k;
            if (k < 8) break;
        }
        while (p < end && is_digit(*p)) {
            if (significant < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                significant++;
                exp10--;
            } else {
                n->truncated = 1;
            }
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int64_t e = 0;
        int e_negative = 0;
        p++;
        n->is_int = 0;
        if (p < end && (*p == '+' || *p == '-')) e_negative = *p++ == '-';
        if (p >= end || !is_digit(*p)) return NULL;
        while (p < end && is_digit(*p)) {
            if (e < 100000) e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += e_negative ? -e : e;
    }
    if (p < end && !is_blank(*p) && *p != ',' && *p != ']' && *p != '}') return NULL; /* "01" */
    n->mantissa = m;
    n->exp10 = exp10;
    return p;
}

/* The exact double for n, or 0 (and *hard = 1) when the fast path cannot compute it. */
static inline double exact_double(const Number *n, int *hard) {
    double v;
    *hard = 0;
    if (n->mantissa == 0) return n->negative ? -0.0 : 0.0;
    if (n->truncated || n->mantissa > MAX_EXACT) {
        *hard = 1;
        return 0.0;
    }
    v = (double)n->mantissa;
    if (n->exp10 < 0) {
        if (n->exp10 < -22) {
            *hard = 1;
            return 0.0;
        }
        v /= POW10[-n->exp10];
    } else if (n->exp10 > 0) {
        int64_t e = n->exp10;
        uint64_t m = n->mantissa;
        while (e > 22) { /* 1e30: move powers of ten into the mantissa while it stays exact */
            if (m > MAX_EXACT / 10) {
                *hard = 1;
                return 0.0;
            }
            m *= 10;
            e--;
        }
        v = (double)m * POW10[e];
    }
    return n->negative ? -v : v;
}

/* After an element of a JSON array: 1 with *p past the comma (and blanks) that follows, 0
 * with *p past the closing bracket, -1 if anything else follows. */
static inline int array_next(const unsigned char **p, const unsigned char *end) {
    const unsigned char *q = skip_blanks(*p, end);
    if (q < end && *q == ',') {
        *p = skip_blanks(q + 1, end);
        return 1;
    }
    if (q < end && *q == ']') {
        *p = q + 1;
        return 0;
    }
    *p = q;
    return -1;
}

/* After an element of a comma-separated list: 1 with *p past the comma that follows, 0 at
 * the end of the text, or 0 with ST_SYNTAX (and where) if anything else follows. */
static inline int next_element(const unsigned char **p, const unsigned char *start, const unsigned char *end,
                               int *status, Py_ssize_t *where) {
    const unsigned char *q = skip_blanks(*p, end);
    *p = q;
    if (q >= end) return 0;
    if (*q != ',') {
        *status = ST_SYNTAX;
        *where = q - start;
        return 0;
    }
    *p = q + 1;
    return 1;
}

static PyObject *result(Py_ssize_t count, Py_ssize_t nulls, int status, Py_ssize_t where, Py_ssize_t hard) {
    return Py_BuildValue("(nninn)", count, nulls, status, where, hard);
}

/* parse_numbers(text, kind, values, validity, hard) -> (count, nulls, status, where, n_hard)
 *
 * values: room for the elements (4 or 8 bytes each, by kind); validity: a bit per element
 * (bits past count are left set); hard: int64 triples (element, offset, length) of the floats
 * left to the caller. status ST_WIDER: an integer does not fit the kind; ST_FRACTION: a
 * fraction or exponent in an integer kind; ST_SYNTAX: not JSON numbers and nulls (where: the
 * byte offset); ST_FULL: more elements or hard floats than there is room for. */
static PyObject *parse_numbers(PyObject *self, PyObject *args) {
    Py_buffer text, values, validity, hard;
    int kind;
    int status = ST_OK;
    Py_ssize_t count = 0, nulls = 0, n_hard = 0, where = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*iw*w*w*", &text, &kind, &values, &validity, &hard)) return NULL;
    {
        const unsigned char *start = (const unsigned char *)text.buf;
        const unsigned char *end = start + text.len;
        const unsigned char *p = start;
        Py_ssize_t width = kind == KIND_INT32 ? 4 : 8;
        Py_ssize_t capacity = values.len / width;
        Py_ssize_t hard_capacity = hard.len / (3 * (Py_ssize_t)sizeof(int64_t));
        int32_t *out32 = (int32_t *)values.buf;
        int64_t *out64 = (int64_t *)values.buf;
        double *outf = (double *)values.buf;
        int64_t *hard_out = (int64_t *)hard.buf;
        uint8_t *bits = (uint8_t *)validity.buf;
        Py_BEGIN_ALLOW_THREADS;
        if (validity.len < (capacity + 7) / 8) capacity = validity.len * 8;
        memset(bits, 0xff, (size_t)((capacity + 7) / 8)); /* valid; a null clears its bit */
        for (;;) {
            Number n;
            const unsigned char *token;
#if HAVE_BULK
            p = bulk_elements(p, end, kind, values.buf, &count, capacity);
#endif
            if (count >= capacity) {
                status = ST_FULL;
                break;
            }
            /* the common case first: "123," (int kinds) or "123.456," (float64), compact, up to
             * 8 digits on either side of the point (15 at most in all: an exact double) */
            if (end - p >= 18) {
                int k = leading_digits8(p);
                if (k > 0 && (k == 1 || *p != '0')) {
                    if (p[k] == ',' && kind != KIND_FLOAT64) {
                        uint64_t v = digits_value8(p, k);
                        if (kind == KIND_INT32) out32[count] = (int32_t)v;
                        else out64[count] = (int64_t)v;
                        count++;
                        p += k + 1;
                        continue;
                    }
                    if (kind == KIND_FLOAT64 && p[k] == '.') {
                        int f = leading_digits8(p + k + 1);
                        if (f > 0 && k + f <= 15 && p[k + 1 + f] == ',') {
                            uint64_t v = digits_value8(p, k) * POW10_INT[f] + digits_value8(p + k + 1, f);
                            outf[count] = (double)v / POW10[f];
                            count++;
                            p += k + f + 2;
                            continue;
                        }
                    }
                }
            }
            p = skip_blanks(p, end);
            token = p;
            if (p < end && *p == 'n' && p + 4 <= end && memcmp(p, "null", 4) == 0) {
                p += 4;
                if (kind == KIND_INT32) out32[count] = 0;
                else if (kind == KIND_INT64) out64[count] = 0;
                else outf[count] = 0.0;
                bits[count >> 3] &= (uint8_t)~(1u << (count & 7));
                nulls++;
            } else {
                p = scan_number(p, end, &n);
                if (p == NULL) {
                    status = ST_SYNTAX;
                    where = token - start;
                    break;
                }
                if (kind == KIND_FLOAT64) {
                    int is_hard;
                    outf[count] = exact_double(&n, &is_hard);
                    if (is_hard) {
                        if (n_hard >= hard_capacity) {
                            status = ST_FULL;
                            break;
                        }
                        hard_out[3 * n_hard] = count;
                        hard_out[3 * n_hard + 1] = token - start;
                        hard_out[3 * n_hard + 2] = p - token;
                        n_hard++;
                    }
                } else if (!n.is_int) {
                    status = ST_FRACTION;
                    where = token - start;
                    break;
                } else if (n.truncated) {
                    status = ST_WIDER;
                    break;
                } else if (kind == KIND_INT32) {
                    if (n.mantissa > (n.negative ? 2147483648u : 2147483647u)) {
                        status = ST_WIDER;
                        break;
                    }
                    out32[count] = n.negative ? (int32_t)(-(int64_t)n.mantissa) : (int32_t)n.mantissa;
                } else {
                    if (n.mantissa > (n.negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
                        status = ST_WIDER;
                        break;
                    }
                    out64[count] = n.negative ? (int64_t)(0 - n.mantissa) : (int64_t)n.mantissa;
                }
            }
            count++;
            if (!next_element(&p, start, end, &status, &where)) break;
        }
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&text);
    PyBuffer_Release(&values);
    PyBuffer_Release(&validity);
    PyBuffer_Release(&hard);
    return result(count, nulls, status, where, n_hard);
}

/* -- JSON values inside rows and marker payload arrays ------------------------------------ */

#define MAX_VALUE_DEPTH 64 /* deeper payloads go to the JSON path */

/* the one-letter escapes after a backslash, and what each stands for */
static const char JSON_ESCAPES[] = "\"\\/bfnrt", JSON_UNESCAPED[] = "\"\\/\b\f\n\r\t";

static inline int is_hex(unsigned char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p at '"': the position after the string's closing quote, or NULL (bad escape, control
 * character, no closing quote). UTF-8 is checked by the caller (Arrow). */
static const unsigned char *scan_string(const unsigned char *p, const unsigned char *end) {
    p++;
    while (p < end) {
        unsigned char c = *p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c == '\\') {
            if (p + 1 >= end) return NULL;
            c = p[1];
            if (c == 'u') {
                if (p + 6 > end || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5]))
                    return NULL;
                p += 6;
                continue;
            }
            if (!strchr(JSON_ESCAPES, c) || c == 0) return NULL;
            p += 2;
            continue;
        }
        p++;
    }
    return NULL;
}

/* The JSON value at p (blanks skipped by the caller): the position after it, or NULL if it
 * is not valid JSON. *big is set by an integer of 19 digits or more (JavaScript reads it as a
 * rounded double: the JSON path does the same). */
static const unsigned char *scan_value(const unsigned char *p, const unsigned char *end, int depth, int *big) {
    if (p >= end) return NULL;
    switch (*p) {
    case '"':
        return scan_string(p, end);
    case '{':
    case '[': {
        unsigned char close = *p == '{' ? '}' : ']';
        int object = *p == '{';
        if (depth >= MAX_VALUE_DEPTH) return NULL;
        p = skip_blanks(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (object) {
                if (p >= end || *p != '"') return NULL;
                p = scan_string(p, end);
                if (p == NULL) return NULL;
                p = skip_blanks(p, end);
                if (p >= end || *p != ':') return NULL;
                p = skip_blanks(p + 1, end);
            }
            p = scan_value(p, end, depth + 1, big);
            if (p == NULL) return NULL;
            p = skip_blanks(p, end);
            if (p < end && *p == ',') {
                p = skip_blanks(p + 1, end);
                continue;
            }
            if (p < end && *p == close) return p + 1;
            return NULL;
        }
    }
    case 't':
        return p + 4 <= end && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return p + 5 <= end && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return p + 4 <= end && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default: {
        Number n;
        const unsigned char *after = scan_number(p, end, &n);
        if (after != NULL && n.is_int && (n.truncated || n.mantissa >= 1000000000000000000u)) *big = 1;
        return after;
    }
    }
}

typedef struct { /* where parse_rows puts what it reads */
    double *values;
    uint8_t *states;
    int64_t *hard;
    Py_ssize_t hard_capacity;
    unsigned char *texts; /* the text of object cells, one after another */
    int64_t *text_cells;  /* (cell index, offset in texts, length) of each */
    Py_ssize_t text_capacity;
} RowsOut;

typedef struct {
    Py_ssize_t rows, widest, n_hard, n_text, where;
    int status;
} RowsRead;

/* Rows of numbers, nulls, booleans and objects ("[..],[..]"): cell c of row r goes to
 * c * n_rows + r; more rows, cells, objects or hard numbers than out holds is ST_FULL. */
static void read_rows(const unsigned char *start, const unsigned char *end, Py_ssize_t n_rows,
                      Py_ssize_t width, RowsOut *out, RowsRead *r) {
    const unsigned char *p = start;
    Py_ssize_t text_used = 0;
    memset(r, 0, sizeof(*r));
    /* a shorter row's missing cells: absent, and 0 under their validity bit */
    memset(out->states, CELL_ABSENT, (size_t)(n_rows * width));
    memset(out->values, 0, (size_t)(n_rows * width) * sizeof(double));
    while (r->status == ST_OK) {
        Py_ssize_t cell = 0;
        p = skip_blanks(p, end);
        if (r->rows >= n_rows) {
            r->status = ST_FULL;
            break;
        }
        if (p >= end || *p != '[') {
            r->status = ST_SYNTAX;
            break;
        }
        p++;
        for (;;) {
            Py_ssize_t at = cell * n_rows + r->rows;
            const unsigned char *token;
            int code = CELL_NUMBER;
            double v = 0.0;
            p = skip_blanks(p, end);
            token = p;
            if (cell >= width) {
                r->status = ST_FULL;
                break;
            }
            if (p < end && *p == 'n' && p + 4 <= end && memcmp(p, "null", 4) == 0) {
                p += 4;
                code = CELL_NULL;
            } else if (p < end && *p == 't' && p + 4 <= end && memcmp(p, "true", 4) == 0) {
                p += 4;
                code = CELL_TRUE;
                v = 1.0;
            } else if (p < end && *p == 'f' && p + 5 <= end && memcmp(p, "false", 5) == 0) {
                p += 5;
                code = CELL_FALSE;
            } else if (p < end && *p == '{') {
                int big = 0;
                p = scan_value(p, end, 1, &big);
                if (p == NULL || big) {
                    r->status = p == NULL ? ST_SYNTAX : ST_BIGINT;
                    p = token;
                    break;
                }
                code = CELL_TEXT;
                if (r->n_text >= out->text_capacity) {
                    r->status = ST_FULL;
                    break;
                }
                memcpy(out->texts + text_used, token, (size_t)(p - token));
                out->text_cells[3 * r->n_text] = at;
                out->text_cells[3 * r->n_text + 1] = text_used;
                out->text_cells[3 * r->n_text + 2] = p - token;
                text_used += p - token;
                r->n_text++;
            } else {
                Number n;
                int is_hard;
                p = scan_number(p, end, &n);
                if (p == NULL) {
                    r->status = ST_SYNTAX;
                    p = token;
                    break;
                }
                v = exact_double(&n, &is_hard);
                if (is_hard) {
                    if (r->n_hard >= out->hard_capacity) {
                        r->status = ST_FULL;
                        break;
                    }
                    out->hard[3 * r->n_hard] = at;
                    out->hard[3 * r->n_hard + 1] = token - start;
                    out->hard[3 * r->n_hard + 2] = p - token;
                    code = CELL_HARD;
                    r->n_hard++;
                }
            }
            out->values[at] = v;
            out->states[at] = (uint8_t)code;
            cell++;
            p = skip_blanks(p, end);
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == ']') {
                p++;
                break;
            }
            r->status = ST_SYNTAX; /* "true1", a missing bracket, the end of the text */
            break;
        }
        if (r->status != ST_OK) break;
        r->rows++;
        if (cell > r->widest) r->widest = cell;
        p = skip_blanks(p, end);
        if (p >= end) break;
        if (*p != ',') {
            r->status = ST_SYNTAX;
            break;
        }
        p++;
    }
    r->where = p - start;
}

static inline const unsigned char *string_end(const unsigned char *p, const unsigned char *end);

/* row_counts(text) -> (rows, widest, objects): the rows of "[..],[..]", the most cells in one
 * and how many cells are objects, counted by brackets, braces and commas outside strings, in
 * a third of the time of a parsing pass; (-1, -1, -1) when a string runs past the end. Nothing is
 * checked: parse_rows does that, and refuses text whose rows, cells or objects these counts
 * do not hold. */
static PyObject *row_counts(PyObject *self, PyObject *args) {
    Py_buffer text;
    Py_ssize_t rows = 0, widest = 0, cells = 0, depth = 0, objects = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &text)) return NULL;
    {
        const unsigned char *p = (const unsigned char *)text.buf, *end = p + text.len;
        Py_BEGIN_ALLOW_THREADS;
        while (p < end) {
            const unsigned char c = *p;
            if (c == ',') {
                cells += depth == 1;
            } else if (c == '[' || c == '{') {
                if (depth++ == 0) {
                    rows++;
                    cells = 1;
                } else if (depth == 2 && c == '{') {
                    objects++;
                }
            } else if (c == ']' || c == '}') {
                if (--depth == 0 && cells > widest) widest = cells;
            } else if (c == '"') {
                p = string_end(p, end);
                if (p == NULL) {
                    rows = widest = objects = -1;
                    break;
                }
                continue;
            }
            p++;
        }
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&text);
    return Py_BuildValue("(nnn)", rows, widest, objects);
}

/* parse_rows(text, rows, width, values, states, hard, texts, text_cells)
 *     -> (rows, n_text, status, where, n_hard)
 *
 * Cell c of row r goes to values[c * rows + r] (float64) and states[c * rows + r] (a CELL_*
 * code; CELL_ABSENT after a row's last cell); hard: int64 triples (cell index, offset, length)
 * of the numbers left to the caller; an object cell's text is copied to texts, and
 * text_cells holds (cell index, offset in texts, length) for each. An empty row is ST_SYNTAX,
 * an integer of 19 digits or more inside an object ST_BIGINT. */
static PyObject *parse_rows(PyObject *self, PyObject *args) {
    Py_buffer text, values, states, hard, texts, text_cells;
    Py_ssize_t n_rows, width;
    RowsOut out;
    RowsRead r;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nnw*w*w*w*w*", &text, &n_rows, &width, &values, &states, &hard, &texts,
                          &text_cells))
        return NULL;
    if (n_rows < 0 || width < 0 || values.len < n_rows * width * (Py_ssize_t)sizeof(double) ||
        states.len < n_rows * width || (text_cells.len > 0 && texts.len < text.len)) {
        PyErr_SetString(PyExc_ValueError, "parse_rows: output buffers smaller than the input");
        r.rows = -1;
    } else {
        out.values = (double *)values.buf;
        out.states = (uint8_t *)states.buf;
        out.hard = (int64_t *)hard.buf;
        out.hard_capacity = hard.len / (3 * (Py_ssize_t)sizeof(int64_t));
        out.texts = (unsigned char *)texts.buf;
        out.text_cells = (int64_t *)text_cells.buf;
        out.text_capacity = text_cells.len / (3 * (Py_ssize_t)sizeof(int64_t));
        Py_BEGIN_ALLOW_THREADS;
        read_rows((const unsigned char *)text.buf, (const unsigned char *)text.buf + text.len, n_rows, width,
                  &out, &r);
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&text);
    PyBuffer_Release(&values);
    PyBuffer_Release(&states);
    PyBuffer_Release(&hard);
    PyBuffer_Release(&texts);
    PyBuffer_Release(&text_cells);
    if (r.rows < 0) return NULL;
    return result(r.rows, r.n_text, r.status, r.where, r.n_hard);
}

/* split_payloads(text, texts, offsets, validity) -> (count, nulls, status, where, 0)
 *
 * A processed marker data array's content: objects and nulls. Each object's text is copied
 * to texts, element i spanning texts[offsets[i]:offsets[i + 1]] (empty for null, its
 * validity bit clear). ST_BIGINT: an integer of 19 digits or more in an object. */
static PyObject *split_payloads(PyObject *self, PyObject *args) {
    Py_buffer text, texts, offsets, validity;
    Py_ssize_t count = 0, nulls = 0, where = 0;
    int status = ST_OK;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*w*w*", &text, &texts, &offsets, &validity)) return NULL;
    if (texts.len < text.len) {
        status = ST_FULL;
    } else {
        const unsigned char *start = (const unsigned char *)text.buf;
        const unsigned char *end = start + text.len;
        const unsigned char *p = start;
        unsigned char *copy = (unsigned char *)texts.buf;
        int64_t *bounds = (int64_t *)offsets.buf;
        uint8_t *bits = (uint8_t *)validity.buf;
        Py_ssize_t capacity = offsets.len / (Py_ssize_t)sizeof(int64_t) - 1;
        int64_t used = 0;
        Py_BEGIN_ALLOW_THREADS;
        if (validity.len * 8 < capacity) capacity = validity.len * 8;
        memset(bits, 0, (size_t)validity.len);
        if (capacity >= 0) bounds[0] = 0;
        for (;;) {
            const unsigned char *token;
            p = skip_blanks(p, end);
            token = p;
            if (count >= capacity) {
                status = ST_FULL;
                break;
            }
            if (p < end && *p == 'n' && p + 4 <= end && memcmp(p, "null", 4) == 0) {
                p += 4;
                nulls++;
            } else if (p < end && *p == '{') {
                int big = 0;
                p = scan_value(p, end, 1, &big);
                if (p == NULL || big) {
                    status = p == NULL ? ST_SYNTAX : ST_BIGINT;
                    where = token - start;
                    break;
                }
                memcpy(copy + used, token, (size_t)(p - token));
                used += p - token;
                bits[count >> 3] |= (uint8_t)(1u << (count & 7));
            } else {
                status = ST_SYNTAX;
                where = token - start;
                break;
            }
            count++;
            bounds[count] = used;
            if (!next_element(&p, start, end, &status, &where)) break;
        }
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&text);
    PyBuffer_Release(&texts);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&validity);
    return result(count, nulls, status, where, 0);
}

/* p at '"': the position after the string's closing quote, or NULL if data ends first. Only
 * the escapes' backslashes are read: the searches for an array's end check nothing else. */
static inline const unsigned char *string_end(const unsigned char *p, const unsigned char *end) {
    const unsigned char *q = p + 1;
    while (q < end && *q != '"') q += *q == '\\' ? 2 : 1;
    return q < end ? q + 1 : NULL;
}

/* flat_end(data, start) -> (end, long_digits): where the flat array body from data[start]
 * stops: the first bracket or brace outside strings, the opening quote of a string the data
 * ends in, or len(data). long_digits: 19 digits in a row outside strings (an integer the JSON
 * decoder must read as a float, as JavaScript does). Nothing else is checked: the decoder
 * does that. */
static PyObject *flat_end(PyObject *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t start, end_at;
    int long_digits = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*n", &data, &start)) return NULL;
    {
        const unsigned char *begin = (const unsigned char *)data.buf;
        const unsigned char *end = begin + data.len;
        const unsigned char *p = begin + (start < 0 ? 0 : start > data.len ? data.len : start);
        int run = 0;
        while (p < end) {
            unsigned char c = *p;
            if (c == '"') {
                const unsigned char *after = string_end(p, end);
                if (after == NULL) break; /* the string goes on in the next chunk */
                p = after;
                run = 0;
                continue;
            }
            if (c == '[' || c == ']' || c == '{' || c == '}') break;
            if (is_digit(c)) {
                if (++run >= 19) long_digits = 1;
            } else {
                run = 0;
            }
            p++;
        }
        end_at = p - begin;
    }
    PyBuffer_Release(&data);
    return Py_BuildValue("(ni)", end_at, long_digits);
}

/* array_end(data, start, depth) -> (end, resume, depth): where the array whose content goes
 * on at data[start] (outside strings, depth containers down in it) closes: (position of its
 * "]", -1, -1); or, when data ends first, (-1, resume, depth): a position outside strings to
 * read on from (the quote of a string data ends in, else len(data)) and the depth there. */
static PyObject *array_end(PyObject *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t start, depth, end_at = -1, resume = -1;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nn", &data, &start, &depth)) return NULL;
    {
        const unsigned char *begin = (const unsigned char *)data.buf;
        const unsigned char *end = begin + data.len;
        const unsigned char *p = begin + (start < 0 ? 0 : start > data.len ? data.len : start);
        Py_BEGIN_ALLOW_THREADS;
        while (p < end) {
            unsigned char c = *p;
            if (c == '"') {
                const unsigned char *after = string_end(p, end);
                if (after == NULL) break; /* inside a string at the end: read on from its quote */
                p = after;
                continue;
            }
            if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                if (--depth < 0) {
                    end_at = p - begin;
                    break;
                }
            }
            p++;
        }
        if (end_at < 0) resume = p - begin;
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&data);
    if (end_at >= 0) return Py_BuildValue("(nnn)", end_at, (Py_ssize_t)-1, (Py_ssize_t)-1);
    return Py_BuildValue("(nnn)", (Py_ssize_t)-1, resume, depth);
}

/* number_list(text) -> list | None: a short JSON array of numbers and nulls ("[1,2.5,null]",
 * brackets included) as Python ints, floats and None, as the json module and loads_flat read
 * it; None for anything else, or for a number the exact path cannot give (19 digits or more,
 * a float beyond Clinger's fast path): the json module reads those. */
static PyObject *number_list(PyObject *self, PyObject *args) {
    Py_buffer text;
    PyObject *out = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &text)) return NULL;
    {
        const unsigned char *p = (const unsigned char *)text.buf;
        const unsigned char *end = p + text.len;
        int ok = 1, next;
        p = skip_blanks(p, end);
        if (p >= end || *p != '[') goto decline;
        out = PyList_New(0);
        if (out == NULL) goto done;
        p = skip_blanks(p + 1, end);
        if (p < end && *p == ']') {
            p++;
        } else {
            for (;;) {
                PyObject *item;
                if (p + 4 <= end && memcmp(p, "null", 4) == 0) {
                    p += 4;
                    Py_INCREF(Py_None);
                    item = Py_None;
                } else {
                    Number n;
                    p = scan_number(p, end, &n);
                    if (p == NULL || n.truncated) goto decline;
                    if (n.is_int) {
                        if (n.mantissa >= 1000000000000000000u) goto decline; /* read as a float */
                        item = PyLong_FromLongLong(n.negative ? -(long long)n.mantissa : (long long)n.mantissa);
                    } else {
                        int hard;
                        double v = exact_double(&n, &hard);
                        if (hard) goto decline;
                        item = PyFloat_FromDouble(v);
                    }
                    if (item == NULL) {
                        ok = 0;
                        break;
                    }
                }
                if (PyList_Append(out, item) < 0) ok = 0;
                Py_DECREF(item);
                if (!ok) break;
                next = array_next(&p, end);
                if (next > 0) continue;
                if (next == 0) break;
                goto decline;
            }
        }
        if (!ok) {
            Py_CLEAR(out);
            goto done;
        }
        if (skip_blanks(p, end) != end) goto decline;
        goto done;
    decline:
        Py_XDECREF(out);
        Py_INCREF(Py_None);
        out = Py_None;
    }
done:
    PyBuffer_Release(&text);
    return out;
}

static inline int hex_value(unsigned char c) {
    return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; /* c is_hex */
}

/* The code point of the 4 hex digits at p, or -1. */
static inline long hex4(const unsigned char *p) {
    long v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        if (!is_hex(p[i])) return -1;
        v = v * 16 + hex_value(p[i]);
    }
    return v;
}

/* Code point cp as UTF-8 at out; the number of bytes written. */
static inline int put_utf8(unsigned char *out, long cp) {
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* p at '"': the string unescaped at out + *used (never more bytes than it takes in the text),
 * and the position after its closing quote; NULL where scan_string refuses it, or for a lone
 * surrogate (which the json module reads and Arrow cannot hold). */
static const unsigned char *unescape_string(const unsigned char *p, const unsigned char *end, unsigned char *out,
                                            Py_ssize_t *used) {
    Py_ssize_t n = *used;
    p++;
    while (p < end) {
        unsigned char c = *p;
        long cp, low;
        if (c == '"') {
            *used = n;
            return p + 1;
        }
        if (c < 0x20) return NULL;
        if (c != '\\') {
            out[n++] = c;
            p++;
            continue;
        }
        if (end - p < 2) return NULL;
        c = p[1];
        if (c != 'u') {
            const char *at = strchr(JSON_ESCAPES, c);
            if (at == NULL || c == 0) return NULL;
            out[n++] = (unsigned char)JSON_UNESCAPED[at - JSON_ESCAPES];
            p += 2;
            continue;
        }
        if (end - p < 6 || (cp = hex4(p + 2)) < 0) return NULL;
        p += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return NULL; /* a lone low surrogate */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || (low = hex4(p + 2)) < 0xDC00 || low > 0xDFFF)
                return NULL; /* a lone high surrogate */
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        n += put_utf8(out + n, cp);
    }
    return NULL;
}

/* An element reader for walk_array: reads element i at p, returns where it ends, or NULL if
 * it is not an element of that kind. */
typedef const unsigned char *(*ElementReader)(const unsigned char *p, const unsigned char *end,
                                              Py_ssize_t i, void *out);

/* Walks a JSON array ("[e, e]", brackets included, blanks allowed, nothing after but blanks),
 * reading each element with read: the number of elements, or -1 if the text is not such an
 * array (or holds more than capacity elements). */
static inline Py_ssize_t walk_array(const unsigned char *p, const unsigned char *end, Py_ssize_t capacity,
                             ElementReader read, void *out) {
    Py_ssize_t count = 0;
    int next;
    p = skip_blanks(p, end);
    if (p >= end || *p != '[') return -1;
    p = skip_blanks(p + 1, end);
    if (p < end && *p == ']') {
        p++;
    } else {
        for (;;) {
            if (count >= capacity || p >= end) return -1;
            p = read(p, end, count, out);
            if (p == NULL) return -1;
            count++;
            next = array_next(&p, end);
            if (next > 0) continue;
            if (next == 0) break;
            return -1;
        }
    }
    return skip_blanks(p, end) == end ? count : -1;
}

typedef struct { /* where string_array puts what it reads */
    unsigned char *out;
    int64_t *bounds;
    uint8_t *bits;
    Py_ssize_t used, nulls;
} StringsOut;

static inline const unsigned char *read_string(const unsigned char *p, const unsigned char *end, Py_ssize_t i,
                                        void *out) {
    StringsOut *o = (StringsOut *)out;
    if (*p == '"') {
        p = unescape_string(p, end, o->out, &o->used);
        if (p == NULL) return NULL;
        o->bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    } else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
        p += 4;
        o->bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
        o->nulls++;
    } else {
        return NULL;
    }
    o->bounds[i + 1] = o->used;
    return p;
}

static inline const unsigned char *read_bool(const unsigned char *p, const unsigned char *end, Py_ssize_t i,
                                      void *out) {
    uint8_t *bits = (uint8_t *)out;
    if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
        bits[i >> 3] |= (uint8_t)(1u << (i & 7));
        return p + 4;
    }
    if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
        bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
        return p + 5;
    }
    return NULL;
}

/* string_array(text, data, offsets, validity) -> (count, nulls, used), or None
 *
 * A JSON array of strings and nulls (brackets included, nothing after but blanks) as Arrow
 * string parts: the unescaped UTF-8 bytes in data (room: len(text)), int64 offsets (room:
 * elements + 1), a validity bit per element. None where the JSON decoder must decide: any
 * other value, a control character or bad escape, a lone surrogate, not JSON. The bytes are
 * not checked as UTF-8 here (the caller's Arrow validation does that). */
static PyObject *string_array(PyObject *self, PyObject *args) {
    Py_buffer text, data, offsets, validity;
    StringsOut o;
    Py_ssize_t count = -1;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*w*w*", &text, &data, &offsets, &validity)) return NULL;
    o.out = (unsigned char *)data.buf;
    o.bounds = (int64_t *)offsets.buf;
    o.bits = (uint8_t *)validity.buf;
    o.used = o.nulls = 0;
    {
        Py_ssize_t capacity = offsets.len / 8 - 1;
        if (capacity > validity.len * 8) capacity = validity.len * 8;
        if (data.len >= text.len && capacity >= 0) {
            Py_BEGIN_ALLOW_THREADS;
            o.bounds[0] = 0;
            count = walk_array((const unsigned char *)text.buf, (const unsigned char *)text.buf + text.len,
                               capacity, read_string, &o);
            Py_END_ALLOW_THREADS;
        }
    }
    PyBuffer_Release(&text);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&validity);
    if (count < 0) Py_RETURN_NONE;
    return Py_BuildValue("(nnn)", count, o.nulls, o.used);
}

/* bool_array(text, bits) -> count or None
 *
 * A JSON array of true and false (brackets included, blanks allowed) into a packed bitmap
 * (bit i set for true); None for anything else (a null, another value, bad JSON) or when
 * bits is too short. The json module makes a Python bool of each, then polars reads them
 * back one by one: funcTable.isJS and relevantForJS are millions of them in a samply import. */
static PyObject *bool_array(PyObject *self, PyObject *args) {
    Py_buffer text, out;
    Py_ssize_t count;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*", &text, &out)) return NULL;
    Py_BEGIN_ALLOW_THREADS;
    count = walk_array((const unsigned char *)text.buf, (const unsigned char *)text.buf + text.len, out.len * 8,
                       read_bool, out.buf);
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&text);
    PyBuffer_Release(&out);
    if (count < 0) Py_RETURN_NONE;
    return PyLong_FromSsize_t(count);
}

/* parent_depths(parent, depth) -> ok: depth[i] = depth[parent[i]] + 1, 0 for a root
 * (parent < 0), for int64 parents that each come before their child (parent[i] < i, as in
 * stack tables and call nodes): one pass, where pointer doubling gathers the whole array
 * log2(deepest) times. False (depth partly written) when a parent does not come first. */
static PyObject *parent_depths(PyObject *self, PyObject *args) {
    Py_buffer parent, depth;
    int ok = 1;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*", &parent, &depth)) return NULL;
    {
        const int64_t *up = (const int64_t *)parent.buf;
        int32_t *d = (int32_t *)depth.buf;
        Py_ssize_t n = parent.len / (Py_ssize_t)sizeof(int64_t), i;
        if (depth.len / (Py_ssize_t)sizeof(int32_t) < n) {
            ok = 0;
        } else {
            Py_BEGIN_ALLOW_THREADS;
            for (i = 0; i < n; i++) {
                int64_t q = up[i];
                if (q < 0) {
                    d[i] = 0;
                } else if (q < i) {
                    d[i] = d[q] + 1;
                } else {
                    ok = 0;
                    break;
                }
            }
            Py_END_ALLOW_THREADS;
        }
    }
    PyBuffer_Release(&parent);
    PyBuffer_Release(&depth);
    return PyBool_FromLong(ok);
}

/* High bit set in each byte of x that is zero (exactly: no carries between bytes). */
static inline uint64_t zero_bytes(uint64_t x) {
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    return ~(((x & low7) + low7) | x) & ~low7;
}

/* row_marks(data) -> (opens, closes, breaks): how many '[' and ']' are in data and how many
 * times "],[" occurs, in one pass, sixteen positions at a time with SSE2 (else eight, by the
 * zero bytes of three shifted words) (whether text is flat rows; three searches read it three times). */
static PyObject *row_marks(PyObject *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t opens = 0, closes = 0, breaks = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    {
        const unsigned char *p = (const unsigned char *)data.buf;
        const unsigned char *end = p + data.len;
        const uint64_t ones = 0x0101010101010101ULL;
        int release = data.len >= (1 << 16);
        PyThreadState *state = release ? PyEval_SaveThread() : NULL;
#ifdef HAVE_BULK
        { /* sixteen positions at a time: the three compares' byte masks as bits */
            const __m128i open = _mm_set1_epi8('['), shut = _mm_set1_epi8(']'), comma = _mm_set1_epi8(',');
            for (; end - p >= 18; p += 16) {
                __m128i x = _mm_loadu_si128((const __m128i *)p);
                __m128i y = _mm_loadu_si128((const __m128i *)(p + 1));
                __m128i z = _mm_loadu_si128((const __m128i *)(p + 2));
                unsigned close = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, shut));
                opens += __builtin_popcount((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, open)));
                closes += __builtin_popcount(close);
                breaks += __builtin_popcount(close & (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(y, comma)) &
                                             (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(z, open)));
            }
        }
#endif
        for (; end - p >= 10; p += 8) {
            uint64_t x, y, z, close;
            memcpy(&x, p, 8);
            memcpy(&y, p + 1, 8);
            memcpy(&z, p + 2, 8);
            close = zero_bytes(x ^ ones * ']');
            opens += __builtin_popcountll(zero_bytes(x ^ ones * '['));
            closes += __builtin_popcountll(close);
            breaks += __builtin_popcountll(close & zero_bytes(y ^ ones * ',') &
                                           zero_bytes(z ^ ones * '['));
        }
        for (; p < end; p++) {
            opens += p[0] == '[';
            closes += p[0] == ']';
            breaks += end - p >= 3 && p[0] == ']' && p[1] == ',' && p[2] == '[';
        }
        if (release) PyEval_RestoreThread(state);
    }
    PyBuffer_Release(&data);
    return Py_BuildValue("nnn", opens, closes, breaks);
}

/* rows_end(data, start, stop) -> (end, objects): the position of the first "]]" in
 * data[start:stop] (-1 if none, or if a quote or a brace comes first: then objects is 1, as
 * rows of numbers hold neither). One pass, sixteen positions at a time with SSE2,
 * without the GIL for long data; the three searches it replaces read the text three times. */
static PyObject *rows_end(PyObject *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t start, stop, found = -1;
    int objects = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nn", &data, &start, &stop)) return NULL;
    if (stop > data.len || stop < 0) stop = data.len;
    if (start < 0) start = 0;
    {
        const unsigned char *begin = (const unsigned char *)data.buf;
        const unsigned char *p = begin + (start < stop ? start : stop), *end = begin + stop;
        int release = stop - start >= (1 << 16);
        PyThreadState *state = release ? PyEval_SaveThread() : NULL;
#ifdef HAVE_BULK
        {
            const __m128i shut = _mm_set1_epi8(']'), quote = _mm_set1_epi8('"'), brace = _mm_set1_epi8('{');
            for (; end - p >= 17; p += 16) {
                __m128i x = _mm_loadu_si128((const __m128i *)p);
                __m128i y = _mm_loadu_si128((const __m128i *)(p + 1));
                unsigned pair = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(x, shut), _mm_cmpeq_epi8(y, shut)));
                unsigned text = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, brace)));
                if (pair | text) break; /* the byte loop finds which comes first */
            }
        }
#endif
        for (; p < end; p++) {
            if (*p == '"' || *p == '{') {
                objects = 1;
                break;
            }
            if (*p == ']' && end - p >= 2 && p[1] == ']') {
                found = p - begin;
                break;
            }
        }
        if (release) PyEval_RestoreThread(state);
    }
    PyBuffer_Release(&data);
    return Py_BuildValue("(ni)", found, objects);
}

/* count_byte(data, byte) -> how many bytes of data equal byte: eight at a time (a zero
 * byte of data ^ byte, found without carries between bytes), without the GIL for long data.
 * bytes.count is a byte at a time, as slow as parsing the numbers it is asked to size. */
static PyObject *count_byte(PyObject *self, PyObject *args) {
    Py_buffer data;
    unsigned int byte;
    Py_ssize_t total = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*I", &data, &byte)) return NULL;
    {
        const unsigned char *p = (const unsigned char *)data.buf;
        const unsigned char *end = p + data.len;
        const uint64_t pattern = 0x0101010101010101ULL * (byte & 0xff);
        int release = data.len >= (1 << 16);
        PyThreadState *state = release ? PyEval_SaveThread() : NULL;
        while (end - p >= 8) {
            uint64_t counts = 0; /* eight byte-wide counters, summed every 255 words at most */
            int words = 0;
            for (; words < 255 && end - p >= 8; words++, p += 8) {
                uint64_t x;
                memcpy(&x, p, 8);
                counts += zero_bytes(x ^ pattern) >> 7; /* equal bytes are the zero ones */
            }
            counts = (counts & 0x00ff00ff00ff00ffULL) + ((counts >> 8) & 0x00ff00ff00ff00ffULL);
            total += (Py_ssize_t)((counts * 0x0001000100010001ULL) >> 48); /* four 16-bit sums */
        }
        for (; p < end; p++) total += *p == (byte & 0xff);
        if (release) PyEval_RestoreThread(state);
    }
    PyBuffer_Release(&data);
    return PyLong_FromSsize_t(total);
}

/* count_indexes(values, item_size, validity, first_bit, counts) -> (counted, nulls, bad)
 *
 * counts[v] += 1 for every valid value v of an Arrow integer array's values (int32 or int64:
 * item_size 4 or 8), validity its bitmap (None: no nulls) from bit first_bit, without the GIL.
 * bad: the row of the first value outside [0, len(counts)), where the counting stopped (-1
 * when none). One pass, no index copy: numpy's bincount wants intp indexes, which for int32
 * columns is a copy as long as the column before the count. */
static PyObject *count_indexes(PyObject *self, PyObject *args) {
    Py_buffer values, counts, validity = {0};
    PyObject *validity_obj;
    Py_ssize_t item_size, first_bit, n, i, nulls = 0, bad = -1;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nOnw*", &values, &item_size, &validity_obj, &first_bit, &counts)) return NULL;
    if (validity_obj != Py_None && PyObject_GetBuffer(validity_obj, &validity, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&values);
        PyBuffer_Release(&counts);
        return NULL;
    }
    n = (item_size == 4 || item_size == 8) ? values.len / item_size : -1;
    if (n < 0 || first_bit < 0 || (validity.buf != NULL && (first_bit + n + 7) / 8 > validity.len)) {
        PyBuffer_Release(&values);
        PyBuffer_Release(&counts);
        if (validity.buf != NULL) PyBuffer_Release(&validity);
        PyErr_SetString(PyExc_ValueError, "count_indexes: bad item size or a short validity bitmap");
        return NULL;
    }
    {
        int64_t *out = (int64_t *)counts.buf;
        const int64_t bins = counts.len / (Py_ssize_t)sizeof(int64_t);
        const uint8_t *bits = (const uint8_t *)validity.buf;
        const int32_t *v32 = (const int32_t *)values.buf;
        const int64_t *v64 = (const int64_t *)values.buf;
        Py_BEGIN_ALLOW_THREADS;
        for (i = 0; i < n; i++) {
            int64_t v;
            if (bits != NULL && !((bits[(first_bit + i) >> 3] >> ((first_bit + i) & 7)) & 1)) {
                nulls++;
                continue;
            }
            v = item_size == 4 ? (int64_t)v32[i] : v64[i];
            if (v < 0 || v >= bins) {
                bad = i;
                break;
            }
            out[v]++;
        }
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&values);
    PyBuffer_Release(&counts);
    if (validity.buf != NULL) PyBuffer_Release(&validity);
    return Py_BuildValue("(nnn)", (bad < 0 ? n : bad) - nulls, nulls, bad);
}

/* move_indexes(values, lengths, high, base, nulls, earlier, out, missing) -> (bad, n_null)
 *
 * The float64 cells of parts laid end to end (lengths[i] cells each; NaN for null) as int64
 * indexes moved by their part's base, in one pass without the GIL: cell x of part i must be
 * a whole number in [0, high[i]) (null where nulls is true; with earlier, x + base[i] below
 * the cell's position in values too). out[k] = x + base[i] (0 for a null), missing[k] = 1
 * for a null. bad: the first part with a cell that is not (-1 when none). */
static PyObject *move_indexes(PyObject *self, PyObject *args) {
    Py_buffer values, lengths, high, base, out, missing;
    int nulls, earlier;
    Py_ssize_t bad = -1, n_null = 0, n, parts, total = 0, i;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*y*y*ppw*w*", &values, &lengths, &high, &base, &nulls, &earlier, &out,
                          &missing))
        return NULL;
    n = values.len / (Py_ssize_t)sizeof(double);
    parts = lengths.len / (Py_ssize_t)sizeof(int64_t);
    for (i = 0; i < parts; i++) total += ((const int64_t *)lengths.buf)[i];
    if (total != n || high.len < lengths.len || base.len < lengths.len ||
        out.len < n * (Py_ssize_t)sizeof(int64_t) || missing.len < n) {
        PyErr_SetString(PyExc_ValueError, "move_indexes: buffers do not match the lengths");
        bad = -2;
    } else {
        const double *x = (const double *)values.buf;
        const int64_t *len = (const int64_t *)lengths.buf, *hi = (const int64_t *)high.buf;
        const int64_t *moved = (const int64_t *)base.buf;
        int64_t *o = (int64_t *)out.buf;
        uint8_t *gap = (uint8_t *)missing.buf;
        Py_ssize_t k = 0;
        Py_BEGIN_ALLOW_THREADS;
        for (i = 0; i < parts && bad < 0; i++) {
            const double top = (double)hi[i];
            const int64_t by = moved[i];
            const Py_ssize_t stop = k + len[i];
            for (; k < stop; k++) {
                const double v = x[k];
                int64_t whole;
                if (v != v) { /* NaN: a null */
                    if (!nulls) break;
                    o[k] = 0;
                    gap[k] = 1;
                    n_null++;
                    continue;
                }
                if (!(v >= 0.0 && v < top)) break;
                whole = (int64_t)v;
                if ((double)whole != v || (earlier && whole + by >= k)) break;
                o[k] = whole + by;
                gap[k] = 0;
            }
            if (k < stop) bad = i;
        }
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&values);
    PyBuffer_Release(&lengths);
    PyBuffer_Release(&high);
    PyBuffer_Release(&base);
    PyBuffer_Release(&out);
    PyBuffer_Release(&missing);
    if (bad == -2) return NULL;
    return Py_BuildValue("(nn)", bad, n_null);
}

static PyMethodDef methods[] = {
    {"count_byte", count_byte, METH_VARARGS, "How many bytes of data equal byte."},
    {"parent_depths", parent_depths, METH_VARARGS, "Depths of a forest whose parents come first."},
    {"row_marks", row_marks, METH_VARARGS, "How many '[', ']' and \"],[\" there are in data."},
    {"count_indexes", count_indexes, METH_VARARGS, "Add 1 per valid integer value to its bin of counts."},
    {"move_indexes", move_indexes, METH_VARARGS, "Whole float indexes checked against bounds, as moved int64."},
    {"string_array", string_array, METH_VARARGS, "An array of strings and nulls as Arrow string parts, or None."},
    {"bool_array", bool_array, METH_VARARGS, "An array of true and false as a packed bitmap, or None."},
    {"number_list", number_list, METH_VARARGS, "A short array of numbers and nulls as a Python list, or None."},
    {"array_end", array_end, METH_VARARGS, "Where an array closes, or where to read on from."},
    {"flat_end", flat_end, METH_VARARGS, "Where a flat array body stops, and whether it has 19-digit runs."},
    {"parse_numbers", parse_numbers, METH_VARARGS, "Comma-separated JSON numbers and nulls into typed values."},
    {"rows_end", rows_end, METH_VARARGS, "The first \"]]\" and whether a quote or brace comes before it."},
    {"row_counts", row_counts, METH_VARARGS, "Rows, the widest row and the object cells of an array of rows, by brackets and commas."},
    {"parse_rows", parse_rows, METH_VARARGS, "Rows of numbers, nulls, booleans and objects into column-major cells."},
    {"split_payloads", split_payloads, METH_VARARGS, "Objects and nulls of an array, each object's text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_json_numbers",
                                    "One-pass parsers of JSON numbers (see profile_frames/native.py).",
                                    -1, methods};

PyMODINIT_FUNC PyInit__json_numbers(void) { return PyModule_Create(&module); }
