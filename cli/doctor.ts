// `aistudio doctor [--stack S] [--error "<message>"] [--json] [--lang zh|en] [--miniprogram DIR]`
import { DoctorTarget, firstFailure, formatResult, runDoctor, ERROR_MAP } from "../checks/doctor/index";
import { readStack } from "../stacks/read-stack";

export function parseArgs(argv: string[]): Record<string, string | boolean> {
  const o: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const [k, v] = a.slice(2).split("=", 2);
    if (v !== undefined) o[k] = v;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) o[k] = argv[++i];
    else o[k] = true;
  }
  return o;
}

export async function targetFromStack(stack: string, extra: { miniprogram?: string; configFile?: string; hostsFile?: string }): Promise<DoctorTarget> {
  const v = await readStack(stack, extra.configFile);
  const c = v.config;
  const ip = String(v.outputs.publicIp ?? c.server.host);
  return {
    domain: c.domain,
    serverIp: ip,
    connectTo: c.smoke.connectTo ?? (c.target === "local" ? ip : undefined),
    ca: c.tls.caBundle ?? (c.tls.mode === "self-signed" ? "server-cert" : undefined),
    wechat: c.wechat.checks,
    minCertDays: c.wechat.minCertDays,
    ssh: { host: ip, port: c.server.port, user: c.server.user, hostKey: c.server.hostKey, privateKey: c.server.privateKey },
    securityGroupRules: v.securityGroupRules,
    miniprogramDir: extra.miniprogram,
    hostsFile: extra.hostsFile,
    wechatApp: c.wechat.appId && c.wechat.appSecret ? { appId: c.wechat.appId, appSecret: c.wechat.appSecret } : undefined,
  };
}

export async function doctorMain(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.help) {
    console.log(`aistudio doctor [--stack local] [--error "<message>"] [--json] [--lang zh|en] [--miniprogram DIR]
  --error  one of the guide's error texts; the checks that explain it run first:
           ${ERROR_MAP.map((e) => e.label).join(", ")}`);
    return 0;
  }
  const stack = String(a.stack ?? process.env.PULUMI_STACK ?? "local");
  const lang = (a.lang === "zh" || a.lang === "en" ? a.lang : "both") as "zh" | "en" | "both";
  const json = a.json === true;
  let target: DoctorTarget;
  try {
    target = await targetFromStack(stack, {
      miniprogram: typeof a.miniprogram === "string" ? a.miniprogram : undefined,
      configFile: typeof a["config-file"] === "string" ? a["config-file"] : undefined,
      hostsFile: typeof a["hosts-file"] === "string" ? a["hosts-file"] : undefined,
    });
  } catch (e) {
    console.error(`doctor: cannot read stack "${stack}" / 无法读取 stack: ${(e as Error).message.split("\n").slice(0, 8).join("\n")}`);
    return 2;
  }
  const t0 = Date.now();
  if (!json) console.log(`aistudio doctor — https://${target.domain} (stack ${stack}, server ${target.serverIp})${a.error ? `\nerror / 报错: ${a.error}` : ""}\n`);
  const results = await runDoctor(target, {
    error: typeof a.error === "string" ? a.error : undefined,
    onResult: json ? undefined : (r) => console.log(formatResult(r, lang)),
  });
  const first = firstFailure(results);
  if (json) {
    console.log(JSON.stringify({ domain: target.domain, stack, ok: !first, firstFailure: first?.id ?? null, results, seconds: (Date.now() - t0) / 1000 }, null, 2));
  } else {
    console.log(
      first
        ? `\n✗ 最可能的原因 / most likely cause: ${first.title.zh} / ${first.title.en}`
        : `\n✓ 全部检查通过 / all checks passed (${((Date.now() - t0) / 1000).toFixed(1)}s)\n  request合法域名: https://${target.domain}`,
    );
  }
  return first ? 1 : 0;
}
