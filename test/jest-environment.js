/* Jest runs each test file in its own realm, so typed arrays made by native addons (onnxruntime-node returns its
   outputs as this process's BigInt64Array/Float32Array) fail `instanceof` checks against the realm's own
   constructors. Sharing the process's typed-array constructors with the test realm makes them agree. */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NativeTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = NativeTypedArrayEnvironment;
