// Fails when src/api/schema.d.ts is not what openapi-typescript generates from ../openapi.yaml
// (the spec changed and `npm run gen:api` was not run, or the file was edited by hand).
// Until the backend commits ../openapi.yaml, the hand-made draft is accepted with a warning.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// OPENAPI_SPEC points elsewhere only to test this script.
const spec = process.env.OPENAPI_SPEC ?? join(root, "..", "openapi.yaml");
const committed = join(root, "src", "api", "schema.d.ts");
const isDraft = (text) => text.startsWith("/**\n * DRAFT");

const current = readFileSync(committed, "utf8");
if (!existsSync(spec)) {
  if (isDraft(current)) {
    console.warn("check:api skipped: ../openapi.yaml does not exist yet; src/api/schema.d.ts is still the hand-made draft.");
    process.exit(0);
  }
  console.error("check:api: ../openapi.yaml is missing but src/api/schema.d.ts claims to be generated from it.");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "vigie-check-api-"));
try {
  const fresh = join(dir, "schema.d.ts");
  const cli = join(root, "node_modules", "openapi-typescript", "bin", "cli.js");
  const run = spawnSync(process.execPath, [cli, spec, "-o", fresh], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) {
    console.error(`check:api: openapi-typescript failed:\n${run.stdout}${run.stderr}`);
    process.exit(1);
  }
  if (readFileSync(fresh, "utf8") !== current) {
    console.error(
      "check:api: src/api/schema.d.ts is out of date with ../openapi.yaml" +
        (isDraft(current) ? " (it is still the hand-made draft)" : "") +
        ". Run `npm run gen:api` and commit the result.",
    );
    process.exit(1);
  }
  console.log("check:api: src/api/schema.d.ts matches ../openapi.yaml.");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
