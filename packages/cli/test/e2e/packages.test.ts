import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { TOOL_NAMES } from "@postbox/mcp";
import { Postbox } from "@postbox/sdk";
import {
  DATABASE_URL,
  eventually,
  rawMessage,
  type Sink,
  smtpClient,
  startSink,
} from "../../../server/test/helpers.ts";
import { installTarballs, packWorkspaces, ROOT } from "../packages.ts";
import { adminKeyOf, type ServiceProcess, startService } from "../process.ts";

const execRaw = promisify(execFile);
const TSC = path.join(ROOT, "node_modules/.bin/tsc");

/** npm and tsc as a user runs them: without the npm_* variables of an enclosing `npm run`. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, ...extra };
}
const exec = (file: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execRaw(file, args, { cwd, env: userEnv(env), maxBuffer: 64 * 1024 * 1024 });

/** The ```ts blocks of a Markdown file. */
async function tsBlocks(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("the packages as a user installs them: npm pack, then install into an empty folder", {
  skip: Boolean(DATABASE_URL) && "runs once, on PGlite",
}, () => {
  const dirs: string[] = [];
  const tempDir = async (name: string) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `postbox-${name}-`));
    dirs.push(dir);
    return dir;
  };
  let installDir: string;
  let sdkDir: string;
  let dataDir: string;
  let sink: Sink;
  let svc: ServiceProcess;
  let env: Record<string, string>;

  before(async () => {
    const packDir = await tempDir("pack");
    const tarballs = await packWorkspaces(packDir);
    assert.deepEqual(Object.keys(tarballs).sort(), [
      "@postbox/cli",
      "@postbox/dashboard",
      "@postbox/mcp",
      "@postbox/sdk",
      "@postbox/server",
    ]);
    installDir = await tempDir("install");
    await installTarballs(installDir, packDir, tarballs);

    // A fresh TypeScript project that installs the SDK alone (it has no dependencies, so offline is enough).
    sdkDir = await tempDir("sdk-consumer");
    await writeFile(
      path.join(sdkDir, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await exec(
      "npm",
      ["install", "--offline", "--no-audit", "--no-fund", path.join(packDir, tarballs["@postbox/sdk"]!)],
      sdkDir,
    );
    await exec(TSC, ["--init"], sdkDir);

    dataDir = await tempDir("data");
    sink = await startSink();
    svc = await startService(
      { POSTBOX_DATA_DIR: dataDir, POSTBOX_SMTP_RELAY: sink.url },
      { command: ["npx", "postbox", "serve"], cwd: installDir },
    );
    env = { POSTBOX_API_KEY: await adminKeyOf(dataDir), POSTBOX_URL: `http://127.0.0.1:${svc.httpPort}` };
  });

  after(async () => {
    await svc?.stop();
    await sink?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it("installs only what runs: compiled JavaScript, no TypeScript tooling, no optional ONNX runtime", async () => {
    const modules = path.join(installDir, "node_modules");
    for (const name of ["tsx", "esbuild", "typescript", "onnxruntime-web", "@types", "@biomejs"])
      assert.equal(existsSync(path.join(modules, name)), false, `${name} is not installed`);
    for (const pkg of ["sdk", "mcp", "server", "cli", "dashboard"]) {
      const dir = path.join(modules, "@postbox", pkg);
      assert.equal(existsSync(path.join(dir, "src")), false, `@postbox/${pkg} ships no sources`);
      for (const file of ["dist", "LICENSE", "CHANGELOG.md", "README.md"])
        assert.ok(existsSync(path.join(dir, file)), `@postbox/${pkg} has ${file}`);
      const manifest = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8"));
      assert.equal(manifest.license, "Apache-2.0");
      assert.ok(manifest.engines.node);
    }
    // The SDK imports nothing from Node, so that browsers and Deno load it as it is.
    const sdkDist = path.join(modules, "@postbox/sdk/dist");
    for (const file of (await readdir(sdkDist)).filter((f) => f.endsWith(".js")))
      assert.doesNotMatch(
        await readFile(path.join(sdkDist, file), "utf8"),
        /from "node:|import\("node:/,
        file,
      );
  });

  it("type-checks the READMEs' TypeScript in a fresh strict project (tsc --init, skipLibCheck off, DOM lib)", async () => {
    const examples = [
      ...(await tsBlocks(path.join(ROOT, "packages/sdk/README.md"))),
      ...(await tsBlocks(path.join(ROOT, "README.md"))),
    ];
    assert.ok(examples.length >= 4);
    for (const [i, code] of examples.entries()) await writeFile(path.join(sdkDir, `example${i}.ts`), code);
    // Node: @types/node beside the DOM lib, as in most Node projects.
    await exec(
      TSC,
      [
        "-p",
        ".",
        "--skipLibCheck",
        "false",
        "--types",
        "node",
        "--typeRoots",
        path.join(ROOT, "node_modules/@types"),
      ],
      sdkDir,
    );
    // A browser: no Node types at all.
    const browser = path.join(sdkDir, "browser");
    await mkdir(browser);
    await copyFile(path.join(sdkDir, "tsconfig.json"), path.join(browser, "tsconfig.json"));
    await writeFile(
      path.join(browser, "app.ts"),
      `import { Postbox, verifyWebhookSignature } from "@postbox/sdk";
const pb = new Postbox({ apiKey: "pb_key", baseUrl: location.origin });
document.title = (await pb.health.check()).status;
const raw = await pb.messages.getRaw("id");
await pb.testPolicy("support", { raw });
verifyWebhookSignature({ payload: raw, signature: null, secret: "whsec" });
`,
    );
    await exec(TSC, ["-p", "browser", "--skipLibCheck", "false", "--noEmit"], sdkDir);
  });

  it("runs the SDK README's quick start against npx postbox serve from the installed package", async () => {
    // The quick start is example0: compiled by the previous test into example0.js.
    assert.ok(existsSync(path.join(sdkDir, "example0.js")), "the type-check emitted the quick start");
    const pb = new Postbox({ apiKey: env.POSTBOX_API_KEY!, baseUrl: env.POSTBOX_URL! });
    const run = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["example0.js"], { cwd: sdkDir, env: userEnv(env) });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
    // The customer writes once the mailbox exists; the example is waiting for it.
    await eventually(() => pb.mailboxes.get("support").catch(() => null));
    await smtpClient(svc.smtpPort).sendMail({
      envelope: { from: "customer@example.org", to: ["support@test.local"] },
      raw: rawMessage({
        from: "Customer <customer@example.org>",
        to: "support@test.local",
        subject: "Broken widget",
        messageId: "<w1@example.org>",
      }),
    });
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    await sink.waitFor(2);
    const reply = sink.received.find((m) => m.to.includes("customer@example.org"));
    assert.ok(reply, "the reply went out");
    assert.match(reply.raw.toString(), /^In-Reply-To: <w1@example\.org>\r?$/m);
    assert.ok(
      sink.received.some((m) => m.to.includes("bob@example.com")),
      "the send went out",
    );
  });

  it("runs the README's CLI quick start with npx postbox from the installed package", async () => {
    const created = await exec("npx", ["postbox", "mailbox", "create", "cli-box", "--json"], installDir, env);
    assert.equal(JSON.parse(created.stdout).address, "cli-box@test.local");
    await exec(
      "npx",
      [
        "postbox",
        "send",
        "--from",
        "cli-box",
        "--to",
        "cli-box@test.local",
        "--subject",
        "Hello",
        "--body",
        "First",
      ],
      installDir,
      env,
    );
    const waited = await exec("npx", ["postbox", "wait", "cli-box", "--timeout", "60"], installDir, env);
    assert.match(waited.stdout, /Hello/);
    const version = await exec("npx", ["postbox", "--version"], installDir, env);
    assert.match(version.stdout, /^postbox 0\.1\.0/);
  });

  it("serves MCP from the installed package: npx postbox mcp over stdio, and /v1/mcp of npx postbox serve", async () => {
    const transports = [
      new StdioClientTransport({
        command: "npx",
        args: ["postbox", "mcp"],
        cwd: installDir,
        env: userEnv(env) as Record<string, string>,
        stderr: "inherit",
      }),
      new StreamableHTTPClientTransport(new URL(`${env.POSTBOX_URL}/v1/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${env.POSTBOX_API_KEY}` } },
      }),
    ];
    for (const transport of transports) {
      const client = new Client({ name: "package-test", version: "1.0.0" });
      await client.connect(transport);
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
        const r = await client.callTool({ name: "list_mailboxes", arguments: {} });
        assert.ok(!r.isError, JSON.stringify(r));
        const names = (r.structuredContent as { mailboxes: { name: string }[] }).mailboxes.map((m) => m.name);
        assert.ok(names.includes("cli-box"), names.join(", "));
      } finally {
        await client.close();
      }
    }
  });

  it("serves the dashboard from the installed package: the built pages of @postbox/dashboard under /dashboard/", async () => {
    const page = await fetch(`${env.POSTBOX_URL}/dashboard/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    const script = /src="(assets\/app-[0-9a-f]+\.js)"/.exec(html);
    assert.ok(script, html);
    const js = await fetch(`${env.POSTBOX_URL}/dashboard/${script[1]}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    assert.ok((await js.arrayBuffer()).byteLength > 1000);
  });
});
