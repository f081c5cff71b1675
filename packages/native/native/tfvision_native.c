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
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
    {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(p) / sizeof(p[0]), p);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
