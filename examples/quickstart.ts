// The quick start, end to end, against a running server (npm start):
//   POSTBOX_API_KEY=$(cat data/admin.key) node --import tsx examples/quickstart.ts
// Two fresh mailboxes on this server write to each other (mail between local mailboxes is delivered
// internally, so no outside mail server is needed), and are deleted at the end.
import { randomBytes } from "node:crypto";
import { Postbox } from "@postbox/sdk";

const apiKey = process.env.POSTBOX_API_KEY;
if (!apiKey) throw new Error("set POSTBOX_API_KEY (see data/admin.key)");
const pb = new Postbox({ apiKey, baseUrl: process.env.POSTBOX_URL ?? "http://127.0.0.1:8025" });

const run = randomBytes(3).toString("hex");
const support = await pb.mailboxes.create({ name: `support-${run}`, display_name: "Support" });
const customer = await pb.mailboxes.create({ name: `customer-${run}` });
console.log(`mailboxes: ${support.address}, ${customer.address}`);
try {
  await pb.messages.send({
    from_mailbox: customer.id,
    to: support.address,
    subject: "My widget broke",
    body: "It stopped working.",
  });

  // The agent's side: wait for mail, answer in the same thread.
  const { message } = await pb.messages.wait(support.id, { timeout: 30 });
  if (!message) throw new Error("no message arrived");
  console.log(`support got: "${message.subject}" from ${message.sender}`);
  await pb.messages.reply(message.id, { body: "Thanks — on it." });
  await pb.messages.markRead(message.id);

  const reply = await pb.messages.wait(customer.id, { timeout: 30 });
  if (!reply.message) throw new Error("no reply arrived");
  console.log(`customer got: "${reply.message.subject}" (In-Reply-To ${reply.message.in_reply_to})`);
  const thread = await pb.threads.get(message.thread_id!);
  console.log(`support's thread: ${thread.messages.map((m) => `${m.direction} "${m.subject}"`).join(", ")}`);
} finally {
  await pb.mailboxes.delete(support.id);
  await pb.mailboxes.delete(customer.id);
}
