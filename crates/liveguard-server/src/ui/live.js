// liveguard live console: appends what the server streams (server-sent events) to the
// page the server rendered. Every string is inserted as text, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root || !window.EventSource) return;
  var id = root.dataset.session;
  var csrf = root.dataset.csrf;
  var operate = root.dataset.operate === "true";
  var zh = root.dataset.lang !== "en";
  var t = function (a, b) { return zh ? a : b; };
  var status = document.getElementById("live-status");
  var MAX_ROWS = 100;
  // The server's labels for the codes in the stream (severity, category, state, advice).
  var labels = {};
  try { labels = JSON.parse(root.dataset.labels || "{}"); } catch (e) { labels = {}; }
  function label(kind, code) { return (labels[kind] && labels[kind][code]) || code; }
  // A short beep for each block alert once the duty officer turned sound on (browsers only
  // allow audio after a click).
  var audio = null;
  var soundButton = document.getElementById("alert-sound");
  if (soundButton) {
    soundButton.addEventListener("click", function () {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      audio = audio || new Ctx();
      soundButton.textContent = t("提示音已开启", "Sound is on");
      soundButton.disabled = true;
    });
  }
  function beep() {
    if (!audio) return;
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.2;
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
  }
  // Show only one severity.
  var filter = document.getElementById("alert-filter");
  function applyFilter(row) {
    var want = filter ? filter.value : "";
    row.hidden = want !== "" && row.dataset.severity !== want;
  }
  if (filter) {
    filter.addEventListener("change", function () {
      Array.prototype.forEach.call(document.querySelectorAll("#alert-rows tr"), applyFilter);
    });
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function time(ms) {
    return new Date(ms).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
  }
  function prepend(tbody, row) {
    tbody.insertBefore(row, tbody.firstChild);
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(tbody.rows.length - 1);
  }
  function csrfInput() { return el("input", { type: "hidden", name: "csrf", value: csrf }); }
  function stateLabel(s) { return label("state", s); }
  function alertActions(a) {
    var td = el("td");
    if (!operate || a.state === "resolved") return td;
    if (a.state !== "acknowledged") {
      td.appendChild(el("form", { method: "post", action: "/live/alerts/" + a.id + "/acknowledge", class: "inline" },
        [csrfInput(), el("button", { type: "submit", text: t("确认", "Acknowledge") })]));
      td.appendChild(document.createTextNode(" "));
    }
    td.appendChild(el("form", { method: "post", action: "/live/alerts/" + a.id + "/resolve", class: "inline" }, [
      csrfInput(),
      el("input", { name: "reason", required: "", maxlength: "500", placeholder: t("处理说明", "what was done") }),
      el("label", { class: "inline" }, [el("input", { type: "checkbox", name: "incident" }), document.createTextNode(t("立案", "incident"))]),
      el("button", { type: "submit", text: t("解决", "Resolve") })
    ]));
    return td;
  }
  function bump(idName, by) {
    var s = document.getElementById(idName);
    if (s) s.textContent = String((parseInt(s.textContent, 10) || 0) + by);
  }
  function onAlert(a) {
    if (a.severity === "block") beep();
    bump("stat-open", 1);
    // The same text again while the earlier one is open: one row, its count goes up, and
    // its actions act on the newest.
    var same = Array.prototype.find.call(document.querySelectorAll("#alert-rows tr[data-open=true]"), function (r) {
      return r.dataset.severity === a.severity && r.dataset.summary === a.summary;
    });
    if (same) {
      var badge = same.querySelector(".count");
      var n = badge ? parseInt(badge.dataset.count, 10) + 1 : 2;
      if (!badge) {
        badge = el("span", { class: "badge b-block count", "data-testid": "alert-count" });
        same.children[2].appendChild(document.createTextNode(" "));
        same.children[2].appendChild(badge);
      }
      badge.dataset.count = String(n);
      badge.textContent = "×" + n;
      same.dataset.alert = String(a.id);
      same.children[0].textContent = time(a.created_ms);
      same.replaceChild(alertActions(a), same.lastElementChild);
      same.parentNode.insertBefore(same, same.parentNode.firstChild);
      return;
    }
    var row = el("tr", { "data-testid": "alert", "data-alert": String(a.id), "data-severity": a.severity,
      "data-summary": a.summary, "data-open": "true", class: "new" }, [
      el("td", { text: time(a.created_ms) }),
      el("td", {}, [el("span", { class: "badge b-" + a.severity, text: label("severity", a.severity) })]),
      el("td", {}, [el("a", { href: "/live/" + id + "/events/" + a.event_id, "data-testid": "alert-event", text: a.summary })]),
      el("td", { class: "alert-state", text: stateLabel(a.state) }),
      alertActions(a)
    ]);
    applyFilter(row);
    prepend(document.getElementById("alert-rows"), row);
  }
  function onAlertUpdate(a) {
    var row = document.querySelector('tr[data-alert="' + a.id + '"]');
    if (!row) return;
    row.querySelector(".alert-state").textContent = stateLabel(a.state) + (a.resolution ? " · " + a.resolution : "");
    row.replaceChild(alertActions(a), row.lastElementChild);
    if (a.state === "resolved") {
      row.dataset.open = "false";
      bump("stat-open", -1);
    }
  }
  function onEvent(e) {
    var text = el("td", { text: e.text || "" });
    if (e.price_fen != null) text.appendChild(document.createTextNode(" ¥" + (e.price_fen / 100).toFixed(2)));
    (e.findings || []).forEach(function (f) {
      if (f.severity === "info") return;
      text.appendChild(el("br"));
      text.appendChild(el("span", { class: "badge b-" + f.severity, text: label("severity", f.severity) }));
      text.appendChild(document.createTextNode(" " + label("category", f.category) + " · " + f.matched));
      if (f.model) {
        text.appendChild(document.createTextNode(" "));
        text.appendChild(el("span", { class: "badge b-info", "data-testid": "model-finding", title: f.model.version,
          text: t("模型第二意见 ", "model opinion ") + Number(f.model.score).toFixed(2) }));
      }
    });
    if (e.moderation) {
      text.appendChild(el("br"));
      text.appendChild(el("span", { class: "badge b-info", text: t("建议：", "advice: ") + label("moderation", e.moderation.action) }));
    }
    var who = el("td", { text: e.speaker || e.nickname || label("kind", e.kind) });
    if (e.source === "frame") {
      who.appendChild(document.createTextNode(" "));
      who.appendChild(el("span", { class: "badge b-info", "data-testid": "frame-origin",
        title: t("文字由画面截图识别（OCR 与二维码解码）", "Text read from a snapshot of the stream (OCR and code decoding)"),
        text: t("画面识别", "from frame") }));
    }
    var row = el("tr", { "data-testid": e.kind === "comment" ? "comment" : "timeline-event", class: "new" }, [
      el("td", { text: time(e.at_ms) }), who, text
    ]);
    prepend(document.getElementById(e.kind === "comment" ? "comment-rows" : "timeline-rows"), row);
    bump("stat-events", 1);
    if (e.promises && e.promises.length) refreshTasks();
  }
  // The counters are what the database holds: checked every 5 s (the stream carries only
  // what needs a person, so counting its messages would fall behind on a busy room).
  var tasksSeen = null;
  function setCount(idName, n) {
    var s = document.getElementById(idName);
    if (s && n != null) s.textContent = String(n);
  }
  // Follow-ups are re-read from the server when a promise is said (the event carries it)
  // or when the count changes (closed by someone else); rows keep their close forms.
  var tasksLoading = false;
  function refreshTasks() {
    var body = document.getElementById("task-rows");
    if (!body || tasksLoading) return;
    tasksLoading = true;
    var before = body.querySelectorAll("tr").length;
    fetch("/live/" + id + "/tasks", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        tasksLoading = false;
        if (html == null) return;
        // A form someone is typing in is left alone until the next change.
        var typing = body.querySelector("input[name=note]:focus");
        if (typing && typing.value) return;
        body.innerHTML = html;
        if (body.querySelectorAll("tr").length > before) {
          status.textContent = t("有新的承诺需要跟进（见“承诺跟进”）", "New promises to follow up (see Promise follow-ups)");
        }
      })
      .catch(function () { tasksLoading = false; });
  }
  function refreshCounts() {
    if (document.hidden) return;
    fetch("/api/v1/live/sessions/" + id, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s || !s.stats) return;
        var open = 0;
        Object.keys(s.stats.alerts_by_state || {}).forEach(function (k) {
          if (k !== "resolved") open += s.stats.alerts_by_state[k];
        });
        setCount("stat-events", s.stats.events);
        setCount("stat-open", open);
        setCount("stat-viewers", s.stats.viewers);
        setCount("stat-tasks", s.stats.open_tasks);
        var at = document.getElementById("stats-at");
        if (at) at.textContent = t("计数已核对 ", "counts checked ") + time(Date.now());
        if (tasksSeen !== null && s.stats.open_tasks !== tasksSeen) refreshTasks();
        tasksSeen = s.stats.open_tasks;
      })
      .catch(function () {});
  }
  window.setInterval(refreshCounts, 5000);
  var source = new EventSource("/api/v1/live/sessions/" + id + "/stream");
  source.onopen = function () { status.textContent = t("实时连接正常", "Live updates on"); status.dataset.state = "open"; };
  source.onerror = function () { status.textContent = t("实时连接中断，正在重连…", "Live updates lost; reconnecting…"); status.dataset.state = "error"; };
  source.addEventListener("alert", function (m) { onAlert(JSON.parse(m.data)); });
  source.addEventListener("alert_update", function (m) { onAlertUpdate(JSON.parse(m.data)); });
  source.addEventListener("event", function (m) { onEvent(JSON.parse(m.data)); });
  source.addEventListener("session", function () { window.location.reload(); });
  // The credential behind the stream ended (signed out, disabled): reload to the login page.
  source.addEventListener("auth", function () { source.close(); window.location.reload(); });
  source.addEventListener("lagged", function () {
    status.textContent = t("消息过多，部分未显示：请刷新页面查看全部", "Too many messages; some were not shown: reload to see all");
  });
})();
