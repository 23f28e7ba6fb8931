// One result as the doctor prints it: a mark and the title; for failures and warnings, expected
// vs found, the cause and the fix, in Chinese, English or both, then the server's log lines.
import { Lang, pick } from "../../core/text";
import { CheckResult, Status } from "./check";

const MARK: Record<Status, string> = { ok: "✓", fail: "✗", warn: "!", skip: "-" };

const LABELS = {
  expected: { zh: "期望", en: "expected", pad: "" },
  found: { zh: "实际", en: "found", pad: "   " },
  cause: { zh: "原因", en: "cause", pad: "" },
  fix: { zh: "处理", en: "fix", pad: "  " },
  evidence: { zh: "证据", en: "evidence", pad: "" }, // a heading: "证据 evidence (<command>):"
};

function name(k: keyof typeof LABELS, lang: Lang): string {
  return lang === "both" ? `${LABELS[k].zh} ${LABELS[k].en}` : LABELS[k][lang];
}

const label = (k: keyof typeof LABELS, lang: Lang): string => `${name(k, lang)}:${LABELS[k].pad}`;

/** The evidence of a result: each log named by its command, its lines behind "| ". */
function formatEvidence(r: CheckResult, lang: Lang): string[] {
  return (r.evidence ?? []).flatMap((e) => [`    ${name("evidence", lang)} (${e.source}):`, ...e.lines.map((l) => `      | ${l}`.trimEnd())]);
}

export function formatResult(r: CheckResult, lang: Lang): string {
  const title = lang === "both" ? `${r.title.zh} / ${r.title.en}` : r.title[lang];
  const head = `${MARK[r.status]} ${title}`;
  if (r.status === "ok" || r.status === "skip") return r.found ? `${head}  (${r.found})` : head;
  const lines = [head];
  if (r.expected) lines.push(`    ${label("expected", lang)} ${r.expected}`);
  if (r.found) lines.push(`    ${label("found", lang)} ${r.found}`);
  if (r.cause) lines.push(`    ${label("cause", lang)} ${pick(r.cause, lang)}`);
  if (r.fix) lines.push(`    ${label("fix", lang)} ${pick(r.fix, lang)}`);
  lines.push(...formatEvidence(r, lang));
  return lines.join("\n");
}
