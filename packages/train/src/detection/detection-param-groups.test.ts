/**
 * Per-name optimiser rules over a real detector's names (a tiny Cascade R-CNN): the first
 * matching glob sets lrMult and replaces the recipe's decay when it gives one; frozen parameters
 * stay out but still count as matched; a rule matching nothing, or only names an earlier rule
 * took, is an error naming it.
 */
import { CascadeRcnn, type CascadeRcnnConfig } from '@tfvision/heads';
import { initBackend } from '@tfvision/nn';
import { ConfigError } from '../config/schema.js';
import { detectionModelConfig, validateDetectionConfig } from './detection-config.js';
import { detectionParamGroups } from './detection-param-groups.js';
import { tinyCascadeConfig } from './detection-test-configs.js';
import { firstMatchingRule, globRegExp } from './param-group-rules.js';

let model: CascadeRcnn;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
  const raw = tinyCascadeConfig('/unused');
  const c = validateDetectionConfig({ ...raw, model: { ...(raw.model as object), backbone: { name: 'resnest14d', options: { norm: 'bn', frozenStages: 1 } } } }, 'tiny');
  model = new CascadeRcnn(detectionModelConfig(c, 3) as CascadeRcnnConfig);
});

afterAll(() => model.dispose());

describe('globRegExp', () => {
  it('anchors both ends; * spans dots, ? is one character, other characters are literal', () => {
    expect(globRegExp('backbone.body.*').test('backbone.body.layer1.0.conv1.weight')).toBe(true);
    expect(globRegExp('backbone.body.*').test('xbackbone.body.a')).toBe(false);
    expect(globRegExp('backbone.body.*').test('backbone-body.a')).toBe(false);
    expect(globRegExp('*.bias').test('rpn.bias')).toBe(true);
    expect(globRegExp('*.bias').test('rpn.bias2')).toBe(false);
    expect(globRegExp('roi_heads.box_predictor.?.*').test('roi_heads.box_predictor.2.cls_score.weight')).toBe(true);
    expect(globRegExp('a+b(c)').test('a+b(c)')).toBe(true);
  });

  it('first match wins', () => {
    expect(Array.from(firstMatchingRule(['a.b', 'a.c', 'd'], [{ match: 'a.b' }, { match: 'a.*' }]))).toEqual([0, 1, -1]);
  });
});

describe('detectionParamGroups with rules', () => {
  it('sets lrMult and decay by the first matching rule, the recipe elsewhere', () => {
    const groups = detectionParamGroups(model, {
      weightDecay: 1e-4,
      paramGroups: [
        { match: 'backbone.body.*', lrMult: 0.1 },
        { match: '*.bias', weightDecay: 0.5, lrMult: 2 },
        { match: 'roi_heads.box_predictor.2.*', lrMult: 0 },
      ],
    });
    const by = new Map(groups.map((g) => [g.name, [g.lrMult, g.weightDecay]]));
    const names = [...by.keys()];
    // Backbone: rule 0 (no decay given: the recipe's, 0 on BatchNorm).
    const conv = names.find((n) => /^backbone\.body\.layer2\..*conv.*\.weight$/.test(n)) as string;
    const bn = names.find((n) => /^backbone\.body\.layer2\..*bn.*\.bias$/.test(n)) as string;
    expect(by.get(conv)).toEqual([0.1, 1e-4]);
    expect(by.get(bn)).toEqual([0.1, 0]);
    // A bias outside the backbone: rule 1 replaces the decay.
    expect(by.get('roi_heads.box_predictor.2.cls_score.bias')).toEqual([2, 0.5]);
    expect(by.get('roi_heads.box_predictor.2.cls_score.weight')).toEqual([0, 1e-4]);
    // No rule: lrMult 1 and the recipe's decay.
    expect(by.get('roi_heads.box_predictor.0.cls_score.weight')).toEqual([1, 1e-4]);
    // frozenStages 1: the stem is frozen, left out.
    expect(names.some((n) => n.startsWith('backbone.body.conv1.'))).toBe(false);
    expect(groups.length).toBe(model.namedParameters().filter(([, v]) => v.trainable).length);
  });

  it('a rule whose parameters are all frozen is no error', () => {
    const groups = detectionParamGroups(model, { weightDecay: 1e-4, paramGroups: [{ match: 'backbone.body.conv1.*', lrMult: 0 }] });
    expect(groups.every((g) => g.lrMult === 1)).toBe(true);
  });

  it('a rule matching nothing, or only names taken earlier, is an error naming it', () => {
    expect(() => detectionParamGroups(model, { weightDecay: 0, source: 'c.json', paramGroups: [{ match: 'backbone.*' }, { match: 'backbone.bdy.*', lrMult: 0.1 }] })).toThrow(
      new ConfigError('c.json: optimizer.paramGroups[1].match: "backbone.bdy.*" matches no parameter of the model (names begin backbone.body.*, backbone.fpn.*, proposal_generator.rpn_head.*, roi_heads.box_head.*, roi_heads.box_predictor.*)'),
    );
    expect(() => detectionParamGroups(model, { weightDecay: 0, source: 'c.json', paramGroups: [{ match: 'backbone.*' }, { match: 'backbone.body.*' }] })).toThrow(
      new ConfigError('c.json: optimizer.paramGroups[1].match: every parameter "backbone.body.*" matches is taken by an earlier rule (the first match wins)'),
    );
  });
});
