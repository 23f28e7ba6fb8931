// The mini program's config.js, linted (production ENV, https://<domain> URLs, urlCheck on).
import { t } from "../../core/text";
import { Check, fail, ok, skip, warn } from "./check";

export const miniprogramCheck: Check = {
  id: "miniprogram",
  title: t("小程序 config.js 配置检查", "mini program config.js lint"),
  run: async (tg) => {
    if (!tg.miniprogramDir) return skip("no mini program directory given (--miniprogram DIR)");
    // loaded here: the lint brings in the TypeScript compiler, which the other checks do not need
    const { lintMiniprogram } = await import("../miniprogram");
    const findings = lintMiniprogram(tg.miniprogramDir, { domain: tg.domain });
    const errors = findings.filter((f) => f.level === "error");
    const warns = findings.filter((f) => f.level === "warning");
    const where = (fs: typeof findings) => fs.map((f) => `${f.file}:${f.line} ${f.code}`).join("; ");
    if (errors.length) {
      return fail("ENV production, https://<domain> URLs", where(errors), errors[0].message,
        t("按提示修改 config.js 后重新上传小程序", "fix config.js as reported and upload the mini program again"));
    }
    if (warns.length) return warn(undefined, where(warns), warns[0].message, t("真机调试前打开 urlCheck", "turn urlCheck on before testing on phones"));
    return ok("config.js OK");
  },
};
