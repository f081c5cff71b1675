/**
 * `tfvision model export`: writes a checkpoint of a registered backbone with the reference
 * implementation's names and PyTorch layouts, so `model forward` (and timm's or torchvision's
 * `load_state_dict`) can be tried without downloading weights. Formula weights are the ones
 * the equivalence fixtures use (tools/make_equivalence.py fills timm models the same way), so
 * the logits can be compared with timm's; a seed gives the model's own initialisation instead.
 */
import { readSafetensors, writeSafetensors } from '@tfvision/nn';
import { parseArgs, requiredFlag, stringFlag } from '../args.js';
import { checkModelName, checkOutputFolder } from '../checks.js';
import { UsageError } from '../command.js';
import { toTorchvisionNames, TORCHVISION_MODELS } from './torchvision-names.js';

export const MODEL_EXPORT_HELP = `Usage: tfvision model export NAME --out W.safetensors [--init formula|SEED]
                             [--layout timm|torchvision] [--classes N] [--backend B]

Writes a safetensors checkpoint of NAME with PyTorch names and layouts, loadable by
\`tfvision model forward\`, timm (--layout timm, default) or torchvision (--layout
torchvision: resnet18-152, resnext50_32x4d, resnext101_32x8d, efficientnet_b0-b7).
--init formula (default) fills every tensor from its name (the weights the equivalence tests
compare with timm); --init SEED is the model's own initialisation from that integer seed.
--classes sets the classifier size (default 1000).`;

function parseInit(value: string | undefined): 'formula' | number {
  if (value === undefined || value === 'formula') return 'formula';
  const seed = Number(value);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`model export: --init must be "formula" or an integer seed >= 0, got "${value}"`);
  return seed;
}

/** `tfvision model export ...`; returns the exit code. */
export async function runModelExport(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['out', 'init', 'layout', 'classes', 'backend'], booleans: [] }, 'model export');
  const [name, ...extra] = args.positional;
  if (!name) throw new UsageError('model export: NAME is required (see `tfvision model list`)');
  if (extra.length) throw new UsageError(`model export: unexpected argument "${extra[0]}"`);
  const out = requiredFlag(args, 'out', 'model export');
  const init = parseInit(stringFlag(args, 'init'));
  const layout = stringFlag(args, 'layout') ?? 'timm';
  if (layout !== 'timm' && layout !== 'torchvision') throw new UsageError(`model export: --layout must be timm or torchvision, got "${layout}"`);
  const classesFlag = stringFlag(args, 'classes');
  const numClasses = classesFlag === undefined ? 1000 : Number(classesFlag);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new UsageError(`model export: --classes must be a positive integer, got "${classesFlag}"`);
  await checkModelName(name, 'model export');
  if (layout === 'torchvision' && !TORCHVISION_MODELS.includes(name)) {
    throw new UsageError(`model export: torchvision has no ${name}; --layout torchvision takes ${TORCHVISION_MODELS.join(', ')} (use --layout timm)`);
  }
  checkOutputFolder(out, 'out', 'model export');

  const { initBackend, setInitSeed } = await import('@tfvision/nn');
  const { createBackbone, exportCheckpoint, fillFormulaWeights } = await import('@tfvision/backbones');
  await initBackend({ backend: stringFlag(args, 'backend'), report: false });
  setInitSeed(init === 'formula' ? 0 : init);
  const model = createBackbone(name, { numClasses });
  try {
    if (init === 'formula') fillFormulaWeights(model);
    const metadata = { model: name, init: String(init), layout };
    await exportCheckpoint(model, out, metadata);
    let count = model.stateDict().size;
    if (layout === 'torchvision') {
      // Rewritten from the timm-named file, so the tensors and layouts are exportCheckpoint's own.
      const { tensors } = readSafetensors(out);
      const renamed = toTorchvisionNames(name, tensors);
      writeSafetensors(out, renamed, { format: 'pt', ...metadata });
      count = renamed.size;
    }
    process.stderr.write(`tfvision model export: ${name} (${init === 'formula' ? 'formula weights' : `seeded init ${init}`}, ${layout} names, ${count} tensors, ${numClasses} classes) → ${out}\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
