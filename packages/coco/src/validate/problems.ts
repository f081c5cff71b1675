/** How many problems a CocoValidationError message lists before summarising the rest. */
export const MAX_LISTED_PROBLEMS = 20;

export interface CocoProblem {
  /** JSON path of the offending value, e.g. `annotations[1532].bbox`. */
  path: string;
  message: string;
}

/**
 * Collects every problem in a file so one run reports them all; a user fixing a converter
 * should not discover them one per attempt. Only the first few are kept in full, the rest
 * are counted, so a file that is wrong everywhere does not need memory per problem.
 */
export class ProblemList {
  readonly kept: CocoProblem[] = [];
  count = 0;

  constructor(private readonly keep = 1000) {}

  add(path: string, message: string): void {
    this.count++;
    if (this.kept.length < this.keep) this.kept.push({ path, message });
  }
}

/**
 * A COCO file whose JSON is valid but whose content is not a COCO dataset (or results list).
 * The message starts with the file name, lists up to 20 problems with their JSON paths and
 * says how many more there are; `problems` holds the first thousand.
 */
export class CocoValidationError extends Error {
  override name = 'CocoValidationError';
  constructor(
    readonly source: string,
    readonly problems: CocoProblem[],
    readonly problemCount: number,
    what: string,
  ) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${p.path}: ${p.message}`);
    const rest = problemCount - listed.length;
    const lines = [
      `${source}: not a valid COCO ${what}: ${problemCount} problem${problemCount === 1 ? '' : 's'}`,
      ...listed,
      ...(rest > 0 ? [`  ... and ${rest} more`] : []),
    ];
    super(lines.join('\n'));
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return value.length > 40 ? `a string "${value.slice(0, 40)}..."` : `"${value}"`;
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'nothing';
  return String(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
