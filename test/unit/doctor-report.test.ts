// The doctor's ordering and reporting without a host: which checks run first for a reported
// error, which failure is named as the cause, the printed form in zh/en/both, and runDoctor's
// orchestration with the checks' work stubbed out.
import { afterEach, describe, expect, it, vi } from "vitest";
import { CHECKS, CheckResult, DoctorContext, DoctorTarget, ERROR_MAP, ROOT_CAUSE_ORDER, firstFailure, formatResult, orderFor, runDoctor } from "../../checks/doctor/index";

const base: DoctorTarget = { domain: "photogooo.com", wechat: true, minCertDays: 20 };

describe("orderFor", () => {
  const ids = CHECKS.map((c) => c.id);

  it("without an error, or with one the guide does not know: the guide's order", () => {
    expect(orderFor()).toEqual(ids);
    expect(orderFor("something else entirely")).toEqual(ids);
  });

  it.each(ERROR_MAP.map((e) => [e.label, e] as const))("%s: its checks first, then every other check once, in guide order", (label, e) => {
    const order = orderFor(label);
    expect(order.slice(0, e.checks.length)).toEqual(e.checks);
    expect(order.slice(e.checks.length)).toEqual(ids.filter((i) => !e.checks.includes(i)));
    expect([...order].sort()).toEqual([...ids].sort());
  });

  it.each([
    ["net::ERR_CONNECTION_CLOSED", "tcp443"],
    ["request:fail url not in domain list", "wechat-domains"],
    ["errcode 600002", "wechat-domains"],
    ["SyntaxError: Unexpected token '<', \"<html>\"", "admin-json"],
    ["开发者工具正常，真机不行", "tls-cert"],
    ["works in devtools", "tls-cert"],
    ["request:fail", "domain"],
  ])("%s → %s first", (error, first) => {
    expect(orderFor(error)[0]).toBe(first);
  });

  it("every check named in ERROR_MAP exists", () => {
    for (const e of ERROR_MAP) for (const c of e.checks) expect(ids, `${e.label}: ${c}`).toContain(c);
  });
});

describe("firstFailure", () => {
  const r = (id: string, status: CheckResult["status"] = "fail"): CheckResult => ({ id, status, title: { zh: id, en: id }, ms: 0 });

  it("none when nothing failed (warnings and skips are not causes)", () => {
    expect(firstFailure([])).toBeUndefined();
    expect(firstFailure([r("domain", "warn"), r("dns", "skip"), r("tcp443", "ok")])).toBeUndefined();
  });

  it("a stopped nginx fails TCP 443 and the API too, but nginx is named", () => {
    expect(firstFailure([r("tcp443"), r("api-json"), r("server-services")])?.id).toBe("server-services");
  });

  it("a closed firewall before the services it hides; the security group before ufw", () => {
    expect(firstFailure([r("tcp443"), r("server-services"), r("ufw443")])?.id).toBe("ufw443");
    expect(firstFailure([r("ufw443"), r("security-group"), r("tcp443")])?.id).toBe("security-group");
  });

  it("the domain before everything; a warning never outranks a failure", () => {
    expect(firstFailure([r("miniprogram"), r("dns"), r("domain")])?.id).toBe("domain");
    expect(firstFailure([r("domain", "warn"), r("http-redirect")])?.id).toBe("http-redirect");
  });

  it("follows ROOT_CAUSE_ORDER for every pair", () => {
    for (let i = 0; i < ROOT_CAUSE_ORDER.length; i++) {
      for (let j = i + 1; j < ROOT_CAUSE_ORDER.length; j++) {
        expect(firstFailure([r(ROOT_CAUSE_ORDER[j]), r(ROOT_CAUSE_ORDER[i])])?.id).toBe(ROOT_CAUSE_ORDER[i]);
      }
    }
  });
});

describe("formatResult", () => {
  const failing: CheckResult = {
    id: "ufw443",
    status: "fail",
    title: { zh: "服务器防火墙 ufw 放行 443", en: "server firewall (ufw) allows 443" },
    expected: "443/tcp ALLOW IN",
    found: "no rules",
    cause: { zh: "ufw 没有放行 443", en: "ufw does not allow 443" },
    fix: { zh: "`ufw allow 443/tcp`", en: "run `ufw allow 443/tcp`" },
    ms: 12,
  };

  it("zh", () => {
    expect(formatResult(failing, "zh")).toBe(
      "✗ 服务器防火墙 ufw 放行 443\n    期望: 443/tcp ALLOW IN\n    实际:    no rules\n    原因: ufw 没有放行 443\n    处理:   `ufw allow 443/tcp`",
    );
  });

  it("en", () => {
    expect(formatResult(failing, "en")).toBe(
      "✗ server firewall (ufw) allows 443\n    expected: 443/tcp ALLOW IN\n    found:    no rules\n    cause: ufw does not allow 443\n    fix:   run `ufw allow 443/tcp`",
    );
  });

  it("both: titles on one line, cause and fix on two", () => {
    expect(formatResult(failing, "both")).toBe(
      [
        "✗ 服务器防火墙 ufw 放行 443 / server firewall (ufw) allows 443",
        "    期望 expected: 443/tcp ALLOW IN",
        "    实际 found:    no rules",
        "    原因 cause: ufw 没有放行 443",
        "      ufw does not allow 443",
        "    处理 fix:   `ufw allow 443/tcp`",
        "      run `ufw allow 443/tcp`",
      ].join("\n"),
    );
  });

  it("a warning prints like a failure with its own mark; missing parts are left out", () => {
    const w: CheckResult = { ...failing, status: "warn", expected: undefined, cause: undefined };
    expect(formatResult(w, "en")).toBe("! server firewall (ufw) allows 443\n    found:    no rules\n    fix:   run `ufw allow 443/tcp`");
  });

  it("ok and skip: one line, what was found in brackets", () => {
    expect(formatResult({ ...failing, status: "ok", found: "443/tcp ALLOW IN" }, "en")).toBe("✓ server firewall (ufw) allows 443  (443/tcp ALLOW IN)");
    expect(formatResult({ ...failing, status: "skip", found: "no SSH session" }, "both")).toBe("- 服务器防火墙 ufw 放行 443 / server firewall (ufw) allows 443  (no SSH session)");
    expect(formatResult({ ...failing, status: "ok", found: undefined }, "zh")).toBe("✓ 服务器防火墙 ufw 放行 443");
  });
});

describe("runDoctor (checks stubbed: no network, no SSH)", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Every check answers ok with its id, except the overrides; the calls are recorded in order. */
  function stub(overrides: Record<string, (ctx: DoctorContext) => Promise<unknown>> = {}) {
    const calls: string[] = [];
    for (const c of CHECKS) {
      vi.spyOn(c, "run").mockImplementation(async (_tg, ctx) => {
        calls.push(c.id);
        if (overrides[c.id]) return (await overrides[c.id](ctx)) as never;
        return { status: "ok", found: c.id };
      });
    }
    return calls;
  }

  it("runs DNS ahead (the others need its address), then reports every check once in guide order", async () => {
    const calls = stub();
    const seen: string[] = [];
    const results = await runDoctor(base, { onResult: (r) => seen.push(r.id) });
    const ids = CHECKS.map((c) => c.id);
    expect(calls).toEqual(["dns", ...ids]);
    expect(seen).toEqual(ids);
    expect(results.map((r) => [r.id, r.status, r.found, r.title])).toEqual(CHECKS.map((c) => [c.id, "ok", c.id, c.title]));
    expect(results.every((r) => typeof r.ms === "number" && r.ms >= 0)).toBe(true);
  });

  it("for a reported error: DNS ahead, then the error's checks first", async () => {
    const calls = stub({ dns: async (ctx) => ((ctx.address = "10.0.0.5"), { status: "ok", found: "10.0.0.5" }) });
    const results = await runDoctor(base, { error: "Unexpected token '<'" });
    expect(calls[0]).toBe("dns");
    expect(calls.slice(1)).toEqual(orderFor("Unexpected token '<'"));
    expect(results.map((r) => r.id)).toEqual(orderFor("Unexpected token '<'"));
  });

  it("a check that throws is a failure naming the crash, and the run goes on", async () => {
    stub({ "tls-cert": async () => { throw new Error("boom"); } });
    const results = await runDoctor(base);
    const r = results.find((x) => x.id === "tls-cert")!;
    expect(r).toMatchObject({ status: "fail", found: "check crashed: boom" });
    expect(results).toHaveLength(CHECKS.length);
    expect(firstFailure(results)?.id).toBe("tls-cert");
  });

  it("the checks see the CA of the target and empty server facts without SSH", async () => {
    let seen: DoctorContext | undefined;
    stub({ "tls-cert": async (ctx) => ((seen = { ...ctx }), { status: "ok" }) });
    await runDoctor({ ...base, ca: "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----" });
    expect(seen?.ca).toBe("-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----");
    expect(seen?.server).toEqual({});
  });
});
