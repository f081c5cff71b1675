// Detection ops, equal to torchvision 0.14 (one op per file; kernels per backend in kernels/).
export { boxArea, boxIou, boxIouArrays, clipBoxesToImage, removeSmallBoxes, removeSmallBoxesIndices } from './ops/box-ops.js';
export { BoxCoder, DEFAULT_BBOX_XFORM_CLIP, type BoxCoderWeights } from './ops/box-coder.js';
export { nms, nmsIndices } from './ops/nms.js';
export { batchedNms, batchedNmsIndices, CPU_VANILLA_ABOVE_NUMEL, CUDA_VANILLA_ABOVE_NUMEL, type BatchedNmsOptions } from './ops/batched-nms.js';
export { torchCpuSortDescending } from './ops/torch-cpu-sort.js';
export { Matcher } from './ops/matcher.js';
export { BalancedPositiveNegativeSampler, type BalancedSamplerOptions, type RandpermSource, type SampledMasks } from './ops/balanced-sampler.js';
export { SeededRng } from './ops/seeded-rng.js';
export { AnchorGenerator, generateBaseAnchors, type AnchorGeneratorOptions } from './ops/anchor-generator.js';
export { roiAlign, boxesToRois, type RoiAlignOptions, type RoiInput } from './ops/roi-align.js';
export { MultiScaleRoIAlign, inferScale, type MultiScaleRoIAlignOptions } from './ops/multi-scale-roi-align.js';
export { LevelMapper, type LevelMapperVariant, type LevelMapperOptions } from './ops/level-mapper.js';
export { pasteMasksInImage, pasteMasksHost } from './ops/paste-masks.js';
export { interpolate, type InterpolateMode, type InterpolateOptions } from './ops/interpolate.js';
export { rcnnResizedSize, type RcnnResizedSize } from './ops/rcnn-resized-size.js';
export { registerHeadsKernels, ROI_ALIGN_KERNELS } from './kernels/register-heads-kernels.js';
export { RoiAlign, RoiAlignGrad, type RoiAlignAttrs, type RoiAlignGradAttrs } from './kernels/roi-align-attrs.js';
export { registerResizeKernels, RESIZE_EXACT_KERNELS } from './kernels/resize-exact-register.js';

// Structures.
export { checkImageList, type ImageList } from './structures/image-list.js';
export { checkInstances, disposeInstances, type Detections, type DetectionTargets } from './structures/instances.js';

// Modules: neck, RPN, RoI heads, transform, detectors.
export { FeaturePyramidNetwork, fpnLevelName, type FpnOptions } from './necks/fpn.js';
export { BackboneWithFpn, type BackboneWithFpnOptions } from './backbone/backbone-with-fpn.js';
export { RpnHead, type RpnHeadOptions, type RpnHeadOutput } from './rpn/rpn-head.js';
export { RegionProposalNetwork, type RpnOutput } from './rpn/rpn.js';
export { RPN_DEFAULTS, type RegionProposalNetworkOptions, type TrainTestCounts } from './rpn/rpn-options.js';
export { assignTargetsToAnchors, rpnLosses, type AnchorAssignment, type RpnLosses } from './rpn/rpn-loss.js';
export { TwoMlpHead, ConvFcHead, flattenChannelMajor, type BoxHead } from './roi-heads/box-head.js';
export { FastRcnnPredictor, type BoxPredictions } from './roi-heads/box-predictor.js';
export { MaskRcnnHeads, MaskRcnnPredictor } from './roi-heads/mask-head.js';
export { RoIHeads, type RoIHeadsOutput, type RoIHeadsLosses } from './roi-heads/roi-heads.js';
export { DEFAULT_FEATMAP_NAMES, type RoIHeadsOptions, type RoiPoolerSpec, type BoxHeadSpec, type MaskHeadSpec, type MaskPredictorSpec, type MaskBranchOptions } from './roi-heads/roi-heads-options.js';
export { fastRcnnLoss, type FastRcnnLosses } from './roi-heads/fast-rcnn-loss.js';
export { maskRcnnLoss, projectMasksOnBoxes } from './roi-heads/mask-rcnn-loss.js';
export { GeneralizedRCNNTransform, type RcnnTransformOutput } from './transform/rcnn-transform.js';
export { resizeBoxes, resizeRatios } from './transform/resize-boxes.js';
export { batchImages } from './transform/batch-images.js';
export { RCNN_TRANSFORM_DEFAULTS, type RcnnTransformOptions } from './transform/rcnn-transform-options.js';
export { GeneralizedRcnn, type RcnnLosses } from './detectors/generalized-rcnn.js';
export { torchvisionRcnnDefaults, torchvisionRcnnV2Defaults, type RcnnConfig } from './detectors/rcnn-config.js';
export { overrideConfig, type ConfigOverrides } from './detectors/override-config.js';
export { listDetectors, hasDetector, getDetectorEntry, createDetector, detectorConfig, type DetectorEntry } from './detectors/registry.js';

// Segmenters: DeepLabV3 (torchvision) and DeepLabV3+ (segmentation_models.pytorch).
export { createSegmenter, segmenterConfig, listSegmenters, hasSegmenter, getSegmenterEntry, type SegmenterEntry, type SegmenterOverrides } from './segmenters/registry.js';
export { DeepLabV3 } from './segmenters/deeplabv3.js';
export { DeepLabV3Plus, DeepLabV3PlusDecoder } from './segmenters/deeplabv3plus.js';
export { Segmenter, type SegmentationOutput } from './segmenters/segmenter.js';
export { Aspp } from './segmenters/aspp.js';
export { deeplabv3Defaults, deeplabv3PlusDefaults, validateSegmenterConfig, type DeepLabV3Config, type DeepLabV3PlusConfig, type SegmenterConfig, type SmpEncoderKind } from './segmenters/segmenter-config.js';
export { segmenterParamCount } from './segmenters/segmenter-params.js';

// Cascade (Mask) R-CNN with detectron2's semantics and checkpoint layout.
export { createCascadeDetector, cascadeDetectorConfig, buildDetector, type TorchvisionDetectorEntry, type Detectron2DetectorEntry } from './detectors/registry.js';
export { CascadeRcnn, type CascadeRcnnTargets, type CascadeRcnnOptions } from './detectors/cascade-rcnn.js';
export { detectron2CascadeDefaults, type CascadeRcnnConfig } from './detectors/cascade-config.js';
export { cascadeParamCount } from './detectors/cascade-params.js';
export { detectron2NameOf, detectron2Names, loadDetectron2StateDict, exportDetectron2StateDict, type Detectron2LoadOptions, type Detectron2LoadResult } from './detectors/detectron2-checkpoint.js';
export { CascadeRoIHeads, type CascadeRoIHeadsOptions, type CascadeTargets, type CascadeStageRecord, type CascadeLosses } from './cascade/cascade-roi-heads.js';
export { Detectron2Transform } from './detectron2/transform.js';
export { Detectron2Rpn } from './detectron2/rpn.js';
export { Detectron2AnchorGenerator, detectron2CellAnchors } from './detectron2/anchors.js';
export { resizeShortestEdgeSize } from './detectron2/resize-shortest-edge.js';
export { CLASS_DEPENDENT_KEYS, checkpointNumClasses, detectorStateDict, exportDetectorCheckpoint, loadDetectorCheckpoint, type LoadDetectorCheckpointOptions, type LoadDetectorCheckpointResult } from './detectors/checkpoint.js';
export { loadSegmenterCheckpoint, exportSegmenterCheckpoint, segmenterStateDict, segmenterCheckpointLayout, segmenterCheckpointShape, type LoadSegmenterCheckpointOptions, type LoadSegmenterCheckpointResult } from './segmenters/checkpoint.js';
