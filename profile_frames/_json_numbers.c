/* One-pass parsers for the numeric parts of profile JSON (see profile_frames/native.py).
 *
 * parse_numbers: a comma-separated list of JSON numbers and nulls (an array's content) into
 *   int32, int64 or float64 values and an Arrow validity bitmap.
 * row_shape / parse_rows: an array of short rows of numbers, nulls and booleans (Gecko's
 *   {schema, data} tables) into column-major float64 cells and a state per cell.
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

enum { ST_OK = 0, ST_WIDER = 1, ST_FRACTION = 2, ST_SYNTAX = 3, ST_FULL = 4 };
enum { KIND_INT32 = 0, KIND_INT64 = 1, KIND_FLOAT64 = 2 };
enum { CELL_ABSENT = 0, CELL_NUMBER = 1, CELL_NULL = 2, CELL_TRUE = 3, CELL_FALSE = 4, CELL_HARD = 5 };

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#define MAX_EXACT (((uint64_t)1) << 53)

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

/* The number at p, or NULL if p does not start a JSON number. */
static inline const unsigned char *scan_number(const unsigned char *p, const unsigned char *end, Number *n) {
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
        /* 19 digits always fit a uint64 */
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
    if (p < end && !is_blank(*p) && *p != ',' && *p != ']') return NULL; /* "01", "1x" */
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

static PyObject *result(Py_ssize_t count, Py_ssize_t nulls, int status, Py_ssize_t where, Py_ssize_t hard) {
    return Py_BuildValue("(nninn)", count, nulls, status, where, hard);
}

/* parse_numbers(text, kind, values, validity, hard) -> (count, nulls, status, where, n_hard)
 *
 * values: room for the elements (4 or 8 bytes each, by kind); validity: a bit per element;
 * hard: int64 triples (element, offset, length) of the floats left to the caller. status
 * ST_WIDER: an integer does not fit the kind; ST_FRACTION: a fraction or exponent in an
 * integer kind; ST_SYNTAX: not JSON numbers and nulls (where: the byte offset); ST_FULL: more
 * elements or hard floats than there is room for. */
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
        memset(bits, 0, (size_t)((capacity + 7) / 8));
        for (;;) {
            Number n;
            const unsigned char *token;
            p = skip_blanks(p, end);
            token = p;
            if (count >= capacity) {
                status = ST_FULL;
                break;
            }
            if (p < end && *p == 'n' && p + 4 <= end && memcmp(p, "null", 4) == 0) {
                p += 4;
                if (kind == KIND_INT32) out32[count] = 0;
                else if (kind == KIND_INT64) out64[count] = 0;
                else outf[count] = 0.0;
                nulls++;
            } else {
                p = scan_number(p, end, &n);
                if (p == NULL) {
                    status = ST_SYNTAX;
                    where = token - start;
                    break;
                }
                bits[count >> 3] |= (uint8_t)(1u << (count & 7));
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
            p = skip_blanks(p, end);
            if (p >= end) break;
            if (*p != ',') {
                status = ST_SYNTAX;
                where = p - start;
                break;
            }
            p++;
        }
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&text);
    PyBuffer_Release(&values);
    PyBuffer_Release(&validity);
    PyBuffer_Release(&hard);
    return result(count, nulls, status, where, n_hard);
}

/* row_shape(text) -> (rows, widest, status, where): the rows of "[..],[..]" and the most cells
 * in one, without reading the cells (the text must hold no strings or objects). */
static PyObject *row_shape(PyObject *self, PyObject *args) {
    Py_buffer text;
    Py_ssize_t rows = 0, widest = 0, where = 0;
    int status = ST_OK;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &text)) return NULL;
    {
        const unsigned char *start = (const unsigned char *)text.buf;
        const unsigned char *end = start + text.len;
        const unsigned char *p = start;
        Py_BEGIN_ALLOW_THREADS;
        for (;;) {
            Py_ssize_t cells = 1;
            p = skip_blanks(p, end);
            if (p >= end || *p != '[') {
                status = ST_SYNTAX;
                break;
            }
            p++;
            while (p < end && *p != ']') {
                if (*p == ',') cells++;
                else if (*p == '[') break;
                p++;
            }
            if (p >= end || *p != ']') {
                status = ST_SYNTAX;
                break;
            }
            p++;
            rows++;
            if (cells > widest) widest = cells;
            p = skip_blanks(p, end);
            if (p >= end) break;
            if (*p != ',') {
                status = ST_SYNTAX;
                break;
            }
            p++;
        }
        where = p - start;
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&text);
    return Py_BuildValue("(nnin)", rows, widest, status, where);
}

/* parse_rows(text, rows, width, values, states, hard) -> (rows, 0, status, where, n_hard)
 *
 * Cell c of row r goes to values[c * rows + r] (float64) and states[c * rows + r] (a CELL_*
 * code; CELL_ABSENT after a row's last cell); hard: int64 triples (cell index, offset, length)
 * of the numbers left to the caller. An empty row is ST_SYNTAX. */
static PyObject *parse_rows(PyObject *self, PyObject *args) {
    Py_buffer text, values, states, hard;
    Py_ssize_t n_rows, width, row = 0, n_hard = 0, where = 0;
    int status = ST_OK;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nnw*w*w*", &text, &n_rows, &width, &values, &states, &hard)) return NULL;
    if (n_rows < 0 || width < 0 || values.len < n_rows * width * (Py_ssize_t)sizeof(double) ||
        states.len < n_rows * width) {
        PyBuffer_Release(&text);
        PyBuffer_Release(&values);
        PyBuffer_Release(&states);
        PyBuffer_Release(&hard);
        PyErr_SetString(PyExc_ValueError, "parse_rows: output buffers smaller than rows x width");
        return NULL;
    }
    {
        const unsigned char *start = (const unsigned char *)text.buf;
        const unsigned char *end = start + text.len;
        const unsigned char *p = start;
        double *out = (double *)values.buf;
        uint8_t *state = (uint8_t *)states.buf;
        int64_t *hard_out = (int64_t *)hard.buf;
        Py_ssize_t hard_capacity = hard.len / (3 * (Py_ssize_t)sizeof(int64_t));
        Py_BEGIN_ALLOW_THREADS;
        memset(state, CELL_ABSENT, (size_t)(n_rows * width));
        while (status == ST_OK) {
            Py_ssize_t cell = 0;
            p = skip_blanks(p, end);
            if (row >= n_rows) {
                status = ST_FULL;
                break;
            }
            if (p >= end || *p != '[') {
                status = ST_SYNTAX;
                break;
            }
            p++;
            for (;;) {
                Py_ssize_t at = cell * n_rows + row;
                const unsigned char *token;
                p = skip_blanks(p, end);
                token = p;
                if (cell >= width) {
                    status = ST_FULL;
                    break;
                }
                if (p < end && *p == 'n' && p + 4 <= end && memcmp(p, "null", 4) == 0) {
                    p += 4;
                    out[at] = 0.0;
                    state[at] = CELL_NULL;
                } else if (p + 4 <= end && memcmp(p, "true", 4) == 0) {
                    p += 4;
                    out[at] = 1.0;
                    state[at] = CELL_TRUE;
                } else if (p + 5 <= end && memcmp(p, "false", 5) == 0) {
                    p += 5;
                    out[at] = 0.0;
                    state[at] = CELL_FALSE;
                } else {
                    Number n;
                    int is_hard;
                    p = scan_number(p, end, &n);
                    if (p == NULL) {
                        status = ST_SYNTAX;
                        p = token;
                        break;
                    }
                    out[at] = exact_double(&n, &is_hard);
                    state[at] = CELL_NUMBER;
                    if (is_hard) {
                        if (n_hard >= hard_capacity) {
                            status = ST_FULL;
                            break;
                        }
                        state[at] = CELL_HARD;
                        hard_out[3 * n_hard] = at;
                        hard_out[3 * n_hard + 1] = token - start;
                        hard_out[3 * n_hard + 2] = p - token;
                        n_hard++;
                    }
                }
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
                status = ST_SYNTAX; /* "true1", a missing bracket, the end of the text */
                break;
            }
            if (status != ST_OK) break;
            row++;
            p = skip_blanks(p, end);
            if (p >= end) break;
            if (*p != ',') {
                status = ST_SYNTAX;
                break;
            }
            p++;
        }
        where = p - start;
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&text);
    PyBuffer_Release(&values);
    PyBuffer_Release(&states);
    PyBuffer_Release(&hard);
    return result(row, 0, status, where, n_hard);
}

static PyMethodDef methods[] = {
    {"parse_numbers", parse_numbers, METH_VARARGS, "Comma-separated JSON numbers and nulls into typed values."},
    {"row_shape", row_shape, METH_VARARGS, "The number of rows and the widest row of an array of rows."},
    {"parse_rows", parse_rows, METH_VARARGS, "Rows of numbers, nulls and booleans into column-major cells."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_json_numbers",
                                    "One-pass parsers of JSON numbers (see profile_frames/native.py).",
                                    -1, methods};

PyMODINIT_FUNC PyInit__json_numbers(void) { return PyModule_Create(&module); }
