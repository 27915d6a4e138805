/* The labber's console (loaded only there): keyboard shortcuts for the common moves and their
   help overlay, the selection count, focus kept on the card being worked on while the wall
   updates live, refusals shown as notes, the projector preview scaled to fit, and the
   countdown's zero reported to the server. Every move itself is an htmx POST in the markup. */
(function () {
  "use strict";

  var body = document.body;
  function qs(sel, root) { return (root || document).querySelector(sel); }
  function qsa(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function cardOf(el) { return el && el.closest ? el.closest("[data-card]") : null; }
  function note(text) {
    var box = qs("#console-message");
    if (box && text) box.textContent = text;
  }

  /* --- Answers to moves. A refusal (409, someone else was first) or input that did not
     validate (400) carries a note to show, not an error page. --- */
  body.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr && evt.detail.xhr.status;
    if (status === 409 || status === 400) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  body.addEventListener("htmx:responseError", function () { note(body.dataset.msgFailed); });
  body.addEventListener("htmx:sendError", function () { note(body.dataset.msgOffline); });

  body.addEventListener("htmx:afterRequest", function (evt) {
    var elt = evt.detail.elt;
    if (!evt.detail.successful || !elt) return;
    if (elt.id === "prompt-form") elt.reset();
    if (elt.id === "selection-form" || elt.getAttribute("hx-include") === "#selection-form") {
      clearSelection();
      var name = qs("#theme-name");
      if (name) name.value = "";
    }
    var details = elt.closest && elt.closest("details.card__edit");
    if (details) details.open = false;
  });

  /* --- Selection (for themes and merging): checkboxes on the cards belong to one form. --- */
  function selected() { return qsa('input[name="selected"][form="selection-form"]:checked'); }
  function updateCount() {
    var count = selected().length;
    var out = qs("[data-selection-count]");
    if (out) out.textContent = String(count);
    body.classList.toggle("has-selection", count > 0);
  }
  function clearSelection() {
    selected().forEach(function (box) { box.checked = false; });
    updateCount();
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.matches && evt.target.matches('input[name="selected"]')) updateCount();
  });
  document.addEventListener("click", function (evt) {
    if (!evt.target.closest) return;
    if (evt.target.closest("[data-clear-selection]")) clearSelection();
    if (evt.target.closest("[data-open-help]")) openHelp();
  });

  /* --- Help overlay: a native <dialog>; Esc and its Close button shut it. --- */
  function openHelp() {
    var dialog = qs("#shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }

  /* --- Focus: a card replaced by a live update (often the labber's own move) keeps it. --- */
  var focusedCard = null;
  body.addEventListener("htmx:wsBeforeMessage", function () {
    var card = cardOf(document.activeElement);
    focusedCard = card ? card.id : null;
  });
  body.addEventListener("htmx:wsAfterMessage", function () {
    updateCount();
    var active = document.activeElement;
    if (focusedCard && (!active || active === body)) {
      var card = document.getElementById(focusedCard);
      if (card) card.focus({ preventScroll: true });
    }
    focusedCard = null;
  });

  /* --- Keyboard (WCAG 2.1.4). A single key acts only on the card that has the focus, in the
     console's own wall: typed anywhere else it does nothing. A move for the whole room (phase,
     timer, posting, undo) needs Alt+Shift, so a stray key never reaches the phones. Both can
     be turned off in the shortcuts dialog; the choice is kept on this computer. --- */
  var OFF_KEY = "labbet:shortcuts-off";
  function shortcutsOff() {
    try { return localStorage.getItem(OFF_KEY) === "1"; } catch (e) { return false; }
  }
  function syncToggle() {
    var box = qs("[data-shortcuts-toggle]");
    if (box) box.checked = !shortcutsOff();
  }
  document.addEventListener("change", function (evt) {
    if (!evt.target.matches || !evt.target.matches("[data-shortcuts-toggle]")) return;
    try {
      if (evt.target.checked) localStorage.removeItem(OFF_KEY);
      else localStorage.setItem(OFF_KEY, "1");
    } catch (e) { /* private mode: on for this page only */ }
  });
  syncToggle();

  function cards() { return qsa("#console-wall [data-card]"); }
  function moveFocus(step) {
    var list = cards();
    if (!list.length) return;
    var index = list.indexOf(cardOf(document.activeElement));
    var next = index < 0 ? list[0] : list[Math.min(list.length - 1, Math.max(0, index + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }
  function typing(el) {
    return el && el.closest && el.closest("input, textarea, select, [contenteditable='true']");
  }
  function nextPhase() {
    var current = qs('.phase-bar [aria-current="step"]');
    var item = current && current.closest("li").nextElementSibling;
    var button = item && item.querySelector("button");
    if (button) button.click();
  }
  function clickRoom(key) {
    var control = qs('#console-state [data-shortcut="' + key + '"]');
    if (control) control.click();
    return Boolean(control);
  }
  function focusField(key) {
    var field = qs('[data-shortcut-focus="' + key + '"]');
    if (field) field.focus();
    return Boolean(field);
  }
  // Alt+Shift+letter, read from the physical key (Alt changes the character on a Mac).
  var ROOM_KEYS = {
    KeyN: function () { nextPhase(); return true; },
    KeyT: function () { return clickRoom("t"); },
    KeyL: function () { return clickRoom("l"); },
    KeyU: function () {
      var undo = qs("#console-log [data-undo]");
      if (undo) undo.click();
      return Boolean(undo);
    },
    KeyQ: function () { return focusField("q"); },
    KeyG: function () { return focusField("g"); },
    KeyW: function () { moveFocus(0); return true; },
  };

  document.addEventListener("keydown", function (evt) {
    if (evt.defaultPrevented || evt.ctrlKey || evt.metaKey) return;
    var dialog = qs("#shortcuts");
    if (dialog && dialog.open) return;
    if (typing(evt.target) && !evt.altKey) {
      if (evt.key === "Escape") {
        var inCard = cardOf(evt.target);
        var details = evt.target.closest("details");
        evt.target.blur();
        if (details) details.open = false;
        if (inCard) inCard.focus();
      }
      return;
    }
    if (shortcutsOff()) return;
    if (evt.altKey) {
      var move = evt.shiftKey && ROOM_KEYS[evt.code];
      if (move && move()) evt.preventDefault();
      return;
    }
    var card = cardOf(document.activeElement);
    if (!card || !card.closest("#console-wall")) return;   // not on a card: a key is just a key
    var key = evt.key;
    var handled = true;
    if (key === "?") openHelp();
    else if (key === "j") moveFocus(1);
    else if (key === "k") moveFocus(-1);
    else handled = actOnCard(card, key);
    if (handled) evt.preventDefault();
  });

  function actOnCard(card, key) {
    var control = card.querySelector('[data-shortcut="' + key + '"]');
    if (!control) return false;
    if (control.tagName === "SUMMARY") {
      var details = control.parentElement;
      details.open = true;
      var text = details.querySelector("textarea");
      if (text) { text.focus(); text.select(); }
      return true;
    }
    control.click();
    return true;
  }

  /* --- The projector preview: a real projector page, framed at 1920×1080 and scaled. --- */
  function scalePreview() {
    qsa("[data-preview]").forEach(function (box) {
      box.style.setProperty("--preview-scale", String(box.clientWidth / 1920));
    });
  }
  window.addEventListener("resize", scalePreview);
  scalePreview();

  /* --- The countdown reached zero here: ask the server to publish it (and the lock at
     zero). It checks the time itself, so several consoles asking at once is harmless. --- */
  document.addEventListener("labbet:timerdone", function (evt) {
    var url = evt.target.dataset && evt.target.dataset.expireUrl;
    if (url && window.htmx) {
      // A failed request rejects the promise with nothing; htmx:sendError reports it.
      htmx.ajax("POST", url, { source: evt.target, target: "#console-message", swap: "innerHTML" })
        .catch(function () {});
    }
  });

  updateCount();
})();
