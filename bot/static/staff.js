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
  var phrasebook = document.getElementById("phrasebook");
  var reference = body.dataset.watch;
  var backoff = 1000;
  if (!live) { return; }  // not logged in

  function setLive(on) { live.textContent = on ? live.dataset.on : live.dataset.off; live.className = on ? "live on" : "live off"; }

  function refresh(url, box, then) {
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { if (r.status === 401) { location.reload(); } return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && box) { box.innerHTML = html; if (then) { then(); } } });
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
    var sent = phraseNote(ev);
    if (sent) { li.appendChild(sent); }
    if (ev.photo && reference) {  // a photo the resident just sent (issue 20); alt text from the page
      var img = document.createElement("img");
      img.src = "/staff/cases/" + encodeURIComponent(reference) + "/photos/" + encodeURIComponent(ev.photo);
      img.alt = log.dataset.labelPhoto || "";
      img.width = 160;
      li.appendChild(img);
    }
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  // Under a case officer's message: the phrase it was sent from, or the "written in Swedish" mark (issue 17).
  function phraseNote(ev) {
    if (!phrasebook || (!ev.phrase && !ev.note)) { return null; }
    var span = document.createElement("span");
    span.className = "phrase-sent";
    span.lang = phrasebook.dataset.lang;
    span.dir = "ltr";
    if (ev.phrase) {
      var button = phrasebook.querySelector('button[data-phrase="' + CSS.escape(ev.phrase) + '"]');
      span.textContent = phrasebook.dataset.sent.replace("{phrase}", button ? button.textContent : ev.phrase);
    } else {
      span.textContent = phrasebook.dataset.marked;
    }
    return span;
  }
  // Presence: the "available / away" switch (sent over the socket) and alerts for new waiting chats: a short
  // tone made with WebAudio (no sound file) and, once the case officer allows it, a browser notification.
  var presence = document.getElementById("presence");
  var presenceState = document.getElementById("presence-state");
  var presenceSwitch = document.getElementById("presence-switch");
  var notifyAllow = document.getElementById("notify-allow");
  var socket = null;
  var audio = null;
  var seen = null;  // references in the queue when it was last shown

  function showPresence(away) {
    if (!presence) { return; }
    presence.hidden = false;
    presenceState.textContent = away ? presence.dataset.away : presence.dataset.available;
    presenceSwitch.textContent = away ? presence.dataset.goAvailable : presence.dataset.goAway;
    presenceSwitch.setAttribute("aria-pressed", away ? "true" : "false");
  }
  if (presenceSwitch) {
    presenceSwitch.addEventListener("click", function () {
      var away = presenceSwitch.getAttribute("aria-pressed") !== "true";
      if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "away", away: away })); }
    });
  }
  // Browsers let a page play sound only after the user did something on it: the context starts on the first click.
  function unlockAudio() {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    if (audio && audio.state === "suspended") { audio.resume(); }
  }
  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);
  function chime() {
    if (!audio || audio.state !== "running") { return; }
    [660, 880].forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      var start = audio.currentTime + i * 0.18;
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(start); osc.stop(start + 0.17);
    });
  }
  if (notifyAllow && "Notification" in window && Notification.permission === "default") {
    notifyAllow.hidden = false;
    notifyAllow.addEventListener("click", function () {
      unlockAudio();
      Notification.requestPermission().then(function () { notifyAllow.hidden = true; });
    });
  }
  function waitingReferences() {
    var refs = {};
    if (queueBox) {
      Array.prototype.forEach.call(queueBox.querySelectorAll("tr[data-reference]"), function (row) {
        refs[row.dataset.reference] = true;
      });
    }
    return refs;
  }
  function alertNewChats() {
    var now = waitingReferences();
    var fresh = seen ? Object.keys(now).filter(function (ref) { return !seen[ref]; }) : [];
    seen = now;
    if (!fresh.length) { return; }
    chime();
    if ("Notification" in window && Notification.permission === "granted" && presence) {
      new Notification(presence.dataset.notifyTitle, { body: presence.dataset.notifyBody + " " + fresh.join(", "), tag: "queue" });
    }
  }
  if (queueBox) { seen = waitingReferences(); }

  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var ws = new WebSocket(proto + "//" + location.host + "/ws/staff");
    socket = ws;
    ws.onopen = function () {
      backoff = 1000;
      if (queueBox || body.dataset.watchQueue) { ws.send(JSON.stringify({ type: "watch_queue" })); }
      if (reference) { ws.send(JSON.stringify({ type: "watch", reference: reference })); }
    };
    ws.onmessage = function (e) {
      var ev = JSON.parse(e.data);
      if (ev.type === "watching") { setLive(true); }
      else if (ev.type === "queue_changed" && queueBox) { refresh("/staff/queue", queueBox, alertNewChats); }
      else if (ev.type === "away") { showPresence(ev.away); }
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
  if (phrasebook) {
    var phraseError = document.getElementById("phrasebook-error");
    phrasebook.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = e.submitter;
      if (!button || !button.value) { return; }
      var data = new FormData(phrasebook);
      data.set("phrase", button.value);
      button.disabled = true;
      fetch(phrasebook.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
                                 headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.json(); })
        .then(function (result) {
          if (result.ok) { phraseError.hidden = true; }
          else { phraseError.textContent = result.error; phraseError.hidden = false; }
        })
        .finally(function () { button.disabled = false; button.focus(); });
    });
  }
  connect();
})();
