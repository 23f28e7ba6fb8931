// The data checks (issue #12), on the server over SSH: the data volume is mounted and has room, the
// backups run (timer enabled, last success recent, last run not failed) and the app reaches its
// database. What they read is in the server facts (server-facts.ts dataFacts).
import { t } from "../../core/text";
import { redact } from "../../core/ssh";
import { Check, DoctorTarget, fail, needsSsh, ok, skip, sshFailure, warn } from "./check";

export const USAGE_WARN = 80;
export const USAGE_FAIL = 95;


export const dataVolumeCheck: Check = {
  id: "data-volume",
  title: t("数据盘：已挂载，空间充足", "data volume: mounted, with room"),
  titleFor: (tg) => !tg.data ? dataVolumeCheck.title : t(`数据盘：${tg.data.dataDir} 已挂载，空间充足`, `data volume: ${tg.data.dataDir} mounted, with room`),
  run: needsSsh(async (tg, ctx) => {
    const d = tg.data;
    if (!d) return skip("the stack has no data settings");
    const s = ctx.server ?? {};
    if (s.error) return sshFailure(s.error);
    if (d.volume && s.volume !== "mounted") {
      return { ...fail(`the data volume mounted at ${d.dataDir}`, `${d.dataDir}: ${s.volume ?? "not probed"}`,
        t("数据盘没有挂载：应用不会启动（RequiresMountsFor），上传和数据库不可用", "the data volume is not mounted: the app does not start (RequiresMountsFor), uploads and the database are unavailable"),
        t(`\`mount ${d.dataDir}\`（/etc/fstab 按 UUID 挂载），或 \`pulumi up\`；云盘被卸载时先在控制台重新挂载`, `\`mount ${d.dataDir}\` (/etc/fstab mounts it by UUID) or \`pulumi up\`; if the disk was detached, attach it again first`)),
        explains: ["server-services", "database", "backup", "admin-json", "api-json"] };
    }
    const usage = Number(s.volumeUsage);
    if (!Number.isFinite(usage) || s.volumeUsage === "") return warn(`usage of ${d.dataDir}`, "unknown", t("无法读取磁盘使用率", "cannot read the disk usage"), t(`\`df -h ${d.dataDir}\``, `\`df -h ${d.dataDir}\``));
    const found = `${usage}% used`;
    const expected = `under ${USAGE_WARN}% used`;
    const fix = t(`清理或扩容：\`du -sh ${d.dataDir}/*\`；云盘可在线扩容（aistudio:data.sizeGb，然后 resize2fs）`, `free space or grow the disk: \`du -sh ${d.dataDir}/*\`; an ECS disk grows online (aistudio:data.sizeGb, then resize2fs)`);
    if (usage >= USAGE_FAIL) return fail(expected, found, t("数据盘几乎已满：上传和数据库写入会失败", "the data volume is nearly full: uploads and database writes fail"), fix);
    if (usage >= USAGE_WARN) return warn(expected, found, t("数据盘使用率偏高", "the data volume is filling up"), fix);
    return ok(`${d.volume ? "mounted, " : "system disk, "}${found}`);
  }),
};

interface Status {
  now: number;
  lastSuccess: { time: number; snapshot: string; seconds: number } | null;
  timerEnabled: string;
  lastResult: string;
  lastError: string;
}

const hours = (s: number) => Math.round(s / 360) / 10;

export const backupCheck: Check = {
  id: "backup",
  title: t("备份：定时器启用，最近一次成功备份未过期", "backups: timer enabled, last success recent"),
  titleFor: (tg) => !tg.data?.backup ? backupCheck.title : t(`备份：定时器启用，最近一次成功备份在 ${tg.data.backup.maxAgeHours} 小时内`, `backups: timer enabled, last success within ${tg.data.backup.maxAgeHours} h`),
  run: needsSsh(async (tg, ctx) => {
    const d = tg.data;
    if (!d) return skip("the stack has no data settings");
    if (!d.backup) {
      return warn("backups configured", "no aistudio:backup on this stack",
        t("没有配置备份：数据只存在一块盘上", "no backups are configured: the data exists on one disk only"),
        t("设置 aistudio:backup（OSS bucket、AccessKey、restic 密码），见 README “数据”", "set aistudio:backup (an OSS bucket, its AccessKey, the restic password): README, \"Data\""));
    }
    const s = ctx.server ?? {};
    if (s.error) return sshFailure(s.error);
    let st: Status;
    try {
      st = JSON.parse(s.backup ?? "") as Status;
    } catch {
      return fail("the backup tool's status", (s.backup ?? "nothing").slice(0, 200),
        t("服务器上没有可用的备份工具", "the backup tool is missing or broken on the server"), t("`pulumi up` 重新安装备份步骤", "`pulumi up` installs the backup step again"));
    }
    const max = d.backup.maxAgeHours;
    const expected = `timer enabled, last success within ${max} h`;
    const scrub = (x: string) => redact(x, tg.redact ?? []);
    if (st.timerEnabled !== "enabled") {
      return fail(expected, `aistudio-backup.timer ${st.timerEnabled || "missing"}`,
        t("备份定时器未启用：不会再自动备份", "the backup timer is not enabled: no more scheduled backups"),
        t("`systemctl enable --now aistudio-backup.timer`，或 `pulumi up`", "`systemctl enable --now aistudio-backup.timer`, or `pulumi up`"));
    }
    if (st.lastResult && st.lastResult !== "success") {
      return fail(expected, `the last backup run failed (${st.lastResult}): ${scrub(st.lastError).trim().split("\n").pop() ?? ""}`,
        t("最近一次备份失败（仓库不可达、密码错误或 AccessKey 无效）", "the last backup run failed (repository unreachable, wrong password or access key)"),
        t("看 `journalctl -u aistudio-backup -n 50`；修复后 `npm run backup -- --stack <stack>`", "read `journalctl -u aistudio-backup -n 50`; once fixed, `npm run backup -- --stack <stack>`"));
    }
    if (!st.lastSuccess) {
      // a new server: the timer's first run is still to come (a failed run was reported above)
      return warn(expected, "no successful backup yet (timer enabled)",
        t("还没有成功的备份（新服务器：定时备份尚未运行）", "there is no successful backup yet (a new server: the timer has not run yet)"),
        t("`npm run backup -- --stack <stack>` 立即备份", "`npm run backup -- --stack <stack>` backs up now"));
    }
    const age = st.now - st.lastSuccess.time;
    const found = `last success ${hours(age)} h ago (snapshot ${st.lastSuccess.snapshot.slice(0, 8)})`;
    if (age > max * 3600) {
      return fail(expected, found, t("最近一次成功备份已过期", "the last successful backup is too old"),
        t("看 `systemctl list-timers aistudio-backup.timer` 和 `journalctl -u aistudio-backup`", "check `systemctl list-timers aistudio-backup.timer` and `journalctl -u aistudio-backup`"));
    }
    return ok(found);
  }),
};

export const databaseCheck: Check = {
  id: "database",
  title: t("数据库：应用可以连接", "database: reachable by the app"),
  run: needsSsh(async (tg: DoctorTarget, ctx) => {
    const d = tg.data;
    if (!d || d.database === "none") return skip("database.mode none: the app's own file database");
    const s = ctx.server ?? {};
    if (s.error) return sshFailure(s.error);
    const answer = (s.database ?? "").trim();
    if (answer === "1") return ok(`the app's DATABASE_URL answers (${d.database})`);
    const found = redact(answer || "no answer", tg.redact ?? []);
    return { ...fail("SELECT 1 through the app's DATABASE_URL answers 1", found,
      d.database === "local"
        ? t("本机 PostgreSQL 不可用（未运行、数据盘未挂载或密码不一致）", "the local PostgreSQL is not usable (not running, volume not mounted, or the password differs)")
        : t("外部数据库不可达（RDS 白名单、地址或密码）", "the external database is unreachable (RDS whitelist, address or password)"),
      d.database === "local"
        ? t("`systemctl status postgresql@*-main`，`journalctl -u postgresql@15-main -n 50`；`pulumi up` 会重设密码", "`systemctl status 'postgresql@*'` and its journal; `pulumi up` sets the password again")
        : t("检查 RDS 白名单是否包含服务器内网 IP，以及 aistudio:databaseUrl", "check that the RDS whitelist holds the server's private IP, and aistudio:databaseUrl")),
      explains: ["admin-json", "api-json"] };
  }),
};
