// Resident chat widget. One tag puts it on any page of the municipality's web site:
//
//   <script src="https://chatt.kommun.se/static/widget.js" defer
//           data-server="https://chatt.kommun.se" data-language="sv"></script>
//
// data-server: the chat server (default: where this file came from); data-language: the site's
// language, used when neither the resident's last choice nor the browser's languages are supported;
// data-mode="page" with data-target="#selector": the chat fills that element, no launcher button
// (the page at / is built so). The widget lives in a shadow root, so the host page's styles do not
// reach it; it needs no inline script or style (a strict Content-Security-Policy works).
//
// Every visible word comes from the server's catalogs (/api/ui/<lang>), none is written here.
// Everything a person typed is put on the page with textContent, never as HTML.
//
// Never losing a message: each message gets a client id and waits in an outbox (kept in
// localStorage) until the server acknowledges it; after a reconnect or a reload the outbox is sent
// again and the server ignores a client id it has already stored. The session token (localStorage)
// brings the conversation's history back after a reload.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.kommunChatLoaded) { return; }
  window.kommunChatLoaded = true;

  var server = (script.getAttribute("data-server") || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var pageMode = script.getAttribute("data-mode") === "page";
  var PREFIX = "kommun-assistent:" + server + ":";
  var MAX_BACKOFF = 10000;

  var storage = {
    get: function (key) { try { return localStorage.getItem(PREFIX + key); } catch (e) { return null; } },
    set: function (key, value) { try { localStorage.setItem(PREFIX + key, value); } catch (e) { /* private mode */ } },
    remove: function (key) { try { localStorage.removeItem(PREFIX + key); } catch (e) { /* private mode */ } }
  };

  var ui = null;                 // {language, dir, strings, languages, privacy_url}
  var ws = null;
  var ready = false;             // the server has welcomed this socket
  var backoff = 500;
  var reconnectTimer = null;
  var seen = {};                 // server message ids already shown
  var outbox = loadOutbox();     // messages not yet acknowledged, oldest first
  var opened = false;

  // -- building the DOM ---------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs.text; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var host = el("div", { "class": "kommun-chat-host" });
  var container = pageMode ? document.querySelector(script.getAttribute("data-target") || "body") : document.body;
  (container || document.body).appendChild(host);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var R = {};                    // the widget's elements by id
  function part(tag, id, attrs, children) {
    var node = el(tag, Object.assign({ id: id }, attrs || {}), children);
    R[id] = node;
    return node;
  }

  var headingTag = pageMode ? "h1" : "h2";
  var panel = part("section", "panel", { "class": "panel", "aria-labelledby": "heading" }, [
    el("header", { "class": "bar" }, [
      part(headingTag, "heading", { "class": "heading" }),
      el("div", { "class": "tools" }, [
        part("label", "language-label", { "for": "language", "class": "language-label" }),
        part("select", "language", {}),
        part("button", "end", { type: "button", "class": "end" }),
        pageMode ? el("span") : part("button", "close", { type: "button", "class": "close" }, [
          el("span", { "aria-hidden": "true", text: "\u00d7" })
        ])
      ])
    ]),
    part("div", "privacy", { "class": "privacy", hidden: "" }, [
      part("p", "privacy-text", {}),
      el("p", { "class": "privacy-actions" }, [
        part("a", "privacy-link", { target: "_blank", rel: "noopener noreferrer" }),
        part("button", "privacy-ok", { type: "button", "aria-describedby": "privacy-text" })
      ])
    ]),
    part("p", "intro", { "class": "intro" }),
    el("p", { "class": "figures" }, [part("a", "figures-link", { target: "_blank", rel: "noopener" })]),
    part("p", "status", { "class": "status", role: "status" }),
    part("div", "log-region", { "class": "log-region", role: "log", "aria-labelledby": "heading", tabindex: "0" }, [
      part("ol", "log", { "class": "log" })
    ]),
    part("p", "typing", { "class": "typing", hidden: "" }, [
      el("span", { "class": "dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      part("span", "typing-text", { "class": "typing-text" })
    ]),
    // Photos and position (issue 20): chosen photos wait in the tray until the resident sends them.
    part("div", "attach", { "class": "attach" }, [
      part("ul", "tray", { "class": "tray", hidden: "" }),
      part("label", "photo-position-row", { "class": "photo-position", hidden: "" }, [
        part("input", "photo-position", { type: "checkbox" }),
        part("span", "photo-position-text", {})
      ]),
      el("div", { "class": "attach-tools" }, [
        part("button", "add-photo", { type: "button", "class": "add-photo", "aria-describedby": "photos-hint" }),
        part("input", "photo-input", { type: "file", accept: "image/*", multiple: "", hidden: "", tabindex: "-1" }),
        part("button", "share-position", { type: "button", "class": "share-position", hidden: "" }),
        part("span", "photos-hint", { "class": "photos-hint" })
      ]),
      part("p", "attach-status", { "class": "attach-status", role: "status" })
    ]),
    part("form", "composer", { "class": "composer", autocomplete: "off" }, [
      part("label", "input-label", { "for": "input", "class": "visually-hidden" }),
      part("textarea", "input", { rows: "2", maxlength: "2000" }),
      part("button", "send", { type: "submit", "class": "send" })
    ])
  ]);
  var launcher = pageMode ? null : part("button", "launcher", {
    type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "panel"
  }, [
    el("span", { "class": "launcher-icon", "aria-hidden": "true" }),
    part("span", "launcher-label", {})
  ]);
  var frame = el(pageMode ? "div" : "aside", { "class": "kc " + (pageMode ? "page" : "floating") },
    launcher ? [panel, launcher] : [panel]);
  if (!pageMode) { frame.setAttribute("aria-labelledby", "launcher-label"); }
  var stylesheet = el("link", { rel: "stylesheet", href: server + "/static/widget.css" });
  root.appendChild(stylesheet);
  root.appendChild(frame);
  frame.hidden = true;           // shown once its stylesheet and texts are there
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  var revealed = 0;
  function reveal() { revealed += 1; if (revealed === 2) { frame.hidden = false; } }

  // -- texts and languages ------------------------------------------------------------------------

  function t(key) { return (ui && ui.strings[key]) || ""; }

  function fetchUi(code) {
    return fetch(server + "/api/ui/" + encodeURIComponent(code), { credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("ui " + r.status); } return r.json(); });
  }

  function applyUi(data) {
    ui = data;
    storage.set("language", ui.language);
    frame.lang = ui.language;
    frame.dir = ui.dir;
    if (pageMode) {
      document.documentElement.lang = ui.language;
      document.documentElement.dir = ui.dir;
      document.title = t("page_title");
    }
    R.heading.textContent = t("heading");
    R.intro.textContent = t("intro");
    R["language-label"].textContent = t("language_label");
    R["input-label"].textContent = t("input_label");
    R.input.placeholder = t("input_placeholder");
    R.send.textContent = t("send");
    R.end.textContent = t("end_chat");
    R["typing-text"].textContent = t("typing");
    R["privacy-text"].textContent = t("privacy_notice");
    R["privacy-link"].textContent = t("privacy_link");
    R["privacy-link"].href = ui.privacy_url;
    R["privacy-ok"].textContent = t("privacy_ok");
    R["figures-link"].textContent = ui.figures_link || "";
    R["figures-link"].href = server + (ui.figures_url || "/key-figures");
    if (launcher) {
      R["launcher-label"].textContent = t("open_chat");
      R.close.setAttribute("aria-label", t("close_chat"));
    }
    while (R.language.firstChild) { R.language.removeChild(R.language.firstChild); }
    ui.languages.forEach(function (l) {
      var option = el("option", { value: l.code, lang: l.code, text: l.name });
      if (l.code === ui.language) { option.selected = true; }
      R.language.appendChild(option);
    });
    Array.prototype.forEach.call(R.log.querySelectorAll(".who"), function (node) {
      node.textContent = who(node.getAttribute("data-sender"), node.getAttribute("data-name"));
    });
    showStatus();                // also relabels the messages still waiting to be sent
    applyAttachUi();
  }

  // The resident's own earlier choice first, then the browser's languages (a phone set to Arabic opens
  // in Arabic on a Swedish site), the site's data-language last. On the chat page an explicit ?lang= wins.
  function startLanguage() {
    var browser = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language])
      .map(function (l) { return (l || "").slice(0, 2).toLowerCase(); });
    var wanted = [storage.get("language")].concat(browser, [script.getAttribute("data-language")]);
    if (pageMode && /[?&]lang=/.test(window.location.search)) { wanted.unshift(script.getAttribute("data-language")); }
    return wanted.filter(Boolean);
  }

  function loadFirstUi(candidates) {     // the first of them the server has, else its default
    return fetch(server + "/api/ui?prefer=" + encodeURIComponent(candidates.join(",")), { credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("ui " + r.status); } return r.json(); });
  }

  // -- messages -----------------------------------------------------------------------------------

  // A case officer's messages carry their display name; the role word is the fallback.
  function who(sender, name) {
    if (sender === "staff" && name) { return name; }
    return { resident: t("you"), bot: t("assistant"), staff: t("staff"), system: t("system") }[sender] || "";
  }

  function clock(iso) {
    var date = iso ? new Date(iso) : new Date();
    try {
      return new Intl.DateTimeFormat(ui.language, { hour: "2-digit", minute: "2-digit" }).format(date);
    } catch (e) {
      return date.toTimeString().slice(0, 5);
    }
  }

  function messageItem(msg) {
    var li = el("li", { "class": "msg " + msg.sender });
    if (msg.lang) { li.lang = msg.lang; }
    if (msg.dir) { li.dir = msg.dir; }
    var label = el("span", { "class": "who", "data-sender": msg.sender, text: who(msg.sender, msg.name) });
    if (msg.name) { label.setAttribute("data-name", msg.name); }
    var time = el("time", { datetime: msg.time || new Date().toISOString(), text: clock(msg.time) });
    li.appendChild(el("p", { "class": "meta" }, [label, document.createTextNode(" "), time]));
    li.appendChild(el("p", { "class": "text", text: msg.text || attachmentText(msg) }));
    if (msg.note) {              // a case officer's own text in Swedish: "written in Swedish", in our language
      var note = el("p", { "class": "note", text: msg.note });
      if (msg.note_lang) { note.lang = msg.note_lang; }
      if (msg.note_dir) { note.dir = msg.note_dir; }
      li.appendChild(note);
    }
    if (msg.photo) {
      li.setAttribute("data-photo", msg.photo);
      if (thumbs[msg.photo]) { li.appendChild(thumbnail(thumbs[msg.photo])); }
    }
    if (msg.buttons && msg.buttons.length) {
      var box = el("div", { "class": "buttons" });
      msg.buttons.forEach(function (b) {
        var button = el("button", { type: "button", text: b.title });
        if (b.lang) { button.lang = b.lang; }
        button.addEventListener("click", function () { send(b.payload, b.title); R.input.focus(); });
        box.appendChild(button);
      });
      li.appendChild(box);
    }
    return li;
  }

  function render(msg) {
    if (msg.id && seen[msg.id]) { return; }
    if (msg.id) { seen[msg.id] = true; }
    var pending = msg.client_id ? R.log.querySelector('li[data-client-id="' + cssEscape(msg.client_id) + '"]') : null;
    if (pending) {               // our own message, now stored by the server
      confirm(msg.client_id, msg.id);
      return;
    }
    var li = messageItem(msg);
    if (msg.id) { li.setAttribute("data-id", msg.id); }
    R.log.appendChild(li);
    scrollDown(li);
  }

  function renderPending(event) {
    var li = messageItem({ sender: "resident", text: event.display || event.text, lang: ui.language, dir: ui.dir });
    li.className += " pending";
    li.setAttribute("data-client-id", event.client_id);
    li.appendChild(el("p", { "class": "state", text: ready ? t("sending") : t("not_sent") }));
    R.log.appendChild(li);
    scrollDown(li);
  }

  function confirm(clientId, id) {
    var li = R.log.querySelector('li[data-client-id="' + cssEscape(clientId) + '"]');
    if (li) {
      li.classList.remove("pending");
      var state = li.querySelector(".state");
      if (state) { li.removeChild(state); }
      if (id) { li.setAttribute("data-id", id); seen[id] = true; }
    }
    outbox = outbox.filter(function (e) { return e.client_id !== clientId; });
    saveOutbox();
  }

  function fail(clientId, message) {
    var li = R.log.querySelector('li[data-client-id="' + cssEscape(clientId) + '"]');
    if (li) {
      li.classList.remove("pending");
      li.classList.add("failed");
      var state = li.querySelector(".state");
      if (state) { state.textContent = message; }
    }
    outbox = outbox.filter(function (e) { return e.client_id !== clientId; });
    saveOutbox();
  }

  function cssEscape(value) { return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/"/g, ""); }

  function scrollDown(node) {
    var region = R["log-region"];
    if (region.scrollTo) {
      region.scrollTo({ top: region.scrollHeight, behavior: reducedMotion() ? "auto" : "smooth" });
    } else {
      region.scrollTop = region.scrollHeight;
    }
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  // -- sending ------------------------------------------------------------------------------------

  function newClientId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function loadOutbox() {
    try { return JSON.parse(storage.get("outbox") || "[]"); } catch (e) { return []; }
  }

  function saveOutbox() {
    storage.set("outbox", JSON.stringify(outbox.map(function (e) {
      return { type: e.type, text: e.text, display: e.display, client_id: e.client_id };
    })));
  }

  function send(text, display) {
    var event = { type: "message", text: text, client_id: newClientId() };
    if (display) { event.display = display; }
    outbox.push(event);
    saveOutbox();
    renderPending(event);
    flush();
  }

  function flush() {
    if (!ws || ws.readyState !== 1 || !ready) { return; }
    outbox.forEach(function (event) {
      if (!event.sentOn || event.sentOn !== ws.serial) {
        ws.send(JSON.stringify({ type: event.type, text: event.text, display: event.display, client_id: event.client_id }));
        event.sentOn = ws.serial;
      }
    });
  }

  function showStatus() {
    if (!ui) { return; }
    var text = ready ? "" : (everReady ? t("offline") : t("connecting"));
    if (!ready && outbox.length) { text = t("offline"); }
    R.status.textContent = text;
    R.status.className = "status" + (ready ? "" : " offline");
    Array.prototype.forEach.call(R.log.querySelectorAll("li.pending .state"), function (node) {
      node.textContent = ready ? t("sending") : t("not_sent");
    });
  }

  // -- the socket ---------------------------------------------------------------------------------

  var serial = 0;
  var everReady = false;         // a socket was welcomed once: "offline" rather than "connecting"

  function connect() {
    reconnectTimer = null;
    var url = new URL(server + "/ws/chat");
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(url.toString());
    serial += 1;
    socket.serial = serial;
    ws = socket;
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "hello", token: storage.get("token"), language: ui.language }));
    };
    socket.onmessage = function (e) {
      if (socket !== ws) { return; }
      var ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev.type === "welcome") { welcome(ev); }
      else if (ev.type === "message") { render(ev); }
      else if (ev.type === "ack") { if (ev.client_id) { confirm(ev.client_id, ev.id); } }
      else if (ev.type === "typing") { R.typing.hidden = !ev.on; }
      else if (ev.type === "language") { switchLanguage(ev.lang, false); }
      else if (ev.type === "error") {
        if (ev.client_id) { fail(ev.client_id, ev.message); } else { render({ sender: "system", text: ev.message }); }
      }
    };
    socket.onclose = function () {
      if (socket !== ws) { return; }
      ready = false;
      R.typing.hidden = true;
      showStatus();
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer) { return; }
    var wait = backoff * (0.8 + Math.random() * 0.4);
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
    reconnectTimer = setTimeout(connect, wait);
  }

  function reconnectNow() {
    if (ready) { return; }
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    backoff = 500;
    if (!ws || ws.readyState > 1) { connect(); }
  }

  function welcome(ev) {
    var fresh = storage.get("token") !== ev.token;
    storage.set("token", ev.token);
    ready = true;
    everReady = true;
    backoff = 500;
    if (fresh) {                 // a new conversation: nothing of an old one stays on screen
      Array.prototype.forEach.call(R.log.querySelectorAll("li:not(.pending)"), function (li) { R.log.removeChild(li); });
      seen = {};
    }
    var pendingItems = R.log.querySelectorAll("li.pending");
    Array.prototype.forEach.call(pendingItems, function (li) { R.log.removeChild(li); });
    ev.history.forEach(render);
    outbox.forEach(function (event) { event.sentOn = null; });
    outbox.forEach(function (event) {     // still not stored: show it again, waiting
      if (!R.log.querySelector('li[data-client-id="' + cssEscape(event.client_id) + '"]')) { renderPending(event); }
    });
    if (ev.language !== ui.language) { switchLanguage(ev.language, false); }
    showStatus();
    flush();
  }

  function switchLanguage(code, tellBot) {
    return fetchUi(code).then(function (data) {
      applyUi(data);
      if (tellBot) {
        var name = data.languages.filter(function (l) { return l.code === code; })[0];
        send("/change_language" + JSON.stringify({ language: code }), name ? name.name : code);
      }
    });
  }

  function endChat() {
    if (ws && ready) { ws.send(JSON.stringify({ type: "leave" })); }
    storage.remove("token");
    outbox = [];
    saveOutbox();
    while (R.log.firstChild) { R.log.removeChild(R.log.firstChild); }
    seen = {};
    ready = false;
    if (ws) { var old = ws; ws = null; old.close(); }
    R.status.textContent = t("chat_ended");
    connect();
    R.input.focus();
  }

  // -- photos and position (issue 20) ----------------------------------------------------------------
  // Sent over HTTP with the session token, never over the socket. The server re-encodes every photo
  // without metadata; a photo's own position is read only when the resident ticks the box. The
  // browser's position is asked for only when the resident presses "share my position".

  var tray = [];                 // {file, url, li, status} chosen, not yet stored
  var thumbs = {};               // photo id → thumbnail of a photo sent from this page
  var uploading = Promise.resolve();

  function applyAttachUi() {
    var limits = ui.photos || { max: 3, position: false };
    R["add-photo"].textContent = t("add_photo");
    R["share-position"].textContent = t("share_position");
    R["share-position"].hidden = !limits.position;
    R["photo-position-text"].textContent = t("photo_use_position");
    R["photos-hint"].textContent = t("photos_hint");
    R["photo-position-row"].hidden = !limits.position || !tray.length;
    tray.forEach(function (item) { item.remove.textContent = t("remove_photo"); });
  }

  function attachmentText(msg) {
    if (msg.photo) { return t("photo"); }
    if (msg.position) {
      var accuracy = msg.position.accuracy;
      return t("position_shared") + (accuracy ? " (\u00b1" + Math.round(accuracy) + " m)" : "");
    }
    return "";
  }

  function thumbnail(url) { return el("img", { "class": "thumb", src: url, alt: t("photo") }); }

  function removeFromTray(item) {
    tray = tray.filter(function (other) { return other !== item; });
    if (item.li.parentNode) { item.li.parentNode.removeChild(item.li); }
    R.tray.hidden = !tray.length;
    applyAttachUi();
  }

  function addToTray(file) {
    var max = (ui.photos && ui.photos.max) || 3;
    if (tray.length >= max) { R["attach-status"].textContent = t("photos_hint"); return; }
    var item = { file: file, url: "", status: el("span", { "class": "photo-state", role: "alert" }) };
    item.remove = el("button", { type: "button", "class": "remove-photo", text: t("remove_photo") });
    item.li = el("li", { "class": "tray-item" }, [item.status, item.remove]);
    item.remove.addEventListener("click", function () { removeFromTray(item); R["add-photo"].focus(); });
    var reader = new FileReader();
    reader.onload = function () { item.url = String(reader.result); item.li.insertBefore(thumbnail(item.url), item.status); };
    reader.readAsDataURL(file);
    tray.push(item);
    R.tray.appendChild(item.li);
    R.tray.hidden = false;
    applyAttachUi();
  }

  function postJson(path, body, headers) {
    var token = storage.get("token");
    if (!token || !ready) { return Promise.resolve({ ok: false, message: t("not_sent") }); }
    return fetch(server + path + "?lang=" + encodeURIComponent(ui.language), {
      method: "POST", body: body, credentials: "omit",
      headers: Object.assign({ Authorization: "Bearer " + token }, headers || {})
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false }; });
    }, function () { return { ok: false }; });
  }

  function uploadOne(item) {
    if (tray.indexOf(item) < 0) { return Promise.resolve(); }   // removed, or stored by an earlier send
    var body = new FormData();
    body.append("photo", item.file, item.file.name || "photo");
    if (R["photo-position"].checked) { body.append("use_position", "1"); }
    item.li.classList.remove("failed");
    item.status.textContent = t("photo_sending");
    return postJson("/api/photos", body).then(function (answer) {
      if (!answer.ok) {          // kept in the tray with the reason: nothing is lost
        item.li.classList.add("failed");
        item.status.textContent = answer.message || t("photo_failed");
        return;
      }
      thumbs[answer.id] = item.url;
      var shown = R.log.querySelector('li[data-photo="' + cssEscape(String(answer.id)) + '"]');
      if (shown && !shown.querySelector("img")) { shown.appendChild(thumbnail(item.url)); }
      removeFromTray(item);
      if (answer.position_message) { render({ sender: "system", text: answer.position_message }); }
    });
  }

  function uploadTray() {
    tray.slice().forEach(function (item) { uploading = uploading.then(function () { return uploadOne(item); }); });
    return uploading;
  }

  function sharePosition() {
    if (!navigator.geolocation) { R["attach-status"].textContent = t("position_denied"); return; }
    R["attach-status"].textContent = t("position_finding");
    navigator.geolocation.getCurrentPosition(function (found) {
      var body = JSON.stringify({
        latitude: found.coords.latitude, longitude: found.coords.longitude, accuracy: found.coords.accuracy
      });
      postJson("/api/position", body, { "Content-Type": "application/json" }).then(function (answer) {
        R["attach-status"].textContent = "";
        if (!answer.ok) { render({ sender: "system", text: answer.message || t("position_denied") }); }
      });
    }, function () {
      R["attach-status"].textContent = t("position_denied");
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  R["add-photo"].addEventListener("click", function () { R["photo-input"].click(); });
  R["photo-input"].addEventListener("change", function () {
    R["attach-status"].textContent = "";
    Array.prototype.forEach.call(R["photo-input"].files, addToTray);
    R["photo-input"].value = "";
  });
  R["share-position"].addEventListener("click", sharePosition);

  // -- opening, closing, keyboard -----------------------------------------------------------------

  function open(focus) {
    R.panel.hidden = false;
    if (launcher) { launcher.setAttribute("aria-expanded", "true"); launcher.hidden = true; }
    storage.set("open", "1");
    if (!opened) {
      opened = true;
      connect();
    }
    var privacyFirst = !storage.get("privacy-seen");
    R.privacy.hidden = !privacyFirst;
    if (focus) { (privacyFirst ? R["privacy-ok"] : R.input).focus(); }
  }

  function close() {
    R.panel.hidden = true;
    storage.remove("open");
    if (launcher) { launcher.hidden = false; launcher.setAttribute("aria-expanded", "false"); launcher.focus(); }
  }

  R.composer.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = R.input.value.trim();
    if (!text && !tray.length) { return; }
    R.input.value = "";
    uploadTray();                // photos first, so they stand before the words that describe them
    if (text) { send(text); }
  });
  R.input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); R.composer.requestSubmit(); }
  });
  R.language.addEventListener("change", function () { switchLanguage(R.language.value, true); });
  R.end.addEventListener("click", endChat);
  R["privacy-ok"].addEventListener("click", function () {
    storage.set("privacy-seen", "1");
    R.privacy.hidden = true;
    R.input.focus();
  });
  if (launcher) {
    launcher.addEventListener("click", function () { open(true); });
    R.close.addEventListener("click", close);
    frame.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !R.panel.hidden) { e.preventDefault(); close(); }
    });
  }
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { reconnectNow(); } });

  loadFirstUi(startLanguage()).then(function (data) {
    applyUi(data);
    reveal();
    if (pageMode || storage.get("open")) { open(pageMode ? false : true); } else { R.panel.hidden = true; }
  }).catch(function (error) {
    // The chat server is unreachable or does not allow this web site (widget.allowed_origins in its
    // profile): no chat is shown, rather than one that cannot work.
    host.parentNode.removeChild(host);
    if (window.console) { console.warn("kommun chat widget: not started:", error.message); }
  });
})();
