"""The admin's HTML pages (bilingual, no template engine: the sample is stdlib-only)."""
import html

from web import page

NAV = '<p><a href="/admin/">后台首页 / dashboard</a> · <a href="/admin/miniprogram-config">小程序配置</a></p>'
LOGOUT = '<form method="post" action="/admin/logout"><button>退出登录 / log out</button></form>'


def login(configured, problem=""):
    notice = "" if configured else (
        '<p class="err">管理员未配置：服务器没有设置 ADMIN_PASSWORD，无法登录。'
        " / The admin is not configured: ADMIN_PASSWORD is not set, so no login can succeed.</p>")
    err = f'<p class="err">{html.escape(problem)}</p>' if problem else ""
    return page("后台登录 / Admin login", f"""{notice}{err}
<form method="post" action="/admin/login">
<label>用户名 / user name <input type="text" name="username" value="admin" autocomplete="username"></label>
<label>密码 / password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit">登录 / log in</button>
</form>""")


def dashboard(visits, release):
    return page("aistudio 后台 / Admin", f"""{NAV}
<p>访问次数 / visits: <strong id="visits">{visits}</strong></p>
<p>版本 / release: <code>{html.escape(release)}</code></p>
{LOGOUT}""")


# The page saves through the JSON API and reads every answer with res.json(): if the API ever
# answers HTML (a login page after a redirect, a server error page), this is where the browser
# says "Unexpected token '<'" (the troubleshooting guide, section 6).
_CONFIG_SCRIPT = """<script>
const form = document.getElementById('cfg'), msg = document.getElementById('msg');
const API = '/admin/api/miniprogram-config';
async function call(method, body) {
  const res = await fetch(API, {method, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'}, body: body && JSON.stringify(body)});
  const data = await res.json();
  if (res.status === 401) { location.href = data.login; throw new Error('login_required'); }
  if (!data.success) throw new Error(data.error || res.status);
  return data;
}
call('GET').then((data) => {
  for (const [name, value] of Object.entries(data.config || {})) {
    const el = form.elements[name];
    if (el && el.type === 'checkbox') el.checked = !!value; else if (el) el.value = value;
  }
}).catch((e) => { msg.textContent = '读取失败 / load failed: ' + e.message; });
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const config = {};
  for (const el of form.elements) if (el.name) config[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  try { await call('POST', config); msg.textContent = '已保存 / saved'; }
  catch (e) { msg.textContent = '保存失败 / save failed: ' + e.message; }
});
</script>"""

MINIPROGRAM_CONFIG = page("小程序配置 / Mini program config", f"""{NAV}
<form id="cfg">
<label>店铺名称 / studio name <input type="text" name="studioName"></label>
<label>接口地址 / API base URL <input type="text" name="apiBaseUrl" placeholder="https://photogooo.com"></label>
<label>首页公告 / notice <textarea name="notice" rows="3"></textarea></label>
<label><input type="checkbox" name="bookingEnabled"> 开放预约 / bookings open</label>
<button type="submit">保存 / save</button>
</form>
<p id="msg" role="status"></p>
{LOGOUT}
{_CONFIG_SCRIPT}""")
