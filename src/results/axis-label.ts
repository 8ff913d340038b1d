import type { JsonValue } from "../spec/types.js";

// How a sweep axis's value is shown in tables, reports and plots. A run without the key (e.g.
// `labels.extra.images` on runs without extra images, a method option another method lacks) has
// the value null, shown as "none".

export function axisValue(v: JsonValue): string {
  if (v === null) return "none";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A row's or column's values, joined: "ssd-lite · csd". */
export function axisLabel(values: Record<string, JsonValue>): string {
  return Object.values(values).map(axisValue).join(" · ");
}
