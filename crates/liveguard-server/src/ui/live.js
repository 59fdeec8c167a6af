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
  function stateLabel(s) {
    return { open: t("待处理", "open"), acknowledged: t("已确认", "acknowledged"),
      escalated: t("已升级", "escalated"), resolved: t("已解决", "resolved") }[s] || s;
  }
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
    var row = el("tr", { "data-testid": "alert", "data-alert": String(a.id), class: "new" }, [
      el("td", { text: time(a.created_ms) }),
      el("td", {}, [el("span", { class: "badge b-" + a.severity, text: a.severity })]),
      el("td", { text: a.summary }),
      el("td", { class: "alert-state", text: stateLabel(a.state) }),
      alertActions(a)
    ]);
    prepend(document.getElementById("alert-rows"), row);
    bump("stat-open", 1);
  }
  function onAlertUpdate(a) {
    var row = document.querySelector('tr[data-alert="' + a.id + '"]');
    if (!row) return;
    row.querySelector(".alert-state").textContent = stateLabel(a.state) + (a.resolution ? " · " + a.resolution : "");
    row.replaceChild(alertActions(a), row.lastElementChild);
    if (a.state === "resolved") bump("stat-open", -1);
  }
  function onEvent(e) {
    var text = el("td", { text: e.text || "" });
    if (e.price_fen != null) text.appendChild(document.createTextNode(" ¥" + (e.price_fen / 100).toFixed(2)));
    (e.findings || []).forEach(function (f) {
      if (f.severity === "info") return;
      text.appendChild(el("br"));
      text.appendChild(el("span", { class: "badge b-" + f.severity, text: f.severity }));
      text.appendChild(document.createTextNode(" " + f.rule + " · " + f.matched));
    });
    if (e.moderation) {
      text.appendChild(el("br"));
      text.appendChild(el("span", { class: "badge b-info", text: t("建议：", "advice: ") + e.moderation.action }));
    }
    var who = e.speaker || e.nickname || e.kind;
    var row = el("tr", { "data-testid": e.kind === "comment" ? "comment" : "timeline-event", class: "new" }, [
      el("td", { text: time(e.at_ms) }), el("td", { text: who }), text
    ]);
    prepend(document.getElementById(e.kind === "comment" ? "comment-rows" : "timeline-rows"), row);
    bump("stat-events", 1);
  }
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
