import type { JsonValue } from "../spec/types.js";

/** A value as messages quote it: JSON, cut to 40 characters. */
export function show(value: JsonValue | undefined): string {
  const text = value === undefined ? "(unset)" : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}
