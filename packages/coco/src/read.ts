import { parseJson, readJsonFile } from './json/read-json.js';
import type { CocoDataset, CocoResult } from './types.js';
import { validateCocoDataset } from './validate/validate-dataset.js';
import { validateCocoResults, type ResultsValidationOptions } from './validate/validate-results.js';

/**
 * Parses and validates a COCO instances file given as text or bytes. `source` names it in
 * errors (JsonSyntaxError for broken JSON, CocoValidationError for wrong content).
 */
export function parseCocoDataset(input: string | Uint8Array, source = '<input>'): CocoDataset {
  return validateCocoDataset(parseJson(input, source), source);
}

/** Reads, parses and validates a COCO instances file, holding one copy of its text at most. */
export async function readCocoFile(path: string): Promise<CocoDataset> {
  return validateCocoDataset(await readJsonFile(path), path);
}

/**
 * Parses and validates a COCO results list (text, bytes, or an already parsed array).
 * With `options.groundTruth`, image ids and RLE sizes are checked against it.
 */
export function parseCocoResults(input: string | Uint8Array | unknown[], source = '<input>', options: ResultsValidationOptions = {}): CocoResult[] {
  const value = Array.isArray(input) ? input : parseJson(input, source);
  return validateCocoResults(value, source, options);
}

/** Reads, parses and validates a COCO results file. */
export async function readCocoResultsFile(path: string, options: ResultsValidationOptions = {}): Promise<CocoResult[]> {
  return validateCocoResults(await readJsonFile(path), path, options);
}
