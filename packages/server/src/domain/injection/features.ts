import {
  AI_ADDRESS,
  AI_MENTION,
  ALL,
  DECODE,
  FOLLOW,
  IGNORE,
  INSTRUCTIONS,
  LEVERAGE,
  MAIL_DATA,
  NEW_REGIME,
  PERSONAL,
  PRETEND,
  RESPONSE,
  REVEAL,
  SECRECY,
  SECRETS,
  SEND,
  TASK_VERBS,
  UNRESTRICTED,
  UNSPACED,
  USER,
  VISIT,
} from "./lexicon.ts";

/**
 * Features of a text for the injection model: named signals (each a reason code a person can read) and hashed
 * word and character n-grams. The signals aim at what an attacker wants — the reader to drop its instructions,
 * hand over secrets, send mail or data somewhere, hide it, take on a persona, or see a fake turn of a
 * conversation — in many languages (lexicon.ts) and in forms no language owns (chat-template tokens, fake
 * boundaries, tool-call JSON, markup that leaks data). Everything here runs in time linear in the text.
 */
export interface Signal {
  code: string;
  /** What the reason says when this signal contributes to a score. */
  description: string;
}

type Concept =
  | "ignore"
  | "instructions"
  | "new_regime"
  | "secrets"
  | "reveal"
  | "send"
  | "visit"
  | "mail_data"
  | "all"
  | "secrecy"
  | "pretend"
  | "ai_address"
  | "ai_mention"
  | "leverage"
  | "decode"
  | "follow"
  | "response"
  | "user"
  | "personal"
  | "unrestricted";

const CONCEPTS: Record<Concept, readonly string[]> = {
  ignore: IGNORE,
  instructions: INSTRUCTIONS,
  new_regime: NEW_REGIME,
  secrets: SECRETS,
  reveal: REVEAL,
  send: SEND,
  visit: VISIT,
  mail_data: MAIL_DATA,
  all: ALL,
  secrecy: SECRECY,
  pretend: PRETEND,
  ai_address: AI_ADDRESS,
  ai_mention: AI_MENTION,
  leverage: LEVERAGE,
  decode: DECODE,
  follow: FOLLOW,
  response: RESPONSE,
  user: USER,
  personal: PERSONAL,
  unrestricted: UNRESTRICTED,
};

/** A word: letters, digits and marks, with inner apostrophes and hyphens; or a run of bracket-like symbols. */
const WORD = /[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*|[<>|[\]{}#]+/gu;

interface Phrase {
  concept: Concept;
  words: string[];
}

/** Phrases by their first word, and the entries of unspaced scripts (found as substrings). */
const byFirstWord = new Map<string, Phrase[]>();
const unspaced: { concept: Concept; text: string }[] = [];
for (const [concept, entries] of Object.entries(CONCEPTS) as [Concept, readonly string[]][]) {
  for (const entry of entries) {
    const lower = entry.toLowerCase();
    if (UNSPACED.test(lower)) {
      unspaced.push({ concept, text: lower });
      continue;
    }
    const words = lower.match(WORD) ?? [];
    if (words.length === 0) continue;
    const list = byFirstWord.get(words[0]!) ?? [];
    list.push({ concept, words });
    byFirstWord.set(words[0]!, list);
  }
}

/** Where each concept's words occur in a window (character offsets). */
type Hits = Map<Concept, number[]>;

function conceptHits(lower: string, words: { w: string; at: number }[]): Hits {
  const hits: Hits = new Map();
  const add = (c: Concept, at: number) => {
    const list = hits.get(c);
    if (list) list.push(at);
    else hits.set(c, [at]);
  };
  for (let i = 0; i < words.length; i++) {
    const candidates = byFirstWord.get(words[i]!.w);
    if (!candidates) continue;
    for (const p of candidates) {
      let k = 1;
      while (k < p.words.length && words[i + k]?.w === p.words[k]) k++;
      if (k === p.words.length) add(p.concept, words[i]!.at);
    }
  }
  // Entries of unspaced scripts are looked for only where such a script occurs (most windows have none).
  if (UNSPACED.test(lower))
    for (const u of unspaced) {
      const at = lower.indexOf(u.text);
      if (at >= 0) add(u.concept, at);
    }
  return hits;
}

/** Whether two concepts occur within `span` characters of each other, in either order. */
function near(h: Hits, a: Concept, b: Concept, span: number): boolean {
  const xs = h.get(a);
  const ys = h.get(b);
  if (!xs || !ys) return false;
  for (const x of xs) for (const y of ys) if (Math.abs(x - y) <= span) return true;
  return false;
}

const LOCAL_PART = /[\p{L}\p{N}._%+-]/u;
const DOMAIN = /[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63})+/uy;

/**
 * Where the email addresses of a text start: found from each "@" (a regex scanning for the local part from every
 * position would cost up to 64 steps per character).
 */
function addressOffsets(text: string, max = 50): number[] {
  const out: number[] = [];
  for (let at = text.indexOf("@"); at >= 0 && out.length < max; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && LOCAL_PART.test(text[start - 1]!)) start--;
    if (start === at) continue;
    DOMAIN.lastIndex = at + 1;
    if (DOMAIN.test(text)) out.push(start);
  }
  return out;
}
const URL = /\bhttps?:\/\/[^\s<>"')\]]{2,}|\bwww\.[a-z0-9-]{2,}\.[a-z]{2,}/gi;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b/g;
const QUESTION = /[?？؟]/g;

/** Start offsets of the matches of a global regex (bounded, so a text of addresses costs little). */
function offsets(re: RegExp, text: string, max = 50): number[] {
  const out: number[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m && out.length < max; m = re.exec(text)) out.push(m.index);
  return out;
}

/** Whether a target follows one of the positions within `span` characters ("send … to x@example.com"). */
function after(positions: number[] | undefined, targets: number[], span: number): boolean {
  if (!positions) return false;
  for (const p of positions) for (const t of targets) if (t > p && t - p <= span) return true;
  return false;
}

const escapeRegex = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "[ \\t]+");
/** A task verb at this point, whole (not the start of a longer word). */
const taskVerb = (exclude: string[]) =>
  `(?:please[ \\t]+|por favor,?[ \\t]+|s'il (?:te|vous) pla[iî]t,?[ \\t]+|bitte[ \\t]+)?(?:(?:${[
    ...new Set(TASK_VERBS.filter((v) => !UNSPACED.test(v) && !exclude.includes(v))),
  ]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegex)
    .join("|")})(?![\\p{L}\\p{N}])|${TASK_VERBS.filter((v) => UNSPACED.test(v)).join("|")})`;
const TASK_VERB = taskVerb([]);
/** Verbs that open banners and notices as often as requests ("Use this link…") do not make a request line. */
const REQUEST_VERB = taskVerb(["use", "make", "start", "begin", "end", "format", "group", "list"]);

/** Signals found by structure, whatever the language. */
const STRUCTURAL: (Signal & { pattern: RegExp })[] = [
  {
    code: "chat_template",
    description: "contains chat-template or role markers that try to open a new turn for a model",
    pattern:
      /<\|[a-z_]{2,30}\|>|\[\/?inst\]|<<\/?sys>>|<\/?(?:system|assistant|user|im_start|im_end|start_of_turn|end_of_turn|tool_call|function_call|instructions?|system_prompt)>|^[ \t]*(?:system|assistant|human|ai|bot)[ \t]*:|^#{2,}[ \t]*(?:system|instructions?|response|assistant|user|human|input)[ \t]*:|\[(?:system|admin|assistant|developer)(?: message)?\]|^[ \t]*(?:用户|助手|系统|ユーザー|アシスタント|システム)[ \t]*[:：]/im,
  },
  {
    code: "fake_boundary",
    description: "pretends the document or message ends here, or that a system or admin section begins",
    pattern:
      /(?:end of (?:the )?(?:e-?mail|message|document|context|input|text|conversation|file|data|user input|session|turn|prompt)|<(?:end|start|begin)[ _-]?of[ _-]?(?:session|turn|text|prompt|document)>|(?:begin|start)(?:ning)? of (?:the )?(?:system|admin|new|real|hidden) (?:prompt|instructions?|message|task)|(?:system|admin(?:istrator)?|developer) (?:note|message|override|update|instruction|notice)s?\b|important (?:new )?instructions?|core instructions?|<\/(?:e-?mail|document|context|data|input|user_input|message|text)>|fin del (?:correo|mensaje|documento)|fin du (?:message|document|courriel)|ende der (?:e-mail|nachricht|dokuments)|fim do (?:e-mail|documento)|конец (?:письма|документа|сообщения)|邮件结束|文档结束|文書の終わり|メール終わり|메일 끝|문서 끝|نهاية (?:الرسالة|المستند))/i,
  },
  {
    code: "tool_call_json",
    description: "plants JSON shaped like a tool call or a mail to send",
    pattern:
      /[{,]\s*"(?:to|recipients?|body|subject|function|tool|tool_name|arguments|action|parameters|cmd|command|email|name)"\s*:[^{}\n]{0,300}?,\s*"(?:to|recipients?|body|subject|function|tool|tool_name|arguments|action|parameters|cmd|command|email|content|message)"\s*:/i,
  },
  {
    code: "markup_exfiltration",
    description:
      "carries markup that would leak data or run code when rendered (image links with parameters, scripts)",
    pattern:
      /!\[[^\]\n]{0,100}\]\(\s*https?:\/\/|<script\b|javascript:|\bon(?:error|load|mouseover)\s*=|<iframe\b|document\.cookie|https?:\/\/[^\s"'<>]{1,200}[?&][\w-]{1,30}=(?:\{[^}\s]{1,40}\}|%s|\$\w+|<[^>\s]{1,40}>|\[[^\]\s]{1,40}\])/i,
  },
  {
    code: "tool_invocation",
    description: "tries to make the reader call tools or functions",
    pattern:
      /(?<![\p{L}\p{N}])(?:(?:call|invoke|execute|run|use) (?:the )?(?:function|tool|command|api|plugin)|(?:llama|invoca|ejecuta|usa|utiliza) (?:a )?(?:la |el )?(?:función|herramienta|comando)|(?:appelle|appelez|invoque|exécute|exécutez|utilise|utilisez) (?:la |le |l')?(?:fonction|outil|commande)|(?:rufe|ruf|führe|verwende|nutze|benutze) (?:die |das |den )?(?:funktion|tool|werkzeug|befehl)|(?:chame|execute|use|utilize) (?:a |o )?(?:função|ferramenta|comando)|function_call|tool_call|tool_use)(?![\p{L}\p{N}])|调用(?:函数|工具)|使用工具|执行命令|(?:関数|ツール)を(?:呼び出|実行|使)|"name"\s*:\s*"[a-z_]+"\s*,\s*"(?:arguments|parameters)"/iu,
  },
  {
    code: "task_directive",
    description: "has a line that gives the reader a task",
    // At the start of a sentence on its own line: a wrapped line that continues a sentence is not a directive.
    pattern: new RegExp(
      `(?:^|\\n[ \\t]*\\n|[.!?:;)。！？][ \\t]*\\n)[ \\t]*${TASK_VERB}[^\\n]{0,200}(?:\\n|$)`,
      "iu",
    ),
  },
  {
    code: "few_shot",
    description: "primes the reader with made-up question-and-answer turns",
    pattern:
      /(?:^|\n)[ \t]*(?:q|question|pregunta|p|f|frage|d|domanda|s|soru|в|вопрос|问|問|質問|질문|س|प्र|প্র)[ \t]*[:：][^\n]{3,300}?[ \t\n]+(?:a|answer|r|respuesta|réponse|antwort|risposta|c|cevap|j|jawab|о|ответ|答|回答|답변|ج|उ|উ)[ \t]*[:：]/i,
  },
  {
    code: "payload_splitting",
    description: 'splits a request into quoted pieces to be joined (a = "…", b = "…", a + b)',
    pattern:
      /(?:^|[\s,;(])[a-z]\s*=\s*["“'][^"”'\n]{3,200}["”'][\s\S]{0,300}?(?:^|[\s,;(])[a-z]\s*=\s*["“']/i,
  },
  {
    code: "persona_name",
    description: "names a known jailbreak persona",
    pattern: /\b(?:DAN|STAN|DUDE|AIM|BetterDAN|AntiGPT|Developer Mode)\b/,
  },
];

/** Signals from the multilingual lexicon: concepts, alone or near each other. */
const LEXICAL: Signal[] = [
  { code: "instruction_override", description: "tells the reader to ignore or replace its instructions" },
  { code: "new_instructions", description: "announces new instructions or a new task for the reader" },
  {
    code: "secret_request",
    description: "asks for passwords, keys, stored data or the reader's own instructions",
  },
  { code: "send_data", description: "asks to send or forward messages, contacts, files or data" },
  {
    code: "send_to_address",
    description: "asks to send something to an address or account named in the text",
  },
  { code: "visit_link", description: "asks to open, visit or fetch a link in the text" },
  {
    code: "user_data_request",
    description: "asks about the user's personal data (address, birthday, initials…)",
  },
  { code: "secrecy", description: "asks to hide something from the user" },
  { code: "role_play", description: "frames the request as role play, imagination or a hypothetical" },
  { code: "addressed_to_ai", description: "addresses an AI assistant or model reading the message" },
  { code: "leverage", description: "claims authority over the reader or offers it a reward" },
  { code: "decode_request", description: "asks for something encoded to be decoded and acted on" },
  { code: "response_manipulation", description: "tells the reader what to put in its response or summary" },
  { code: "unrestricted_mode", description: "asks the reader to act without restrictions or filters" },
];

/** Signals from normalization that count as rules too (their reasons are reported the same way). */
export const SIGNALS = [
  { code: "invisible_characters", description: "contains invisible or direction-changing characters" },
  { code: "hidden_tag_text", description: "contains text hidden in Unicode tag characters" },
  {
    code: "encoded_payload",
    description:
      "contains encoded text (base64, base32, hex, ROT13, URL encoding) that decodes to instructions",
  },
  { code: "homoglyphs", description: "mixes look-alike letters of other scripts into words" },
  {
    code: "encoded_text",
    description: "hides readable text in an encoding (base64, base32, hex, ROT13, URL encoding)",
  },
] as const;

/** The line that opens a letter: a greeting to someone, in the languages of the lexicon. */
const GREETING =
  /^[ \t]*(?:hi|hello|dear|hey|good (?:morning|afternoon|evening)|greetings|hola|estimad[oa]s?|buen(?:os|as) (?:días|tardes)|bonjour|bonsoir|cher|chère|salut|hallo|liebe[rs]?|sehr geehrte[rs]?|guten tag|olá|ola|prezad[oa]s?|caro|cara|ciao|gentile|salve|beste|geachte|hej|witaj|dzień dobry|szanown[ayi]|здравствуйте|привет|добрый день|уважаем[ыа]я?|merhaba|sayın|halo|hai|yth|xin chào|chào|kumusta|magandang|sawubona|こんにちは|안녕하세요|您好|你好|尊敬的|亲爱的|مرحب[اً]+|أهلا|عزيزي|नमस्ते|प्रिय|নমস্কার|প্রিয়|হ্যালো|สวัสดี|เรียน|welcome|bienvenid[oa]s?|bienvenue|willkommen|bem-vind[oa]|benvenut[oa]|welkom|witamy|добро пожаловать|hoş geldiniz|selamat datang|chào mừng|maligayang pagdating|欢迎|ようこそ|환영합니다|স্বাগতম|स्वागत है|ยินดีต้อนรับ)(?![\p{L}\p{N}])[^\n]{0,60}$/imu;

/** A line of mail headers, including the one-line "SUBJECT: …|CONTENT:" layout some mail exports use. */
const HEADER_LINE = /^[ \t]*(?:subject|from|to|date|sent|cc|email_from|received date)[ \t]*:/i;

/** The line that closes a letter before the signature. */
const SIGNOFF =
  /^[ \t]*(?:(?:best|kind|warm|warmest)?[ \t]*regards|best wishes|best|sincerely|yours(?: truly| sincerely)?|cheers|thanks|thank you|many thanks|take care|talk soon|saludos|atentamente|un saludo|cordialement|bien à vous|amitiés|(?:viele|beste|freundliche) grüße|mit freundlichen grüßen|gruß|atenciosamente|abraços|cordiali saluti|distinti saluti|met vriendelijke groet|pozdrawiam|с уважением|спасибо|saygılarımla|teşekkürler|terima kasih|trân trọng|salamat|よろしくお願いします|敬具|此致|谢谢|祝好|감사합니다|مع التحيات|شكرا|धन्यवाद|ধন্যবাদ|ขอบคุณ)(?![\p{L}\p{N}])[^\n?？؟]{0,40}$/imu;

/** A line that asks the reader something or gives it a task: a question, or a sentence opening with a task verb. */
const REQUEST_LINE = new RegExp(
  `(?:\\p{L}[^\\n]{8,}[?？؟][ \\t"'”)]*$)|^[ \\t]*(?:${REQUEST_VERB}|(?:integrate|incorporate|append|enhance|augment|send|forward|email|click|visit|open|go to|decode|output|print|repeat|ignore|forget|remove|combine|break down|what|how|why|who|which|where|can you|could you)(?![\\p{L}\\p{N}]))`,
  "imu",
);

/** Is the line (trimmed) a request to the reader, or does it fire an attack signal? */
function isRequest(line: string): boolean {
  if (line.length < 12) return false;
  if (REQUEST_LINE.test(line)) return true;
  const lower = line.toLowerCase();
  const words = [...lower.matchAll(WORD)].map((m) => ({ w: m[0], at: m.index }));
  return signalsOf(line, lower, words).some((c) => ATTACK_SIGNALS.has(c) && c !== "few_shot");
}

/**
 * Where a request to the reader stands outside the letter that carries it: before the greeting (or before the
 * mail's headers), or after the sign-off and signature. A letter's own requests are written inside it; text
 * before "Hi Sam," or after "Thanks, Mike" that asks the reader for something was put there by someone else.
 */
function requestOutsideLetter(text: string): string[] {
  const out: string[] = [];
  const head = text.slice(0, 1500);
  const lines = head.split("\n");
  // Before the letter: lines after any leading headers, up to the greeting. A header line ends the search: a
  // note on top of a forwarded message ("Can you check this?" above "From: …") is the sender's own; only a request
  // glued to the line of headers, with no blank line or separator between, counts (one-line message exports).
  let i = 0;
  while (i < lines.length && (lines[i]!.trim() === "" || HEADER_LINE.test(lines[i]!))) i++;
  const preamble: string[] = [];
  for (let k = i; k < lines.length && k < i + 6; k++) {
    const line = lines[k]!;
    if (GREETING.test(line)) {
      if (preamble.some((l) => isRequest(l.trim()))) out.push("request_before_letter");
      break;
    }
    if (HEADER_LINE.test(line)) {
      if (k > i && isRequest(lines[k - 1]!.trim())) out.push("request_before_letter");
      break;
    }
    if (line.trim()) preamble.push(line);
  }
  // After the letter: the last sign-off, its signature (up to two short lines), then anything that asks.
  const tail = text.length > 1500 ? text.slice(-1500) : text;
  const after = tail.split("\n");
  let s = -1;
  for (let k = after.length - 1; k >= 0 && k >= after.length - 15; k--)
    if (SIGNOFF.test(after[k]!)) {
      s = k;
      break;
    }
  if (s < 0) {
    // No sign-off: the last paragraph, when the letter has a greeting and more than one paragraph before it.
    const paragraphs = tail.split(/\n[ \t]*\n/).filter((p) => p.trim());
    const last = paragraphs.at(-1)?.trim() ?? "";
    if (
      paragraphs.length >= 4 &&
      GREETING.test(text.slice(0, 1500)) &&
      !GREETING.test(last) &&
      isRequest(last.split("\n")[0]!)
    )
      out.push("request_after_letter");
  }
  if (s >= 0) {
    let k = s + 1;
    for (
      let n = 0;
      n < 2 && k < after.length && after[k]!.trim().length < 40 && !/[?？؟]/.test(after[k]!);
      n++
    )
      k++;
    for (; k < after.length; k++)
      if (isRequest(after[k]!.trim())) {
        out.push("request_after_letter");
        break;
      }
  }
  return out;
}

/** Looks like a letter: a greeting, mail headers or a sign-off. */
const EMAIL_CONTEXT =
  /^[ \t]*(?:hi|hello|dear|hey|good (?:morning|afternoon|evening)|hola|estimad[oa]|bonjour|cher|chère|hallo|liebe[rs]?|sehr geehrte|olá|prezad[oa]|ciao|gentile|здравствуйте|привет|merhaba|halo|xin chào|こんにちは|안녕하세요|您好|你好|مرحبا|नमस्ते)\b[^\n]{0,60}[,!]|^(?:subject|from|to|date|sent|cc)[ \t]*:|\b(?:regards|best wishes|sincerely|cheers|thanks|thank you|saludos|cordialement|grüße|atenciosamente|cordiali saluti)[,!.]?[ \t]*$|\|CONTENT:/im;

/**
 * Derived features, learned like rules but not all reported: how long the text is and whether it reads like a
 * letter (of the whole text), and whether the window asks a question or carries links and addresses.
 */
/** Signals of where a request stands in a letter (of the whole text): named, and reported, like the rules. */
export const PLACEMENT: Signal[] = [
  {
    code: "request_before_letter",
    description:
      "asks the reader something before the letter's greeting or headers, outside the letter itself",
  },
  {
    code: "request_after_letter",
    description: "asks the reader something after the letter's sign-off and signature",
  },
];

/** Every named signal that is not from normalization, each with its reason. */
export const RULES: Signal[] = [...LEXICAL, ...STRUCTURAL, ...PLACEMENT];

export const DERIVED = [
  { code: "task_directive_in_letter", description: "gives the reader a task inside a letter", report: true },
  { code: "letter", description: "reads like a letter", report: false },
  { code: "question", description: "asks a question", report: false },
  { code: "mentions_ai", description: "talks about AI models or assistants", report: false },
  { code: "has_link", description: "contains a link", report: false },
  { code: "has_address", description: "contains an email address", report: false },
  { code: "length_short", description: "a text under 30 words", report: false },
  { code: "length_medium", description: "a text of 30 to 150 words", report: false },
  { code: "length_long", description: "a text over 150 words", report: false },
] as const;

export const RULE_COUNT = RULES.length + SIGNALS.length + DERIVED.length;

export const HASH_BITS = 18;
const HASH_MASK = (1 << HASH_BITS) - 1;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32-bit: stable across runs and platforms, so trained weights mean the same thing at scoring time. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** MurmurHash3's finalizer: spreads a combined hash over all bits before masking. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Character 3- and 4-grams of the lower-cased text, white space collapsed and digits folded to 0: they carry
 * what words share across languages and spellings ("instru…" in instructions, instrucciones, Instruktionen) and
 * read scripts without spaces.
 */
function addCharGrams(lower: string, out: FeatureSet): void {
  let c1 = 32;
  let c2 = 32;
  let c3 = 32;
  for (let i = 0; i < lower.length; i++) {
    let c = lower.charCodeAt(i);
    if (c <= 32 || c === 0xa0) {
      if (c3 === 32) continue;
      c = 32;
    } else if (c >= 48 && c <= 57) c = 48;
    const h3 = Math.imul(Math.imul(Math.imul(0x811c9dc5 ^ c2, FNV_PRIME) ^ c3, FNV_PRIME) ^ c, FNV_PRIME);
    out.add(mix(h3 ^ 0x3c6ef372) & HASH_MASK);
    const h4 = Math.imul(Math.imul(0x811c9dc5 ^ c1, FNV_PRIME) ^ (h3 >>> 0), FNV_PRIME);
    out.add(mix(h4 ^ 0xa54ff53a) & HASH_MASK);
    c1 = c2;
    c2 = c3;
    c3 = c;
  }
}

/**
 * A set of feature indices without a Set: a generation stamp per index tells whether it was seen in this window
 * (the scorer builds dozens of windows per message; a JS Set per window costs more than the hashing).
 */
const stamp = new Uint32Array(1 << HASH_BITS);
let generation = 0;

class FeatureSet {
  readonly items: number[] = [];
  private readonly gen: number;
  constructor() {
    if (++generation === 0xffffffff) {
      stamp.fill(0);
      generation = 1;
    }
    this.gen = generation;
  }
  add(i: number): void {
    if (stamp[i] === this.gen) return;
    stamp[i] = this.gen;
    this.items.push(i);
  }
}

/** Everything the model reads of one window. */
export interface WindowFeatures {
  /** Hashed word unigrams and bigrams and character 3- and 4-grams, each once (presence, not counts). */
  tokens: Int32Array;
  /** Codes of the signals and derived features that fire. */
  rules: string[];
  words: number;
}

export function windowFeatures(text: string): WindowFeatures {
  const lower = text.toLowerCase();
  const tokens = new FeatureSet();
  const words: { w: string; at: number }[] = [];
  let prev = 0;
  for (const m of lower.matchAll(WORD)) {
    const w = m[0].length > 30 ? m[0].slice(0, 30) : m[0];
    const h = fnv1a(w);
    tokens.add(mix(h ^ 0x9e3779b9) & HASH_MASK);
    if (words.length > 0) tokens.add(mix(Math.imul(prev, FNV_PRIME) ^ h ^ 0x7f4a7c15) & HASH_MASK);
    prev = h;
    words.push({ w: m[0], at: m.index });
  }
  addCharGrams(lower, tokens);
  return { tokens: Int32Array.from(tokens.items), rules: signalsOf(text, lower, words), words: words.length };
}

/** The signal codes that fire on a window, derived features included. */
function signalsOf(text: string, lower: string, words: { w: string; at: number }[]): string[] {
  const h = conceptHits(lower, words);
  const codes: string[] = [];
  // Cheap guards first: most windows hold no "@", no link, no IBAN-like digits.
  const addresses = text.includes("@") ? addressOffsets(text) : [];
  const ibans = /\d\d/.test(text) ? offsets(IBAN, text) : [];
  const links = /https?:|www\./i.test(text) ? offsets(URL, text) : [];
  if (near(h, "ignore", "instructions", 60)) codes.push("instruction_override");
  if (h.has("new_regime")) codes.push("new_instructions");
  if (
    near(h, "reveal", "secrets", 80) ||
    near(h, "reveal", "instructions", 40) ||
    after(h.get("secrets"), offsets(QUESTION, text), 80)
  )
    codes.push("secret_request");
  // "Send it as several messages" is mail talk; "forward all emails" is a request for the mailbox.
  if (near(h, "send", "mail_data", 60) && near(h, "all", "mail_data", 25)) codes.push("send_data");
  if (after(h.get("send"), [...addresses, ...ibans], 80)) codes.push("send_to_address");
  if (after(h.get("visit"), links, 80)) codes.push("visit_link");
  if (near(h, "user", "personal", 40)) codes.push("user_data_request");
  if (h.has("secrecy")) codes.push("secrecy");
  if (h.has("pretend")) codes.push("role_play");
  if (h.has("ai_address")) codes.push("addressed_to_ai");
  if (h.has("ai_mention")) codes.push("mentions_ai");
  if (h.has("leverage")) codes.push("leverage");
  // Mail about encodings says "base64" all the time; an attack asks for the decoded text to be acted on.
  if (near(h, "decode", "follow", 100)) codes.push("decode_request");
  if (h.has("response")) codes.push("response_manipulation");
  if (h.has("unrestricted")) codes.push("unrestricted_mode");
  for (const s of STRUCTURAL) if (s.pattern.test(text)) codes.push(s.code);
  if (/[?？؟]/.test(text)) codes.push("question");
  if (links.length > 0) codes.push("has_link");
  if (addresses.length > 0) codes.push("has_address");
  return codes;
}

/**
 * Features of the whole text, given to each of its windows: whether it reads like a letter and how long it is
 * (so the model can learn base rates per kind of text).
 */
export function documentFeatures(text: string): string[] {
  let words = 0;
  for (const _ of text.matchAll(WORD)) if (++words > 150) break;
  const out = [words < 30 ? "length_short" : words <= 150 ? "length_medium" : "length_long"];
  if (EMAIL_CONTEXT.test(text)) out.push("letter", ...requestOutsideLetter(text));
  return out;
}

/** Whether any signal of the named list fires on a text (used to decide whether decoded text is an attack). */
export function firesAttackSignal(text: string): boolean {
  const lower = text.toLowerCase();
  const words = [...lower.matchAll(WORD)].map((m) => ({ w: m[0], at: m.index }));
  const codes = signalsOf(text, lower, words);
  return codes.some((c) => ATTACK_SIGNALS.has(c));
}

/** Signals that, found in decoded text, make the encoding itself a signal. */
export const ATTACK_SIGNALS = new Set([
  "instruction_override",
  "user_data_request",
  "few_shot",
  "payload_splitting",
  "new_instructions",
  "secret_request",
  "send_data",
  "send_to_address",
  "secrecy",
  "role_play",
  "addressed_to_ai",
  "unrestricted_mode",
  "chat_template",
  "fake_boundary",
  "markup_exfiltration",
  "response_manipulation",
]);
