import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type EventType, type PolicyOutcome, Postbox, PostboxError, type PostboxEvent } from "@postbox/sdk";

const USAGE = `postbox — governed email for AI agents

Usage:
  postbox serve                                   start the service (configured by environment variables)
  postbox accounts create <name>                  a new tenant; prints its first admin key (operator only)
  postbox accounts list
  postbox keys create --role admin|agent|ingest [--mailbox <id or name>]... [--label <text>]
  postbox keys list
  postbox keys revoke <key id>
  postbox mailbox create <name> [--display-name <text>]
  postbox mailbox list
  postbox send --from <mailbox> --to <address>... --subject <text> (--body <text> | --body-file <path or ->)
  postbox wait <mailbox> [--timeout <seconds>] [--since <cursor>]
  postbox policy set <mailbox> <file.json or ->    set the mailbox's MailPolicy
  postbox policy get <mailbox>
  postbox policy test <mailbox> --from <address> [--body <text>] [--dkim] [--spf]
  postbox policy test <mailbox> --raw <file.eml or -> [--mail-from <a>] [--client-ip <ip>] [--helo <name>]
  postbox audit <mailbox> [--outcome <outcome>] [--sender <address>] [--limit <n>]
  postbox audit verify <mailbox>                  check the audit log's hash chain
  postbox events [--types <a,b>] [--mailbox <m>] [--after <cursor>] [--limit <n>] [--follow]
                                                  the event log; --follow streams new events until Ctrl-C
  postbox pii --jsonl <file or ->                 PII spans of {"id","text"} lines (offline, as the server finds them)
  postbox scan --jsonl <file or -> [--threshold <t>]
                                                  prompt-injection scores of {"id","text"} lines (offline)
  postbox scan --explain <text, or - for stdin>   one text's score taken apart: each signal's contribution

Every client command accepts --json for machine-readable output, and reads
POSTBOX_API_KEY (required) and POSTBOX_URL (default http://127.0.0.1:8025).
`;

class UsageError extends Error {}

/** A score taken apart, for a person: what pushed it up or down, largest first. */
function explanationText(x: import("@postbox/server/scanners").Explanation, threshold: number): string {
  const sign = (n: number) => (n >= 0 ? `+${n.toFixed(2)}` : n.toFixed(2));
  const lines = [
    `score ${x.score.toFixed(4)} (quarantine at ${threshold}: ${x.score >= threshold ? "yes" : "no"})`,
    `decided by window ${x.window.index + 1} of ${x.window.of} (${x.window.source}); logit ${x.logit.toFixed(2)}, ` +
      `score = sigmoid(${x.calibration.a.toFixed(3)} × logit ${sign(x.calibration.b)})`,
    `  ${sign(x.bias).padStart(7)}  bias`,
    `  ${sign(x.ngrams).padStart(7)}  wording (word and character n-grams)`,
    ...x.signals.map(
      (s) => `  ${sign(s.weight).padStart(7)}  ${s.code}${s.description ? ` — ${s.description}` : ""}`,
    ),
  ];
  return lines.join("\n");
}

function client(): Postbox {
  const apiKey = process.env.POSTBOX_API_KEY;
  if (!apiKey)
    throw new UsageError(
      "POSTBOX_API_KEY is not set: export the key printed at first start (or in <data dir>/admin.key)",
    );
  return new Postbox({ apiKey, baseUrl: process.env.POSTBOX_URL || "http://127.0.0.1:8025", maxRetries: 0 });
}

function out(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

async function readBody(file: string): Promise<string> {
  if (file !== "-") return readFile(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function run(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  // Loaded only for serve: client commands stay quick to start.
  if (command === "serve") return (await import("./serve.ts")).serve();
  if (command === "scan") {
    const { values: v } = parseArgs({
      args: argv.slice(1),
      options: {
        jsonl: { type: "string" },
        threshold: { type: "string" },
        explain: { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
    const s = await import("@postbox/server/scanners");
    if (v.explain !== undefined) {
      const text = v.explain === "-" ? await readBody("-") : v.explain;
      const x = s.explainInjection(s.loadBundledInjectionModel(), text);
      out(v.json ?? false, x, () => explanationText(x, s.defaultInjectionThreshold()));
      return 0;
    }
    if (!v.jsonl)
      throw new UsageError("postbox scan --jsonl <file or -> [--threshold <t>] | --explain <text>");
    const threshold = v.threshold === undefined ? s.defaultInjectionThreshold() : Number(v.threshold);
    if (!(threshold > 0 && threshold <= 1)) throw new UsageError("--threshold must be a number in (0, 1]");
    // The scorer exactly as the server builds it, the operator's ONNX classifier included when configured.
    const score = await s.createInjectionScorer(s.onnxClassifierFromEnv(process.env));
    const { mapJsonl } = await import("./jsonl.ts");
    const bad = await mapJsonl(v.jsonl, async (id, text) => {
      const r = await score(text);
      return {
        id,
        score: Math.round(r.score * 10000) / 10000,
        quarantine: r.score >= threshold,
        reasons: r.reasons.map((x) => x.code),
      };
    });
    return bad > 0 ? 1 : 0;
  }
  if (command === "pii") {
    const { values: v } = parseArgs({ args: argv.slice(1), options: { jsonl: { type: "string" } } });
    if (!v.jsonl) throw new UsageError("postbox pii --jsonl <file or ->");
    const { detectPii } = await import("@postbox/server/scanners");
    const { mapJsonl } = await import("./jsonl.ts");
    const bad = await mapJsonl(v.jsonl, (id, text) => ({
      id,
      spans: detectPii(text).map((s) => ({ type: s.type, start: s.start, end: s.end, score: s.score })),
    }));
    return bad > 0 ? 1 : 0;
  }

  // Commands without a sub-command take their positionals right after the command.
  const flat =
    command === "send" ||
    command === "wait" ||
    command === "events" ||
    (command === "audit" && sub !== "verify");
  const args = flat ? argv.slice(1) : rest;
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      role: { type: "string" },
      mailbox: { type: "string", multiple: true },
      name: { type: "string" },
      label: { type: "string" },
      "display-name": { type: "string" },
      from: { type: "string" },
      to: { type: "string", multiple: true },
      cc: { type: "string", multiple: true },
      subject: { type: "string" },
      body: { type: "string" },
      "body-file": { type: "string" },
      timeout: { type: "string" },
      since: { type: "string" },
      dkim: { type: "boolean" },
      spf: { type: "boolean" },
      raw: { type: "string" },
      "mail-from": { type: "string" },
      "client-ip": { type: "string" },
      helo: { type: "string" },
      outcome: { type: "string" },
      sender: { type: "string" },
      limit: { type: "string" },
      types: { type: "string" },
      after: { type: "string" },
      follow: { type: "boolean" },
    },
  });
  const json = values.json ?? false;

  if (command === "accounts" && sub === "create") {
    const name = positionals[0];
    if (!name) throw new UsageError("postbox accounts create <name>");
    const acct = await client().accounts.create({ name });
    out(
      json,
      acct,
      () => `account ${acct.id} (${acct.name})\nadmin key: ${acct.admin_key}\n(shown once — store it now)`,
    );
    return 0;
  }
  if (command === "accounts" && sub === "list") {
    const page = await client().accounts.list();
    out(json, page.data, () =>
      page.data.map((a) => `${a.id}  ${a.name}${a.is_default ? "  (operator)" : ""}`).join("\n"),
    );
    return 0;
  }
  if (command === "keys" && sub === "create") {
    const role = values.role;
    if (role !== "admin" && role !== "agent" && role !== "ingest")
      throw new UsageError("--role must be admin, agent or ingest");
    const key = await client().apiKeys.create({
      role,
      mailbox_ids: values.mailbox,
      label: values.label ?? values.name,
    });
    out(json, key, () => `${key.api_key}\n(id ${key.id}, role ${key.role}; shown once — store it now)`);
    return 0;
  }
  if (command === "keys" && sub === "list") {
    const page = await client().apiKeys.list();
    out(json, page.data, () =>
      page.data
        .map(
          (k) =>
            `${k.id}  ${k.prefix}  ${k.role.padEnd(6)}  ${k.revoked_at ? "revoked" : "active "}  ${k.label ?? ""}`,
        )
        .join("\n"),
    );
    return 0;
  }
  if (command === "keys" && sub === "revoke") {
    const id = positionals[0];
    if (!id) throw new UsageError("postbox keys revoke <key id>");
    const key = await client().apiKeys.revoke(id);
    out(json, key, () => `revoked ${key.id}`);
    return 0;
  }
  if (command === "mailbox" && sub === "create") {
    const name = positionals[0];
    if (!name) throw new UsageError("postbox mailbox create <name>");
    const mb = await client().mailboxes.create({ name, display_name: values["display-name"] });
    out(json, mb, () => `${mb.address}  (id ${mb.id})`);
    return 0;
  }
  if (command === "mailbox" && sub === "list") {
    const all: Awaited<ReturnType<Postbox["mailboxes"]["get"]>>[] = [];
    for await (const mb of client().mailboxes.list({ autoPaginate: true })) all.push(mb);
    out(json, all, () => all.map((m) => `${m.id}  ${m.address}`).join("\n"));
    return 0;
  }
  if (command === "send") {
    if (!values.from || !values.to?.length || values.subject === undefined) {
      throw new UsageError("postbox send --from <mailbox> --to <address> --subject <text> --body <text>");
    }
    const body =
      values["body-file"] !== undefined ? await readBody(values["body-file"]) : (values.body ?? "");
    const res = await client().messages.send({
      from_mailbox: values.from,
      to: values.to,
      cc: values.cc,
      subject: values.subject,
      body,
    });
    out(json, res, () => `${res.status}: message ${res.message_id} (thread ${res.thread_id})`);
    return 0;
  }
  if (command === "wait") {
    const mailbox = positionals[0];
    if (!mailbox) throw new UsageError("postbox wait <mailbox> [--timeout <seconds>]");
    const timeout = values.timeout ? Number(values.timeout) : 30;
    if (!Number.isFinite(timeout) || timeout < 1 || timeout > 60)
      throw new UsageError("--timeout must be 1 to 60 seconds");
    const res = await client().messages.wait(mailbox, { timeout, since: values.since });
    // wait answers a summary; a person reading along wants the whole text.
    const full = res.message && !json ? await client().messages.get(res.message.id) : null;
    out(json, res, () =>
      res.message
        ? `From: ${res.message.sender}\nSubject: ${res.message.subject}\nId: ${res.message.id}\n\n${full?.body.text ?? res.message.body_preview ?? ""}`
        : `no message within ${timeout}s (cursor ${res.cursor})`,
    );
    return res.message ? 0 : 3;
  }
  if (command === "policy" && sub === "set") {
    const [mailbox, file] = positionals;
    if (!mailbox || !file) throw new UsageError("postbox policy set <mailbox> <file.json or ->");
    let doc: unknown;
    try {
      doc = JSON.parse(await readBody(file));
    } catch (err) {
      throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    const res = await client().setPolicy(mailbox, doc as Parameters<Postbox["setPolicy"]>[1]);
    out(json, res, () =>
      [`policy set on ${mailbox}`, ...(res.warnings ?? []).map((w) => `warning: ${w}`)].join("\n"),
    );
    return 0;
  }
  if (command === "policy" && sub === "get") {
    const mailbox = positionals[0];
    if (!mailbox) throw new UsageError("postbox policy get <mailbox>");
    const res = await client().getPolicy(mailbox);
    out(json, res, () =>
      res.policy ? JSON.stringify(res.policy, null, 2) : `${mailbox} has no policy: it accepts everything`,
    );
    return 0;
  }
  if (command === "policy" && sub === "test") {
    const mailbox = positionals[0];
    if (!mailbox || (!values.raw && !values.from))
      throw new UsageError("postbox policy test <mailbox> (--from <address> | --raw <file.eml or ->)");
    const res = values.raw
      ? await client().testPolicy(mailbox, {
          raw: await readBody(values.raw),
          mail_from: values["mail-from"],
          client_ip: values["client-ip"],
          helo: values.helo,
        })
      : await client().testPolicy(mailbox, {
          from: values.from,
          body: values.body ?? "",
          dkim: values.dkim ?? false,
          spf: values.spf ?? false,
        });
    out(json, res, () =>
      [
        `${res.outcome}${res.reason ? `: ${res.reason}` : ""} (${res.disposition})`,
        ...res.trace.map((t) => `  ${t.step.padEnd(15)} ${t.result.padEnd(8)} ${t.detail}`),
        ...(res.sender_authentication ? [`  authentication: ${res.sender_authentication.verdict}`] : []),
      ].join("\n"),
    );
    return res.outcome === "accepted" ? 0 : 4;
  }
  if (command === "audit" && sub === "verify") {
    const mailbox = positionals[0];
    if (!mailbox) throw new UsageError("postbox audit verify <mailbox>");
    const v = await client().audit.verify(mailbox);
    out(json, v, () =>
      v.ok
        ? `ok: ${v.checked} entries verified (head ${v.head.seq})`
        : `BROKEN at entry ${v.first_broken?.seq}: ${v.first_broken?.problem} (${v.first_broken?.detail})`,
    );
    return v.ok ? 0 : 5;
  }
  if (command === "audit") {
    const mailbox = positionals[0];
    if (!mailbox) throw new UsageError("postbox audit <mailbox> [--outcome <outcome>] [--limit <n>]");
    const limit = values.limit ? Number(values.limit) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new UsageError("--limit must be 1 to 100");
    const page = await client().audit.list(mailbox, {
      limit,
      outcome: values.outcome as PolicyOutcome | undefined,
      sender: values.sender,
    });
    out(
      json,
      page.data,
      () =>
        page.data
          .map(
            (e) =>
              `${e.created_at}  #${e.seq}  ${e.outcome.padEnd(26)} ${e.action.padEnd(19)} ${e.header_sender ?? e.envelope_sender ?? "-"}${e.reason ? `  (${e.reason})` : ""}`,
          )
          .join("\n") || "no entries",
    );
    return 0;
  }
  if (command === "events") {
    const types = values.types ? (values.types.split(",").map((t) => t.trim()) as EventType[]) : undefined;
    const mailbox = values.mailbox?.[0];
    const line = (e: PostboxEvent) =>
      json
        ? JSON.stringify(e)
        : `${e.created_at}  ${e.id.padEnd(10)} ${e.event.padEnd(30)} ${JSON.stringify(e.data)}`;
    if (values.follow) {
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort());
      process.once("SIGTERM", () => controller.abort());
      for await (const e of client().events.stream({
        types,
        mailbox_id: mailbox,
        after: values.after,
        signal: controller.signal,
      }))
        process.stdout.write(`${line(e)}\n`);
      return 0;
    }
    const limit = values.limit ? Number(values.limit) : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new UsageError("--limit must be 1 to 500");
    const page = await client().events.list({ types, mailbox_id: mailbox, after: values.after, limit });
    if (json) process.stdout.write(`${JSON.stringify(page)}\n`);
    else {
      for (const e of page.data) process.stdout.write(`${line(e)}\n`);
      process.stdout.write(`cursor: ${page.cursor}${page.hasMore ? " (more: pass --after)" : ""}\n`);
    }
    return 0;
  }
  throw new UsageError(`unknown command: ${[command, sub].filter(Boolean).join(" ")} (run postbox help)`);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (
      err instanceof UsageError ||
      (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(`postbox: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof PostboxError) {
      process.stderr.write(`postbox: ${err.message} (${err.code})\n`);
      // Validation errors list every problem (for example all of a policy document's).
      for (const e of (err as { fieldErrors?: string[] }).fieldErrors ?? [])
        process.stderr.write(`  - ${e}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`postbox: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
