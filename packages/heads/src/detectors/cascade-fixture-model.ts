import { createCascadeDetector } from './registry.js';
import { detectron2Names } from './detectron2-checkpoint.js';
import type { CascadeRcnn } from './cascade-rcnn.js';
import type { CascadeFixture } from '../cascade/cascade-fixture.js';
import { fillHashWeights } from '../testing/hash-weights.js';

/** cascade_mask_rcnn_resnet50_fpn as tools/reference/cascade.py configured detectron2 (its small test sizes), on hash weights under detectron2's names, in eval mode. */
export function cascadeFixtureModel(f: CascadeFixture): CascadeRcnn {
  const { minSize, maxSize, scoreThresh, rpnPostNmsTopNTest, detectionsPerImg } = f.settings;
  const model = createCascadeDetector('cascade_mask_rcnn_resnet50_fpn', {
    transform: { minSizeTest: minSize, maxSizeTest: maxSize },
    rpn: { postNmsTopK: { training: 2000, testing: rpnPostNmsTopNTest } },
    roiHeads: { scoreThresh, detectionsPerImage: detectionsPerImg },
  });
  fillHashWeights(model, detectron2Names(model).toDetectron2);
  model.eval();
  return model;
}
