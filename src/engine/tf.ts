// The one place the engine imports TensorFlow.js from.
//
// tfjs-core's Node bundle registers no gradient functions; the union package
// @tensorflow/tfjs does (and registers the cpu backend). tfjs-backend-wasm
// registers the 'wasm' backend on import. tfjs-node / tfjs-node-gpu are never
// imported here: they are optional and loaded on demand by backend.ts.
import "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

export { tf };
