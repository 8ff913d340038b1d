import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NumpyLegacyRandom } from "../../src/data/mt19937.js";
import { murmur3, rankOf, StreamKey, Xoshiro128 } from "../../src/data/rng.js";

describe("xoshiro128**", () => {
  it("matches the reference algorithm (vector from an independent Python port of the C code)", () => {
    const rng = new Xoshiro128(1, 2, 3, 4);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it("nextInt stays in range and shuffle is a permutation", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const rng = Xoshiro128.fromParts([seed]);
        for (let k = 0; k < 20; k++) {
          const v = rng.nextInt(n);
          if (v < 0 || v >= n || !Number.isInteger(v)) return false;
        }
        const items = Array.from({ length: n }, (_, i) => i);
        const shuffled = rng.shuffle([...items]);
        return (
          shuffled
            .slice()
            .sort((a, b) => a - b)
            .join() === items.join()
        );
      }),
    );
  });

  it("rank is the first 53 bits of sha256 of the parts (reproducible outside labelsweep)", () => {
    // python: int.from_bytes(sha256("labelsweep/budget/v1\x1f1\x1f42").digest()[:8], "big") >> 11
    expect(rankOf(["labelsweep/budget/v1", 1, "42"])).toBe(1517493117166159);
  });
});

describe("NumPy legacy MT19937", () => {
  it("reproduces genrand_int32 after np.random.seed (values from numpy 2.4 MT19937 legacy seeding)", () => {
    const a = new NumpyLegacyRandom(5489);
    expect([a.nextUint32(), a.nextUint32(), a.nextUint32()]).toEqual([3499211612, 581869302, 3890346734]);
    const b = new NumpyLegacyRandom(1);
    expect([b.nextUint32(), b.nextUint32(), b.nextUint32()]).toEqual([1791095845, 4282876139, 3093770124]);
  });

  it("reproduces RandomState.randint's masked rejection draws", () => {
    // numpy: rs = np.random.RandomState(7); rs.randint(0, 10, size=10); rs.randint(0, 1000, size=5)
    const r = new NumpyLegacyRandom(7);
    expect(Array.from(r.randint(0, 10, 10))).toEqual([4, 9, 6, 3, 3, 7, 7, 9, 7, 8]);
    expect(Array.from(r.randint(0, 1000, 5))).toEqual([345, 366, 554, 730, 904]);
    // numpy: np.random.seed(1); np.random.choice(range(118287), size=1182)[:5]
    expect(Array.from(new NumpyLegacyRandom(1).choiceWithReplacement(118287, 5))).toEqual([
      98539, 77708, 5192, 98047, 50057,
    ]);
  });

  it("rejects seeds NumPy rejects", () => {
    expect(() => new NumpyLegacyRandom(-1)).toThrow(/2\^32/);
    expect(() => new NumpyLegacyRandom(2 ** 32)).toThrow(/2\^32/);
  });
});

describe("murmur3_x86_32", () => {
  it("matches the reference test vectors (SMHasher / Wikipedia)", () => {
    const h = (s: string, seed: number) => {
      const b = Buffer.from(s, "utf8");
      return murmur3(b, b.length, seed);
    };
    expect(h("", 0)).toBe(0);
    expect(h("", 1)).toBe(0x514e28b7);
    expect(h("", 0xffffffff)).toBe(0x81f16f39);
    expect(h("test", 0)).toBe(0xba6bd213);
    expect(h("Hello, world!", 1234)).toBe(0xfaf6cdb3);
    expect(h("The quick brown fox jumps over the lazy dog", 0)).toBe(0x2e4ff723);
  });

  it("gives each id its own stream under a key, independent of other ids", () => {
    const key = new StreamKey(["ns", 1]);
    const a = key.stream("391895").nextUint32();
    key.stream("522418").nextUint32();
    expect(new StreamKey(["ns", 1]).stream("391895").nextUint32()).toBe(a);
    expect(new StreamKey(["ns", 2]).stream("391895").nextUint32()).not.toBe(a);
    expect(key.stream("x".repeat(1000)).nextUint32()).toBe(
      new StreamKey(["ns", 1]).stream("x".repeat(1000)).nextUint32(),
    );
  });
});
