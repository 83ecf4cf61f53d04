// Resident chat page. Everything a person typed is put on the page with textContent, never as HTML.
// Every visible word comes from the catalog (ui-data / /api/ui/<lang>), none is written here.
(function () {
  "use strict";
  var ui = JSON.parse(document.getElementById("ui-data").textContent);
  var log = document.getElementById("log");
  var input = document.getElementById("input");
  var form = document.getElementById("composer");
  var statusEl = document.getElementById("status");
  var typing = document.getElementById("typing");
  var languageSelect = document.getElementById("language");
  var TOKEN_KEY = "kommun-assistent-token";
  var ws = null, backoff = 500, outbox = [], seen = {};

  function t(key) { return ui.strings[key] || ""; }

  function applyUi(data) {
    ui = data;
    document.documentElement.lang = ui.language;
    document.documentElement.dir = ui.dir;
    document.title = t("page_title");
    document.getElementById("heading").textContent = t("heading");
    document.getElementById("intro").textContent = t("intro");
    document.getElementById("language-label").textContent = t("language_label");
    document.getElementById("input-label").textContent = t("input_label");
    input.placeholder = t("input_placeholder");
    document.getElementById("send").textContent = t("send");
    languageSelect.value = ui.language;
    Array.prototype.forEach.call(log.querySelectorAll(".who"), function (el) {
      el.textContent = who(el.dataset.sender, el.dataset.name);
    });
  }

  // A case officer's messages carry their display name; the role word is the fallback.
  function who(sender, name) {
    if (sender === "staff" && name) { return name; }
    return { resident: t("you"), bot: t("assistant"), staff: t("staff"), system: t("system") }[sender] || "";
  }

  function render(msg) {
    if (msg.id && seen[msg.id]) { return; }
    if (msg.id) { seen[msg.id] = true; }
    var li = document.createElement("li");
    li.className = "msg " + msg.sender;
    if (msg.lang) { li.lang = msg.lang; }
    if (msg.dir) { li.dir = msg.dir; }
    var label = document.createElement("span");
    label.className = "who";
    label.dataset.sender = msg.sender;
    if (msg.name) { label.dataset.name = msg.name; }
    label.textContent = who(msg.sender, msg.name);
    li.appendChild(label);
    li.appendChild(document.createTextNode(msg.text));
    if (msg.buttons && msg.buttons.length) {
      var box = document.createElement("div");
      box.className = "buttons";
      msg.buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", function () { send(b.payload, b.title); });
        box.appendChild(btn);
      });
      li.appendChild(box);
    }
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function send(text, display) {
    var event = { type: "message", text: text, client_id: String(Date.now()) + Math.random().toString(16).slice(2) };
    if (display) { event.display = display; }
    outbox.push(event);
    flush();
  }

  function flush() {
    if (!ws || ws.readyState !== 1 || !ws.ready) { statusEl.textContent = t("offline"); return; }
    while (outbox.length) { ws.send(JSON.stringify(outbox[0])); outbox.shift(); }
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/ws/chat");
    ws.onopen = function () {
      backoff = 500;
      ws.send(JSON.stringify({ type: "hello", token: localStorage.getItem(TOKEN_KEY), language: ui.language }));
    };
    ws.onmessage = function (e) {
      var ev = JSON.parse(e.data);
      if (ev.type === "welcome") {
        localStorage.setItem(TOKEN_KEY, ev.token);
        ws.ready = true;
        statusEl.textContent = "";
        if (ev.language !== ui.language) { switchUi(ev.language); }
        ev.history.forEach(render);
        flush();
      } else if (ev.type === "message") {
        render(ev);
      } else if (ev.type === "typing") {
        typing.hidden = !ev.on;
      } else if (ev.type === "language") {
        switchUi(ev.lang);
      } else if (ev.type === "error") {
        render({ sender: "system", text: ev.message });
      }
    };
    ws.onclose = function () {
      if (ws) { ws.ready = false; }
      statusEl.textContent = t("offline");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  function switchUi(code) {
    fetch("/api/ui/" + encodeURIComponent(code)).then(function (r) { return r.json(); }).then(applyUi);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  languageSelect.addEventListener("change", function () {
    var code = languageSelect.value;
    var name = languageSelect.options[languageSelect.selectedIndex].textContent;
    switchUi(code);
    send("/change_language" + JSON.stringify({ language: code }), name);
  });
  connect();
})();
