// The one bilingual text type: every message a person reads comes in Chinese and English.
export interface Bilingual {
  zh: string;
  en: string;
}

export const t = (zh: string, en: string): Bilingual => ({ zh, en });

export type Lang = "zh" | "en" | "both";

/** One language, or both on two lines (`indent` before the English line). */
export function pick(x: Bilingual, lang: Lang, indent = "      "): string {
  return lang === "both" ? `${x.zh}\n${indent}${x.en}` : x[lang];
}
