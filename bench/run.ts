// npm run bench [smtp|smtp-policy|wait|api|policy|auth|scan|webhooks|large-burst|list-scale|all] [-- --db pglite|postgres|both]
// large-burst takes --count (default 50) and --size-mb (default 20); it is not part of "all".
// list-scale (PostgreSQL only) takes --sizes (default 1000,100000) and --calls (default 200); not part of "all".
// smtp and smtp-policy take --messages, --sessions and --new-connections (a connection per message; default: reused),
// and run the same smtp-source load against Postfix's smtp-sink afterwards: its rate is the ceiling, the ratio is printed.
// Benchmarks start the service as a separate process (as users run it) and drive it over loopback.
import { parseArgs } from "node:util";
import { benchApi } from "./api.ts";
import { benchAuth } from "./auth.ts";
import { benchLargeBurst } from "./large-burst.ts";
import { benchListScale } from "./list-scale.ts";
import { benchPolicyEval } from "./policy-eval.ts";
import { benchScan } from "./scan.ts";
import { benchSmtpAccept } from "./smtp-accept.ts";
import { benchWaitLatency } from "./wait-latency.ts";
import { benchWebhooks } from "./webhooks.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    db: { type: "string", default: "both" },
    messages: { type: "string", default: "5000" },
    sessions: { type: "string", default: "50" },
    samples: { type: "string", default: "2000" },
    count: { type: "string", default: "50" },
    "size-mb": { type: "string", default: "20" },
    "new-connections": { type: "boolean", default: false },
    sizes: { type: "string", default: "1000,100000" },
    calls: { type: "string", default: "200" },
  },
});
const which = positionals[0] ?? "all";
const dbs = values.db === "both" ? ["pglite", "postgres"] : [values.db!];
const pgUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

console.log(`# Postbox benchmarks — ${new Date().toISOString()}`);
if (which === "list-scale")
  await benchListScale({
    databaseUrl: pgUrl,
    sizes: values.sizes!.split(",").map(Number),
    calls: Number(values.calls),
  });
if (which === "policy" || which === "all") await benchPolicyEval();
if (which === "auth" || which === "all") await benchAuth();
if (which === "scan" || which === "all") await benchScan();
for (const db of dbs) {
  const databaseUrl = db === "postgres" ? pgUrl : null;
  if (which === "smtp" || which === "all") {
    await benchSmtpAccept({
      databaseUrl,
      messages: Number(values.messages),
      sessions: Number(values.sessions),
      withWorker: false,
      newConnections: values["new-connections"],
    });
    await benchSmtpAccept({
      databaseUrl,
      messages: Number(values.messages),
      sessions: Number(values.sessions),
      withWorker: true,
      newConnections: values["new-connections"],
    });
  }
  if (which === "smtp-policy" || which === "all") {
    await benchSmtpAccept({
      databaseUrl,
      messages: Number(values.messages),
      sessions: Number(values.sessions),
      withWorker: true,
      policy: true,
      newConnections: values["new-connections"],
    });
  }
  if (which === "wait" || which === "all")
    await benchWaitLatency({ databaseUrl, samples: Number(values.samples) });
  if (which === "api" || which === "all") await benchApi({ databaseUrl });
  if (which === "large-burst")
    await benchLargeBurst({ databaseUrl, count: Number(values.count), sizeMb: Number(values["size-mb"]) });
  if (which === "webhooks" || which === "all")
    await benchWebhooks({ databaseUrl, messages: Math.min(Number(values.messages), 1000), hooks: 4 });
}
