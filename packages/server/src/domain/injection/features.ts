/**
 * Features of a text for the injection model: named rules (each a reason code a person can read) and hashed
 * word unigrams and bigrams. Rules are matched case-insensitively on normalized text; none has nested or
 * adjacent unbounded quantifiers, so they run in linear time.
 */
export interface Rule {
  code: string;
  /** What the reason says when this rule contributes to a score. */
  description: string;
  pattern: RegExp;
}

const W = String.raw`[\w'’-]+`; // a word
const GAP = (n: number) => String.raw`(?:\s+${W}){0,${n}}\s+`; // up to n words between

export const RULES: Rule[] = [
  {
    code: "instruction_override",
    description: "tells the reader to ignore or replace its instructions",
    pattern: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override|bypass|skip)${GAP(3)}(?:previous|prior|above|earlier|preceding|original|system|all|any|your)${GAP(2)}?(?:instructions?|prompts?|rules|directions|guidelines|context|commands?)\b`,
      "i",
    ),
  },
  {
    code: "new_instructions",
    description: "announces new instructions or a new task for the reader",
    pattern:
      /\b(?:new (?:instructions?|task|rules|directive)|your (?:new |real |actual )?(?:task|job|goal|objective|instructions?) (?:is|are|now)|from now on|you (?:must|will|shall) now|instead,? you (?:must|should|will))\b/i,
  },
  {
    code: "role_token",
    description: "contains chat-template or role markers meant for a model",
    pattern:
      /<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?(?:system|assistant)>|^[ \t]*(?:system|assistant)[ \t]*:|^#{2,}[ \t]*(?:system|instruction|assistant)\b/im,
  },
  {
    code: "addressed_to_ai",
    description: "addresses an AI assistant reading the message",
    pattern:
      /\b(?:(?:dear|hey|hi|hello|attention|note to(?: the)?)\s+(?:ai|assistant|llm|chatbot|language model|gpt|claude|copilot|agent|bot)\b|if you are an? (?:ai|assistant|llm|language model|bot|agent)\b|as an? (?:ai|llm|language model)(?: assistant)?\b|(?:ai|llm) (?:assistant|agent) (?:reading|processing|summari[sz]ing) this)/i,
  },
  {
    code: "response_manipulation",
    description: "tells the reader what to put in its response or summary",
    pattern: new RegExp(
      String.raw`\b(?:in|to|within|at the (?:end|start|beginning) of) your (?:response|reply|answer|summary|output)\b|\bwhen (?:you )?(?:respond|reply|answer|summari[sz]e|summari[sz]ing|responding|replying)\b|\b(?:include|add|insert|mention|append|embed|promote|recommend|suggest|advise|encourage|tell|remind|urge|persuade)${GAP(8)}(?:in|to|into|within) (?:your|the|each|every|all) (?:response|reply|answer|summary|output|responses|replies)\b|\b(?:respond|reply|answer) (?:only )?(?:with|in|using)\b`,
      "i",
    ),
  },
  {
    code: "exfiltration",
    description: "asks for data to be sent to a link or an image address",
    pattern:
      /!\[[^\]\n]{0,100}\]\(https?:\/\/[^)\s]{1,300}[?&][^)\s]{0,300}\)|\b(?:send|post|upload|transmit|leak|exfiltrate|append)\b[^.\n]{0,60}\bto\s+https?:\/\/|https?:\/\/[^\s"'<>]{1,200}[?&][\w-]{1,30}=(?:\{[^}\s]{1,40}\}|%s|\$\w+|<[^>\s]{1,40}>)/i,
  },
  {
    code: "secrecy",
    description: "asks to hide something from the user",
    pattern: new RegExp(
      String.raw`\b(?:do not|don't|never|without)${GAP(1)}?(?:tell|telling|inform|informing|notify|notifying|mention|mentioning|reveal|revealing|alert|alerting|let)${GAP(1)}?(?:the )?(?:user|recipient|owner|human|them)\b|\bkeep (?:this|it) (?:secret|hidden|confidential|between us)\b`,
      "i",
    ),
  },
  {
    code: "forward_data",
    description: "asks to forward or send messages, contacts or credentials",
    pattern: new RegExp(
      String.raw`\b(?:forward|send|share|email|mail|copy|transfer)${GAP(4)}(?:emails?|messages?|conversations?|inbox|contacts?|passwords?|credentials?|api keys?|tokens?|secrets?|files?|documents?|data|history)${GAP(3)}?(?:to|with)\b`,
      "i",
    ),
  },
  {
    code: "jailbreak",
    description: "uses a known jailbreak or persona pattern",
    pattern:
      /\b(?:DAN|do anything now|developer mode|jailbreak|jailbroken|no (?:restrictions|limitations|filters|rules|guidelines|ethical)|without (?:any )?(?:restrictions|limitations|filters|censorship)|pretend (?:you are|to be|that you)|act as (?:an? )?(?:unrestricted|unfiltered|evil|uncensored)|roleplay as|stay in character|opposite mode|unfiltered (?:ai|mode|response))\b/i,
  },
  {
    code: "prompt_leak",
    description: "asks the reader to reveal its instructions or secrets",
    pattern:
      /\b(?:reveal|print|show|repeat|output|display|leak|tell me)\b[^.\n]{0,30}\b(?:your|the) (?:system |initial |hidden |original )?(?:prompt|instructions|rules|configuration|secret|password|api key)\b/i,
  },
  {
    code: "task_directive",
    description: "has a line that gives the reader a task",
    pattern:
      /^[ \t]*(?:please[ \t]+)?(?:write|compose|develop|create|draft|generate|craft|produce|provide|give|list|describe|explain|summari[sz]e|translate|rewrite|rephrase|format|respond|reply|answer|rearrange|group|spell|convert|use|include|add|insert|start|begin|end|make|tell|share|recommend|suggest|promote|encourage|remind|mention|modify|highlight|emphasi[sz]e|tease)\b[^\n]{0,200}$/im,
  },
  {
    code: "tool_invocation",
    description: "tries to make the reader call tools or functions",
    pattern:
      /\b(?:call|invoke|execute|run|use) (?:the )?(?:function|tool|command|api|plugin)\b|\b(?:function_call|tool_call|"name"\s*:\s*"[a-z_]+"\s*,\s*"arguments")/i,
  },
];

/** Signals from normalization that count as rules too (their reasons are reported the same way). */
export const SIGNALS = [
  { code: "invisible_characters", description: "contains invisible or direction-changing characters" },
  { code: "hidden_tag_text", description: "contains text hidden in Unicode tag characters" },
  { code: "encoded_payload", description: "contains a base64 blob that decodes to instructions" },
] as const;

/** Looks like a letter: a greeting, mail headers or a sign-off. */
const EMAIL_CONTEXT =
  /^[ \t]*(?:hi|hello|dear|hey|good (?:morning|afternoon|evening))\b[^\n]{0,60}[,!]|^(?:subject|from|to|date|sent|cc)[ \t]*:|\b(?:regards|best wishes|sincerely|cheers|thanks|thank you),?[ \t]*$|\|CONTENT:/im;

/**
 * Derived features, learned like rules but never reported as reasons: how long the window is (so the model can
 * learn base rates per length) and whether it reads like a letter. A task given inside a letter is reported.
 */
export const DERIVED = [
  { code: "task_directive_in_letter", description: "gives the reader a task inside a letter", report: true },
  { code: "letter", description: "reads like a letter", report: false },
  { code: "length_short", description: "under 30 words", report: false },
  { code: "length_medium", description: "30 to 150 words", report: false },
  { code: "length_long", description: "over 150 words", report: false },
] as const;

/** Rule codes, normalization signals excluded, that fire on a window (derived features included). */
export function ruleFeatures(text: string, wordCount: number): string[] {
  const codes = firedRules(text).map((i) => RULES[i]!.code);
  const letter = EMAIL_CONTEXT.test(text);
  if (letter) codes.push("letter");
  if (letter && codes.includes("task_directive")) codes.push("task_directive_in_letter");
  codes.push(wordCount < 30 ? "length_short" : wordCount <= 150 ? "length_medium" : "length_long");
  return codes;
}

export const RULE_COUNT = RULES.length + SIGNALS.length + DERIVED.length;
export const HASH_BITS = 16;
const HASH_MASK = (1 << HASH_BITS) - 1;

/** FNV-1a, 32-bit: stable across runs and platforms, so trained weights mean the same thing at scoring time. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
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

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?|[<>|[\]{}#]+/gu;

/** Hashed word unigrams and bigrams of a text, as a set of feature indices (presence, not counts). */
export function tokenFeatures(text: string): Set<number> {
  return tokenize(text).features;
}

/**
 * The same, with the number of words (for the length features). Each word is hashed once; a unigram and a
 * bigram feature are derived from the word hashes without building strings.
 */
export function tokenize(text: string): { features: Set<number>; words: number } {
  const out = new Set<number>();
  let prev = 0;
  let words = 0;
  for (const m of text.toLowerCase().matchAll(WORD)) {
    const w = m[0].length > 30 ? m[0].slice(0, 30) : m[0];
    const h = fnv1a(w);
    out.add(mix(h ^ 0x9e3779b9) & HASH_MASK);
    if (words > 0) out.add(mix(Math.imul(prev, 0x01000193) ^ h ^ 0x7f4a7c15) & HASH_MASK);
    prev = h;
    words++;
  }
  return { features: out, words };
}

/** Which rules fire on a text (indices into RULES). */
export function firedRules(text: string): number[] {
  const fired: number[] = [];
  RULES.forEach((r, i) => {
    if (r.pattern.test(text)) fired.push(i);
  });
  return fired;
}
