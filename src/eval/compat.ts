// eval.compat resolved for one evaluation: the type's reference tool unless a
// named option is given (the table is src/spec/compat.ts EVAL_COMPAT, which
// validation reads too).

import { EVAL_COMPAT } from "../spec/compat.js";
import type { EvalCompat, EvalSpec } from "../spec/types.js";
import { UserError } from "../util/errors.js";

export function resolveCompat<T extends EvalCompat>(spec: EvalSpec): T {
  const table = EVAL_COMPAT[spec.type];
  const compat = spec.compat ?? table.default;
  if (!table.allowed.includes(compat)) {
    throw new UserError(
      `eval.compat "${compat}" does not apply to eval type "${spec.type}"; expected ${table.allowed.join(" or ")}`,
    );
  }
  return compat as T;
}
