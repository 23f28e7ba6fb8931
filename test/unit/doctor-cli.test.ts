// `aistudio doctor` as a command, with the stack reader and the checks injected (no stack, no
// host): --help lists the messages --error knows, an unknown message is said so, --strict turns
// warnings into exit 1 for CI, --json says which.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CheckResult, DoctorTarget, ERROR_MAP, RunOptions } from "../../checks/doctor/index";
import { DOCTOR, DoctorDeps, doctorMain, exitCode } from "../../cli/doctor";
import { parseCommand } from "../../cli/args";

const target: DoctorTarget = {
  domain: "photogooo.com", serverIp: "203.0.113.5", wechat: true, minCertDays: 20,
  wechatDomains: { request: ["https://photogooo.com"], upload: ["https://photogooo.com"], download: ["https://media.photogooo.com"] },
};
const result = (id: string, status: CheckResult["status"]): CheckResult => ({ id, status, title: { zh: `检查 ${id}`, en: `check ${id}` }, ms: 1, found: `${id} ${status}` });
const HEALTHY = [result("domain", "ok"), result("tcp443", "ok"), result("server-services", "ok")];
const EXPIRING = [...HEALTHY, result("tls-cert", "warn")];

let out: string[];
let runs: RunOptions[];
beforeEach(() => {
  out = [];
  runs = [];
  vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
  vi.spyOn(console, "error").mockImplementation((s: string) => void out.push(s));
});
afterEach(() => vi.restoreAllMocks());

/** Runs the command on `results` (what the checks would have found). */
function doctor(argv: string[], results: CheckResult[], read: DoctorDeps["target"] = async () => target): Promise<number> {
  return doctorMain(argv, {
    target: read,
    run: async (_tg, o = {}) => {
      runs.push(o);
      results.forEach((r) => o.onResult?.(r));
      return results;
    },
  });
}

describe("aistudio doctor --strict", () => {
  it("a warning alone: exit 0, but 1 with --strict, and the summary says why", async () => {
    expect(await doctor([], EXPIRING)).toBe(0);
    expect(out.join("\n")).toMatch(/✓ 全部检查通过 \/ all checks passed .*\n {2}! 1 个警告 \/ warning\(s\): tls-cert\n/);
    out = [];
    expect(await doctor(["--strict"], EXPIRING)).toBe(1);
    expect(out.join("\n")).toContain("✗ 没有失败，但有警告 / no check failed, but there are warnings");
    expect(out.join("\n")).toContain("! 1 个警告 / warning(s): tls-cert — --strict: 视为失败 / counted as a failure (exit 1)");
  });

  it("no warning: exit 0 with --strict; a failure: exit 1 without it", async () => {
    expect(await doctor(["--strict"], HEALTHY)).toBe(0);
    expect(await doctor([], [...HEALTHY, result("ufw443", "fail")])).toBe(1);
    expect(exitCode([result("tls-cert", "skip")], undefined, true)).toBe(0);
  });

  it("--json carries ok (the exit code's verdict), the warnings and --strict", async () => {
    await doctor(["--json", "--strict"], EXPIRING);
    const j = JSON.parse(out.join("\n"));
    expect(j).toMatchObject({ ok: false, firstFailure: null, warnings: ["tls-cert"], strict: true, error: null });
    out = [];
    await doctor(["--json"], EXPIRING);
    expect(JSON.parse(out.join("\n"))).toMatchObject({ ok: true, warnings: ["tls-cert"], strict: false });
  });

  it("all passed: the summary lists every domain list to paste into the WeChat console", async () => {
    await doctor([], HEALTHY);
    expect(out.at(-1)!.split("\n").slice(-3)).toEqual([
      "  request合法域名: https://photogooo.com",
      "  uploadFile合法域名: https://photogooo.com",
      "  downloadFile合法域名: https://media.photogooo.com",
    ]);
  });

  it("a stack that cannot be read: exit 2, strict or not", async () => {
    expect(await doctor(["--strict"], HEALTHY, async () => { throw new Error("no stack named prod"); })).toBe(2);
    expect(out.join("\n")).toContain('cannot read stack "local"');
  });
});

describe("aistudio doctor --error", () => {
  it("an unknown message: said so at the top, every check runs with the message (default order), the root-cause order names the cause", async () => {
    expect(await doctor(["--error", "wx.chooseMedia:fail cancel", "--lang", "en"], [result("wechat-domains", "fail"), result("tls-cert", "fail")])).toBe(1);
    expect(out[0].split("\n")[1]).toBe("unrecognised error message: wx.chooseMedia:fail cancel; all checks run in the default order");
    expect(runs[0].error).toBe("wx.chooseMedia:fail cancel");
    expect(out.at(-1)).toBe("\n✗ 最可能的原因 / most likely cause: 检查 wechat-domains / check wechat-domains");
  });

  it("a known message: recognised at the top, and it changes the cause named (--json says which row)", async () => {
    const results = [result("wechat-domains", "fail"), result("tls-cert", "fail")];
    await doctor(["--error", "NET::ERR_CERT_DATE_INVALID"], results);
    expect(out[0]).toContain("\n  识别为 / recognised as: net::ERR_CERT_DATE_INVALID — ");
    expect(out.at(-1)).toBe("\n✗ 最可能的原因 / most likely cause: 检查 tls-cert / check tls-cert");
    out = [];
    await doctor(["--json", "--error", "NET::ERR_CERT_DATE_INVALID"], results);
    expect(JSON.parse(out.join("\n"))).toMatchObject({ firstFailure: "tls-cert", error: { message: "NET::ERR_CERT_DATE_INVALID", recognisedAs: "net::ERR_CERT_DATE_INVALID" } });
    out = [];
    await doctor(["--json", "--error", "something else"], results);
    expect(JSON.parse(out.join("\n"))).toMatchObject({ firstFailure: "wechat-domains", error: { message: "something else", recognisedAs: null } });
  });

  it("--help lists every recognised message with the check it runs first, and --strict", () => {
    const help = parseCommand(DOCTOR, ["--help"]);
    expect(help.kind).toBe("help");
    const text = help.kind === "help" ? help.text : "";
    for (const e of ERROR_MAP) expect(text, e.label).toContain(`  ${e.label}  → ${e.checks[0]}, …`);
    expect(text).toMatch(/\n {2}--strict +warnings fail too \(exit 1\)/);
    expect(text).toContain("any other message: all checks in the default order");
  });
});
