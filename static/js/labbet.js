/* Labbet's shared script: the live socket's cursor and reconnects, the phone's post form
   (draft kept on the phone, sent over the socket, over HTTP when the socket is down), the
   room's posting state on the phone, and the countdown every screen shows. */
(function () {
  "use strict";

  var body = document.body;
  var cursor = parseInt(body.dataset.cursor || "0", 10) || 0;
  var socket = null;        // the htmx ws wrapper's public interface, while open
  var NO_RETRY = [4403, 4404];
  var HTMX_RETRIES = [1006, 1011, 1012, 1013];
  var CURSOR = /^<!--c:(\d+)( r)?-->/;

  function qs(sel, root) { return (root || document).querySelector(sel); }
  function storageKey(name) { return "labbet:" + name + ":" + (body.dataset.code || ""); }
  function load(name) { try { return JSON.parse(localStorage.getItem(storageKey(name))); } catch (e) { return null; } }
  function save(name, value) {
    try {
      if (value === null) localStorage.removeItem(storageKey(name));
      else localStorage.setItem(storageKey(name), JSON.stringify(value));
    } catch (e) { /* private mode: the draft lives only in the page */ }
  }

  /* --- A live frame removes a card from every screen of a view, also from one that never
     had it (a phone does not show the 61st card, nor a pending one): such a removal is
     dropped here, as it would otherwise be an out-of-band swap without a target. --- */
  var DELETE = /<div id="([\w-]+)" hx-swap-oob="delete"><\/div>/g;

  /* A page that follows only some of a view's regions (the receiver's room follows the
     claims of the phones' frames, not their wall or prompt) says so with data-live-some on
     its body: each update for a region it does not have is dropped. */
  function onlyRegionsHere(text) {
    var tpl = document.createElement("template");
    tpl.innerHTML = text;
    var dropped = false;
    Array.prototype.slice.call(tpl.content.children).forEach(function (el) {
      var oob = el.getAttribute("hx-swap-oob");
      if (!oob) return;
      var colon = oob.indexOf(":");
      var here = colon >= 0 ? document.querySelector(oob.slice(colon + 1)) : el.id && document.getElementById(el.id);
      if (!here) { el.remove(); dropped = true; }
    });
    return dropped ? tpl.innerHTML : text;
  }

  if (window.htmx) {
    htmx.defineExtension("labbet-live", {
      transformResponse: function (text) {
        if (body.hasAttribute("data-live-some")) text = onlyRegionsHere(text);
        if (text.indexOf('hx-swap-oob="delete"') < 0) return text;
        return text.replace(DELETE, function (whole, id) { return document.getElementById(id) ? whole : ""; });
      },
    });
  }

  /* --- The socket: carry the cursor, drop what we already have, ask again on a gap. --- */
  if (window.htmx) {
    htmx.createWebSocket = function (url) {
      var sep = url.indexOf("?") >= 0 ? "&" : "?";
      var sock = new WebSocket(url + sep + "cursor=" + cursor, []);
      sock.binaryType = htmx.config.wsBinaryType;
      return sock;
    };
  }

  function netStatus(text) {
    var el = qs("#net-status");
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  body.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    body.classList.add("is-live");
    netStatus("");
    resendPending();
  });

  body.addEventListener("htmx:wsClose", function (evt) {
    socket = null;
    body.classList.remove("is-live");
    var code = evt.detail.event && evt.detail.event.code;
    if (NO_RETRY.indexOf(code) >= 0) {
      netStatus(body.dataset.msgRefused || "This screen cannot follow the room live. Reload the page.");
      return;
    }
    netStatus(body.dataset.msgReconnecting || "Reconnecting…");
    if (HTMX_RETRIES.indexOf(code) < 0) {
      // htmx only retries on some close codes; a server restart may send another.
      var wrapper = evt.detail.socketWrapper;
      setTimeout(function () { wrapper.reconnect(); }, 500 + Math.random() * 1500);
    }
  });

  body.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var match = CURSOR.exec(evt.detail.message);
    if (!match) return;                      // an answer to this phone alone (ack, error)
    var seq = parseInt(match[1], 10);
    var refresh = Boolean(match[2]);         // a fresh region: whatever came before is covered
    if (seq <= cursor && !refresh) { evt.preventDefault(); return; }
    if (seq > cursor + 1 && !refresh && evt.detail.socketWrapper) {
      // A frame went missing on the way: ask for everything after what we have.
      evt.preventDefault();
      evt.detail.socketWrapper.send(JSON.stringify({ action: "resume", cursor: cursor }));
      return;
    }
    cursor = seq;
    body.dataset.cursor = String(seq);
  });

  // A card that is already on the wall is replaced where it stands, never shown twice.
  body.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var frag = evt.detail.fragment;
    if (!frag || !frag.getAttribute || !frag.getAttribute("data-upsert")) return;
    var existing = document.getElementById(frag.getAttribute("data-upsert"));
    var incoming = frag.firstElementChild;
    if (!existing || !incoming) return;
    evt.detail.shouldSwap = false;
    incoming.classList.remove("card--new");
    existing.replaceWith(incoming);
    htmx.process(incoming);
  });

  /* --- Focus after a swap: whatever replaced the control a person just used (their own
     move's answer, or the live update that followed it) gets the focus back, on the same
     control where it still exists (the same id, or the control for the same move in the
     same region: "Pause" becomes "Resume", "Hide" becomes "Restore"), else on the region that
     holds the result. Never left on the page's top. --- */
  var SIGNATURE = ["data-shortcut", "data-phase", "data-focus-key", "name", "hx-post"];
  var savedFocus = null;

  function signature(el) {
    for (var i = 0; i < SIGNATURE.length; i++) {
      var value = el.getAttribute(SIGNATURE[i]);
      if (value) return "[" + SIGNATURE[i] + '="' + value.replace(/"/g, '\\"') + '"]';
    }
    return null;
  }
  function usable(el) {
    return el && document.contains(el) && !el.disabled && !el.closest("[hidden], [inert]") &&
      el.getClientRects().length > 0;
  }
  // A focus that found nowhere to go waits this long for the next swap: a region replaced
  // by its loading shell (voting opened again) gets its content a moment later.
  var FOCUS_WAITS_MS = 3000;
  function saveFocus() {
    var el = document.activeElement;
    if (!el || el === body || el === document.documentElement) {
      if (savedFocus && Date.now() - savedFocus.at > FOCUS_WAITS_MS) savedFocus = null;
      return;
    }
    var anchor = el.parentElement && el.parentElement.closest("[id]");
    savedFocus = { el: el, id: el.id, anchor: anchor ? anchor.id : null, sig: signature(el), at: Date.now() };
  }
  function restoreFocus() {
    var saved = savedFocus;
    // A swap that is still settling: until it settles, htmx leaves the old elements'
    // attributes on the new ones, so a button about to be disabled looks usable, and a focus
    // put on it now is lost a moment later (a dot's answer and its live frame arriving
    // within those 20 ms). That swap's afterSettle comes back here.
    if (saved && document.querySelector("." + htmx.config.settlingClass)) return;
    savedFocus = null;
    if (!saved || Date.now() - saved.at > FOCUS_WAITS_MS) return;
    var active = document.activeElement;
    // Not lost, unless on a control the swap has just disabled: Chromium moves the focus off
    // it only at its next rendering, after this.
    if (active && active !== body && document.contains(active) && !active.disabled) return;
    if (document.contains(saved.el)) return;   // still there: the person moved on
    var target = saved.id ? document.getElementById(saved.id) : null;
    var anchor = saved.anchor ? document.getElementById(saved.anchor) : null;
    // A post that arrived: the form's own code (below) puts the focus in the empty field.
    if (anchor && anchor.dataset.sentKey) return;
    // Refused (an error in the answer): to the field to fix, which names the error.
    var invalid = anchor && anchor.querySelector("[role=alert]") && anchor.querySelector('[aria-invalid="true"]');
    if (usable(invalid)) target = invalid;
    if (!usable(target) && anchor && saved.sig) {
      try { target = anchor.querySelector(saved.sig); } catch (e) { target = null; }
    }
    // The control is gone (the move is done): to the words that say what happened, read out.
    if (!usable(target) && anchor) target = anchor.querySelector("[role=status]:not(:empty), [role=alert]");
    if (target && !usable(target) && target.getClientRects().length === 0) target = null;
    if (target && !target.hasAttribute("tabindex") && !target.matches("a[href], button, input, select, textarea")) {
      target.setAttribute("tabindex", "-1");
    }
    if (!target) {
      target = anchor;
      if (target && !target.hasAttribute("tabindex") && !target.matches("a[href], button, input, select, textarea")) {
        target.setAttribute("tabindex", "-1");
      }
    }
    if (target && document.contains(target)) target.focus({ preventScroll: true });
    else savedFocus = saved;   // nowhere yet: the next swap may bring it
  }
  body.addEventListener("htmx:beforeSwap", saveFocus);
  body.addEventListener("htmx:wsBeforeMessage", saveFocus);
  body.addEventListener("htmx:afterSettle", restoreFocus);
  body.addEventListener("htmx:wsAfterMessage", restoreFocus);

  /* --- The phone's post form. --- */
  function form() { return qs("#post-form"); }
  function textarea() { var f = form(); return f && f.querySelector("textarea[data-draft]"); }

  function updateCount() {
    var ta = textarea();
    if (!ta) return;
    var out = form().querySelector("output[data-count-for]");
    if (out) out.textContent = String(Math.max(0, ta.maxLength - ta.value.length));
  }

  function formData(f) {
    var data = {};
    new FormData(f).forEach(function (value, name) { if (typeof value === "string") data[name] = value; });
    return data;
  }

  function restoreDraft() {
    var ta = textarea();
    if (!ta) return;
    var draft = load("draft");
    if (draft && !ta.value) ta.value = draft;
    updateCount();
  }

  document.addEventListener("input", function (evt) {
    if (evt.target && evt.target.matches && evt.target.matches("textarea[data-draft]")) {
      save("draft", evt.target.value || null);
      updateCount();
    }
  });

  function rememberPending(f) {
    var data = formData(f);
    if ((data.text || "").trim()) save("pending", data);
  }

  function resendPending() {
    var pending = load("pending");
    if (pending && socket && form()) {
      pending.action = "post";
      socket.send(JSON.stringify(pending));
    }
  }

  function sendOverHttp(f) {
    // htmx.ajax's promise is rejected (with nothing) when the request fails; htmx:sendError
    // has told the person by then, so the rejection is not an error of the page.
    htmx.ajax("POST", f.dataset.postUrl, { source: f, target: "#post-form", swap: "outerHTML" })
      .catch(function () {});
  }

  // ws-send posts over the open socket; when it is down, the same form goes over HTTP.
  body.addEventListener("htmx:wsConfigSend", function (evt) {
    var f = evt.target.closest ? evt.target.closest("#post-form") : null;
    if (!f) return;
    rememberPending(f);
    if (!socket) {
      evt.preventDefault();
      if (evt.detail.triggeringEvent) evt.detail.triggeringEvent.preventDefault();
      sendOverHttp(f);
    }
    f.classList.add("is-sending");
  });

  body.addEventListener("htmx:sendError", function () {
    netStatus(body.dataset.msgOffline || "Offline — your post is kept and will be sent when you are back.");
    var f = form();
    if (f) f.classList.remove("is-sending");
  });

  // After the form is swapped (the acknowledgement): forget what arrived, keep the rest.
  body.addEventListener("htmx:afterSettle", afterForm);
  body.addEventListener("htmx:wsAfterMessage", afterForm);
  function afterForm() {
    var f = form();
    if (!f) return;
    var sentKey = f.dataset.sentKey;
    if (sentKey) {
      var pending = load("pending");
      if (pending && pending.client_key === sentKey) {
        if ((load("draft") || "") === pending.text) save("draft", null);
        save("pending", null);
      }
      delete f.dataset.sentKey;
      if (f.dataset.sentCard) ownCard(f.dataset.sentCard);
      var ta = textarea();
      if (ta && document.activeElement === body) ta.focus({ preventScroll: true });
    }
    restoreDraft();
  }

  document.addEventListener("DOMContentLoaded", restoreDraft);
  window.addEventListener("online", function () { resendPending(); });

  /* --- The room's state on the phone: the server publishes it on #phone-prompt (posting open
     or locked and why, the phase); the form follows it. The form itself is per person, so it
     is never broadcast. --- */
  var timerLocked = false;   // a countdown that locks at zero reached zero here

  function syncPosting() {
    var state = qs("#phone-prompt");
    var f = form();
    if (!state || !f) return;
    var phase = state.dataset.phase;
    if (phase && body.dataset.phase !== phase) {
      var ta = textarea();
      if (body.dataset.phase && (!ta || !ta.value.trim())) {
        // A new phase asks for another kind of post: preselect it while nothing is written.
        var radio = f.querySelector('input[name="kind"][value="' + state.dataset.defaultKind + '"]');
        if (radio) radio.checked = true;
      }
      body.dataset.phase = phase;
    }
    if (f.hasAttribute("data-person-locked")) return;   // muted: the server's message stands
    var open = state.dataset.canPost === "1" && !timerLocked;
    var fieldset = f.querySelector(".post-fields");
    var note = f.querySelector("[data-post-locked]");
    if (fieldset) fieldset.disabled = !open;
    if (note) {
      note.hidden = open;
      if (!open) note.textContent = timerLocked ? state.dataset.timerLockMessage : state.dataset.lockedMessage;
    }
  }

  document.addEventListener("DOMContentLoaded", syncPosting);
  body.addEventListener("htmx:wsAfterMessage", syncPosting);
  body.addEventListener("htmx:afterSettle", syncPosting);

  /* --- Countdown: each screen counts down by itself from the end time in the markup
     (data-timer-ends, seconds since the epoch); the server sends nothing per second. --- */
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clockText(s) {
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }

  function tick() {
    var lockedNow = false;
    document.querySelectorAll("[data-timer-ends]").forEach(function (el) {
      var left = Math.max(0, Math.ceil((parseFloat(el.dataset.timerEnds) * 1000 - Date.now()) / 1000));
      var clock = el.querySelector("[data-timer-clock]");
      var text = clockText(left);
      if (clock && clock.textContent !== text) clock.textContent = text;
      el.classList.toggle("timer--ending", left > 0 && left <= 10);
      if (left === 0 && !el.classList.contains("timer--done")) {
        el.classList.add("timer--done");
        var label = el.querySelector(".timer__label");
        if (label && el.dataset.doneLabel) label.textContent = el.dataset.doneLabel;
        el.dispatchEvent(new CustomEvent("labbet:timerdone", { bubbles: true }));
      }
      if (left === 0 && el.hasAttribute("data-lock-at-zero")) lockedNow = true;
    });
    clearDone();
    if (lockedNow !== timerLocked) {
      timerLocked = lockedNow;
      syncPosting();
    }
  }

  // "Time is up" stays a short while, then the timer leaves the screens: a zero left
  // standing into the next part of the session tells the room the wrong thing.
  var DONE_SHOWN = 15000;   // ms
  function clearDone() {
    document.querySelectorAll(".timer.timer--done:not([hidden])").forEach(function (el) {
      var since = parseFloat(el.dataset.doneSince || "0");
      if (!since) el.dataset.doneSince = String(Date.now());
      else if (Date.now() - since > DONE_SHOWN) el.hidden = true;
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  setInterval(tick, 250);

  /* --- New posts, told to screen readers: one polite summary ("3 new insights"), never each
     card, and at most one announcement every few seconds however fast the wall moves. The
     live region and its translated phrases are in the markup (templates/_wall_announcer.html);
     a card counts once, the first time this screen has it. --- */
  var ANNOUNCE_EVERY = 5000;   // ms between two announcements
  var seenCards = {};
  var fresh = { insight: 0, suggestion: 0 };
  var freshIds = {};         // card id → kind, counted in `fresh` and not yet announced
  var lastAnnounced = 0;
  var announceTimer = null;

  function announcer() { return qs("[data-announce-wall]"); }
  function wallCards(el) {
    var wall = el && qs(el.dataset.announceWall);
    return wall ? wall.querySelectorAll(".card[id][data-kind]") : [];
  }
  function noteCards(count) {
    var el = announcer();
    Array.prototype.forEach.call(wallCards(el), function (card) {
      if (seenCards[card.id]) return;
      seenCards[card.id] = true;
      if (count && fresh.hasOwnProperty(card.dataset.kind)) {
        fresh[card.dataset.kind] += 1;
        freshIds[card.id] = card.dataset.kind;
      }
    });
  }
  function phrase(el, kind, n) {
    var text = el.dataset[kind + (n === 1 ? "One" : "Other")] || "";
    return text.replace("{n}", String(n));
  }
  function announce() {
    announceTimer = null;
    var el = announcer();
    if (!el || !(fresh.insight || fresh.suggestion)) return;
    var parts = [];
    if (fresh.insight) parts.push(phrase(el, "insight", fresh.insight));
    if (fresh.suggestion) parts.push(phrase(el, "suggestion", fresh.suggestion));
    var text = parts.length > 1 ? el.dataset.and.replace("{a}", parts[0]).replace("{b}", parts[1]) : parts[0];
    fresh = { insight: 0, suggestion: 0 };
    freshIds = {};
    lastAnnounced = Date.now();
    // Emptied first, so that the same words twice in a row are read twice.
    el.textContent = "";
    setTimeout(function () { el.textContent = text; }, 100);
  }
  function wallChanged() {
    if (!announcer()) return;
    noteCards(true);
    if (!(fresh.insight || fresh.suggestion) || announceTimer) return;
    // A short wait first gathers a burst into one summary.
    var wait = Math.max(1000, lastAnnounced + ANNOUNCE_EVERY - Date.now());
    announceTimer = setTimeout(announce, wait);
  }
  // This phone's own post is not news to it, whether its card came before the answer or after.
  function ownCard(id) {
    var kind = freshIds[id];
    if (kind) { fresh[kind] = Math.max(0, fresh[kind] - 1); delete freshIds[id]; }
    seenCards[id] = true;
  }
  noteCards(false);   // what the page came with is not news
  body.addEventListener("htmx:wsAfterMessage", wallChanged);

  /* --- Voting, claims and invitations (issue 5). --- */
  // A refusal (400/409) answers with the same fragment and a clear message in it: show it.
  body.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr && evt.detail.xhr.status;
    var elt = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    if ((status === 400 || status === 409) && elt && elt.closest && elt.closest("[data-swap-refusals]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // Copy an invite link: the field stays selectable for anyone without a clipboard.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      var status = button.parentNode.querySelector("[role=status]");
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) status.textContent = button.dataset.copied || "Copied";
      }, function () { field.select(); });
    });
  });
})();
