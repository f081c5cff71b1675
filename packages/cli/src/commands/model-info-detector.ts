/**
 * `tfvision model info NAME` for a detector: the DESIGN.md contract fields (name, params,
 * macs, inputSize, featureChannels, featureStrides) plus the reference, the backbone, the
 * MACs per part and the counts the RoI heads were counted at.
 */
import { initBackend } from '@tfvision/nn';
import { stringFlag, type ParsedArgs } from '../args.js';
import { UsageError } from '../command.js';
import { countDetectorMacs } from './detector-macs.js';

/** The padded input the MACs are counted at: an 800-pixel short side of a 4:3 image, padded to 32. */
export const DETECTOR_MACS_SIZE: readonly [number, number] = [800, 1088];

/** `--size S` (square) or `--size HxW`, each side an integer >= 32. */
function parseSize(text: string | undefined): [number, number] {
  if (text === undefined) return [DETECTOR_MACS_SIZE[0], DETECTOR_MACS_SIZE[1]];
  const m = /^(\d+)(?:x(\d+))?$/.exec(text);
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(h >= 32 && w >= 32)) throw new UsageError(`model info: --size must be S or HxW with sides >= 32, got "${text}"`);
  return [h, w];
}

function formatG(n: number): string {
  return `${(n / 1e9).toFixed(2)} G`;
}

export async function detectorInfo(name: string, args: ParsedArgs): Promise<number> {
  const [h, w] = parseSize(stringFlag(args, 'size'));
  const { createDetector, getDetectorEntry } = await import('@tfvision/heads');
  const entry = getDetectorEntry(name);
  if (entry.reference !== 'torchvision') throw new Error(`model info: "${name}" is a ${entry.reference} preset (${entry.params.toLocaleString('en-US')} weights); its MACs are counted for the torchvision presets only so far`);
  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  const model = createDetector(name);
  try {
    const count = countDetectorMacs(model, h, w);
    const { outFeatures, outStrides, outChannels } = model.backbone;
    const out = {
      name,
      family: entry.family,
      params: entry.params,
      macs: count.macs,
      inputSize: count.inputSize,
      featureChannels: outFeatures.map(() => outChannels),
      featureStrides: outStrides,
      reference: entry.reference,
      backbone: entry.backbone,
      // What the RoI heads were counted at (the preset's test-time counts).
      proposals: count.proposals,
      ...(count.detections !== undefined ? { detections: count.detections } : {}),
      macsByPart: count.parts,
      features: outFeatures.map((f, i) => ({ name: f, channels: outChannels, stride: outStrides[i] })),
    };
    if (args.flags.has('json')) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return 0;
    }
    const c = model.config;
    process.stdout.write(
      [
        `${name} (detector, ${entry.reference}; ${entry.backbone} body)`,
        `  weights         ${entry.params.toLocaleString('en-US')} (all, frozen or not; no running statistics)`,
        `  MACs            ${formatG(count.macs)} at ${h}x${w}, ${count.proposals} proposals${count.detections !== undefined ? `, ${count.detections} detections` : ''}`,
        ...Object.entries(count.parts).map(([part, macs]) => `    ${part.padEnd(24)}${formatG(macs as number)}`),
        `  input           RGB in [0, 1], resized to short side ${c.transform.minSize[c.transform.minSize.length - 1]} (long side <= ${c.transform.maxSize}), padded to ${c.transform.sizeDivisible}`,
        `  classes         ${c.numClasses} (0 is the background)`,
        `  features        ${out.features.map((f) => `${f.name} ${f.channels} ch /${f.stride}`).join(', ')}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    model.dispose();
  }
}
