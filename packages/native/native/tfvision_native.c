/*
 * tfvision native kernels: NHWC convolutions (forward, input gradient, filter gradient, any
 * groups, stride, dilation, explicit padding) as im2col + OpenBLAS sgemm, called on views of
 * the tfjs wasm heap so no tensor is copied in or out. Shipped prebuilt for linux-x64 with
 * OpenBLAS linked in (tools/build-prebuild.mjs), else built where a C compiler and OpenBLAS
 * exist (build.mjs); everything in tfvision works without it. NaN propagates as in PyTorch.
 */
#include <node_api.h>
#include <pthread.h>
#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int n, h, w, c;      /* input */
  int kh, kw, o;       /* filter HWIO: [kh, kw, c/groups, o] */
  int oh, ow;          /* output */
  int sh, sw, pt, pl, dh, dw, groups;
} conv_geom;

static float *scratch = NULL;
static size_t scratch_len = 0;

static float *scratch_of(size_t n) {
  if (n > scratch_len) {
    free(scratch);
    scratch = (float *)malloc(n * sizeof(float));
    scratch_len = scratch ? n : 0;
  }
  return scratch;
}

/* col[m, k] for group g: m = (b, y, x) output position, k = (i, j, ci) tap and channel. */
static void im2col(const float *x, float *col, const conv_geom *g, int grp) {
  const int cg = g->c / g->groups;
  const int kdim = g->kh * g->kw * cg;
  const int64_t m_total = (int64_t)g->n * g->oh * g->ow;

  for (int64_t m = 0; m < m_total; m++) {
    const int b = (int)(m / (g->oh * g->ow));
    const int rem = (int)(m % (g->oh * g->ow));
    const int oy = rem / g->ow, ox = rem % g->ow;
    float *dst = col + m * kdim;
    for (int i = 0; i < g->kh; i++) {
      const int iy = oy * g->sh - g->pt + i * g->dh;
      for (int j = 0; j < g->kw; j++) {
        const int ix = ox * g->sw - g->pl + j * g->dw;
        float *d = dst + (i * g->kw + j) * cg;
        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) {
          memset(d, 0, cg * sizeof(float));
        } else {
          memcpy(d, x + (((int64_t)b * g->h + iy) * g->w + ix) * g->c + grp * cg, cg * sizeof(float));
        }
      }
    }
  }
}

/* dx += col2im(dcol) for group g; dx must be zeroed by the caller once. */
static void col2im(const float *col, float *dx, const conv_geom *g, int grp) {
  const int cg = g->c / g->groups;
  const int kdim = g->kh * g->kw * cg;
  /* Parallel over images: different images never write the same dx element. */

  for (int b = 0; b < g->n; b++) {
    for (int oy = 0; oy < g->oh; oy++) {
      for (int ox = 0; ox < g->ow; ox++) {
        const float *src = col + (((int64_t)b * g->oh + oy) * g->ow + ox) * kdim;
        for (int i = 0; i < g->kh; i++) {
          const int iy = oy * g->sh - g->pt + i * g->dh;
          if (iy < 0 || iy >= g->h) continue;
          for (int j = 0; j < g->kw; j++) {
            const int ix = ox * g->sw - g->pl + j * g->dw;
            if (ix < 0 || ix >= g->w) continue;
            float *d = dx + (((int64_t)b * g->h + iy) * g->w + ix) * g->c + grp * cg;
            const float *s = src + (i * g->kw + j) * cg;
            for (int ci = 0; ci < cg; ci++) d[ci] += s[ci];
          }
        }
      }
    }
  }
}

static int is_pointwise(const conv_geom *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->groups == 1;
}

/* ---- N-API plumbing ---- */

static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  void *ptr;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, &ab, &off) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "tfvision native: expected a Float32Array");
    return 0;
  }
  *data = (float *)ptr;
  return 1;
}

/* v as an Int32Array's data (its length in *len), or NULL when it is something else. */
static int32_t *int32_view(napi_env env, napi_value v, size_t *len) {
  napi_typedarray_type type;
  void *ptr;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, &ab, &off) != napi_ok || type != napi_int32_array) return NULL;
  return (int32_t *)ptr;
}

static int get_geom(napi_env env, napi_value arr, conv_geom *g) {
  int32_t v[16];
  for (uint32_t i = 0; i < 16; i++) {
    napi_value e;
    if (napi_get_element(env, arr, i, &e) != napi_ok || napi_get_value_int32(env, e, &v[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "tfvision native: geometry must be 16 integers");
      return 0;
    }
  }
  conv_geom t = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  *g = t;
  if (g->groups < 1 || g->c % g->groups || g->o % g->groups) {
    napi_throw_range_error(env, NULL, "tfvision native: channels must divide by groups");
    return 0;
  }
  return 1;
}

/* The four arguments every convolution entry point takes: three Float32Array views and the
 * 16-integer geometry. Throws into JS and returns 0 when one is wrong. */
static int conv_args(napi_env env, napi_callback_info info, float **a0, float **a1, float **a2, conv_geom *g) {
  size_t argc = 4;
  napi_value a[4];
  size_t l0, l1, l2;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "tfvision native: expected (Float32Array, Float32Array, Float32Array, geometry)");
    return 0;
  }
  return get_f32(env, a[0], a0, &l0) && get_f32(env, a[1], a1, &l1) && get_f32(env, a[2], a2, &l2) && get_geom(env, a[3], g);
}

/* conv2d(x, filter, out, geom) */
static napi_value conv2d(napi_env env, napi_callback_info info) {
  float *x, *w, *y;
  conv_geom g;
  if (!conv_args(env, info, &x, &w, &y, &g)) return NULL;
  const int cg = g.c / g.groups, og = g.o / g.groups;
  const int kdim = g.kh * g.kw * cg;
  const int m = g.n * g.oh * g.ow;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, g.o, g.c, 1.0f, x, g.c, w, g.o, 0.0f, y, g.o);
    return NULL;
  }
  float *col = scratch_of((size_t)m * kdim);
  if (!col) { napi_throw_error(env, NULL, "tfvision native: out of memory"); return NULL; }
  for (int grp = 0; grp < g.groups; grp++) {
    im2col(x, col, &g, grp);
    /* y[:, grp*og:(grp+1)*og] = col[m, kdim] x w[kdim, o][:, grp*og...] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, og, kdim, 1.0f, col, kdim, w + grp * og, g.o, 0.0f, y + grp * og, g.o);
  }
  return NULL;
}

/* conv2dBackpropInput(dy, filter, dx, geom) */
static napi_value conv2d_backprop_input(napi_env env, napi_callback_info info) {
  float *dy, *w, *dx;
  conv_geom g;
  if (!conv_args(env, info, &dy, &w, &dx, &g)) return NULL;
  const int cg = g.c / g.groups, og = g.o / g.groups;
  const int kdim = g.kh * g.kw * cg;
  const int m = g.n * g.oh * g.ow;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, g.c, g.o, 1.0f, dy, g.o, w, g.o, 0.0f, dx, g.c);
    return NULL;
  }
  float *col = scratch_of((size_t)m * kdim);
  if (!col) { napi_throw_error(env, NULL, "tfvision native: out of memory"); return NULL; }
  memset(dx, 0, (size_t)g.n * g.h * g.w * g.c * sizeof(float));
  for (int grp = 0; grp < g.groups; grp++) {
    /* dcol[m, kdim] = dy[m, og] x w_g^T[og, kdim] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kdim, og, 1.0f, dy + grp * og, g.o, w + grp * og, g.o, 0.0f, col, kdim);
    col2im(col, dx, &g, grp);
  }
  return NULL;
}

/* conv2dBackpropFilter(x, dy, dw, geom) */
static napi_value conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  float *x, *dy, *dw;
  conv_geom g;
  if (!conv_args(env, info, &x, &dy, &dw, &g)) return NULL;
  const int cg = g.c / g.groups, og = g.o / g.groups;
  const int kdim = g.kh * g.kw * cg;
  const int m = g.n * g.oh * g.ow;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g.c, g.o, m, 1.0f, x, g.c, dy, g.o, 0.0f, dw, g.o);
    return NULL;
  }
  float *col = scratch_of((size_t)m * kdim);
  if (!col) { napi_throw_error(env, NULL, "tfvision native: out of memory"); return NULL; }
  for (int grp = 0; grp < g.groups; grp++) {
    im2col(x, col, &g, grp);
    /* dw[kdim, grp*og...] = col^T[kdim, m] x dy[m, og] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kdim, og, m, 1.0f, col, kdim, dy + grp * og, g.o, 0.0f, dw + grp * og, g.o);
  }
  return NULL;
}


/* ---- direct grouped convolution for narrow groups ----
 * ResNeXt's groups have 4 (up to 16) channels in and out. im2col + one sgemm per group gives
 * sgemm too little work per call (measured ~10x slower), and the wasm fallback pays several
 * times the arithmetic in block-diagonal chunks. Here each output pixel and group accumulate
 * og outputs in registers over taps x cg broadcast inputs times contiguous filter rows; the
 * whole HWIO filter of one layer (9 x cg x O floats) stays in cache. Output pixels are split
 * across threads. */

/* Four accumulators per output (input channels mod 4) break the chain of dependent FMAs,
 * whose latency otherwise bounds the kernel (measured: 4x slower with one accumulator). */
#define DIRECT_BODY(OG)                                                                         \
  for (int64_t m = m0; m < m1; m++) {                                                           \
    const int b = (int)(m / (g->oh * g->ow));                                                   \
    const int rem = (int)(m % (g->oh * g->ow));                                                 \
    const int oy = rem / g->ow, ox = rem % g->ow;                                               \
    float *out = y + m * o;                                                                     \
    for (int grp = 0; grp < groups; grp++) {                                                    \
      float a0[OG], a1[OG], a2[OG], a3[OG];                                                     \
      for (int q = 0; q < OG; q++) a0[q] = a1[q] = a2[q] = a3[q] = 0.0f;                        \
      for (int i = 0; i < g->kh; i++) {                                                         \
        const int iy = oy * g->sh - g->pt + i * g->dh;                                          \
        if (iy < 0 || iy >= g->h) continue;                                                     \
        for (int j = 0; j < g->kw; j++) {                                                       \
          const int ix = ox * g->sw - g->pl + j * g->dw;                                        \
          if (ix < 0 || ix >= g->w) continue;                                                   \
          const float *xg = x + (((int64_t)b * g->h + iy) * g->w + ix) * g->c + grp * cg;       \
          const float *wg = wt + (int64_t)(i * g->kw + j) * cg * o + grp * OG;                  \
          int ci = 0;                                                                           \
          for (; ci + 4 <= cg; ci += 4) {                                                       \
            const float x0 = xg[ci], x1 = xg[ci + 1], x2 = xg[ci + 2], x3 = xg[ci + 3];         \
            const float *w0 = wg + (int64_t)ci * o;                                             \
            for (int q = 0; q < OG; q++) {                                                      \
              a0[q] += x0 * w0[q];                                                              \
              a1[q] += x1 * w0[o + q];                                                          \
              a2[q] += x2 * w0[2 * o + q];                                                      \
              a3[q] += x3 * w0[3 * o + q];                                                      \
            }                                                                                   \
          }                                                                                     \
          for (; ci < cg; ci++) {                                                               \
            const float xv = xg[ci];                                                            \
            const float *wr = wg + (int64_t)ci * o;                                             \
            for (int q = 0; q < OG; q++) a0[q] += xv * wr[q];                                   \
          }                                                                                     \
        }                                                                                       \
      }                                                                                         \
      for (int q = 0; q < OG; q++) out[grp * OG + q] = (a0[q] + a1[q]) + (a2[q] + a3[q]);       \
    }                                                                                           \
  }

/* An AVX2/FMA clone beside the baseline one on x86-64 (chosen at load time); other
 * architectures build the baseline only. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=haswell", "default")))
#endif
static void grouped_direct_range(const float *x, const float *wt, float *y, const conv_geom *g, int64_t m0, int64_t m1) {
  const int cg = g->c / g->groups, og = g->o / g->groups, o = g->o, groups = g->groups;
  /* Constant widths let the compiler keep the accumulators in vector registers. */
  if (og == 4) { DIRECT_BODY(4) }
  else if (og == 8) { DIRECT_BODY(8) }
  else if (og == 16) { DIRECT_BODY(16) }
  else {
    for (int64_t m = m0; m < m1; m++) {
      const int b = (int)(m / (g->oh * g->ow));
      const int rem = (int)(m % (g->oh * g->ow));
      const int oy = rem / g->ow, ox = rem % g->ow;
      float *out = y + m * o;
      memset(out, 0, (size_t)o * sizeof(float));
      for (int i = 0; i < g->kh; i++) {
        const int iy = oy * g->sh - g->pt + i * g->dh;
        if (iy < 0 || iy >= g->h) continue;
        for (int j = 0; j < g->kw; j++) {
          const int ix = ox * g->sw - g->pl + j * g->dw;
          if (ix < 0 || ix >= g->w) continue;
          const float *xp = x + (((int64_t)b * g->h + iy) * g->w + ix) * g->c;
          const float *wp = wt + (int64_t)(i * g->kw + j) * cg * o;
          for (int grp = 0; grp < groups; grp++)
            for (int ci = 0; ci < cg; ci++) {
              const float xv = xp[grp * cg + ci];
              const float *wr = wp + (int64_t)ci * o + grp * og;
              float *op = out + grp * og;
              for (int q = 0; q < og; q++) op[q] += xv * wr[q];
            }
        }
      }
    }
  }
}

typedef struct {
  const float *x, *w;
  float *y;
  const conv_geom *g;
  int64_t m0, m1;
} direct_job;

static void *direct_worker(void *arg) {
  const direct_job *j = (const direct_job *)arg;
  grouped_direct_range(j->x, j->w, j->y, j->g, j->m0, j->m1);
  return NULL;
}

#define MAX_DIRECT_THREADS 16

/* groupedConv2dDirect(x, filter, out, geom) */
static napi_value grouped_conv2d_direct(napi_env env, napi_callback_info info) {
  float *x, *w, *y;
  conv_geom g;
  if (!conv_args(env, info, &x, &w, &y, &g)) return NULL;
  const int64_t m = (int64_t)g.n * g.oh * g.ow;
  int threads = openblas_get_num_threads();
  if (threads > MAX_DIRECT_THREADS) threads = MAX_DIRECT_THREADS;
  /* Below ~64 output pixels per thread, starting a thread costs more than it saves. */
  if (threads > m / 64) threads = (int)(m / 64);
  if (threads < 2) {
    grouped_direct_range(x, w, y, &g, 0, m);
    return NULL;
  }
  pthread_t tid[MAX_DIRECT_THREADS];
  direct_job jobs[MAX_DIRECT_THREADS];
  int started = 0;
  for (int t = 0; t < threads; t++) {
    jobs[t] = (direct_job){x, w, y, &g, m * t / threads, m * (t + 1) / threads};
    if (t > 0 && pthread_create(&tid[t], NULL, direct_worker, &jobs[t]) == 0) started |= 1 << t;
  }
  grouped_direct_range(x, w, y, &g, jobs[0].m0, jobs[0].m1);
  for (int t = 1; t < threads; t++) {
    if (started & (1 << t)) pthread_join(tid[t], NULL);
    else grouped_direct_range(x, w, y, &g, jobs[t].m0, jobs[t].m1); /* thread not started: do it here */
  }
  return NULL;
}

/* addBiasActivation(y, bias, relu): y[m, o] += bias[o], then ReLU when asked: the epilogue
 * of a fused convolution (BatchNorm folded into the conv at inference). */
static napi_value add_bias_activation(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  float *y, *bias;
  size_t ly, lb;
  bool relu = false;
  if (!get_f32(env, a[0], &y, &ly) || !get_f32(env, a[1], &bias, &lb)) return NULL;
  if (argc > 2) napi_get_value_bool(env, a[2], &relu);
  if (lb == 0 || ly % lb) { napi_throw_range_error(env, NULL, "tfvision native: output size must be a multiple of the bias size"); return NULL; }
  const size_t rows = ly / lb;
  for (size_t r = 0; r < rows; r++) {
    float *row = y + r * lb;
    /* v < 0 ? 0 : v keeps NaN, as torch.relu does (v > 0 ? v : 0 turned NaN into 0). */
    if (relu) for (size_t q = 0; q < lb; q++) { const float v = row[q] + bias[q]; row[q] = v < 0.0f ? 0.0f : v; }
    else for (size_t q = 0; q < lb; q++) row[q] += bias[q];
  }
  return NULL;
}

/* ---- training kernels beside the convolutions: BatchNorm (batch statistics) and SGD ----
 * The JS loops they replace (@tfvision/nn kernels/fused-batchnorm/arrays.ts, @tfvision/train
 * optim/sgd-kernel.ts) define the arithmetic: each is repeated here operation for operation,
 * in the same precision (float64 sums and per-channel constants for BatchNorm, float32 for
 * SGD) and the same order, so the results are bit-identical to them. fp-contract=off keeps the
 * compiler from fusing a multiply and an add into one FMA, which rounds once instead of twice.
 * Work splits across threads only where the order of every sum stays the JS order: sums by
 * channel ranges, elementwise passes by row ranges. */
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")

typedef void (*range_fn)(void *ctx, int64_t begin, int64_t end);

typedef struct {
  range_fn fn;
  void *ctx;
  int64_t begin, end;
} range_job;

static void *range_worker(void *arg) {
  const range_job *j = (const range_job *)arg;
  j->fn(j->ctx, j->begin, j->end);
  return NULL;
}

#define MAX_RANGE_THREADS 16

/* fn over [0, n) in contiguous pieces, one per thread, none smaller than min_piece. */
static void parallel_ranges(int64_t n, int64_t min_piece, range_fn fn, void *ctx) {
  int threads = openblas_get_num_threads();
  if (threads > MAX_RANGE_THREADS) threads = MAX_RANGE_THREADS;
  if (min_piece < 1) min_piece = 1;
  if (threads > n / min_piece) threads = (int)(n / min_piece);
  if (threads < 2) {
    fn(ctx, 0, n);
    return;
  }
  pthread_t tid[MAX_RANGE_THREADS];
  range_job jobs[MAX_RANGE_THREADS];
  int started[MAX_RANGE_THREADS] = {0};
  for (int t = 0; t < threads; t++) {
    jobs[t] = (range_job){fn, ctx, n * t / threads, n * (t + 1) / threads};
    if (t > 0) started[t] = pthread_create(&tid[t], NULL, range_worker, &jobs[t]) == 0;
  }
  fn(ctx, jobs[0].begin, jobs[0].end);
  for (int t = 1; t < threads; t++) {
    if (started[t]) pthread_join(tid[t], NULL);
    else fn(ctx, jobs[t].begin, jobs[t].end); /* thread not started: run its piece here */
  }
}

/* Below this many elements a pass runs on the calling thread (starting threads costs more). */
#define PARALLEL_MIN_ELEMENTS 32768

typedef struct {
  const float *x, *dy, *stats, *beta;
  float *y, *dx;
  double *sum, *sq, *mean, *scale, *k, *c1, *c0;
  int64_t rows;
  int c;
} bn_ctx;

static void bn_sums(void *p, int64_t j0, int64_t j1) {
  bn_ctx *b = (bn_ctx *)p;
  const double rows = (double)b->rows;
  for (int64_t r = 0; r < b->rows; r++) {
    const float *xr = b->x + r * b->c;
    for (int64_t j = j0; j < j1; j++) b->sum[j] += (double)(float)((double)xr[j] / rows);
  }
  for (int64_t j = j0; j < j1; j++) b->mean[j] = (double)(float)b->sum[j];
  for (int64_t r = 0; r < b->rows; r++) {
    const float *xr = b->x + r * b->c;
    for (int64_t j = j0; j < j1; j++) {
      const double d = (double)xr[j] - b->mean[j];
      b->sq[j] += d * d;
    }
  }
}

static void bn_normalise(void *p, int64_t r0, int64_t r1) {
  bn_ctx *b = (bn_ctx *)p;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = b->x + r * b->c;
    float *yr = b->y + r * b->c;
    for (int j = 0; j < b->c; j++) yr[j] = (float)(((double)xr[j] - b->mean[j]) * b->scale[j] + (double)b->beta[j]);
  }
}

static void bn_grad_sums(void *p, int64_t j0, int64_t j1) {
  bn_ctx *b = (bn_ctx *)p;
  for (int64_t r = 0; r < b->rows; r++) {
    const float *xr = b->x + r * b->c, *dr = b->dy + r * b->c;
    for (int64_t j = j0; j < j1; j++) {
      const double d = (double)dr[j];
      b->sum[j] += d;
      b->sq[j] += d * ((double)xr[j] - (double)b->stats[j]);
    }
  }
}

static void bn_grad_dx(void *p, int64_t r0, int64_t r1) {
  bn_ctx *b = (bn_ctx *)p;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = b->x + r * b->c, *dr = b->dy + r * b->c;
    float *o = b->dx + r * b->c;
    for (int j = 0; j < b->c; j++) o[j] = (float)((double)dr[j] * b->k[j] + ((double)xr[j] - (double)b->stats[j]) * b->c1[j] + b->c0[j]);
  }
}

/* Reads argument i as a Float32Array, or NULL (with *ok kept) when it is null or undefined. */
static float *optional_f32(napi_env env, napi_value v, size_t *len, int *ok) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) { *len = 0; return NULL; }
  float *p = NULL;
  if (!get_f32(env, v, &p, len)) *ok = 0;
  return p;
}

/* batchNormTrain(x, gamma, beta, runningMean?, runningVar?, y, stats, newRunningMean?,
 * newRunningVar?, eps, momentum): arrays.ts's batchNormForwardArrays. */
static napi_value batch_norm_train(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value a[11];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 11) { napi_throw_type_error(env, NULL, "tfvision native: batchNormTrain takes 11 arguments"); return NULL; }
  int ok = 1;
  size_t lx, lg, lb, lrm, lrv, ly, ls, lnm, lnv;
  float *x = optional_f32(env, a[0], &lx, &ok), *gamma = optional_f32(env, a[1], &lg, &ok), *beta = optional_f32(env, a[2], &lb, &ok);
  float *rm = optional_f32(env, a[3], &lrm, &ok), *rv = optional_f32(env, a[4], &lrv, &ok);
  float *y = optional_f32(env, a[5], &ly, &ok), *stats = optional_f32(env, a[6], &ls, &ok);
  float *nrm = optional_f32(env, a[7], &lnm, &ok), *nrv = optional_f32(env, a[8], &lnv, &ok);
  double eps = 0, momentum = 0;
  if (!ok) return NULL;
  napi_get_value_double(env, a[9], &eps);
  napi_get_value_double(env, a[10], &momentum);
  const size_t c = lg;
  if (!x || !gamma || !beta || !y || !stats || c == 0 || lx % c || lb != c || ly != lx || ls != 3 * c) {
    napi_throw_range_error(env, NULL, "tfvision native: batchNormTrain needs x, y of N*C, gamma, beta of C and stats of 3*C");
    return NULL;
  }
  const int running = rm && rv && nrm && nrv;
  if (running && (lrm != c || lrv != c || lnm != c || lnv != c)) { napi_throw_range_error(env, NULL, "tfvision native: running statistics must have C elements"); return NULL; }
  double *work = (double *)calloc(4 * c, sizeof(double));
  if (!work) { napi_throw_error(env, NULL, "tfvision native: out of memory"); return NULL; }
  bn_ctx b = {.x = x, .beta = beta, .y = y, .sum = work, .sq = work + c, .mean = work + 2 * c, .scale = work + 3 * c, .rows = (int64_t)(lx / c), .c = (int)c};
  parallel_ranges((int64_t)c, 1 + PARALLEL_MIN_ELEMENTS / (b.rows > 0 ? b.rows : 1), bn_sums, &b);
  const double rows = (double)b.rows;
  for (size_t j = 0; j < c; j++) {
    const double variance = b.sq[j] / rows;
    const double inv = 1 / sqrt(variance + eps);
    stats[j] = (float)b.mean[j];
    stats[c + j] = (float)variance;
    stats[2 * c + j] = (float)inv;
    b.scale[j] = (double)gamma[j] * inv;
  }
  parallel_ranges(b.rows, 1 + PARALLEL_MIN_ELEMENTS / (int64_t)c, bn_normalise, &b);
  if (running) {
    const double unbias = rows / (rows - 1 > 1 ? rows - 1 : 1);
    for (size_t j = 0; j < c; j++) {
      nrm[j] = (float)((1 - momentum) * (double)rm[j] + momentum * b.mean[j]);
      nrv[j] = (float)((1 - momentum) * (double)rv[j] + momentum * (b.sq[j] / rows) * unbias);
    }
  }
  free(work);
  return NULL;
}

/* batchNormTrainGrad(dy, x, stats, gamma, dx, dgamma, dbeta): batchNormBackwardArrays. */
static napi_value batch_norm_train_grad(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 7) { napi_throw_type_error(env, NULL, "tfvision native: batchNormTrainGrad takes 7 arguments"); return NULL; }
  float *dy, *x, *stats, *gamma, *dx, *dgamma, *dbeta;
  size_t ldy, lx, ls, lg, ldx, ldg, ldb;
  if (!get_f32(env, a[0], &dy, &ldy) || !get_f32(env, a[1], &x, &lx) || !get_f32(env, a[2], &stats, &ls) || !get_f32(env, a[3], &gamma, &lg) ||
      !get_f32(env, a[4], &dx, &ldx) || !get_f32(env, a[5], &dgamma, &ldg) || !get_f32(env, a[6], &dbeta, &ldb)) return NULL;
  const size_t c = lg;
  if (c == 0 || lx % c || ldy != lx || ldx != lx || ls != 3 * c || ldg != c || ldb != c) {
    napi_throw_range_error(env, NULL, "tfvision native: batchNormTrainGrad needs dy, x, dx of N*C, stats of 3*C and gamma, dgamma, dbeta of C");
    return NULL;
  }
  double *work = (double *)calloc(5 * c, sizeof(double));
  if (!work) { napi_throw_error(env, NULL, "tfvision native: out of memory"); return NULL; }
  bn_ctx b = {.x = x, .dy = dy, .stats = stats, .dx = dx, .sum = work, .sq = work + c, .k = work + 2 * c, .c1 = work + 3 * c, .c0 = work + 4 * c, .rows = (int64_t)(lx / c), .c = (int)c};
  parallel_ranges((int64_t)c, 1 + PARALLEL_MIN_ELEMENTS / (b.rows > 0 ? b.rows : 1), bn_grad_sums, &b);
  const double rows = (double)b.rows;
  for (size_t j = 0; j < c; j++) {
    const double inv = (double)stats[2 * c + j];
    const double dg = inv * b.sq[j];
    dgamma[j] = (float)dg;
    dbeta[j] = (float)b.sum[j];
    b.k[j] = (double)gamma[j] * inv;
    b.c1[j] = (-b.k[j] * inv * dg) / rows;
    b.c0[j] = (-b.k[j] * b.sum[j]) / rows;
  }
  parallel_ranges(b.rows, 1 + PARALLEL_MIN_ELEMENTS / (int64_t)c, bn_grad_dx, &b);
  free(work);
  return NULL;
}

typedef struct {
  const float *w, *g, *buf;
  float *nw, *nb;
  float lr, m, wd;
  int nesterov;
} sgd_ctx;

static void sgd_range(void *p, int64_t i0, int64_t i1) {
  const sgd_ctx *s = (const sgd_ctx *)p;
  const float lr = s->lr, m = s->m, wd = s->wd;
  if (s->buf && !s->nesterov && wd != 0.0f) {
    for (int64_t i = i0; i < i1; i++) {
      const float wi = s->w[i];
      const float next = s->buf[i] * m + (s->g[i] + wi * wd);
      s->nb[i] = next;
      s->nw[i] = wi - next * lr;
    }
    return;
  }
  for (int64_t i = i0; i < i1; i++) {
    float g = wd != 0.0f ? s->g[i] + s->w[i] * wd : s->g[i];
    if (s->buf) {
      const float next = s->buf[i] * m + g;
      s->nb[i] = next;
      g = s->nesterov ? g + next * m : next;
    }
    s->nw[i] = s->w[i] - g * lr;
  }
}

/* sgdMomentum(w, grad, buf?, newW, newBuf?, lr, momentum, weightDecay, nesterov):
 * sgd-kernel.ts's sgdMomentumArrays, in float32 as its Math.fround steps are. */
static napi_value sgd_momentum(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value a[9];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 9) { napi_throw_type_error(env, NULL, "tfvision native: sgdMomentum takes 9 arguments"); return NULL; }
  int ok = 1;
  size_t lw, lg, lb, lnw, lnb;
  sgd_ctx s;
  s.w = optional_f32(env, a[0], &lw, &ok);
  s.g = optional_f32(env, a[1], &lg, &ok);
  s.buf = optional_f32(env, a[2], &lb, &ok);
  s.nw = optional_f32(env, a[3], &lnw, &ok);
  s.nb = optional_f32(env, a[4], &lnb, &ok);
  if (!ok) return NULL;
  double lr = 0, m = 0, wd = 0;
  bool nesterov = false;
  napi_get_value_double(env, a[5], &lr);
  napi_get_value_double(env, a[6], &m);
  napi_get_value_double(env, a[7], &wd);
  napi_get_value_bool(env, a[8], &nesterov);
  if (!s.w || !s.g || !s.nw || lg != lw || lnw != lw || (s.buf && (!s.nb || lb != lw || lnb != lw))) {
    napi_throw_range_error(env, NULL, "tfvision native: sgdMomentum needs w, grad, newW (and buf, newBuf) of one length");
    return NULL;
  }
  if (!s.buf) s.nb = NULL;
  s.lr = (float)lr;
  s.m = (float)m;
  s.wd = (float)wd;
  s.nesterov = nesterov;
  parallel_ranges((int64_t)lw, 4 * PARALLEL_MIN_ELEMENTS, sgd_range, &s);
  return NULL;
}

/* ---- The sum of squares of a list of arrays (the global gradient norm) ----
 * @tfvision/train engine/sum-of-squares-kernel.ts's sumOfSquaresArrays: chunks of
 * SOS_CHUNK elements, each chunk's squares summed in float64 in element order, the chunk sums
 * added in order. Threads take ranges of chunks (of every array at once), so the large tensors
 * split across them while every sum keeps the JS order. */
#define SOS_CHUNK 4096

typedef struct {
  const float **start;
  int64_t *length;
  double *partial;
} sos_ctx;

static void sos_chunks(void *p, int64_t k0, int64_t k1) {
  const sos_ctx *s = (const sos_ctx *)p;
  for (int64_t k = k0; k < k1; k++) {
    const float *a = s->start[k];
    double sum = 0;
    for (int64_t i = 0; i < s->length[k]; i++) sum += (double)a[i] * (double)a[i];
    s->partial[k] = sum;
  }
}

/* sumOfSquares(arrays: Float32Array[]): the float64 total. */
static napi_value sum_of_squares(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, a[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "tfvision native: sumOfSquares takes an array of Float32Arrays");
    return NULL;
  }
  uint32_t count = 0;
  napi_get_array_length(env, a[0], &count);
  float **data = (float **)malloc((count ? count : 1) * sizeof(float *));
  size_t *len = (size_t *)malloc((count ? count : 1) * sizeof(size_t));
  if (!data || !len) { free(data); free(len); napi_throw_error(env, NULL, "tfvision native: sumOfSquares out of memory"); return NULL; }
  int64_t chunks = 0;
  for (uint32_t t = 0; t < count; t++) {
    napi_value v;
    napi_get_element(env, a[0], t, &v);
    if (!get_f32(env, v, &data[t], &len[t])) { free(data); free(len); return NULL; }
    chunks += ((int64_t)len[t] + SOS_CHUNK - 1) / SOS_CHUNK;
  }
  sos_ctx s = {(const float **)malloc((chunks ? chunks : 1) * sizeof(float *)), (int64_t *)malloc((chunks ? chunks : 1) * sizeof(int64_t)), (double *)malloc((chunks ? chunks : 1) * sizeof(double))};
  if (!s.start || !s.length || !s.partial) {
    free(data); free(len); free((void *)s.start); free(s.length); free(s.partial);
    napi_throw_error(env, NULL, "tfvision native: sumOfSquares out of memory");
    return NULL;
  }
  int64_t k = 0;
  for (uint32_t t = 0; t < count; t++) {
    for (int64_t i = 0; i < (int64_t)len[t]; i += SOS_CHUNK, k++) {
      s.start[k] = data[t] + i;
      s.length[k] = (int64_t)len[t] - i < SOS_CHUNK ? (int64_t)len[t] - i : SOS_CHUNK;
    }
  }
  parallel_ranges(chunks, 4 * PARALLEL_MIN_ELEMENTS / SOS_CHUNK, sos_chunks, &s);
  double total = 0;
  for (int64_t q = 0; q < chunks; q++) total += s.partial[q];
  free(data); free(len); free((void *)s.start); free(s.length); free(s.partial);
  napi_value r;
  napi_create_double(env, total, &r);
  return r;
}

/* ---- AvgPool gradient, NHWC ----
 * tfjs-backend-wasm 4.22's AvgPoolGrad (pool3d_impl.h's NDHWCPool3DGradImpl with depth 1),
 * operation for operation: each dx element sums, in float32 and in the order of the window's
 * rows then columns, dy * (1 / (filterHeight * filterWidth)) over the outputs whose window holds
 * it. The loops run over one pixel's channels innermost (NHWC rows, vectorised) instead of one
 * channel at a time, which changes no element's order of sums; threads take ranges of pixel
 * rows, each writing only its own dx. Bit-identical to the wasm kernel. */

typedef struct {
  const float *dy;
  float *dx;
  int n, h, w, c, oh, ow, sh, sw, dh, dw, eh, ew, pt, pl;
  float mult;
} pool_grad_ctx;

static void avg_pool_grad_rows(void *p, int64_t r0, int64_t r1) {
  const pool_grad_ctx *g = (const pool_grad_ctx *)p;
  /* the gradient is a transposed pooling: pads become (effective size - 1 - pad) */
  const int pt = g->eh - 1 - g->pt, pl = g->ew - 1 - g->pl;
  for (int64_t r = r0; r < r1; r++) {
    const int b = (int)(r / g->h), y = (int)(r % g->h);
    for (int x = 0; x < g->w; x++) {
      float *d = g->dx + ((r * g->w) + x) * g->c;
      for (int ch = 0; ch < g->c; ch++) d[ch] = 0.0f;
      const int ry = y - pt, cx = x - pl;
      for (int wr = 0; wr < g->eh; wr += g->dh) {
        const int t = ry + wr;
        if (t < 0 || t % g->sh != 0 || t / g->sh >= g->oh) continue;
        const int oy = t / g->sh;
        for (int wc = 0; wc < g->ew; wc += g->dw) {
          const int u = cx + wc;
          if (u < 0 || u % g->sw != 0 || u / g->sw >= g->ow) continue;
          const float *s = g->dy + ((((int64_t)b * g->oh + oy) * g->ow) + u / g->sw) * g->c;
          const float m = g->mult;
          for (int ch = 0; ch < g->c; ch++) d[ch] += s[ch] * m;
        }
      }
    }
  }
}

/* avgPoolGrad(dy, dx, ints [n, h, w, c, oh, ow, sh, sw, dh, dw, effH, effW, padTop, padLeft,
 * filterH, filterW]): dx [n, h, w, c] from dy [n, oh, ow, c]. */
static napi_value avg_pool_grad(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 3) { napi_throw_type_error(env, NULL, "tfvision native: avgPoolGrad takes 3 arguments"); return NULL; }
  float *dy, *dx;
  size_t ly, lx, li;
  if (!get_f32(env, a[0], &dy, &ly) || !get_f32(env, a[1], &dx, &lx)) return NULL;
  const int32_t *q = int32_view(env, a[2], &li);
  if (!q || li < 16) {
    napi_throw_type_error(env, NULL, "tfvision native: avgPoolGrad geometry must be an Int32Array of 16");
    return NULL;
  }
  pool_grad_ctx g = {dy, dx, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], 0.0f};
  if (g.n < 0 || g.h < 0 || g.w < 0 || g.c < 1 || g.oh < 0 || g.ow < 0 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || q[14] < 1 || q[15] < 1 ||
      (int64_t)lx != (int64_t)g.n * g.h * g.w * g.c || (int64_t)ly != (int64_t)g.n * g.oh * g.ow * g.c) {
    napi_throw_range_error(env, NULL, "tfvision native: avgPoolGrad arrays do not match the geometry");
    return NULL;
  }
  g.mult = 1.0f / ((float)q[14] * (float)q[15]);
  const int64_t rows = (int64_t)g.n * g.h;
  parallel_ranges(rows, 1 + PARALLEL_MIN_ELEMENTS / ((int64_t)g.w * g.c > 0 ? (int64_t)g.w * g.c : 1), avg_pool_grad_rows, &g);
  return NULL;
}

/* ---- RoIAlign (torchvision 0.14's sampling rules), NHWC, forward and gradient ----
 * @tfvision/heads kernels/roi-align-host.ts and roi-align-sampling.ts, operation for
 * operation: the sample positions in float32, the corner weights merged per bin row and column
 * in float64, the channel loops summing four corners at a time in float64 and rounding once
 * per store. Bit-identical to that JS, NaN and infinities included. The forward pass splits
 * RoIs across threads (each output row is one RoI's); the gradient scatters into shared pixels,
 * so its threads take ranges of channels instead, each walking every RoI in the JS order. */

typedef struct {
  int n, h, w, c, ph, pw, sampling, aligned, level;
  float scale;
  const int32_t *levels; /* NULL: every RoI */
} roi_attrs;

typedef struct {
  int batch_ok;
  double batch;
  float start_h, start_w, bin_h, bin_w;
  int grid_h, grid_w;
  double count;
} roi_bins;

/* Math.max(v, 1) of JS: NaN stays NaN. */
static float js_max1(float v) { return v != v ? v : (v > 1.0f ? v : 1.0f); }

/* ceil(v) as a grid size; NaN or <= 0 gives no samples (the JS loops run 0 times). */
static int grid_of(float v) {
  if (!(v > 0.0f)) return 0;
  const double g = ceil((double)v);
  return g > 1e9 ? 1000000000 : (int)g;
}

static void roi_bins_of(const float *rois, int64_t k, const roi_attrs *a, roi_bins *b) {
  const float *r = rois + k * 5;
  const float offset = a->aligned ? 0.5f : 0.0f;
  const float start_w = r[1] * a->scale - offset, start_h = r[2] * a->scale - offset;
  const float end_w = r[3] * a->scale - offset, end_h = r[4] * a->scale - offset;
  float roi_w = end_w - start_w, roi_h = end_h - start_h;
  if (!a->aligned) { roi_w = js_max1(roi_w); roi_h = js_max1(roi_h); }
  b->bin_h = roi_h / (float)a->ph;
  b->bin_w = roi_w / (float)a->pw;
  b->grid_h = a->sampling > 0 ? a->sampling : grid_of(b->bin_h);
  b->grid_w = a->sampling > 0 ? a->sampling : grid_of(b->bin_w);
  const double gg = (double)b->grid_h * (double)b->grid_w;
  b->count = gg > 1 ? gg : 1;
  b->start_h = start_h;
  b->start_w = start_w;
  b->batch = trunc((double)r[0]);
  b->batch_ok = b->batch >= 0 && b->batch < a->n;
}

/* One axis of one RoI: sample j of bin p at p*grid + j. */
typedef struct {
  int32_t *low, *high;
  float *low_w, *high_w;
  uint8_t *valid;
  int64_t cap;
} axis_samples;

static int axis_fill(axis_samples *s, float start, float bin, int grid, int bins, int size) {
  const int64_t n = (int64_t)grid * bins;
  if (n > s->cap) {
    free(s->low); free(s->high); free(s->low_w); free(s->high_w); free(s->valid);
    s->low = (int32_t *)malloc(n * sizeof(int32_t)); s->high = (int32_t *)malloc(n * sizeof(int32_t));
    s->low_w = (float *)malloc(n * sizeof(float)); s->high_w = (float *)malloc(n * sizeof(float));
    s->valid = (uint8_t *)malloc(n);
    s->cap = n;
    if (!s->low || !s->high || !s->low_w || !s->high_w || !s->valid) { s->cap = 0; return 0; }
  }
  for (int p = 0; p < bins; p++) {
    const float bin_start = start + (float)p * bin;
    for (int i = 0; i < grid; i++) {
      const int64_t j = (int64_t)p * grid + i;
      float c = bin_start + ((float)(i + 0.5) * bin) / (float)grid;
      if (c < -1.0f || c > (float)size) {
        s->valid[j] = 0; s->low[j] = 0; s->high[j] = 0; s->low_w[j] = 0; s->high_w[j] = 0;
        continue;
      }
      s->valid[j] = 1;
      if (c != c) { /* NaN: JS stores pixel 0 (Int32Array of NaN) with NaN weights */
        s->low[j] = 0; s->high[j] = 0; s->low_w[j] = c; s->high_w[j] = c;
        continue;
      }
      if (c <= 0) c = 0;
      int lo = (int)c, hi;
      if (lo >= size - 1) { lo = hi = size - 1; c = (float)lo; }
      else hi = lo + 1;
      const float l = c - (float)lo;
      s->low[j] = lo; s->high[j] = hi; s->low_w[j] = 1.0f - l; s->high_w[j] = l;
    }
  }
  return 1;
}

/* A bin's distinct pixels along one axis and their summed weights (repeats are adjacent). */
typedef struct {
  int32_t *index;
  double *weight;
  int64_t cap, length;
} bin_axis;

/* Room for a bin side of `grid` samples: two pixels each at most. */
static int axis_reserve(bin_axis *b, int grid) {
  const int64_t n = 2 * (int64_t)(grid > 0 ? grid : 0);
  if (n <= b->cap) return 1;
  free(b->index); free(b->weight);
  b->index = (int32_t *)malloc(n * sizeof(int32_t));
  b->weight = (double *)malloc(n * sizeof(double));
  b->cap = b->index && b->weight ? n : 0;
  return b->cap > 0;
}

static void axis_add(bin_axis *b, int32_t pixel, float w) {
  if (w == 0.0f) return;
  if (b->length > 0 && b->index[b->length - 1] == pixel) { b->weight[b->length - 1] += (double)w; return; }
  b->index[b->length] = pixel;
  b->weight[b->length] = (double)w;
  b->length++;
}

static void axis_gather(bin_axis *b, const axis_samples *s, int p, int grid) {
  b->length = 0;
  for (int64_t i = (int64_t)p * grid; i < (int64_t)(p + 1) * grid; i++) {
    if (!s->valid[i]) continue;
    axis_add(b, s->low[i], s->low_w[i]);
    axis_add(b, s->high[i], s->high_w[i]);
  }
}

/* Corner offsets into x and their weights / count, padded to a multiple of 4 with weight 0. */
typedef struct {
  int64_t *offset;
  double *weight;
  int64_t cap, length;
} bin_corners;

static int corners_build(bin_corners *k, const bin_axis *rows, const bin_axis *cols, int64_t base, int64_t row_stride, int c, double count) {
  const int64_t n = (int64_t)rows->length * cols->length;
  const int64_t padded = (n + 3) & ~(int64_t)3;
  if (padded > k->cap) {
    free(k->offset); free(k->weight);
    k->offset = (int64_t *)malloc(padded * sizeof(int64_t));
    k->weight = (double *)malloc(padded * sizeof(double));
    k->cap = padded;
    if (!k->offset || !k->weight) { k->cap = 0; return 0; }
  }
  int64_t j = 0;
  for (int64_t r = 0; r < rows->length; r++) {
    const int64_t row_offset = base + (int64_t)rows->index[r] * row_stride;
    const double wy = rows->weight[r] / count;
    for (int64_t q = 0; q < cols->length; q++, j++) {
      k->offset[j] = row_offset + (int64_t)cols->index[q] * c;
      k->weight[j] = wy * cols->weight[q];
    }
  }
  for (; j < padded; j++) { k->offset[j] = base; k->weight[j] = 0; }
  k->length = n == 0 ? 0 : padded;
  return 1;
}

typedef struct {
  const float *x, *rois, *dy;
  float *out;
  const roi_attrs *a;
  int ch0, ch1; /* the channels this walk computes: [ch0, ch1) */
  int64_t num_rois;
  int failed; /* out of memory in a worker */
} roi_ctx;

/* Walks RoIs [k0, k1): forward (dy NULL) writes out rows; backward adds into out (= dx). */
static void roi_walk(void *p, int64_t k0, int64_t k1) {
  roi_ctx *ctx = (roi_ctx *)p;
  const roi_attrs *a = ctx->a;
  const int c = a->c, oh = a->ph, ow = a->pw;
  const int64_t row_stride = (int64_t)a->w * c, row_size = (int64_t)oh * ow * c;
  axis_samples ys = {0}, xs = {0};
  bin_corners corners = {0};
  bin_axis rows = {0}, cols = {0};
  const float *x = ctx->x, *dy = ctx->dy;
  float *out = ctx->out;
  const int ch0 = ctx->ch0, ch1 = ctx->ch1;
  for (int64_t k = k0; k < k1; k++) {
    if (a->levels && a->levels[k] != a->level) {
      if (!dy) memset(out + k * row_size, 0, row_size * sizeof(float));
      continue;
    }
    roi_bins b;
    roi_bins_of(ctx->rois, k, a, &b);
    if (!axis_fill(&ys, b.start_h, b.bin_h, b.grid_h, oh, a->h) || !axis_fill(&xs, b.start_w, b.bin_w, b.grid_w, ow, a->w) ||
        !axis_reserve(&rows, b.grid_h) || !axis_reserve(&cols, b.grid_w)) { ctx->failed = 1; break; }
    const int64_t base = (int64_t)b.batch * a->h * row_stride;
    for (int ph = 0; ph < oh; ph++) {
      axis_gather(&rows, &ys, ph, b.grid_h);
      for (int pw = 0; pw < ow; pw++) {
        axis_gather(&cols, &xs, pw, b.grid_w);
        if (!corners_build(&corners, &rows, &cols, base, row_stride, c, b.count)) { ctx->failed = 1; goto done; }
        const int64_t o = ((k * oh + ph) * ow + pw) * c;
        const int64_t *off = corners.offset;
        const double *wt = corners.weight;
        if (!dy) {
          float *y = out + o;
          if (corners.length == 0) { memset(y + ch0, 0, (size_t)(ch1 - ch0) * sizeof(float)); continue; }
          for (int64_t j = 0; j < corners.length; j += 4) {
            const float *x0 = x + off[j], *x1 = x + off[j + 1], *x2 = x + off[j + 2], *x3 = x + off[j + 3];
            const double w0 = wt[j], w1 = wt[j + 1], w2 = wt[j + 2], w3 = wt[j + 3];
            if (j == 0) for (int ch = ch0; ch < ch1; ch++) y[ch] = (float)(w0 * x0[ch] + w1 * x1[ch] + w2 * x2[ch] + w3 * x3[ch]);
            else for (int ch = ch0; ch < ch1; ch++) y[ch] = (float)((double)y[ch] + (w0 * x0[ch] + w1 * x1[ch] + w2 * x2[ch] + w3 * x3[ch]));
          }
        } else {
          const float *g = dy + o;
          for (int64_t j = 0; j < corners.length; j += 4) {
            float *d0 = out + off[j], *d1 = out + off[j + 1], *d2 = out + off[j + 2], *d3 = out + off[j + 3];
            const double w0 = wt[j], w1 = wt[j + 1], w2 = wt[j + 2], w3 = wt[j + 3];
            for (int ch = ch0; ch < ch1; ch++) {
              const double gv = (double)g[ch];
              d0[ch] = (float)((double)d0[ch] + gv * w0);
              d1[ch] = (float)((double)d1[ch] + gv * w1);
              d2[ch] = (float)((double)d2[ch] + gv * w2);
              d3[ch] = (float)((double)d3[ch] + gv * w3);
            }
          }
        }
      }
    }
  }
done:
  free(ys.low); free(ys.high); free(ys.low_w); free(ys.high_w); free(ys.valid);
  free(xs.low); free(xs.high); free(xs.low_w); free(xs.high_w); free(xs.valid);
  free(corners.offset); free(corners.weight);
  free(rows.index); free(rows.weight); free(cols.index); free(cols.weight);
}

/* The backward walk over every RoI for channels [c0, c1). */
static void roi_walk_channels(void *p, int64_t c0, int64_t c1) {
  roi_ctx *ctx = (roi_ctx *)p;
  roi_ctx piece = *ctx;
  piece.ch0 = (int)c0;
  piece.ch1 = (int)c1;
  piece.failed = 0;
  roi_walk(&piece, 0, piece.num_rois);
  if (piece.failed) ctx->failed = 1;
}

/* roiAlign(x or dy, rois, out, ints [n,h,w,c, ph,pw, sampling, aligned, level, numRois, backward],
 * spatialScale, levels?): returns -1 when done, else the index of the first selected RoI whose
 * batch index is outside [0, n) (nothing written; the caller reports it). */
static napi_value roi_align(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value a[6];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 6) { napi_throw_type_error(env, NULL, "tfvision native: roiAlign takes 6 arguments"); return NULL; }
  float *src, *rois, *out;
  size_t ls, lr, lo, li;
  if (!get_f32(env, a[0], &src, &ls) || !get_f32(env, a[1], &rois, &lr) || !get_f32(env, a[2], &out, &lo)) return NULL;
  const int32_t *g = int32_view(env, a[3], &li);
  if (!g || li < 11) {
    napi_throw_type_error(env, NULL, "tfvision native: roiAlign geometry must be an Int32Array of 11");
    return NULL;
  }
  double scale = 0;
  napi_get_value_double(env, a[4], &scale);
  int ok = 1;
  size_t ll;
  int32_t *levels = NULL;
  {
    napi_valuetype t;
    napi_typeof(env, a[5], &t);
    if (t != napi_null && t != napi_undefined) {
      levels = int32_view(env, a[5], &ll);
      if (!levels) ok = 0;
    }
  }
  const roi_attrs at = {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], (float)scale, levels};
  const int64_t num_rois = g[9];
  const int backward = g[10];
  const int64_t feat = (int64_t)at.n * at.h * at.w * at.c, pooled = num_rois * at.ph * at.pw * at.c;
  if (!ok || at.c < 1 || at.ph < 1 || at.pw < 1 || (int64_t)lr < num_rois * 5 || (levels && (int64_t)ll < num_rois) ||
      (int64_t)ls != (backward ? pooled : feat) || (int64_t)lo != (backward ? feat : pooled)) {
    napi_throw_range_error(env, NULL, "tfvision native: roiAlign arrays do not match the geometry");
    return NULL;
  }
  napi_value result;
  for (int64_t k = 0; k < num_rois; k++) {
    if (levels && levels[k] != at.level) continue;
    roi_bins b;
    roi_bins_of(rois, k, &at, &b);
    if (!b.batch_ok) { napi_create_int32(env, (int32_t)k, &result); return result; }
  }
  roi_ctx ctx = {backward ? NULL : src, rois, backward ? src : NULL, out, &at, 0, at.c, num_rois, 0};
  if (backward) {
    memset(out, 0, lo * sizeof(float));
    /* Pieces of channels, each walking every RoI: a channel's sums keep the JS order. */
    parallel_ranges(at.c, pooled >= 4 * PARALLEL_MIN_ELEMENTS ? 16 : at.c + 1, roi_walk_channels, &ctx);
  } else {
    /* A RoI is ph * pw * c outputs of ~4-16 corners each: about 64 RoIs pay for a thread. */
    parallel_ranges(num_rois, 1 + PARALLEL_MIN_ELEMENTS / (at.ph * at.pw * at.c > 0 ? at.ph * at.pw * at.c : 1) * 8, roi_walk, &ctx);
  }
  if (ctx.failed) { napi_throw_error(env, NULL, "tfvision native: roiAlign out of memory"); return NULL; }
  napi_create_int32(env, -1, &result);
  return result;
}

#pragma GCC pop_options

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int32_t n = 1;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc > 0) napi_get_value_int32(env, a[0], &n);
  openblas_set_num_threads(n);
  return NULL;
}

static napi_value threads(napi_env env, napi_callback_info info) {
  napi_value r;
  napi_create_int32(env, openblas_get_num_threads(), &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
    {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
    {"conv2dBackpropInput", NULL, conv2d_backprop_input, NULL, NULL, NULL, napi_default, NULL},
    {"conv2dBackpropFilter", NULL, conv2d_backprop_filter, NULL, NULL, NULL, napi_default, NULL},
    {"groupedConv2dDirect", NULL, grouped_conv2d_direct, NULL, NULL, NULL, napi_default, NULL},
    {"addBiasActivation", NULL, add_bias_activation, NULL, NULL, NULL, napi_default, NULL},
    {"batchNormTrain", NULL, batch_norm_train, NULL, NULL, NULL, napi_default, NULL},
    {"batchNormTrainGrad", NULL, batch_norm_train_grad, NULL, NULL, NULL, napi_default, NULL},
    {"sgdMomentum", NULL, sgd_momentum, NULL, NULL, NULL, napi_default, NULL},
    {"roiAlign", NULL, roi_align, NULL, NULL, NULL, napi_default, NULL},
    {"avgPoolGrad", NULL, avg_pool_grad, NULL, NULL, NULL, napi_default, NULL},
    {"sumOfSquares", NULL, sum_of_squares, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
    {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(p) / sizeof(p[0]), p);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
