/**
 * Python's fixed-point formatting ('{:0.3f}'): round half to even on the exact binary value.
 * JavaScript's toFixed rounds exact ties away from zero (0.0625 -> "0.063", Python "0.062").
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const js = x.toFixed(digits);
  // toFixed(100) is exact for the digits it prints, enough to see a tie at `digits`.
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 40));
  const tail = exact.slice(exact.indexOf('.') + 1 + digits);
  if (!/^50*$/.test(tail)) return js;
  const kept = exact.slice(0, exact.indexOf('.') + 1 + digits).replace(/\.$/, '');
  const lastDigit = Number(kept[kept.length - 1]);
  if (lastDigit % 2 === 1) return js;
  return (x < 0 ? '-' : '') + kept;
}
