// The iteration order of a CPython `set` of small non-negative ints, which
// Scob's COCO loader turns into each image's label list
// (`list(annotations_id[img["id"]])`, iCVTEAM/Scob data/coco.py) and then
// draws from with random.choice: the observed label depends on that order,
// which is neither sorted nor insertion order once two labels collide in the
// hash table. Emulated from Objects/setobject.c (CPython 3.11, the version
// the fixtures were made with): hash(i) = i; an empty set has 8 slots; a key
// goes to slot hash & mask, else the next of up to LINEAR_PROBES (9) slots
// when they fit below the mask, else the perturbed slot (i·5 + 1 + perturb),
// perturb >>= 5; after an insert with fill·5 ≥ mask·3 the table is rebuilt
// with the smallest power-of-two size > used·4, re-inserting in slot order.

const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5;
const MIN_SIZE = 8;

function insertClean(table: Int32Array, mask: number, key: number): void {
  let perturb = key;
  let i = key & mask;
  for (;;) {
    const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
    for (let j = 0; j <= probes; j++) {
      if (table[i + j] === -1) {
        table[i + j] = key;
        return;
      }
    }
    perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT);
    i = (i * 5 + 1 + perturb) & mask;
  }
}

/** The order in which `for x in s` visits a set built by adding `keys` (ints in [0, 2^30)) in this order. */
export function cpythonSetOrder(keys: Iterable<number>): number[] {
  let table = new Int32Array(MIN_SIZE).fill(-1);
  let used = 0;
  const seen = new Set<number>();
  for (const key of keys) {
    if (!(Number.isInteger(key) && key >= 0 && key < 2 ** 30)) {
      throw new RangeError(`cpythonSetOrder: keys must be small non-negative ints, got ${key}`);
    }
    if (seen.has(key)) continue;
    seen.add(key);
    const mask = table.length - 1;
    insertClean(table, mask, key);
    used++;
    if (used * 5 >= mask * 3) {
      let size = MIN_SIZE;
      while (size <= used * 4) size *= 2;
      const next = new Int32Array(size).fill(-1);
      for (const k of table) if (k !== -1) insertClean(next, size - 1, k);
      table = next;
    }
  }
  return Array.from(table).filter((k) => k !== -1);
}
