/* gabn-cam.c: CAM variants, normalisation, Top-N and region size. */
#include "gabn-cam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {
  [GABN_CAM_GRADCAM] = "gradcam",
  [GABN_CAM_GRADCAM_PLUSPLUS] = "gradcam++",
  [GABN_CAM_HIRESCAM] = "hirescam",
  [GABN_CAM_XGRADCAM] = "xgradcam",
  [GABN_CAM_LAYERCAM] = "layercam",
};

const char *
gabn_cam_method_name (GabnCamMethod method)
{
  if ((guint) method >= G_N_ELEMENTS (method_names))
    return "gradcam";
  return method_names[method];
}

gboolean
gabn_cam_method_from_name (const char *name, GabnCamMethod *method)
{
  for (guint i = 0; i < G_N_ELEMENTS (method_names); i++)
    if (name && g_ascii_strcasecmp (name, method_names[i]) == 0)
      {
        *method = (GabnCamMethod) i;
        return TRUE;
      }
  return FALSE;
}

/* α_k for one image and one channel; Ak, dAk: (h*w). */
static double
channel_weight (GabnCamMethod method, const float *Ak, const float *dAk, int n)
{
  double sum = 0.0, sum_a = 0.0;

  switch (method)
    {
    case GABN_CAM_GRADCAM:
      for (int i = 0; i < n; i++)
        sum += dAk[i];
      return sum / n;
    case GABN_CAM_GRADCAM_PLUSPLUS:
      for (int i = 0; i < n; i++)
        sum_a += Ak[i];
      for (int i = 0; i < n; i++)
        {
          double g = dAk[i], g2 = g * g, g3 = g2 * g;
          double a = g != 0.0 ? g2 / (2.0 * g2 + sum_a * g3 + 1e-6) : 0.0;
          sum += (g > 0.0 ? g : 0.0) * a;
        }
      return sum;
    case GABN_CAM_XGRADCAM:
      for (int i = 0; i < n; i++)
        {
          sum_a += Ak[i];
          sum += (double) dAk[i] * Ak[i];
        }
      return sum / (sum_a + 1e-7);
    case GABN_CAM_HIRESCAM:
    case GABN_CAM_LAYERCAM:
    default:
      return 0.0;
    }
}

void
gabn_cam_forward (GabnCamMethod method, float *cam, float *alpha,
                  const float *A, const float *dA, int B, int C, int h, int w)
{
  int n = h * w;
  g_autofree double *acc = g_new (double, n);

  for (int b = 0; b < B; b++)
    {
      const float *Ab = A + (gsize) b * C * n;
      const float *dAb = dA + (gsize) b * C * n;

      memset (acc, 0, sizeof (double) * n);
      for (int k = 0; k < C; k++)
        {
          const float *Ak = Ab + (gsize) k * n, *dAk = dAb + (gsize) k * n;

          if (method == GABN_CAM_HIRESCAM || method == GABN_CAM_LAYERCAM)
            {
              for (int i = 0; i < n; i++)
                {
                  double g = dAk[i];
                  if (method == GABN_CAM_LAYERCAM && g < 0.0)
                    g = 0.0;
                  acc[i] += g * Ak[i];
                }
              if (alpha)
                alpha[(gsize) b * C + k] = 0.0f;
            }
          else
            {
              double a = channel_weight (method, Ak, dAk, n);
              if (alpha)
                alpha[(gsize) b * C + k] = (float) a;
              if (a != 0.0)
                for (int i = 0; i < n; i++)
                  acc[i] += a * Ak[i];
            }
        }
      for (int i = 0; i < n; i++)
        cam[(gsize) b * n + i] = acc[i] > 0.0 ? (float) acc[i] : 0.0f;
    }
}

void
gabn_cam_from_alpha (float *cam, const float *alpha, const float *A, int B,
                     int C, int h, int w)
{
  int n = h * w;
  g_autofree double *acc = g_new (double, n);

  for (int b = 0; b < B; b++)
    {
      memset (acc, 0, sizeof (double) * n);
      for (int k = 0; k < C; k++)
        {
          const float *Ak = A + ((gsize) b * C + k) * n;
          double a = alpha[(gsize) b * C + k];

          for (int i = 0; i < n; i++)
            acc[i] += a * Ak[i];
        }
      for (int i = 0; i < n; i++)
        cam[(gsize) b * n + i] = acc[i] > 0.0 ? (float) acc[i] : 0.0f;
    }
}

void
gabn_cam_backward (float *dA, const float *d_cam, const float *cam,
                   const float *alpha, float scale, int B, int C, int h, int w)
{
  int n = h * w;

  for (int b = 0; b < B; b++)
    for (int k = 0; k < C; k++)
      {
        float a = scale * alpha[(gsize) b * C + k];
        float *dAk = dA + ((gsize) b * C + k) * n;
        const float *dc = d_cam + (gsize) b * n, *c = cam + (gsize) b * n;

        if (a == 0.0f)
          continue;
        for (int i = 0; i < n; i++)
          if (c[i] > 0.0f)
            dAk[i] += a * dc[i];
      }
}

void
gabn_cam_backward_hirescam (float *dA, const float *d_cam, const float *cam,
                            const float *dY, float scale, int B, int C, int h,
                            int w)
{
  int n = h * w;
  g_autofree float *g = g_new (float, n);

  for (int b = 0; b < B; b++)
    {
      const float *dc = d_cam + (gsize) b * n, *c = cam + (gsize) b * n;

      /* The ReLU's mask and the scale once per map, then every channel. */
      for (int i = 0; i < n; i++)
        g[i] = c[i] > 0.0f ? scale * dc[i] : 0.0f;
      for (int k = 0; k < C; k++)
        {
          gsize off = ((gsize) b * C + k) * n;
          for (int i = 0; i < n; i++)
            dA[off + i] += dY[off + i] * g[i];
        }
    }
}

void
gabn_cam_normalise (float *P, const float *cam, int B, int n)
{
  for (int b = 0; b < B; b++)
    {
      const float *c = cam + (gsize) b * n;
      float *p = P + (gsize) b * n;
      double sum = 0.0;

      for (int i = 0; i < n; i++)
        sum += c[i];
      for (int i = 0; i < n; i++)
        p[i] = sum > 0.0 ? (float) (c[i] / sum) : 1.0f / n;
    }
}

void
gabn_cam_normalise_backward (float *d_cam, const float *dP, const float *P,
                             const float *cam, int B, int n)
{
  for (int b = 0; b < B; b++)
    {
      const float *c = cam + (gsize) b * n, *p = P + (gsize) b * n;
      const float *g = dP + (gsize) b * n;
      float *d = d_cam + (gsize) b * n;
      double sum = 0.0, dot = 0.0;

      for (int i = 0; i < n; i++)
        {
          sum += c[i];
          dot += (double) g[i] * p[i];
        }
      for (int i = 0; i < n; i++)
        d[i] = sum > 0.0 ? (float) ((g[i] - dot) / sum) : 0.0f;
    }
}

typedef struct {
  float value;
  int index;
} Cell;

static int
cell_compare (const void *pa, const void *pb)
{
  const Cell *a = pa, *b = pb;

  if (a->value != b->value)
    return a->value > b->value ? -1 : 1;
  return a->index - b->index;
}

static Cell *
sorted_cells (const float *map, int n)
{
  Cell *cells = g_new (Cell, n);

  for (int i = 0; i < n; i++)
    cells[i] = (Cell) { isnan (map[i]) ? -INFINITY : map[i], i };
  qsort (cells, n, sizeof (Cell), cell_compare);
  return cells;
}

int
gabn_cam_top_n (const float *map, int n, int N, int *cells)
{
  g_autofree Cell *sorted = NULL;

  N = CLAMP (N, 0, n);
  if (N == 0)
    return 0;
  sorted = sorted_cells (map, n);
  for (int i = 0; i < N; i++)
    cells[i] = sorted[i].index;
  return N;
}

double
gabn_cam_region_size (const float *P, int n, double mass)
{
  g_autofree Cell *sorted = NULL;
  double total = 0.0, cumulative = 0.0;

  if (n <= 0)
    return 0.0;
  for (int i = 0; i < n; i++)
    total += P[i] > 0.0f ? P[i] : 0.0f;
  if (total <= 0.0)
    return 1.0;
  sorted = sorted_cells (P, n);
  for (int i = 0; i < n; i++)
    {
      cumulative += sorted[i].value > 0.0f ? sorted[i].value : 0.0f;
      /* A relative tolerance so that 0.25+0.25 counts as reaching 0.5. */
      if (cumulative >= mass * total * (1.0 - 1e-6))
        return (double) (i + 1) / n;
    }
  return 1.0;
}

void
gabn_cosine_to_refs (const float *e, const float *refs, int n, int d,
                     float *cosines, float *d_e)
{
  for (int i = 0; i < n; i++)
    {
      const float *x = e + (gsize) i * d, *r = refs + (gsize) i * d;
      double xx = 0, rr = 0, xr = 0, nx, nr, c;

      for (int j = 0; j < d; j++)
        {
          xx += (double) x[j] * x[j];
          rr += (double) r[j] * r[j];
          xr += (double) x[j] * r[j];
        }
      nx = sqrt (xx) + 1e-12;
      nr = sqrt (rr) + 1e-12;
      c = xr / (nx * nr);
      if (cosines)
        cosines[i] = (float) c;
      /* ∂cos/∂x = r/(|x||r|) − cos·x/|x|² */
      if (d_e)
        for (int j = 0; j < d; j++)
          d_e[(gsize) i * d + j] = (float) (r[j] / (nx * nr) - c * x[j] / (nx * nx));
    }
}

void
gabn_gam_upsample (const float *map, int h, int w, int size, float *out)
{
  double sy = (double) h / size, sx = (double) w / size;

  for (int oy = 0; oy < size; oy++)
    {
      double fy = MAX ((oy + 0.5) * sy - 0.5, 0.0);
      int y0 = MIN ((int) fy, h - 1), y1 = MIN (y0 + 1, h - 1);
      double ly = fy - y0;

      for (int ox = 0; ox < size; ox++)
        {
          double fx = MAX ((ox + 0.5) * sx - 0.5, 0.0);
          int x0 = MIN ((int) fx, w - 1), x1 = MIN (x0 + 1, w - 1);
          double lx = fx - x0;

          out[oy * size + ox] = (float)
            ((1 - ly) * ((1 - lx) * map[y0 * w + x0] + lx * map[y0 * w + x1])
             + ly * ((1 - lx) * map[y1 * w + x0] + lx * map[y1 * w + x1]));
        }
    }
}
