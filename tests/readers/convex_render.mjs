// Print Convex log entries exactly as `npx convex logs` does, with the npm `convex` package's own
// code: formatLogsAsText (dist/esm/cli/lib/logs.js: what processLogs writes, colours stripped) and
// the stderr banner of announceDeploymentTarget / logsForDeployment. The locale and the zone are
// the process's (LANG, TZ), as for the CLI.
//
// The CLI's unbundled modules import its dev dependencies (chalk, commander, ora...), which npm
// does not install; the functions used here need only chalk, so each module's source is run as
// it is with its imports given: a colourless chalk (level 0) and node's own util.
// usage: node convex_render.mjs <convex package dir> < {"entries": [...], "success": bool,
//        "jsonl": bool, "banner": "deployment-name" | null}
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as util from "node:util";

const pkg = process.argv[2];
const spec = JSON.parse(readFileSync(0, "utf8"));

function colourless() {
  const paint = new Proxy(function (s) { return String(s); }, {
    // chalk.hex(colour) and the like make a painter; every other name is a painter.
    get: (target, key) =>
      key === "level" ? 0 : ["hex", "bgHex", "rgb", "bgRgb", "ansi256", "bgAnsi256"].includes(key) ? () => paint : paint,
    apply: (target, self, args) => String(args[0]),
  });
  return paint;
}

function load(relative, names) {
  let source = readFileSync(join(pkg, relative), "utf8");
  source = source.replace(/^import[\s\S]*?from\s+"[^"]+";$/gm, "").replace(/^export /gm, "");
  source = source.replace(/^\/\/# sourceMappingURL.*$/gm, "");
  const chalk = colourless();
  const given = {
    chalk, chalkStderr: chalk, stripVTControlCharacters: util.stripVTControlCharacters,
    format: util.format, logMessage: () => {}, logOutput: () => {}, logWarning: () => {},
    nextBackoff: () => 0, deploymentFetch: () => null, ThrowingFetchError: Error,
    deploymentDashboardUrl: () => null, deploymentDashboardUrlPage: () => null,
  };
  const body = `"use strict";\n${source.replace(/^"use strict";/, "")}\nreturn { ${names.join(", ")} };`;
  return new Function(...Object.keys(given), body)(...Object.values(given));
}

const out = [];
if (spec.banner) {
  const { formatTargetedDeployment } = load("dist/esm/cli/lib/announceDeploymentTarget.js", ["formatTargetedDeployment"]);
  const creds = { url: `https://${spec.banner}.convex.cloud`, deploymentFields: null };
  out.push(formatTargetedDeployment("Showing logs of deployment:", creds, colourless()));
  out.push(`Watching logs for production deployment ${spec.banner}...`);  // logs.js: deploymentNotice
}
if (spec.jsonl) {
  for (const e of spec.entries) out.push(JSON.stringify(e));  // processLogs with jsonl
} else if (spec.entries.length) {
  const { formatLogsAsText } = load("dist/esm/cli/lib/logs.js", ["formatLogsAsText"]);
  out.push(formatLogsAsText(spec.entries, spec.success));
}
process.stdout.write(out.join("\n") + "\n");
