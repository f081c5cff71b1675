export * from './types.js';
export { JsonSyntaxError, type JsonLocation } from './json/json-syntax-error.js';
export { parseJsonBytes } from './json/parse-json-bytes.js';
export { parseJson, readJsonFile } from './json/read-json.js';
export { CocoValidationError, type CocoProblem } from './validate/problems.js';
export { validateCocoDataset } from './validate/validate-dataset.js';
export { validateCocoResults, type ResultsValidationOptions } from './validate/validate-results.js';
export { parseCocoDataset, parseCocoResults, readCocoFile, readCocoResultsFile } from './read.js';
export { CocoIndex, type AnnIdFilter, type CatIdFilter, type ImgIdFilter } from './index-api/coco-index.js';
