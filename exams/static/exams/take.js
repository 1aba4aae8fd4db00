/* Taking an exam: server clock, autosave with sequence numbers, offline queue in localStorage.
 *
 * - Time: the server sends its time and the deadline; the page keeps only the offset between the
 *   server clock and Date.now(), so a background tab or a sleeping laptop shows the right time
 *   when it wakes (nothing counts ticks). It re-syncs on focus, visibility and reconnect.
 * - Saving: every change gets the next sequence number and goes into a pending queue stored in
 *   localStorage before anything is sent; saves are debounced and also sent every 15 s. The
 *   server acknowledges (item, seq) pairs; only then does an entry leave the queue. An older seq
 *   never overwrites a newer answer on the server, so re-sending is always safe.
 * - Reload or another device: the server's answers are merged with this browser's queue (the
 *   higher seq wins) and the clock comes from the server again.
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("exam-config").textContent);
  var S = JSON.parse(document.getElementById("exam-strings").textContent);
  var storeKey = "academy-exam-" + config.attempt;
  var store = loadStore();
  var items = [];
  var offsetMs = 0; // server time minus Date.now()
  var deadlineMs = 0; // server epoch ms
  var inflight = null; // the save request under way, if any
  var debounceTimer = null;
  var retryDelay = 2000;
  var closed = false;
  var submitting = false;
  var timeupHandled = false;

  function $(id) { return document.getElementById(id); }

  function loadStore() {
    try {
      var raw = window.localStorage.getItem(storeKey);
      if (raw) { return JSON.parse(raw); }
    } catch (e) { /* private mode or quota: keep in memory only */ }
    return { seq: 0, pending: {} };
  }

  function persist() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(store)); } catch (e) { /* ignored */ }
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setStatus(text, kind) {
    var el = $("save-status");
    el.textContent = text;
    el.className = "save-status save-status-" + (kind || "ok");
  }

  function serverNow() { return Date.now() + offsetMs; }

  function syncClock(state, sentAt) {
    var rtt = Date.now() - sentAt;
    offsetMs = Date.parse(state.server_now) + rtt / 2 - Date.now();
    deadlineMs = Date.parse(state.deadline);
  }

  function fetchState() {
    var sentAt = Date.now();
    return fetch(config.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("state " + r.status); }
        return r.json();
      })
      .then(function (state) {
        syncClock(state, sentAt);
        if (state.status !== "in_progress") { finish(); }
        return state;
      });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, deadlineMs - serverNow());
    var s = Math.floor(left / 1000);
    var h = Math.floor(s / 3600);
    var text = (h ? h + ":" : "") + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    var timer = $("timer");
    if (timer.textContent !== text) { timer.textContent = text; }
    timer.parentNode.classList.toggle("exam-timer-low", left < 5 * 60 * 1000);
    if (left <= 0 && deadlineMs && !timeupHandled) {
      timeupHandled = true;
      setStatus(S.timeup, "warn");
      flush().then(submit, submit);
    }
  }

  function responseOf(item) {
    var form = $("exam-form");
    var name = "q-" + item.id;
    if (item.qtype === "single") {
      var c = form.querySelector("input[name='" + name + "']:checked");
      return c ? c.value : null;
    }
    if (item.qtype === "true_false") {
      var t = form.querySelector("input[name='" + name + "']:checked");
      return t ? t.value === "true" : null;
    }
    if (item.qtype === "multiple") {
      var chosen = [];
      form.querySelectorAll("input[name='" + name + "']:checked").forEach(function (el) { chosen.push(el.value); });
      return chosen.length ? chosen : null;
    }
    if (item.qtype === "fill_blank") {
      var values = [];
      var any = false;
      form.querySelectorAll("input[name='" + name + "']").forEach(function (el) { values.push(el.value); if (el.value.trim()) { any = true; } });
      return any ? values : null;
    }
    var area = form.querySelector("textarea[name='" + name + "']");
    return area && area.value.trim() ? area.value : null;
  }

  function isAnswered(item) {
    var r = item.response;
    return !(r === null || r === undefined || r === "" || (Array.isArray(r) && r.length === 0));
  }

  function updateCounts() {
    var answered = 0, flagged = 0;
    items.forEach(function (item) {
      if (isAnswered(item)) { answered += 1; }
      if (item.flagged) { flagged += 1; }
      var link = $("nav-" + item.id);
      if (link) {
        link.classList.toggle("answered", isAnswered(item));
        link.classList.toggle("flagged", !!item.flagged);
      }
    });
    $("count-answered").textContent = answered;
    $("count-unanswered").textContent = items.length - answered;
    $("count-flagged").textContent = flagged;
    return answered;
  }

  function changed(item) {
    if (closed) { return; }
    item.response = responseOf(item);
    store.seq += 1;
    store.pending[item.id] = { item: item.id, response: item.response, flagged: !!item.flagged, seq: store.seq };
    persist();
    updateCounts();
    setStatus(S.unsaved, "pending");
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(flush, 800);
  }

  function flush() {
    var entries = Object.keys(store.pending).map(function (k) { return store.pending[k]; });
    if (inflight) { return inflight.then(flush); }
    if (!entries.length || closed) { return Promise.resolve(); }
    setStatus(S.saving, "pending");
    inflight = fetch(config.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Attempt-Token": config.token },
      body: JSON.stringify({ answers: entries })
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      inflight = null;
      if (res.status === 200) {
        res.body.acked.forEach(function (ack) {
          var p = store.pending[ack.item];
          if (p && p.seq <= ack.seq) { delete store.pending[ack.item]; }
        });
        persist();
        retryDelay = 2000;
        if (Object.keys(store.pending).length) { return flush(); }
        setStatus(S.saved, "ok");
        return null;
      }
      if (res.status === 409) {
        closed = true;
        setStatus(S.closed + " " + res.body.error, "error");
        finish();
        return null;
      }
      throw new Error(res.body.error || "save failed");
    }).catch(function () {
      inflight = null;
      setStatus(S.offline, "error");
      setTimeout(flush, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
    return inflight;
  }

  function submit() {
    if (submitting) { return; }
    submitting = true;
    fetch(config.submitUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
    }).then(function (r) { return r.json(); }).then(function (body) {
      setStatus(S.submitted, "ok");
      try { window.localStorage.removeItem(storeKey); } catch (e) { /* ignored */ }
      window.location.href = body.result_url || config.resultUrl;
    }).catch(function () {
      submitting = false;
      setStatus(S.offline, "error");
      setTimeout(submit, 3000);
    });
  }

  function finish() {
    closed = true;
    window.location.href = config.resultUrl;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function choice(type, item, value, label, checked) {
    var id = "q-" + item.id + "-" + value;
    var wrap = el("div", { "class": "exam-choice" });
    var input = el("input", { type: type, name: "q-" + item.id, id: id, value: value });
    input.checked = checked;
    input.addEventListener("change", function () { changed(item); });
    wrap.appendChild(input);
    wrap.appendChild(el("label", { "for": id }, label));
    return wrap;
  }

  function render(state) {
    var form = $("exam-form");
    var nav = $("navigator");
    form.textContent = "";
    nav.textContent = "";
    var lastSection = -1;
    items.forEach(function (item, index) {
      if (item.section !== lastSection) {
        lastSection = item.section;
        var sec = state.sections[item.section];
        if (sec) { form.appendChild(el("h2", { "class": "exam-section" }, sec.title)); }
      }
      var fs = el("fieldset", { "class": "exam-question", id: "q-" + item.id });
      var legend = el("legend");
      legend.appendChild(el("span", { "class": "exam-qno" }, S.question + " " + (index + 1) + " (" + item.points + " " + S.points + ")"));
      var stem = el("div", { "class": "exam-stem" });
      stem.innerHTML = item.stem; // rich text approved in the question bank
      legend.appendChild(stem);
      fs.appendChild(legend);
      var r = item.response;
      if (item.qtype === "single" || item.qtype === "multiple") {
        item.options.forEach(function (o) {
          var checked = item.qtype === "single" ? r === o.label : Array.isArray(r) && r.indexOf(o.label) >= 0;
          fs.appendChild(choice(item.qtype === "single" ? "radio" : "checkbox", item, o.label, o.label + ". " + o.text, checked));
        });
      } else if (item.qtype === "true_false") {
        fs.appendChild(choice("radio", item, "true", S["true"], r === true));
        fs.appendChild(choice("radio", item, "false", S["false"], r === false));
      } else if (item.qtype === "fill_blank") {
        for (var b = 0; b < (item.blanks || 1); b += 1) {
          var bid = "q-" + item.id + "-b" + b;
          var row = el("div", { "class": "exam-blank" });
          row.appendChild(el("label", { "for": bid }, S.blank + " " + (b + 1)));
          var input = el("input", { type: "text", name: "q-" + item.id, id: bid, autocomplete: "off" });
          input.value = Array.isArray(r) && r[b] ? r[b] : "";
          input.addEventListener("input", function () { changed(item); });
          row.appendChild(input);
          fs.appendChild(row);
        }
      } else {
        var area = el("textarea", { name: "q-" + item.id, rows: "8", "aria-label": S.question + " " + (index + 1) });
        area.value = typeof r === "string" ? r : "";
        area.addEventListener("input", function () { changed(item); });
        fs.appendChild(area);
      }
      var flagId = "flag-" + item.id;
      var flagWrap = el("div", { "class": "exam-flag" });
      var flag = el("input", { type: "checkbox", id: flagId });
      flag.checked = !!item.flagged;
      flag.addEventListener("change", function () { item.flagged = flag.checked; changed(item); });
      flagWrap.appendChild(flag);
      flagWrap.appendChild(el("label", { "for": flagId }, S.flag));
      fs.appendChild(flagWrap);
      form.appendChild(fs);
      var li = el("li");
      var a = el("a", { href: "#q-" + item.id, id: "nav-" + item.id, "aria-label": S.question + " " + (index + 1) }, String(index + 1));
      li.appendChild(a);
      nav.appendChild(li);
    });
    updateCounts();
  }

  function start() {
    fetchState().then(function (state) {
      store.seq = Math.max(store.seq || 0, state.max_seq || 0);
      var saved = {};
      (state.answers || []).forEach(function (answer) { saved[answer.item] = answer; });
      items = state.items.map(function (item) {
        var stored = saved[item.id];
        item.response = stored ? stored.response : null;
        item.flagged = stored ? stored.flagged : false;
        item.seq = stored ? stored.seq : 0;
        var local = store.pending[item.id];
        if (local && local.seq > item.seq) {
          item.response = local.response;
          item.flagged = local.flagged;
        } else if (local) {
          delete store.pending[item.id];
        }
        return item;
      });
      persist();
      render(state);
      setStatus(Object.keys(store.pending).length ? S.unsaved : S.saved, Object.keys(store.pending).length ? "pending" : "ok");
      tick();
      setInterval(tick, 500);
      setInterval(flush, 15000);
      flush();
    }).catch(function () {
      setStatus(S.offline, "error");
      setTimeout(start, 3000);
    });
  }

  function resync() {
    if (!closed) { fetchState().then(function () { flush(); }, function () { /* offline: retry later */ }); }
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) { resync(); } });
  window.addEventListener("online", resync);
  window.addEventListener("focus", resync);
  window.addEventListener("pagehide", persist);

  $("submit-exam").addEventListener("click", function () {
    var answered = updateCounts();
    $("confirm-text").textContent = S.confirm.replace("%(answered)s", answered).replace("%(total)s", items.length);
    var dialog = $("confirm-submit");
    if (dialog.showModal) { dialog.showModal(); } else if (window.confirm($("confirm-text").textContent)) { flush().then(submit, submit); }
  });
  $("confirm-no").addEventListener("click", function () { $("confirm-submit").close(); });
  $("confirm-yes").addEventListener("click", function () {
    $("confirm-submit").close();
    clearTimeout(debounceTimer);
    flush().then(submit, submit);
  });

  start();
})();
