// The sandbox page: a long-polling view of one channel as one user sees it.
// The server renders every message to HTML; this script only places the
// pieces, keeps threads open across updates, and sends commands and clicks.
"use strict";

const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);
const view = {
  user: params.get("user") || localStorage.getItem("sandbox.user") || "",
  channel: params.get("channel") || localStorage.getItem("sandbox.channel") || "",
  version: -1, // -1: ask for the state now; otherwise wait for a change past it
  rendered: new Map(), // item key -> html currently shown
  openThreads: new Set(),
  abort: null,
  gen: 0, // bumped by every switch, so a late answer for the old view is dropped
  built: false,
};

function itemKey(it) { return (it.ephemeral ? "e" : "m") + it.ts; }

function nodeFrom(html) {
  const t = document.createElement("template");
  t.innerHTML = html.trim();
  return t.content.firstElementChild;
}

function buildChrome(st) {
  $("#team-name").textContent = st.team + " · sandbox Slack";
  const sel = $("#user-select");
  sel.replaceChildren(...st.users.map((u) => {
    const o = document.createElement("option");
    o.value = u.id;
    o.dataset.user = u.id;
    o.textContent = "@" + u.name + (u.role ? " — " + u.role : "");
    return o;
  }));
  const list = $("#channels");
  list.replaceChildren(...st.channels.map((c) => {
    const li = document.createElement("li");
    li.dataset.channel = c.id;
    li.textContent = "# " + c.name;
    li.addEventListener("click", () => switchTo(view.user, c.id));
    return li;
  }));
  if (st.commands && st.commands.length) $("#command-input").placeholder = st.commands[0] + " help";
  view.built = true;
}

function apply(st) {
  if (!view.built) buildChrome(st);
  view.user = st.user;
  view.channel = st.channel;
  view.version = st.version;
  document.body.dataset.version = String(st.version);
  document.body.dataset.user = st.user;
  $("#user-select").value = st.user;
  const me = st.users.find((u) => u.id === st.user);
  $("#user-role").textContent = me ? me.real : "";
  for (const li of document.querySelectorAll("#channels li")) {
    li.classList.toggle("active", li.dataset.channel === st.channel);
  }
  const ch = st.channels.find((c) => c.id === st.channel);
  $("#channel-title").textContent = ch ? "# " + ch.name : "";

  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const wanted = new Set();
  let prev = null;
  for (const it of st.items || []) {
    const key = itemKey(it);
    wanted.add(key);
    let node = box.querySelector(`:scope > [data-key="${key}"]`);
    if (!node || view.rendered.get(key) !== it.html) {
      const fresh = nodeFrom(it.html);
      fresh.dataset.key = key;
      for (const d of fresh.querySelectorAll("details.thread")) {
        if (view.openThreads.has(d.dataset.threadTs)) d.open = true;
      }
      if (node) node.replaceWith(fresh); // an update replaces the message in place
      node = fresh;
      view.rendered.set(key, it.html);
    }
    const want = prev ? prev.nextElementSibling : box.firstElementChild;
    if (want !== node) box.insertBefore(node, want);
    prev = node;
  }
  for (const node of [...box.children]) {
    if (!wanted.has(node.dataset.key)) {
      view.rendered.delete(node.dataset.key);
      node.remove();
    }
  }
  if (atBottom) box.scrollTop = box.scrollHeight;
}

async function poll() {
  for (;;) {
    const ctrl = new AbortController();
    view.abort = ctrl;
    const gen = view.gen;
    const q = new URLSearchParams({ user: view.user, channel: view.channel });
    if (view.version >= 0) q.set("since", String(view.version));
    try {
      const res = await fetch("/ui/state?" + q, { signal: ctrl.signal });
      if (!res.ok) throw new Error("HTTP " + res.status);
      const st = await res.json();
      if (gen === view.gen) apply(st);
    } catch (err) {
      if (ctrl.signal.aborted) continue; // a switch restarted the poll
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function switchTo(user, channel) {
  view.user = user;
  view.channel = channel;
  localStorage.setItem("sandbox.user", user);
  localStorage.setItem("sandbox.channel", channel);
  view.version = -1;
  view.gen++;
  view.rendered.clear();
  $("#messages").replaceChildren();
  hideNotice();
  if (view.abort) view.abort.abort();
}

function notice(text) {
  const n = $("#notice");
  n.textContent = text;
  n.hidden = false;
}
function hideNotice() { $("#notice").hidden = true; }

async function post(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const out = await res.json().catch(() => ({ ok: false, error: "HTTP " + res.status }));
  if (!out.ok) notice(out.error || "failed");
  else hideNotice();
  return out.ok;
}

$("#user-select").addEventListener("change", (ev) => switchTo(ev.target.value, view.channel));

$("#composer").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#command-input");
  const text = input.value.trim();
  if (!text) return;
  input.disabled = true;
  try {
    if (await post("/ui/command", { user: view.user, channel: view.channel, text })) input.value = "";
  } finally {
    input.disabled = false;
    input.focus();
  }
});

$("#messages").addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button[data-action-id]");
  if (!btn) return;
  if (btn.dataset.confirm && !confirm(btn.dataset.confirm)) return;
  if (btn.dataset.url) window.open(btn.dataset.url, "_blank", "noopener");
  btn.classList.add("pending");
  try {
    await post("/ui/click", {
      user: view.user,
      channel: btn.dataset.channel,
      ts: btn.dataset.ts,
      action_id: btn.dataset.actionId,
      value: btn.dataset.value,
    });
  } finally {
    btn.classList.remove("pending");
  }
});

// Remember which threads are open, so re-rendering keeps them open.
$("#messages").addEventListener("toggle", (ev) => {
  const d = ev.target;
  if (!d.matches || !d.matches("details.thread")) return;
  if (d.open) view.openThreads.add(d.dataset.threadTs);
  else view.openThreads.delete(d.dataset.threadTs);
}, true);

poll();
