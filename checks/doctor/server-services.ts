// On the server (over SSH): nginx and the app are running and 127.0.0.1:<app.port> is listening.
// systemd holds the app's port (aistudio.socket) and starts gunicorn (aistudio.service) with the
// first connection, so a stopped aistudio with its socket active is not broken: the next request
// starts it (a warning). Both stopped, nothing listens and nginx answers 502: a failure.
import { APP_UNIT } from "../../core/constants";
import { t } from "../../core/text";
import { appPortOf, Check, DoctorTarget, fail, ok, needsServer, warn } from "./check";

/** What a stopped or misbound app makes fail: the requests nginx passes to it. */
const APP_ONLY = ["admin-json", "api-json"];
const SOCKET = `${APP_UNIT}.socket`;

const appAddr = (tg: Pick<DoctorTarget, "appPort">) => `127.0.0.1:${appPortOf(tg)}`;
const titleFor = (tg: Pick<DoctorTarget, "appPort">) =>
  t(`服务器：nginx 与 aistudio 运行中，${appPortOf(tg)} 端口在监听`, `server: nginx and aistudio active, ${appAddr(tg)} listening`);

export const serverServicesCheck: Check = {
  id: "server-services",
  title: titleFor({}),
  titleFor,
  run: needsServer(async (tg, ctx, s) => {
    const addr = appAddr(tg);
    const expected = `nginx active, aistudio active, ${addr} listening`;
    if (s.nginx !== "active") {
      return fail(expected, `nginx ${s.nginx}`,
        t("nginx 未运行", "nginx is not running"),
        t("`systemctl start nginx`（并 `systemctl enable nginx`）；先 `nginx -t` 检查配置", "`systemctl start nginx` (and enable it); check the config with `nginx -t` first"));
    }
    // the app down (nginx up): only the APIs behind it fail, not 443 or TLS (cause.ts)
    const onDemand = s.aistudio === "inactive" && s.socket === "active";
    if (s.aistudio !== "active" && !onDemand) {
      if (s.socket !== "active") {
        return { ...fail(expected, `aistudio ${s.aistudio}, ${SOCKET} ${s.socket ?? "unknown"}`,
          t(`aistudio 服务（gunicorn）与它的监听套接字 ${SOCKET} 都未运行：${addr} 无人监听，nginx 返回 502`,
            `neither the aistudio service (gunicorn) nor its socket (${SOCKET}) is running: nothing listens on ${addr}, nginx answers 502`),
          t(`\`systemctl start ${SOCKET} ${APP_UNIT}\`，失败时看 \`journalctl -u ${SOCKET} -u ${APP_UNIT} -n 50\``,
            `\`systemctl start ${SOCKET} ${APP_UNIT}\`; if it fails read \`journalctl -u ${SOCKET} -u ${APP_UNIT} -n 50\``)), explains: APP_ONLY };
      }
      return { ...fail(expected, `aistudio ${s.aistudio}`,
        t("aistudio 服务未运行（gunicorn）", "the aistudio service (gunicorn) is not running"),
        t("`systemctl restart aistudio`，失败时看 `journalctl -u aistudio -n 50`", "`systemctl restart aistudio`; if it fails read `journalctl -u aistudio -n 50`")), explains: APP_ONLY };
    }
    if (!new RegExp(`${addr.replace(/\./g, "\\.")}\\b`).test(s.appListen ?? "")) {
      return { ...fail(expected, `${addr} not listening (gunicorn listens on: ${s.gunicorn || "nothing"})`,
        t(`gunicorn 没有监听 ${addr}（端口或地址配置错误），nginx 会返回 502`, `gunicorn is not listening on ${addr} (wrong port or address); nginx answers 502`),
        t(`恢复 aistudio.service 中的 --bind ${addr}（pulumi up 会恢复），然后 \`systemctl restart aistudio\``, `restore --bind ${addr} in aistudio.service (pulumi up does) and restart aistudio`)), explains: APP_ONLY };
    }
    if (onDemand) {
      return warn(expected, `aistudio inactive, ${SOCKET} active, listening ${s.appListen}`,
        t(`aistudio 服务（gunicorn）未运行，但 systemd 的 ${SOCKET} 在监听 ${addr}：下一个请求会启动它（该请求会慢几秒）`,
          `the aistudio service (gunicorn) is not running, but systemd's ${SOCKET} listens on ${addr}: it starts on demand with the next request (which waits a few seconds)`),
        t(`无需处理；要现在启动：\`systemctl start ${APP_UNIT}\``, `nothing to do; to start it now: \`systemctl start ${APP_UNIT}\``));
    }
    return ok(`nginx active, aistudio active, listening ${s.appListen}`);
  }),
};
