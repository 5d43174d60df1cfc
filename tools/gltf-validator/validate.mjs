// Validate glTF binaries with the Khronos glTF validator; print one JSON report per file.
// Usage: node validate.mjs FILE.glb [...]  (exit 0; the caller reads the counts)
import { readFile } from "node:fs/promises";
import validator from "gltf-validator";

const reports = [];
for (const path of process.argv.slice(2)) {
  const data = await readFile(path);
  const report = await validator.validateBytes(new Uint8Array(data), { uri: path, maxIssues: 100 });
  reports.push({
    path,
    errors: report.issues.numErrors,
    warnings: report.issues.numWarnings,
    infos: report.issues.numInfos,
    messages: report.issues.messages.map((m) => ({ code: m.code, severity: m.severity, message: m.message, pointer: m.pointer })),
  });
}
console.log(JSON.stringify(reports));
