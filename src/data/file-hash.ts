import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { UserError } from "../util/errors.js";

/** sha256 and size of a file, read in 4 MB chunks (never the whole file in memory). */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  await new Promise<void>((done, fail) => {
    createReadStream(path, { highWaterMark: 1 << 22 })
      .on("data", (chunk) => {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      })
      .on("end", done)
      .on("error", (err) => fail(new UserError(`cannot read ${path}: ${err.message}`)));
  });
  return { sha256: hash.digest("hex"), bytes };
}
