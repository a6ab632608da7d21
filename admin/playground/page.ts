/**
 * The playground page: a small chat client over the playground API. No framework, no build
 * step; message HTML comes pre-escaped from the sandbox (entities rendered as tags).
 */
export function playgroundPage(botUsername: string): string {
  const bot = botUsername.replace(/[^A-Za-z0-9_]/g, '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TradePilot playground</title>
<style>
  :root { --bg:#0e1621; --panel:#17212b; --bot:#182533; --me:#2b5278; --text:#e9edf1; --muted:#7f91a4; --accent:#5eb5f7; }
  * { box-sizing: border-box; }
  body { margin:0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--text); height:100vh; display:flex; flex-direction:column; }
  header { background:var(--panel); padding:10px 16px; display:flex; align-items:center; gap:12px; border-bottom:1px solid #0b1118; }
  header .title { font-weight:600; }
  header .sub { color:var(--muted); font-size:13px; }
  header .who { margin-left:auto; color:var(--muted); font-size:13px; }
  header input { background:var(--bg); color:var(--text); border:1px solid #2a3947; border-radius:6px; padding:4px 8px; width:140px; }
  #log { flex:1; overflow-y:auto; padding:16px; display:flex; flex-direction:column; gap:8px; }
  .msg { max-width:min(560px, 85%); padding:8px 12px; border-radius:12px; white-space:pre-wrap; word-wrap:break-word; }
  .msg.bot { background:var(--bot); align-self:flex-start; border-bottom-left-radius:4px; }
  .msg.me { background:var(--me); align-self:flex-end; border-bottom-right-radius:4px; }
  .msg .meta { color:var(--muted); font-size:11px; margin-top:4px; text-align:right; }
  .msg.deleted { opacity:.45; text-decoration:line-through; }
  .msg img { max-width:100%; border-radius:8px; display:block; margin-bottom:6px; }
  .msg a { color:var(--accent); }
  .msg code, .msg pre { font-family: ui-monospace, Menlo, Consolas, monospace; background:#0b1118; border-radius:4px; padding:0 4px; }
  .keyboard { display:flex; flex-direction:column; gap:4px; margin-top:8px; }
  .keyboard .row { display:flex; gap:4px; }
  .keyboard button, .keyboard a.button { flex:1; background:#2b3a4a; color:var(--text); border:0; border-radius:8px; padding:7px 10px; cursor:pointer; font:inherit; text-align:center; text-decoration:none; }
  .keyboard button:hover { background:#35495d; }
  .typing { color:var(--muted); font-size:13px; min-height:18px; padding:0 16px; }
  form { display:flex; gap:8px; padding:10px 16px; background:var(--panel); }
  form input { flex:1; background:var(--bg); color:var(--text); border:1px solid #2a3947; border-radius:8px; padding:10px 12px; font:inherit; }
  form button { background:var(--accent); color:#0e1621; border:0; border-radius:8px; padding:0 18px; font-weight:600; cursor:pointer; }
  #toast { position:fixed; top:64px; left:50%; transform:translateX(-50%); background:#000c; padding:8px 14px; border-radius:8px; display:none; }
  .error { color:#ff8a8a; font-size:13px; padding:0 16px; }
</style>
</head>
<body>
<header>
  <div><div class="title">@${bot}</div><div class="sub">TradePilot playground · local Telegram sandbox</div></div>
  <div class="who">you are <input id="name" data-testid="name" aria-label="your name"></div>
</header>
<div id="log" data-testid="log" aria-live="polite"></div>
<div class="typing" id="typing"></div>
<div class="error" id="error" role="alert"></div>
<form id="composer">
  <input id="text" data-testid="composer" autocomplete="off" placeholder="Write a message… try /start or /help" maxlength="4096">
  <button type="submit" data-testid="send">Send</button>
</form>
<div id="toast" data-testid="toast"></div>
<script>
(() => {
  const api = (path, init) => fetch('/playground/api' + path, init).then(async (r) => {
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.message || ('HTTP ' + r.status));
    return body;
  });
  const post = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const log = document.getElementById('log');
  const errorBox = document.getElementById('error');
  const typing = document.getElementById('typing');
  const toast = document.getElementById('toast');
  const nodes = new Map();

  const stored = JSON.parse(localStorage.getItem('tp-playground-user') || 'null');
  const me = stored || { id: 100000000 + Math.floor(Math.random() * 800000000), firstName: 'Trader' };
  localStorage.setItem('tp-playground-user', JSON.stringify(me));
  const nameInput = document.getElementById('name');
  nameInput.value = me.firstName;

  function showError(message) { errorBox.textContent = message || ''; }
  function showToast(text) {
    toast.textContent = text; toast.style.display = 'block';
    clearTimeout(showToast.timer); showToast.timer = setTimeout(() => (toast.style.display = 'none'), 3000);
  }

  function keyboard(message) {
    const markup = message.replyMarkup;
    if (!markup || !markup.inline_keyboard) return null;
    const box = document.createElement('div');
    box.className = 'keyboard';
    for (const row of markup.inline_keyboard) {
      const line = document.createElement('div');
      line.className = 'row';
      for (const button of row) {
        let el;
        if (button.url) {
          el = document.createElement('a'); el.className = 'button'; el.href = button.url; el.target = '_blank'; el.rel = 'noopener';
        } else {
          el = document.createElement('button'); el.type = 'button';
          el.addEventListener('click', () => post('/chats/' + me.id + '/messages/' + message.messageId + '/press', { button: button.callback_data ?? button.text }).catch((e) => showError(e.message)));
        }
        el.textContent = button.text;
        el.dataset.testid = 'button';
        line.appendChild(el);
      }
      box.appendChild(line);
    }
    return box;
  }

  function render(message) {
    let node = nodes.get(message.messageId);
    if (!node) {
      node = document.createElement('div');
      nodes.set(message.messageId, node);
      log.appendChild(node);
    }
    node.className = 'msg ' + (message.fromBot ? 'bot' : 'me') + (message.deleted ? ' deleted' : '');
    node.dataset.testid = message.fromBot ? 'bot-message' : 'my-message';
    node.innerHTML = '';
    if (message.photo) {
      const img = document.createElement('img'); img.src = message.photo.url; img.alt = 'photo'; node.appendChild(img);
    }
    if (message.document) {
      const a = document.createElement('a'); a.href = message.document.url; a.textContent = '📄 ' + message.document.fileName; a.download = message.document.fileName;
      node.appendChild(a);
      if (message.html) node.appendChild(document.createElement('br'));
    }
    const body = document.createElement('span');
    body.innerHTML = message.html || '';
    node.appendChild(body);
    const kb = keyboard(message);
    if (kb) node.appendChild(kb);
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = new Date(message.date * 1000).toLocaleTimeString() + (message.edited ? ' · edited' : '');
    node.appendChild(meta);
    log.scrollTop = log.scrollHeight;
  }

  let cursor = 0;
  async function poll() {
    for (;;) {
      try {
        const page = await api('/chats/' + me.id + '/events?since=' + cursor + '&waitMs=20000');
        cursor = page.cursor;
        for (const event of page.events) {
          if (event.type === 'chat_action') { typing.textContent = '@${bot} is ' + event.action.replace(/_/g, ' ') + '…'; setTimeout(() => (typing.textContent = ''), 3000); }
          else if (event.type === 'callback_answer') { if (event.text) showToast(event.text); }
          else { typing.textContent = ''; render(event.message); }
        }
        showError('');
      } catch (e) {
        showError('Lost the connection to the playground (' + e.message + '); retrying…');
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  async function startSession() {
    const session = await post('/session', { id: me.id, firstName: me.firstName });
    session.messages.forEach(render);
    cursor = session.cursor;
  }

  nameInput.addEventListener('change', async () => {
    me.firstName = nameInput.value.trim().slice(0, 64) || 'Trader';
    localStorage.setItem('tp-playground-user', JSON.stringify(me));
    await post('/session', { id: me.id, firstName: me.firstName }).catch((e) => showError(e.message));
  });

  document.getElementById('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = document.getElementById('text');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    try { await post('/chats/' + me.id + '/messages', { text }); showError(''); }
    catch (e) { showError(e.message); input.value = text; }
  });

  const start = new URLSearchParams(location.search).get('start');
  if (start && /^[A-Za-z0-9_-]{1,64}$/.test(start)) document.getElementById('text').value = '/start ' + start;

  startSession().then(poll, (e) => showError('Could not open the playground session: ' + e.message));
})();
</script>
</body>
</html>`;
}
