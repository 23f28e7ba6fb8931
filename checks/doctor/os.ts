// The operating system around the app (issue #16), on the server over SSH: security updates
// pending, a reboot an update needs, the server's clock against the doctor's, fail2ban guarding
// sshd. What they read is in the server facts (os-facts.ts). None of them breaks a request today,
// so each says warn, except a clock off by more than CLOCK_FAIL_SECONDS: ACME (Let's Encrypt
// refuses requests whose time is off) and the certificate checks depend on it.
import { t } from "../../core/text";
import { Check, fail, needsServer, ok, warn } from "./check";

export const CLOCK_WARN_SECONDS = 1;
export const CLOCK_FAIL_SECONDS = 30;
/** Package lists older than this make "nothing pending" doubtful (apt-daily refreshes them daily). */
export const LISTS_STALE_DAYS = 3;

const list = (words: string, max = 8) => {
  const w = words.trim().split(/\s+/).filter(Boolean);
  return w.length > max ? `${w.slice(0, max).join(" ")} … (+${w.length - max})` : w.join(" ");
};

export const securityUpdatesCheck: Check = {
  id: "security-updates",
  title: t("安全更新：没有待安装的安全更新", "security updates: none pending"),
  run: needsServer(async (_tg, ctx, s) => {
    if (s.securityUpdates === undefined) {
      return warn("no security updates pending", "not read", t("无法读取待安装的更新（apt-get -s upgrade）", "could not read the pending updates (apt-get -s upgrade)"), t("在服务器上运行 `apt-get -s upgrade` 查看", "run `apt-get -s upgrade` on the server"));
    }
    const pending = s.securityUpdates.trim().split(/\s+/).filter(Boolean);
    const age = s.aptLists ? (Number(ctx.server?.localReceived ?? Date.now()) / 1000 - Number(s.aptLists)) / 86400 : NaN;
    const stale = Number.isFinite(age) && age > LISTS_STALE_DAYS ? ` (package lists ${Math.floor(age)} days old)` : "";
    if (pending.length === 0) {
      if (stale) {
        return warn("no security updates pending, package lists fresh", `none pending${stale}`,
          t(`软件包列表已 ${Math.floor(age)} 天未更新：每日的 apt-daily 没有运行或无法连接镜像，新的安全更新看不到`, `the package lists were not refreshed for ${Math.floor(age)} days: apt-daily did not run or cannot reach the mirror, so new security updates go unseen`),
          t("`systemctl status apt-daily.timer apt-daily-upgrade.timer`；`apt-get update` 看报错", "`systemctl status apt-daily.timer apt-daily-upgrade.timer`; `apt-get update` shows the error"));
      }
      return ok("none pending");
    }
    return warn("no security updates pending", `${pending.length} pending: ${list(s.securityUpdates)}${stale}`,
      t("有安全更新尚未安装：unattended-upgrades 每天安装一次（apt-daily-upgrade.timer，约 6:00），或者它被阻止了（依赖变化、dpkg 中断）",
        "security updates are not installed yet: unattended-upgrades installs them once a day (apt-daily-upgrade.timer, around 06:00), or something stops it (new dependencies, an interrupted dpkg)"),
      t("现在安装：`unattended-upgrade -v`；一直不装时看 /var/log/unattended-upgrades/unattended-upgrades.log",
        "install them now: `unattended-upgrade -v`; if they stay pending read /var/log/unattended-upgrades/unattended-upgrades.log"));
  }),
};

export const rebootRequiredCheck: Check = {
  id: "reboot-required",
  title: t("重启：没有等待重启才能生效的更新", "reboot: no update waiting for one"),
  run: needsServer(async (_tg, ctx, s) => {
    if (s.rebootRequired !== "yes") return ok(s.rebootRequired === "no" ? "no reboot required" : "not read");
    const by = s.rebootPkgs ? ` by ${list(s.rebootPkgs)}` : "";
    const window = s.rebootWindow?.trim();
    return warn("no reboot required", `reboot required${by}${window ? `; reboot window ${window}` : "; no reboot window"}`,
      t("已安装的更新（内核、libc、systemd 等）要重启后才生效，在此之前旧版本仍在运行",
        "installed updates (a kernel, libc, systemd…) take effect only after a reboot; until then the old versions keep running"),
      window
        ? t(`服务器会在维护窗口（${window}）自动重启；等不及就在低峰时 \`systemctl reboot\`（网站中断约一分钟）`,
          `the server reboots by itself in its window (${window}); to do it sooner, \`systemctl reboot\` in a quiet hour (the site is down for about a minute)`)
        : t("在低峰时 `systemctl reboot`（网站中断约一分钟），或设置 aistudio:os.rebootWindow（如 \"Sun 04:00\"）让它自动在窗口内重启",
          "`systemctl reboot` in a quiet hour (the site is down for about a minute), or set aistudio:os.rebootWindow (e.g. \"Sun 04:00\") so it reboots by itself in that window"));
  }),
};

/**
 * How far the server's clock is off, at least: it was read at some instant between sending the
 * script and receiving its output, so only the distance to that interval counts (0 inside it).
 */
export function clockOffset(serverEpoch: number, localSentMs: number, localReceivedMs: number): { offset: number; uncertainty: number } {
  const lo = localSentMs / 1000, hi = localReceivedMs / 1000;
  const offset = serverEpoch < lo ? serverEpoch - lo : serverEpoch > hi ? serverEpoch - hi : 0;
  return { offset, uncertainty: (hi - lo) / 2 };
}

export const clockCheck: Check = {
  id: "clock",
  title: t(`时钟：服务器与本机相差不超过 ${CLOCK_WARN_SECONDS} 秒`, `clock: the server's within ${CLOCK_WARN_SECONDS} s of this machine's`),
  run: needsServer(async (_tg, ctx, s) => {
    const epoch = Number(s.clock), sent = Number(s.localSent), received = Number(s.localReceived);
    if (!s.clock || !Number.isFinite(epoch) || !Number.isFinite(sent) || !Number.isFinite(received)) {
      return warn(`within ${CLOCK_WARN_SECONDS} s`, "not read", t("无法读取服务器时间", "could not read the server's time"), t("在服务器上运行 `timedatectl`", "run `timedatectl` on the server"));
    }
    const { offset, uncertainty } = clockOffset(epoch, sent, received);
    const ntp = s.clockNtp ? `, NTP synchronized: ${s.clockNtp}` : "";
    const found = `${offset === 0 ? "in step" : `${offset > 0 ? "ahead" : "behind"} by ${Math.abs(offset).toFixed(1)} s`} (±${uncertainty.toFixed(2)} s${ntp})`;
    const expected = `within ${CLOCK_WARN_SECONDS} s of this machine's clock`;
    const fix = t("`timedatectl` 查看同步状态；`systemctl restart systemd-timesyncd`（或 chrony）；ECS 的 NTP 服务器是 ntp.cloud.aliyuncs.com（`pulumi up` 会配置）；也请确认本机时间正确",
      "`timedatectl` shows the sync state; `systemctl restart systemd-timesyncd` (or chrony); on ECS the NTP server is ntp.cloud.aliyuncs.com (`pulumi up` configures it); also make sure this machine's own clock is right");
    if (Math.abs(offset) > CLOCK_FAIL_SECONDS) {
      return fail(expected, found, t("服务器时间偏差过大：Let's Encrypt（ACME）会拒绝请求，证书有效期判断和日志时间都会出错",
        "the server's clock is far off: Let's Encrypt (ACME) refuses its requests, and certificate validity and the logs' times are wrong"), fix);
    }
    if (Math.abs(offset) > CLOCK_WARN_SECONDS) {
      return warn(expected, found, t("服务器时间有偏差：时间同步没有生效", "the server's clock drifts: time synchronisation is not working"), fix);
    }
    return ok(found);
  }),
};

export const fail2banCheck: Check = {
  id: "fail2ban",
  title: t("fail2ban：运行中，sshd 监狱已启用", "fail2ban: running, its sshd jail up"),
  run: needsServer(async (_tg, ctx, s) => {
    const jail = s.fail2banJail ?? "";
    const num = (label: string) => new RegExp(`${label}:\\s*(\\d+)`).exec(jail)?.[1];
    if (s.fail2ban !== "active" || !/Status for the jail: sshd/.test(jail)) {
      return warn("fail2ban active with the sshd jail", `fail2ban ${s.fail2ban || "not installed"}${jail && s.fail2ban === "active" ? `: ${jail.trim().split("\n")[0]}` : ""}`,
        t("没有暴力破解防护：不断尝试 SSH 登录的地址不会被封禁", "no brute-force protection: addresses that keep trying SSH logins are not banned"),
        t("`pulumi up` 安装并配置 fail2ban；已安装时看 `systemctl status fail2ban` 和 `journalctl -u fail2ban -n 50`",
          "`pulumi up` installs and configures fail2ban; if it is installed, read `systemctl status fail2ban` and `journalctl -u fail2ban -n 50`"));
    }
    return ok(`active; sshd jail: ${num("Currently banned") ?? "?"} banned now, ${num("Total banned") ?? "?"} in all, ${num("Currently failed") ?? "?"} failing`);
  }),
};

export const OS_CHECKS: Check[] = [securityUpdatesCheck, rebootRequiredCheck, clockCheck, fail2banCheck];
