/**
 * tfjs-core ships its gradient definitions only as ES module files that Node cannot load from
 * its CommonJS build; the `@tensorflow/tfjs` umbrella's Node bundle registers all of them
 * against the shared (global) registry. Importing it once makes `tf.grad`/`variableGrads` work
 * for every op on every backend. It also registers the layers/converter APIs we do not use.
 */
import '@tensorflow/tfjs';
