import { Type } from "typebox";
import { SIMULATOR_SCENARIOS, simulateInbound } from "../../inbound/simulate.ts";
import { errors, SimulatorResultRef, withExamples } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const SimulateInbound = Type.Object(
  {
    mailbox_id: Type.String({ maxLength: 100 }),
    scenario: Type.Union(SIMULATOR_SCENARIOS.map((s) => Type.Literal(s))),
    label: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export function simulatorRoutes(app: Api, ctx: RouteContext) {
  app.post(
    "/v1/simulator/inbound",
    {
      schema: {
        tags: ["simulator"],
        operationId: "simulateInbound",
        summary: "Inject a synthetic inbound message (real pipeline, real scanner)",
        description:
          "`scenario`: `clean` (an ordinary question) or `prompt_injection_quarantined` (a blunt instruction " +
          "override the injection scanner quarantines at the default threshold). The message runs through the " +
          "same acceptance, MailPolicy and scanning as SMTP mail — only the sender firewall is skipped, and its " +
          "sender is a reserved address no reply can reach. `label` is appended to the subject for correlation. " +
          "The answer waits up to 10 s for the outcome: `status` available | quarantined | blocked, or `pending` " +
          "when processing had not finished (then watch the mailbox). Admin keys, or agent keys bound to the mailbox.",
        body: withExamples(SimulateInbound, {
          mailbox_id: "support",
          scenario: "prompt_injection_quarantined",
          label: "test-42",
        }),
        response: {
          200: SimulatorResultRef,
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "MAILBOX_FORBIDDEN", "MAILBOX_PAUSED"),
        },
      },
    },
    async (req) =>
      simulateInbound({ ...ctx, domain: ctx.config.domain }, principalOf(req), {
        mailbox: req.body.mailbox_id,
        scenario: req.body.scenario,
        label: req.body.label,
      }),
  );
}
