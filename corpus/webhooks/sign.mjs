// Sign deliveries with the reference JavaScript `standardwebhooks` (what DodoPayments' Convex
// adapter verifies with, vendored in dodo-adapters packages/core): one {id, ts, body, secret} a
// line in, its `webhook-signature` header value a line out.
// usage: node sign.mjs <standardwebhooks package dir> < requests.jsonl
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const { Webhook } = require(join(process.argv[2], "dist/index.js"));
for (const line of readFileSync(0, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  console.log(new Webhook(r.secret).sign(r.id, new Date(r.ts * 1000), r.body));
}
