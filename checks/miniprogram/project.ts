// The project.config.json rule: urlCheck stays on; and the miniprogramRoot the project declares.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { t } from "../../core/text";
import { jsonProp, lineAt, lineOf, readJson, syntaxErrors } from "./parse";
import type { CheckResult } from "./types";

/** urlCheck in project(.private).config.json, and the miniprogramRoot the project declares. */
export function checkProjectConfigs(dir: string): { check: CheckResult; miniprogramRoot?: string } {
  const check: CheckResult = {
    id: "urlcheck",
    title: t(
      "project.config.json / project.private.config.json 没有关闭 urlCheck",
      "urlCheck is not turned off in project.config.json / project.private.config.json",
    ),
    findings: [],
  };
  let miniprogramRoot: string | undefined;
  let seen = 0;
  for (const name of ["project.config.json", "project.private.config.json"]) {
    const abs = path.join(dir, name);
    if (!fs.existsSync(abs)) continue;
    seen++;
    const { sf, root } = readJson(abs);
    const errs = syntaxErrors(sf);
    if (!root || errs.length > 0) {
      check.findings.push({
        level: "warning",
        file: name,
        line: errs.length > 0 ? lineAt(sf, errs[0].start) : 1,
        code: "project-config-invalid",
        message: t(`${name} 不是合法的 JSON，开发者工具会忽略它`, `${name} is not valid JSON; the developer tools will ignore it`),
      });
      continue;
    }
    const mpr = jsonProp(root, "miniprogramRoot");
    if (name === "project.config.json" && mpr && ts.isStringLiteral(mpr) && mpr.text.trim() !== "")
      miniprogramRoot = mpr.text;
    const setting = jsonProp(root, "setting");
    const urlCheck = setting && ts.isObjectLiteralExpression(setting) ? jsonProp(setting, "urlCheck") : undefined;
    if (urlCheck && urlCheck.kind === ts.SyntaxKind.FalseKeyword)
      check.findings.push({
        level: "warning",
        file: name,
        line: lineOf(sf, urlCheck),
        code: "urlcheck-disabled",
        message: t(
          "setting.urlCheck 为 false：在开发者工具里没问题，但手机上总是会校验 request 合法域名 —— 请打开它再测试",
          "setting.urlCheck is false: fine in the developer tools, but phones always check the request 合法域名 — test with it on",
        ),
        expected: "true",
        found: "false",
      });
  }
  if (seen === 0) check.title = t("没有 project.config.json（未检查 urlCheck）", "no project.config.json (urlCheck not checked)");
  return { check, miniprogramRoot };
}
