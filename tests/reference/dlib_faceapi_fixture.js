// dlib_faceapi_fixture.js: the reference for the dlib ResNet import. Runs
// @vladmandic/face-api's own FaceRecognitionNet on the pure-JS TensorFlow.js
// CPU backend over a few Olivetti faces and writes what
// tests/engine/test-dlib.c compares against:
//   fixtures/dlib/face-K.png    the 150×150 input, resized here by
//                               tf.image.resizeBilinear (face-api's own
//                               resize) and rounded to bytes, so both sides
//                               read the same pixels
//   fixtures/dlib/grad-input.png  face 0 with a fixed pseudo-random ±3
//                               dither per pixel and channel (RGB)
//   fixtures/dlib-faceapi.json  {"package", "faces", "descriptors",
//                               "grad": {"v", "index", "value"}}
// grad: ∂(descriptor·v)/∂pixel of grad-input.png in 0..255 units at sampled
// positions of its (150, 150, 3) HWC input. The dither breaks the flat
// background's exact ties in the max pool, where two implementations whose
// convolutions differ in the last bit may route the gradient to different
// cells of a window.
//
// Test-time only, never an app dependency. In a scratch folder:
//   npm install @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 \
//               pngjs@7 @vladmandic/face-api@1.7.15
//   NODE_PATH=$PWD/node_modules node tests/reference/dlib_faceapi_fixture.js \
//       data/olivetti  MODEL_DIR  tests/reference/fixtures
// (MODEL_DIR: the installed dlib-resnet folder, _build/models/dlib-resnet.)
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const { PNG } = require('pngjs');

const [olivetti, modelDir, outDir] = process.argv.slice(2);
const faces = ['s01/01.png', 's01/02.png', 's02/01.png', 's07/03.png'];
const S = 150;

function readGreyAsRgb(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const rgb = new Int32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++)
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
  return tf.tensor3d(rgb, [png.height, png.width, 3], 'int32');
}

function writeGrey(file, pixels) {
  const png = new PNG({ width: S, height: S, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.from(pixels);
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0 }));
}

function writeRgb(file, pixels) {
  const png = new PNG({ width: S, height: S, colorType: 2, inputColorType: 2, bitDepth: 8 });
  png.data = Buffer.from(pixels);
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2, inputColorType: 2 }));
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  const net = faceapi.nets.faceRecognitionNet;
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'face_recognition_model-weights_manifest.json')));
  const weightMap = tf.io.decodeWeights(
    fs.readFileSync(path.join(modelDir, manifest[0].paths[0])).buffer.slice(0),
    manifest[0].weights);
  net.loadFromWeightMap(weightMap);

  fs.mkdirSync(path.join(outDir, 'dlib'), { recursive: true });
  const descriptors = [];
  const inputs = [];
  for (let k = 0; k < faces.length; k++) {
    const img = readGreyAsRgb(path.join(olivetti, 'Olivetti', faces[k]));
    const resized = tf.image.resizeBilinear(img.expandDims(0), [S, S], false, false)
      .round().clipByValue(0, 255).squeeze([0]).toInt();
    const rgb = await resized.data();
    const grey = new Uint8Array(S * S);
    for (let i = 0; i < S * S; i++) grey[i] = rgb[i * 3];
    writeGrey(path.join(outDir, 'dlib', `face-${k}.png`), grey);
    inputs.push(resized);
    const d = await net.computeFaceDescriptor(resized);
    descriptors.push(Array.from(d));
  }

  // Gradient of descriptor·v w.r.t. face 0's pixels, through face-api's
  // forwardInput (its preprocessing included).
  const v = Array.from({ length: 128 }, (_, i) => Math.sin(0.37 * (i + 1)));
  const vt = tf.tensor1d(v);
  const base = await inputs[0].data();
  const dithered = new Uint8Array(S * S * 3);
  for (let i = 0; i < S * S * 3; i++)
    dithered[i] = Math.min(255, Math.max(0, base[i] + ((Math.imul(i + 1, 2654435761) >>> 20) % 7) - 3));
  writeRgb(path.join(outDir, 'dlib', 'grad-input.png'), dithered);
  const x0 = tf.tensor3d(Int32Array.from(dithered), [S, S, 3], 'int32').toFloat();
  const g = tf.grad((x) => {
    const input = new faceapi.NetInput([x]);
    return net.forwardInput(input).squeeze([0]).mul(vt).sum();
  })(x0);
  const gv = await g.data();
  const index = [];
  let state = 12345;
  for (let n = 0; n < 600; n++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    index.push(state % (S * S * 3));
  }
  const value = index.map((i) => gv[i]);

  const out = {
    package: '@vladmandic/face-api 1.7.15, @tensorflow/tfjs ' + tf.version.tfjs + ' (cpu backend)',
    faces,
    descriptors,
    grad: { v, index, value },
  };
  fs.writeFileSync(path.join(outDir, 'dlib-faceapi.json'), JSON.stringify(out) + '\n');
  console.log('wrote', faces.length, 'descriptors; |d0| =',
    Math.hypot(...descriptors[0]).toFixed(4), '; max |grad| =',
    Math.max(...value.map(Math.abs)).toExponential(3));
}

main().catch((e) => { console.error(e); process.exit(1); });
