import { Parser } from "htmlparser2";
import { htmlToScanText } from "./html-text.ts";

/**
 * Verification codes and links of an inbound mail, found the same way every time (docs/verification.md).
 *
 * Codes are 4–8 digit numbers (or two groups of three), and upper-case letter-and-digit codes such as `A7K-92Q` or
 * `G-482913`, each bound to a cue word ("code", "OTP", "Bestätigungscode", "验证码", "код", …) just before it or
 * just after it on its line. Numbers that read as years, dates, times, amounts, durations, phone numbers or parts of
 * longer numbers are never codes, and a number a counter-cue ("order", "invoice", "tracking", "postal code",
 * "promo code", …) names is not either. Links are http(s) links that carry a token and that their anchor text, their
 * path or the words before them name as a sign-in, verify or reset link; unsubscribe links are left out.
 *
 * Every regex here has no nested or adjacent unbounded quantifiers, and each pass walks its input once: hostile
 * bodies (a megabyte of digits) take linear time.
 */

export interface VerificationCode {
  /** The code as the mail shows it (separators kept: `A7K-92Q`, `123 456`), full-width digits made ASCII. */
  value: string;
  /** Where it was found. */
  source: "subject" | "body";
  /** The words around it, on its line (up to 120 characters). */
  context: string;
}

export const LINK_KINDS = ["sign_in", "verify", "reset"] as const;
export type VerificationLinkKind = (typeof LINK_KINDS)[number];

export interface VerificationLink {
  url: string;
  kind: VerificationLinkKind;
  /** The link's anchor text in the HTML part (null for a bare URL in the text). */
  text: string | null;
}

export interface Verification {
  codes: VerificationCode[];
  links: VerificationLink[];
}

/** Characters of each part examined: verification mail is short; past this, a body is not one. */
export const MAX_EXAMINED_CHARS = 200_000;

/** How far after a cue its code may start, and how far before a cue a code may end (same line). */
const CUE_REACH = 80;
const CUE_REACH_BEFORE = 40;
/** A counter-cue this close after a number (same line) takes it: "4821 at checkout". */
const COUNTER_REACH_AFTER = 24;

// --- Cues. Counter-cues come first in the alternation: at one position the first alternative that matches wins,
// so "code postal" and "postal code" are read as counter-cues, never as "code".

const COUNTER_CUES = [
  // English
  "order(?:\\s?(?:number|no\\.?|id|#))?",
  "invoice",
  "receipt",
  "tracking",
  "shipment",
  "parcel",
  "reference",
  "ref\\.?",
  "account\\s(?:number|no\\.?)",
  "customer\\s(?:number|id|no\\.?)",
  "member(?:ship)?\\s(?:number|id)",
  "booking",
  "reservation",
  "confirmation\\s(?:number|no\\.?)",
  "ticket",
  "case",
  "zip(?:\\s?code)?",
  "postal\\scode",
  "post\\s?code",
  "area\\scode",
  "country\\scode",
  "promo(?:tion(?:al)?)?(?:\\scode)?",
  "coupon(?:\\scode)?",
  "discount(?:\\scode)?",
  "voucher(?:\\scode)?",
  "gift\\s?card",
  "referral\\scode",
  "product\\scode",
  "sku",
  "model",
  "serial",
  "qr[\\s-]?code",
  "bar\\s?code",
  "dress\\scode",
  "source\\scode",
  "error(?:\\scode)?",
  "status\\scode",
  "sort\\scode",
  "swift",
  "iban",
  "vat",
  "flight",
  "gate",
  "seat",
  "room",
  "phone",
  "tel\\.?",
  "fax",
  "meeting\\sid",
  "checkout",
  "auth(?:orization)?\\scode",
  "approval\\scode",
  "transaction\\sid",
  "card",
  "ending\\sin",
  "total",
  "subtotal",
  "amount",
  "price",
  "balance",
  // German
  "bestell(?:nummer|ung)",
  "rechnung(?:snummer)?",
  "auftrag(?:snummer)?",
  "sendung(?:snummer|sverfolgung)?",
  "kundennummer",
  "postleitzahl",
  "plz",
  "gutschein(?:code)?",
  "rabatt(?:code)?",
  "aktionscode",
  "fehlercode",
  "buchung(?:snummer)?",
  "telefon",
  "betrag",
  "summe",
  "referenz",
  // French
  "code\\spostal",
  "code\\spromo",
  "code\\sde\\sr[ée]duction",
  "code\\sclient",
  "code\\sd'erreur",
  "commande",
  "facture",
  "num[ée]ro\\sde\\ssuivi",
  "suivi",
  "colis",
  "r[ée]servation",
  "t[ée]l[ée]phone",
  "montant",
  "r[ée]f[ée]rence",
  // Spanish and Portuguese
  "c[óo]digo\\spostal",
  "c[óo]digo\\spromocional",
  "c[óo]digo\\sde\\s(?:descuento|seguimiento|rastreio|rastreamento|error|erro)",
  "pedido",
  "factura",
  "fatura",
  "nota\\sfiscal",
  "seguimiento",
  "rastreio",
  "env[íi]o",
  "encomenda",
  "reserva",
  "tel[ée]fono",
  "telefone",
  "importe",
  "valor",
  "referencia",
  "cup[óo]n",
  "cupom",
  "cep",
  // Italian
  "codice\\s(?:fiscale|postale|sconto|promozionale|cliente|ordine|(?:di\\s)?errore|di\\stracciamento)",
  "cap",
  "ordine",
  "fattura",
  "spedizione",
  "tracciamento",
  "prenotazione",
  "telefono",
  "importo",
  "totale",
  // Dutch
  "kortingscode",
  "actiecode",
  "foutcode",
  "bestel(?:nummer|ling)",
  "factuur(?:nummer)?",
  "zending",
  "klantnummer",
  "boeking",
  "telefoon",
  "bedrag",
  "totaal",
  // Japanese
  "郵便番号",
  "注文番号",
  "注文",
  "お問い合わせ番号",
  "追跡番号",
  "配送",
  "請求",
  "領収",
  "クーポン(?:コード)?",
  "プロモーションコード",
  "エラーコード",
  "電話",
  "合計",
  "金額",
  "予約番号",
  // Chinese
  "邮政编码",
  "邮编",
  "订单号?",
  "訂單",
  "运单号?",
  "快递单号",
  "发票",
  "發票",
  "优惠码",
  "優惠碼",
  "优惠券",
  "错误码",
  "电话",
  "金额",
  "合计",
  "总计",
  "预订",
  // Russian
  "почтов\\p{L}{0,3}\\sиндекс",
  "индекс",
  "номер\\sзаказа",
  "заказ\\p{L}{0,3}",
  "промокод\\p{L}{0,3}",
  "купон\\p{L}{0,3}",
  "код\\sошибки",
  "трек[\\s-]номер",
  "сч[её]т\\p{L}{0,3}",
  "телефон\\p{L}{0,3}",
  "сумм\\p{L}{0,3}",
  "итого",
  "бронировани\\p{L}{0,2}",
];

const CUES = [
  // English, French, Dutch and German "code", and compounds that end in it
  "(?:bestätigungs|verifizierungs|sicherheits|anmelde|einmal|zugangs|freischalt|authentifizierungs|login|" +
    "verificatie|inlog|beveiligings|bevestigings|toegangs|aanmeld|verifierings|engångs|bekräftelse)?(?:code|kod)s?",
  "one[\\s-]?time",
  "otp",
  "pass\\s?code",
  "2fa",
  "mfa",
  "two[\\s-]factor",
  "pin",
  "tan",
  "verif(?:y|ication)",
  "einmalpasswort",
  "kennwort",
  "usage\\sunique",
  // Spanish, Portuguese, Italian
  "c[óo]digos?",
  "codigos?",
  "codice",
  "codici",
  "clave",
  "senha",
  // Japanese, Chinese, Korean
  "コード",
  "認証番号",
  "確認番号",
  "暗証番号",
  "ワンタイムパスワード",
  "パスコード",
  "验证码",
  "驗證碼",
  "校验码",
  "校驗碼",
  "动态码",
  "動態碼",
  "动态密码",
  "确认码",
  "確認碼",
  "安全码",
  "安全碼",
  "인증\\s?번호",
  "코드",
  // Russian, Polish, Turkish
  "код(?:а|ы|ом)?",
  "одноразов\\p{L}{0,4}",
  "kodu(?:nuz)?",
];

// Matched against the lower-cased text without the `i` flag: V8 runs large case-insensitive Unicode alternations
// far slower. Letters or digits must not touch a cue in scripts that put spaces between words (checked in cuesIn,
// as a lookbehind tried at every position costs more than the whole match).
const CUE_RE = new RegExp(
  `(${COUNTER_CUES.filter((c) => !isCjk(c)).join("|")})|(${CUES.filter((c) => !isCjk(c)).join("|")})(?![\\p{L}])`,
  "gu",
);
// CJK cues are written without spaces around them: found on their own.
const CJK_CUE_RE = new RegExp(
  `(${COUNTER_CUES.filter(isCjk).join("|")})|(${CUES.filter(isCjk).join("|")})`,
  "gu",
);

function isCjk(pattern: string): boolean {
  return /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(pattern);
}

interface Cue {
  start: number;
  end: number;
  counter: boolean;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** Upper-case letters made lower case where that keeps the length (offsets stay those of the text). */
export function lowerSameLength(text: string): string {
  return text.replace(/\p{Lu}/gu, (c) => {
    const l = c.toLowerCase();
    return l.length === c.length ? l : c;
  });
}

export function cuesIn(lower: string): Cue[] {
  const out: Cue[] = [];
  for (let m = CUE_RE.exec(lower); m; m = CUE_RE.exec(lower)) {
    const end = m.index + m[0].length;
    const counter = m[1] !== undefined;
    // Inside a word ("encode", "ordered"): not a cue; look again from the next character.
    if (
      (m.index > 0 && WORD_CHAR.test(lower[m.index - 1]!)) ||
      (counter && /\p{L}/u.test(lower[end] ?? ""))
    ) {
      CUE_RE.lastIndex = m.index + 1;
      continue;
    }
    out.push({ start: m.index, end, counter });
  }
  for (const m of lower.matchAll(CJK_CUE_RE))
    out.push({ start: m.index, end: m.index + m[0].length, counter: m[1] !== undefined });
  return out.sort((a, b) => a.start - b.start);
}

// --- Candidate codes: runs of ASCII letters and digits joined by single hyphens (one pass, no backtracking).

const TOKEN_RE = /[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*/g;

interface Token {
  start: number;
  end: number;
  value: string;
  /** Shaped like a code and not ruled out by what surrounds it. */
  ok: boolean;
  /** A year-like number: a code only when a cue stands right before it ("code: 2019"). */
  yearLike: boolean;
  negative: boolean;
  /** The cue that made it a code. */
  accepted: Cue | null;
}

const CURRENCY_BEFORE = /[$€£¥₹₽₩]\s?$/u;
const CURRENCY_OR_UNIT_AFTER =
  /^\s?(?:[€$£¥₹₽₩%円元]|(?:eur|usd|gbp|chf|jpy|rub|brl|kr|руб|min|minutes?|minuten|minutos|minuti|mins?|h|hrs?|hours?|stunden|horas|ore|uur|s|secs?|seconds?|sek|sekunden|ms|days?|tage|jours|d[íi]as|giorni|dagen|km|kg|mb|gb|kb|px|pts?|points|punkte)(?![\p{L}\p{N}])|分|秒|時間|小时|分钟|天|日|минут|час|дн)/u;

function shapeOk(v: string): boolean {
  const parts = v.split("-");
  if (parts.length > 2) return false;
  const alnum = parts.join("");
  if (/^\d+$/.test(alnum)) {
    if (parts.length === 1) return alnum.length >= 4 && alnum.length <= 8;
    // Two groups: 123-456 or 1234-5678.
    return parts[0]!.length === parts[1]!.length && (parts[0]!.length === 3 || parts[0]!.length === 4);
  }
  // Letters and digits: upper case only, 4–10 characters, at least one digit; "SAVE20", "COVID-19" or "PIZZA2X1"
  // (a word, then a number) is a promotion or a name, not a code; "FOX-7291" may be one.
  if (!/^[A-Z0-9]+$/.test(alnum) || alnum.length < 4 || alnum.length > 10) return false;
  if (!/\d/.test(alnum)) return false;
  if (/^[A-Z]{3,}\d+$/.test(v) || /^[A-Z]{4}/.test(alnum)) return false;
  return true;
}

export function tokensIn(text: string): Token[] {
  // Only runs with a digit can be codes or parts of numbers; words are skipped before any other work.
  const raw: Token[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    const v = m[0];
    if (!HAS_DIGIT.test(v)) continue;
    raw.push({
      start: m.index,
      end: m.index + v.length,
      value: v,
      ok: true,
      yearLike: false,
      negative: false,
      accepted: null,
    });
  }
  const out: Token[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    // Groups of digits one space apart form one number (a phone number, an ID, or a code spaced for reading).
    let j = i;
    while (j + 1 < raw.length && joined(text, raw[j]!, raw[j + 1]!)) j++;
    if (j > i) {
      out.push({
        ...t,
        end: raw[j]!.end,
        value: text.slice(t.start, raw[j]!.end),
        ok: codeGroups(raw.slice(i, j + 1)),
      });
      i = j;
    } else out.push(t);
  }
  for (const t of out) {
    if (!t.ok) continue;
    if (!t.value.includes(" ") && !shapeOk(t.value)) {
      t.ok = false;
      continue;
    }
    const before = text.slice(Math.max(0, t.start - 2), t.start);
    const after = text.slice(t.end, t.end + 12);
    // Part of a longer number, a date, a time or a version: 1.234, 12:30, 01/02/2024, 3.14159.
    if (/\d[.,:/]$/.test(before) || /^[.,:/]\d/.test(after)) t.ok = false;
    // A phone number (+49…), a reference (#4821), an amount ($120, 120 €), a duration (15 min), a share (20%).
    else if (
      before.endsWith("+") ||
      before.endsWith("#") ||
      CURRENCY_BEFORE.test(before) ||
      CURRENCY_OR_UNIT_AFTER.test(after.toLowerCase())
    )
      t.ok = false;
    else if (/^(?:19|20)\d\d$/.test(t.value)) t.yearLike = true;
  }
  return out;
}

/** Digit groups that read as one code: 123 456, or 12 34 56 (longer runs are phone numbers and IDs). */
function codeGroups(group: Token[]): boolean {
  const sizes = group.map((g) => g.value.length).join(" ");
  return sizes === "3 3" || sizes === "2 2 2";
}

const HAS_DIGIT = /\d/;
const ALL_DIGITS = /^\d+$/;

/** Two digit runs one space apart. */
function joined(text: string, a: Token, b: Token): boolean {
  return b.start === a.end + 1 && text[a.end] === " " && ALL_DIGITS.test(a.value) && ALL_DIGITS.test(b.value);
}

/** The cue and the code, and the words around them in their sentence, collapsed: at most 120 characters. */
function contextOf(text: string, start: number, end: number): string {
  // Looked for within a bounded window: a search to the line's ends would be quadratic on a long line.
  let head = text.slice(Math.max(0, start - 40), start);
  let tail = text.slice(end, end + 40);
  const nl = head.lastIndexOf("\n");
  if (nl !== -1) head = head.slice(nl + 1);
  else if (start > 40) head = head.replace(/^\S*/u, "");
  const stop = /[\n.!?。！？]/u.exec(tail);
  if (stop) tail = tail.slice(0, stop[0] === "\n" ? stop.index : stop.index + 1);
  else if (end + 40 < text.length) tail = tail.replace(/\S*$/u, "");
  const flat = (head + text.slice(start, end) + tail).replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}

// A lone letter before the full stop is an initial ("M. Schmidt"), not the end of a sentence.
const SENTENCE_END = /(?<![\s(]\p{L})[.!?;](?:\s|$)|[。！？；]/u;

/** Nothing but spaces and brackets beside it on its line: a code set apart for the reader. */
function aloneOnLine(text: string, t: Token): boolean {
  const lead = text.slice(Math.max(0, t.start - 20), t.start);
  const trail = text.slice(t.end, t.end + 20);
  return /(?:^|\n)[\s[(【「]*$/u.test(lead) && /^[\s\])】」.]*(?:\n|$)/u.test(trail);
}

const sameLine = (text: string, from: number, to: number) => !text.slice(from, to).includes("\n");

/** Codes in one text: each cue binds the first code-shaped token after it (or the last one before it). */
export function codesIn(text: string, source: "subject" | "body"): VerificationCode[] {
  const tokens = tokensIn(text).filter((t) => t.ok);
  const cues = cuesIn(lowerSameLength(text));
  // Counter-cues first: each takes the token right after it, and the one right before it on its line.
  let k = 0;
  for (const c of cues) {
    while (k < tokens.length && tokens[k]!.start < c.end) k++;
    if (!c.counter) continue;
    const next = tokens[k];
    if (next && next.start - c.end <= CUE_REACH) next.negative = true;
    const prev = tokens[k - 1];
    if (
      prev &&
      prev.end <= c.start &&
      c.start - prev.end <= COUNTER_REACH_AFTER &&
      sameLine(text, prev.end, c.start)
    )
      prev.negative = true;
  }
  k = 0;
  for (const c of cues) {
    while (k < tokens.length && tokens[k]!.start < c.end) k++;
    if (c.counter) continue;
    // After the cue: the first token no counter-cue took, within reach.
    for (let j = k; j < tokens.length && tokens[j]!.start - c.end <= CUE_REACH; j++) {
      const t = tokens[j]!;
      if (t.negative) continue;
      const gap = text.slice(c.end, t.start);
      if (t.yearLike && !/^[\s:：#-]{0,3}$/u.test(gap)) break;
      // A sentence ended between them: only a code set on a line of its own is still the cue's.
      if (SENTENCE_END.test(gap) && !aloneOnLine(text, t)) break;
      t.accepted ??= c;
      break;
    }
    // Before it on its line, with nothing code-shaped between: "482913 is your verification code".
    const prev = tokens[k - 1];
    if (
      prev &&
      !prev.negative &&
      !prev.yearLike &&
      prev.end <= c.start &&
      c.start - prev.end <= CUE_REACH_BEFORE &&
      sameLine(text, prev.end, c.start)
    )
      prev.accepted ??= c;
  }
  return tokens.flatMap((t) =>
    t.accepted
      ? [
          {
            value: t.value,
            source,
            context: contextOf(text, Math.min(t.start, t.accepted.start), Math.max(t.end, t.accepted.end)),
          },
        ]
      : [],
  );
}

// --- Links.

interface LinkCandidate {
  url: string;
  text: string | null;
  /** The words just before the link (its paragraph). */
  before: string;
}

const URL_RE = /https?:\/\/[^\s<>"'`\][{}|\\^]+/gi;
const GENERIC_ANCHOR =
  /^(?:click\s(?:here|this\slink)|here|this\slink|link|button|tap\shere|hier(?:\sklicken)?|ici|cliquez\sici|aqu[íi]|haz\sclic\saqu[íi]|clique\saqui|qui|clicca\squi|klik\shier|ここ|こちら|这里|點擊這裡|点击这里|здесь|нажмите\sздесь|https?:\/\/\S+)?[.!:]?$/u;

const UNSUBSCRIBE =
  /unsubscri|opt[\s-]?out|abbestell|abmelden|désinscri|desinscri|désabonn|desabonn|darse\sde\sbaja|dar\sde\sbaja|cancelar\s(?:a\s)?(?:inscri|assinatura)|disiscri|annulla\sl'iscrizione|uitschrijven|afmelden|配信停止|購読解除|退订|取消订阅|取消訂閱|отписат|email\spreferences|manage\s(?:your\s)?(?:subscription|preferences)/u;
const PASSWORD =
  /pass\s?word|passwort|kennwort|mot\sde\spasse|contraseña|contrasena|senha|wachtwoord|パスワード|密码|密碼|парол/u;
const RESET_VERB =
  /reset|forgot|recover|new\s|change|choose|zurücksetz|zurückzusetz|vergessen|neues|ändern|réinitialis|oubli|nouveau|changer|restablec|olvid|nueva|cambiar|redefin|recuper|nova|alterar|reimpost|dimentic|nuova|herstel|vergeten|nieuw|wijzig|再設定|リセット|再発行|重置|找回|重設|сброс|восстанов|нов/u;
const RESET_PATH = /\/(?:reset|forgot|recover)|passwor/u;
const SIGN_IN =
  /sign[\s_-]?in|log[\s_-]?in|magic|anmelden|einloggen|se\sconnecter|connexion|iniciar\ss?esi[óo]n|entrar|acceder|accedi|inloggen|aanmelden|ログイン|サインイン|登录|登入|登錄|войти|вход/u;
const VERIFY =
  /verif|confirm|activat|validat|bestätig|aktivier|vérifi|activer|activar|ativar|conferma|attiva|bevestig|activeer|確認|認証|有効化|验证|驗證|确认|確認|激活|подтверд|активир/u;
/**
 * A sign-in link counts only in a mail about signing in (its subject says so) or one that speaks of a one-time link:
 * newsletters carry "Log in" links with tracking tokens too.
 */
const ONE_TIME =
  /magic\slink|(?:link|button)[^.\n]{0,30}(?:expire|valid|only\sonce)|one[\s-]?time|single[\s-]use|only\sonce|didn.t\srequest|did\snot\srequest|wasn.t\syou|nicht\sangefordert|einmalig|lien[^.\n]{0,30}(?:expire|valable)|usage\sunique|enlace[^.\n]{0,30}(?:caduca|expira|válido)|un\solo\suso|link[^.\n]{0,30}(?:expira|válido|scade|valido|verloopt|geldig|gültig)|uso\súnico|monouso|eenmalig|有効期限|一次性|有效期|одноразов|ссылк[^.\n]{0,30}действительн/u;
/** The kind a text names (lower-cased). */
function kindOf(s: string, path = false): VerificationLinkKind | null {
  if (path ? RESET_PATH.test(s) : PASSWORD.test(s) && RESET_VERB.test(s)) return "reset";
  // "Verify login", "Confirm sign-in": approving an attempt elsewhere, not signing in here.
  if (VERIFY.test(s)) return "verify";
  if (SIGN_IN.test(s)) return "sign_in";
  return null;
}

const TOKEN_PARAM =
  /^(?:token|code|key|otp|t|sig|signature|hash|auth|ticket|oobcode|nonce|id_token|.*_token)$/i;

/** Whether the URL carries something only this mail knows: a long random-looking part or a token parameter. */
function carriesToken(u: URL): boolean {
  const longRandom = (s: string) => s.length >= 16 && /^[A-Za-z0-9_\-.~%=+/]+$/.test(s) && /\d/.test(s);
  for (const [k, v] of u.searchParams)
    if (longRandom(v) || (TOKEN_PARAM.test(k) && v.length >= 6)) return true;
  for (const seg of u.pathname.split("/")) if (longRandom(seg)) return true;
  const hash = new URLSearchParams(u.hash.slice(1));
  for (const [k, v] of hash) if (longRandom(v) || (TOKEN_PARAM.test(k) && v.length >= 6)) return true;
  return false;
}

function anchorsIn(html: string): LinkCandidate[] {
  const out: LinkCandidate[] = [];
  let open: { href: string; text: string } | null = null;
  let recent = "";
  const close = () => {
    if (open) out.push({ url: open.href, text: open.text.replace(/\s+/g, " ").trim(), before: recent });
    open = null;
  };
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === "a") {
          close();
          if (attrs.href) open = { href: attrs.href.trim(), text: "" };
        } else if (name === "img" && open && attrs.alt) open.text += ` ${attrs.alt}`;
        else if (name === "br" || name === "p" || name === "div" || name === "tr") recent += "\n";
      },
      ontext(data) {
        if (open) {
          if (open.text.length < 300) open.text += data;
        } else recent = (recent + data).slice(-200);
      },
      onclosetag(name) {
        if (name === "a") close();
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  close();
  return out;
}

function bareUrlsIn(text: string): LinkCandidate[] {
  const out: LinkCandidate[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const url = m[0].replace(/[.,;:!?)>»"']+$/, "");
    out.push({ url, text: null, before: text.slice(Math.max(0, m.index - 200), m.index) });
  }
  return out;
}

/** The words that introduce a link: its paragraph up to it (the line before when the link stands alone). */
function leadOf(before: string): string {
  const lines = before.split("\n").map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const last = lines.pop() ?? "";
  // A bare URL on its own line, or a button alone in its row: the sentence above introduces it.
  if (/[:：]\s*$/u.test(last) || last.length < 3)
    return `${lines.filter((l) => l !== "").pop() ?? ""} ${last}`;
  return last.slice(-160);
}

function linksOf(candidates: LinkCandidate[], subject: string, wholeText: string): VerificationLink[] {
  const out: VerificationLink[] = [];
  const seen = new Set<string>();
  const aboutSignIn = SIGN_IN.test(subject.toLowerCase()) || ONE_TIME.test(lowerSameLength(wholeText));
  for (const c of candidates) {
    let u: URL;
    try {
      u = new URL(c.url);
    } catch {
      continue;
    }
    if ((u.protocol !== "https:" && u.protocol !== "http:") || seen.has(u.href)) continue;
    // The first sighting decides (the HTML anchor before the text part's copy of the same URL).
    seen.add(u.href);
    const lead = leadOf(c.before).toLowerCase();
    const anchor = (c.text ?? "").toLowerCase();
    const path = decodeURIComponentSafe(u.pathname + u.search).toLowerCase();
    if (UNSUBSCRIBE.test(anchor) || UNSUBSCRIBE.test(path) || (c.text === null && UNSUBSCRIBE.test(lead)))
      continue;
    if (!carriesToken(u)) continue;
    // The anchor's own words decide; a "click here" anchor or a bare URL is named by its path, then by its lead.
    const generic = c.text === null || GENERIC_ANCHOR.test(anchor);
    const kind = generic ? (kindOf(path, true) ?? kindOf(lead)) : (kindOf(anchor) ?? kindOf(path, true));
    if (!kind) continue;
    if (kind === "sign_in" && !aboutSignIn) continue;
    out.push({ url: u.href, kind, text: c.text });
  }
  return out;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Full-width digits and letters (Japanese and Chinese mail) as ASCII; all else as written. */
function asciiAlnum(s: string): string {
  return s.replace(/[\uFF10-\uFF19\uFF21-\uFF3A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

/**
 * The verification of a mail as the caller sees it: pass the subject and the parts it is shown (the redacted text
 * and no HTML under pii_mode "redacted"), so that nothing withheld from the body view appears here.
 */
export function extractVerification(shown: {
  subject: string | null;
  text: string | null;
  html: string | null;
}): Verification {
  const clip = (s: string | null) => (s === null ? null : asciiAlnum(s.slice(0, MAX_EXAMINED_CHARS)));
  const subject = clip(shown.subject);
  const text = clip(shown.text);
  const html = shown.html === null ? null : shown.html.slice(0, MAX_EXAMINED_CHARS);
  const htmlText = html === null ? null : asciiAlnum(htmlToScanText(html));

  const codes: VerificationCode[] = [];
  const values = new Set<string>();
  for (const c of [
    ...(subject ? codesIn(subject, "subject") : []),
    ...(text ? codesIn(text, "body") : []),
    // The HTML part too: senders' text parts are often thinner than what the reader sees.
    ...(htmlText ? codesIn(htmlText, "body") : []),
  ]) {
    if (values.has(c.value)) continue;
    values.add(c.value);
    codes.push(c);
  }
  const whole = `${subject ?? ""}\n${text ?? ""}\n${htmlText ?? ""}`;
  const anchors = html ? anchorsIn(html) : [];
  const links = linksOf([...anchors, ...(text ? bareUrlsIn(text) : [])], subject ?? "", whole);
  return { codes, links };
}
