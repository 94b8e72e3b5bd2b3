import type { HoldContext, ScanSummary } from "@postbox/sdk";
import { Badge } from "./ui.tsx";

const TONE: Record<string, "ok" | "warn" | "bad" | "info"> = {
  clean: "ok",
  warning: "warn",
  review_required: "warn",
  quarantined: "bad",
  blocked: "bad",
};

/** What a scan found, finding by finding, with the signals that fired named in words. */
export function ScanFindings(props: { scan: ScanSummary | null | undefined; hold?: HoldContext | null }) {
  const { scan, hold } = props;
  return (
    <div class="scan">
      {scan ? (
        <p>
          Scan verdict: <Badge tone={TONE[scan.verdict] ?? "info"}>{scan.verdict}</Badge>
        </p>
      ) : null}
      {hold && hold.summary_reasons.length > 0 ? (
        <div>
          <h3>Held because ({hold.trigger_source.replace("_", " ")})</h3>
          <ul class="reasons">
            {hold.summary_reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {scan && scan.findings.length > 0 ? (
        <div>
          <h3>Findings</h3>
          <ul class="findings">
            {scan.findings.map((f, i) => (
              <li key={i}>
                <Badge tone={f.decision === "allow" || f.decision === "allow_with_warning" ? "warn" : "bad"}>
                  {f.category}
                  {f.pii_type ? `: ${f.pii_type}` : ""}
                  {f.secret_type ? `: ${f.secret_type}` : ""}
                </Badge>{" "}
                {f.reason}
                {f.score !== undefined ? <span class="muted"> (score {f.score.toFixed(2)})</span> : null}
                {f.signals && f.signals.length > 0 ? (
                  <ul class="signals">
                    {f.signals.map((s) => (
                      <li key={s.code}>
                        <mark>{s.code}</mark> {s.reason}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

/** Injection reasons of an inbound message, highlighted. */
export function InjectionReasons(props: {
  injection: { score: number; reasons: { code: string; description: string }[] } | null | undefined;
}) {
  const inj = props.injection;
  if (!inj) return null;
  return (
    <div class="injection">
      <p>
        Injection score <strong>{inj.score.toFixed(2)}</strong>
      </p>
      {inj.reasons.length > 0 ? (
        <ul class="signals">
          {inj.reasons.map((r) => (
            <li key={r.code}>
              <mark>{r.code}</mark> {r.description}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
