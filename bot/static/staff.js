// Staff console: live updates over /ws/staff and sending chat messages without a reload.
// Everything a resident typed is put on the page with textContent, never as HTML; fragments the
// server renders (queue, case panel) are escaped by its templates. Visible words come from the page.
(function () {
  "use strict";
  var body = document.body;
  var live = document.getElementById("live");
  var queueBox = document.getElementById("queue-tables");
  var panel = document.getElementById("panel");
  var log = document.getElementById("log");
  var composer = document.getElementById("composer");
  var reference = body.dataset.watch;
  var backoff = 1000;
  if (!live) { return; }  // not logged in

  function setLive(on) { live.textContent = on ? live.dataset.on : live.dataset.off; live.className = on ? "live on" : "live off"; }

  function refresh(url, box) {
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { if (r.status === 401) { location.reload(); } return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && box) { box.innerHTML = html; } });
  }

  // "2026-11-22 14:05" in the municipality's time zone, like the times the server renders.
  function localTime(d) {
    var parts = {};
    new Intl.DateTimeFormat("sv-SE", { timeZone: body.dataset.tz, year: "numeric", month: "2-digit", day: "2-digit",
                                       hour: "2-digit", minute: "2-digit", hour12: false })
      .formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function label(sender, name) {
    if (sender === "staff" && name) { return name; }
    return (log && log.dataset["label" + sender.charAt(0).toUpperCase() + sender.slice(1)]) || sender;
  }

  function addMessage(ev) {
    if (!log || (ev.id && log.querySelector('[data-id="' + ev.id + '"]'))) { return; }
    var li = document.createElement("li");
    li.className = "msg " + ev.sender;
    if (ev.id) { li.dataset.id = ev.id; }
    if (ev.lang) { li.lang = ev.lang; }
    if (ev.dir) { li.dir = ev.dir; }
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = label(ev.sender, ev.name);
    var time = document.createElement("time");
    if (ev.time) {
      time.dateTime = ev.time;
      time.textContent = localTime(new Date(ev.time));
    }
    var text = document.createElement("span");
    text.className = "text";
    text.textContent = ev.text;
    li.appendChild(who); li.appendChild(document.createTextNode(" ")); li.appendChild(time);
    li.appendChild(document.createTextNode(" ")); li.appendChild(text);
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var ws = new WebSocket(proto + "//" + location.host + "/ws/staff");
    ws.onopen = function () {
      backoff = 1000;
      if (queueBox || body.dataset.watchQueue) { ws.send(JSON.stringify({ type: "watch_queue" })); }
      if (reference) { ws.send(JSON.stringify({ type: "watch", reference: reference })); }
    };
    ws.onmessage = function (e) {
      var ev = JSON.parse(e.data);
      if (ev.type === "watching") { setLive(true); }
      else if (ev.type === "queue_changed" && queueBox) { refresh("/staff/queue", queueBox); }
      else if (ev.type === "message") { addMessage(ev); }
      else if ((ev.type === "case_changed" || ev.type === "mode") && panel && reference) {
        refresh("/staff/cases/" + encodeURIComponent(reference) + "?fragment=panel", panel);
      }
    };
    ws.onclose = function (e) {
      if (e.code === 1008) { location.reload(); return; }  // the session ended: the reload shows the login
      setLive(false);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  if (composer) {
    var area = composer.querySelector("textarea");
    var error = document.getElementById("composer-error");
    composer.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!area.value.trim()) { return; }
      var data = new FormData(composer);
      fetch(composer.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
                               headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.json(); })
        .then(function (result) {
          if (result.ok) { area.value = ""; error.hidden = true; }
          else { error.textContent = result.error; error.hidden = false; }
          area.focus();
        });
    });
    area.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); composer.requestSubmit(); }
    });
  }
  connect();
})();
