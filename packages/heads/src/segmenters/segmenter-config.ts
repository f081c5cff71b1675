/**
 * Segmenter configs: typed data with the defaults of the reference each preset follows.
 * - DeepLabV3: torchvision's `deeplabv3_resnet50` (models/segmentation/deeplabv3.py): output
 *   stride 8 (replace_stride_with_dilation [False, True, True]), ASPP rates 12/24/36, 256
 *   channels, projection dropout 0.5, FCN auxiliary head on c4 (inter channels c4 / 4, dropout
 *   0.1), 21 classes (VOC).
 * - DeepLabV3+: segmentation_models.pytorch's `DeepLabV3Plus` (decoders/deeplabv3): encoder
 *   output stride 16, separable ASPP at 12/24/36, 256 channels, a 48-channel stride-4 branch,
 *   x4 align-corners upsampling twice. smp's default is 1 class; the presets use 21 like
 *   torchvision's, so one label set serves both.
 */
import { checkOptionKeys, type BackboneOptions } from '@tfvision/backbones';

export interface DeepLabV3Config {
  type: 'deeplabv3';
  /** Any registered backbone; its own parameter names go under `backbone.*`. */
  backbone: string;
  /** The backbone's options (norm, frozenStages, dropPathRate, ...); numClasses and outputStride are set by the segmenter. */
  backboneOptions: BackboneOptions;
  /** 8 as torchvision (layer3 and layer4 dilated), or 16. */
  outputStride: 8 | 16;
  numClasses: number;
  /** The auxiliary FCN head on c4 (`aux_classifier.*`); torchvision's checkpoints have it. */
  aux: boolean;
  atrousRates: [number, number, number];
  /** ASPP and head channels. */
  channels: number;
  /** Dropout after the ASPP projection. */
  dropout: number;
  /** Dropout inside the auxiliary head. */
  auxDropout: number;
}

/** Where the DeepLabV3+ encoder's names and dilation rule come from. */
export type SmpEncoderKind =
  /** smp's own ResNet encoder: torchvision names under `encoder.*`, every conv of a dilated stage dilated. */
  | 'smp'
  /** smp's `tu-` TimmUniversalEncoder: timm names under `encoder.model.*`, timm's dilation rule. */
  | 'timm-universal';

export interface DeepLabV3PlusConfig {
  type: 'deeplabv3plus';
  backbone: string;
  backboneOptions: BackboneOptions;
  encoder: SmpEncoderKind;
  /** 16 as smp's default (the ASPP map is upsampled x4), or 8 (x2). */
  outputStride: 8 | 16;
  numClasses: number;
  atrousRates: [number, number, number];
  /** ASPP and decoder channels. */
  channels: number;
  /** Channels of the stride-4 branch (the paper's 48). */
  lowLevelChannels: number;
  dropout: number;
  /** The segmentation head's final upsampling (smp's `upsampling`, 4 gives the input size). */
  upsampling: number;
}

export type SegmenterConfig = DeepLabV3Config | DeepLabV3PlusConfig;

/** Backbones smp has a native encoder for, with torchvision's names (which the zoo's plain ResNets share). */
export const SMP_NATIVE_ENCODERS: readonly string[] = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'];

export function deeplabv3Defaults(backbone: string): DeepLabV3Config {
  return { type: 'deeplabv3', backbone, backboneOptions: {}, outputStride: 8, numClasses: 21, aux: true, atrousRates: [12, 24, 36], channels: 256, dropout: 0.5, auxDropout: 0.1 };
}

export function deeplabv3PlusDefaults(backbone: string): DeepLabV3PlusConfig {
  return {
    type: 'deeplabv3plus', backbone, backboneOptions: {}, encoder: backbone === 'resnet50' ? 'smp' : 'timm-universal',
    outputStride: 16, numClasses: 21, atrousRates: [12, 24, 36], channels: 256, lowLevelChannels: 48, dropout: 0.5, upsampling: 4,
  };
}

const V3_KEYS = Object.keys(deeplabv3Defaults('x'));
const V3PLUS_KEYS = Object.keys(deeplabv3PlusDefaults('x'));

function positiveInteger(where: string, key: string, v: unknown): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw new Error(`${where}: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
}

function probability(where: string, key: string, v: unknown): void {
  if (!(typeof v === 'number' && v >= 0 && v < 1)) throw new Error(`${where}: ${key} must be in [0, 1), got ${JSON.stringify(v)}`);
}

/** Throws a one-line error naming the first bad field; returns the config. */
export function validateSegmenterConfig<C extends SegmenterConfig>(config: C, where = 'segmenter'): C {
  const known = config.type === 'deeplabv3' ? V3_KEYS : config.type === 'deeplabv3plus' ? V3PLUS_KEYS : undefined;
  if (!known) throw new Error(`${where}: type must be 'deeplabv3' or 'deeplabv3plus', got ${JSON.stringify((config as { type: unknown }).type)}`);
  for (const key of Object.keys(config)) if (!known.includes(key)) throw new Error(`${where}: unknown option "${key}" (known: ${known.join(', ')})`);
  if (typeof config.backbone !== 'string' || config.backbone === '') throw new Error(`${where}: backbone must be a registered backbone name, got ${JSON.stringify(config.backbone)}`);
  const bo = config.backboneOptions;
  if (typeof bo !== 'object' || bo === null) throw new Error(`${where}: backboneOptions must be an object, got ${JSON.stringify(bo)}`);
  checkOptionKeys(`${where}: backboneOptions`, bo);
  for (const key of ['numClasses', 'outputStride'] as const) {
    if (bo[key] !== undefined) throw new Error(`${where}: backboneOptions.${key} is set by the segmenter (use ${key === 'numClasses' ? 'numClasses for the segmentation classes' : 'outputStride'}), got ${JSON.stringify(bo[key])}`);
  }
  if (config.outputStride !== 8 && config.outputStride !== 16) throw new Error(`${where}: outputStride must be 8 or 16, got ${JSON.stringify(config.outputStride)}`);
  positiveInteger(where, 'numClasses', config.numClasses);
  positiveInteger(where, 'channels', config.channels);
  if (!Array.isArray(config.atrousRates) || config.atrousRates.length !== 3) throw new Error(`${where}: atrousRates must be three positive integers, got ${JSON.stringify(config.atrousRates)}`);
  config.atrousRates.forEach((r, i) => positiveInteger(where, `atrousRates[${i}]`, r));
  probability(where, 'dropout', config.dropout);
  if (config.type === 'deeplabv3') {
    if (typeof config.aux !== 'boolean') throw new Error(`${where}: aux must be true or false, got ${JSON.stringify(config.aux)}`);
    probability(where, 'auxDropout', config.auxDropout);
  } else {
    if (config.encoder !== 'smp' && config.encoder !== 'timm-universal') throw new Error(`${where}: encoder must be 'smp' or 'timm-universal', got ${JSON.stringify(config.encoder)}`);
    if (config.encoder === 'smp' && !SMP_NATIVE_ENCODERS.includes(config.backbone)) {
      throw new Error(`${where}: encoder 'smp' (torchvision names) exists for ${SMP_NATIVE_ENCODERS.join(', ')}, got backbone "${config.backbone}"; use encoder 'timm-universal'`);
    }
    positiveInteger(where, 'lowLevelChannels', config.lowLevelChannels);
    positiveInteger(where, 'upsampling', config.upsampling);
  }
  return config;
}
