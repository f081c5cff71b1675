/**
 * Loads a classifier's weights into a detector's backbone body: the body is the same zoo
 * backbone built featuresOnly, so every body tensor has a namesake in the classifier and only
 * the classifier head (`fc.*`) is left behind, as torchvision's detectors load ImageNet
 * weights into `backbone.body`. A name or shape mismatch is an error, like a strict load.
 */
import type { Module } from '@tfvision/nn';

export interface BackboneTransfer {
  /** Tensors (parameters and BatchNorm statistics) copied. */
  copied: number;
  /** Classifier tensors the body has no use for. */
  unused: string[];
}

export function loadBackboneWeights(classifier: Module, body: Module): BackboneTransfer {
  const source = classifier.stateDict();
  const target = body.stateDict();
  for (const [name, v] of target) {
    const s = source.get(name);
    if (!s) throw new Error(`loadBackboneWeights: the classifier has no tensor "${name}" for the detector's body`);
    if (s.shape.join('x') !== v.shape.join('x')) throw new Error(`loadBackboneWeights: "${name}" is ${s.shape.join('x')} in the classifier but ${v.shape.join('x')} in the body`);
  }
  for (const [name, v] of target) v.assign(source.get(name)!);
  return { copied: target.size, unused: [...source.keys()].filter((k) => !target.has(k)) };
}
