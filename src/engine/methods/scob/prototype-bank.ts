// Scob's prototype bank IPT (METHODS.md §5a step 3–4; iCVTEAM/Scob main.py
// class IPT): per class, the `size` (code: 2) most confident momentum
// features of the current epoch, confidence being the classifier's
// probability of the image's observed class. The negatives of the InfoNCE
// are each class's single most confident feature (get_most_confident_feats(1));
// a class with no feature yet gives a zero vector. The bank starts empty at
// every epoch (before_epoch builds a new IPT).
//
// Update rule (IPT.update): while a class holds fewer than `size` features a
// new one is added; once full, it replaces the least confident one when it is
// strictly more confident. Entries compare as the code's heap tuples
// (confidence, image index). An image enters a class at most once per epoch
// (the code checks its id set on replacement; with its clean epochs an image
// is never seen twice before that, while labelsweep's batches may run across
// an epoch boundary, so the check applies to both paths here).

import type { HookState } from "../../train/loop.js";

interface Entry {
  confidence: number;
  image: number;
  feature: Float32Array;
}

/** (confidence, image) order of the code's heap tuples. */
function less(a: Entry, b: Entry): boolean {
  return a.confidence < b.confidence || (a.confidence === b.confidence && a.image < b.image);
}

export class PrototypeBank {
  private classes: Entry[][];

  constructor(
    readonly numClasses: number,
    readonly size: number,
    readonly dim: number,
  ) {
    this.classes = Array.from({ length: numClasses }, () => []);
  }

  /** Empties every class (the start of an epoch). */
  clear(): void {
    this.classes = Array.from({ length: this.numClasses }, () => []);
  }

  /** Offers one momentum feature of `image`, observed class `cls`, with its confidence. */
  update(cls: number, confidence: number, image: number, feature: Float32Array): void {
    if (feature.length !== this.dim)
      throw new Error(`prototype of ${feature.length} values, expected ${this.dim}`);
    const entries = this.classes[cls]!;
    if (entries.some((e) => e.image === image)) return;
    const entry = { confidence, image, feature: Float32Array.from(feature) };
    if (entries.length < this.size) {
      entries.push(entry);
      return;
    }
    let least = 0;
    for (let j = 1; j < entries.length; j++) if (less(entries[j]!, entries[least]!)) least = j;
    if (entries[least]!.confidence < confidence) entries[least] = entry;
  }

  /** [numClasses × dim] each class's most confident feature, zeros for an empty class. */
  prototypes(): Float32Array {
    const out = new Float32Array(this.numClasses * this.dim);
    this.classes.forEach((entries, c) => {
      if (entries.length === 0) return;
      let best = entries[0]!;
      for (const e of entries) if (less(best, e)) best = e;
      out.set(best.feature, c * this.dim);
    });
    return out;
  }

  /** Images held per class, most confident first (for tests and inspection). */
  contents(): { image: number; confidence: number }[][] {
    return this.classes.map((entries) =>
      [...entries]
        .sort((a, b) => (less(a, b) ? 1 : less(b, a) ? -1 : 0))
        .map((e) => ({ image: e.image, confidence: e.confidence })),
    );
  }

  save(): HookState {
    return {
      json: this.classes.map((entries) => entries.map((e) => [e.confidence, e.image])),
      arrays: this.classes.flatMap((entries, c) =>
        entries.map((e, j) => ({ name: `bank.${c}.${j}`, shape: [this.dim], values: e.feature })),
      ),
    };
  }

  load(state: HookState): void {
    const rows = state.json as [number, number][][];
    const arrays = new Map((state.arrays ?? []).map((a) => [a.name, a.values]));
    this.classes = rows.map((entries, c) =>
      entries.map(([confidence, image], j) => {
        const feature = arrays.get(`bank.${c}.${j}`);
        if (!feature) throw new Error(`checkpoint lacks prototype bank.${c}.${j}`);
        return { confidence, image, feature: Float32Array.from(feature) };
      }),
    );
  }
}
