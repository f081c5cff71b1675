/**
 * torch's CPU results differ between machines. Its convolutions run oneDNN kernels that are
 * JIT-compiled for the CPU's vector width (AVX2 on some EPYC kinds, AVX-512 on others and on the
 * Xeons), and its matrix products go through whichever libblas.so.3 Debian's alternatives select
 * (netlib's reference BLAS, or OpenBLAS once libopenblas-dev is installed, whose kernels differ by
 * CPU again). A generator rerun on another machine therefore reproduces a committed fixture's
 * structure, counts, labels and random draws exactly, but its floats only to a few float32
 * roundings, amplified where box coordinates cancel.
 *
 * Measured on an AVX2 EPYC, with the reference BLAS and with OpenBLAS, against fixtures made on
 * another machine: RPN proposal coordinates up to 4.6e-5 of max(|value|, 1) (a coordinate near 0
 * that is the difference of two near 100), an RPN weighted box sum 1.6e-5 (two near-tied proposals
 * change places), DeepLab logits 2.2e-6 of the largest, RoIHeads under 3e-6. The bound below
 * leaves room for kinds not measured yet; an implementation bug moves these values by far more.
 */
export const REFERENCE_DRIFT = 1e-4;

/** One place where a fresh reference run and the committed fixture disagree. */
export interface ReferenceDifference {
  path: string;
  fresh: unknown;
  committed: unknown;
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function numbersAgree(fresh: number, committed: number, tolerance: number): boolean {
  if (Number.isNaN(fresh) || Number.isNaN(committed)) return Number.isNaN(fresh) && Number.isNaN(committed);
  // Counts, labels and indices come from the same seeded draws on every machine: exact.
  if (Number.isInteger(fresh) && Number.isInteger(committed)) return fresh === committed;
  return Math.abs(fresh - committed) <= tolerance * Math.max(Math.abs(committed), 1);
}

/**
 * Walks two parsed JSON documents together and lists where they differ (at most `limit`): keys,
 * array lengths, strings, booleans and integers exactly, other numbers within
 * `tolerance` * max(|committed|, 1).
 */
export function referenceDifferences(fresh: unknown, committed: unknown, tolerance = REFERENCE_DRIFT, limit = 20): ReferenceDifference[] {
  const out: ReferenceDifference[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= limit) return;
    const ka = kind(a);
    if (ka !== kind(b)) {
      out.push({ path, fresh: a, committed: b });
    } else if (ka === 'number') {
      if (!numbersAgree(a as number, b as number, tolerance)) out.push({ path, fresh: a, committed: b });
    } else if (ka === 'array') {
      const [xa, xb] = [a as unknown[], b as unknown[]];
      if (xa.length !== xb.length) out.push({ path: `${path}.length`, fresh: xa.length, committed: xb.length });
      else xa.forEach((v, i) => walk(v, xb[i], `${path}[${i}]`));
    } else if (ka === 'object') {
      const [oa, ob] = [a as Record<string, unknown>, b as Record<string, unknown>];
      const keys = new Set([...Object.keys(oa), ...Object.keys(ob)]);
      for (const k of keys) {
        if (!(k in oa) || !(k in ob)) out.push({ path: `${path}.${k}`, fresh: oa[k], committed: ob[k] });
        else walk(oa[k], ob[k], `${path}.${k}`);
      }
    } else if (a !== b) {
      out.push({ path, fresh: a, committed: b });
    }
  };
  walk(fresh, committed, '$');
  return out;
}
