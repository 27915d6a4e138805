/* The projector's wall for 10 or 500 cards: it never scrolls; it steps its density down as
   the cards grow (text from 2.2vw to 1.8vw to 1.5vw, never below 28 px at 1080p: the largest
   that shows every card at once), then pages. Each
   column is cut into pages of what fits; the pages turn on their own (unless a labber holds
   them from the console), a new card brings the first page back, and a line at the foot says
   which page this is, how many posts are not on it and how many there are in all. Pinned
   cards lead every page. Nothing here is drawn: it only marks cards and counts. */
(function () {
  "use strict";

  var TURN_EVERY = 12000;   // ms a page stays up
  // Fewer cards, larger text: the largest that shows the whole wall at once, else the smallest
  // (still 28 px at 1080p), which pages.
  var DENSITY = ["wall--roomy", "wall--dense", "wall--densest"];
  var page = 0;
  var pages = 1;
  var turnTimer = null;
  var known = {};           // card ids this screen has shown: a new one brings page 1 back

  function qsa(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function wall() { return document.querySelector("[data-wall]"); }

  function density(el, step) {
    DENSITY.forEach(function (name, i) { el.classList.toggle(name, i === step); });
  }

  /* One column's cards, cut into pages: pinned cards lead each page, the others follow in
     their order (newest first) for as long as they fit. */
  function cutColumn(box) {
    var cards = qsa(":scope > .card", box);
    cards.forEach(function (card) { card.classList.remove("card--off-page"); });
    var room = box.clientHeight;
    var pinned = cards.filter(function (c) { return c.classList.contains("card--pinned"); });
    var rest = cards.filter(function (c) { return !c.classList.contains("card--pinned"); });
    var top = box.getBoundingClientRect().top;
    var pinnedEnd = 0;
    pinned.forEach(function (c) { pinnedEnd = Math.max(pinnedEnd, c.getBoundingClientRect().bottom - top); });
    var left = Math.max(1, room - pinnedEnd);
    var cut = [];
    var start = null;
    var index = 0;
    rest.forEach(function (card) {
      var r = card.getBoundingClientRect();
      var cardTop = r.top - top, cardBottom = r.bottom - top;
      if (start === null) start = cardTop;
      if (cardBottom - start > left + 0.5 && cardTop > start) {
        index += 1;
        start = cardTop;
      }
      cut.push([card, index]);
    });
    return { cut: cut, pages: index + 1, pinned: pinned.length, count: cards.length };
  }

  function layout() {
    var el = wall();
    if (!el) return;
    var boxes = qsa(".wall-column__cards", el);
    var all = qsa(".wall-column__cards > .card", el);
    el.classList.add("wall--paged");
    var fresh = false;
    all.forEach(function (card) {
      if (!known[card.id]) { fresh = fresh || Object.keys(known).length > 0; known[card.id] = true; }
    });
    if (fresh) { page = 0; restartTurning(); }
    var columns = [];
    for (var step = 0; step < DENSITY.length; step++) {
      density(el, step);
      columns = boxes.map(cutColumn);
      pages = Math.max.apply(null, [1].concat(columns.map(function (c) { return c.pages; })));
      if (pages === 1) break;
    }
    if (page >= pages) page = 0;
    var shown = 0;
    columns.forEach(function (column) {
      shown += column.pinned;
      column.cut.forEach(function (pair) {
        var on = pair[1] === page;
        pair[0].classList.toggle("card--off-page", !on);
        if (on) shown += 1;
      });
    });
    pager(el, shown, all.length);
  }

  function pager(el, shown, inDom) {
    var box = el.querySelector("[data-wall-pager]");
    if (!box) return;
    var counted = document.getElementById("count-posts");
    var total = Math.max(inDom, counted ? parseInt(counted.textContent, 10) || 0 : 0);
    var more = Math.max(0, total - shown);
    box.hidden = pages < 2 && more === 0;
    box.dataset.shown = String(shown);
    box.dataset.more = String(more);
    box.dataset.total = String(total);
    box.dataset.page = String(page + 1);
    box.dataset.pages = String(pages);
    var paused = el.dataset.pagesTurn === "0";
    box.querySelector("[data-pager-page]").textContent = pages > 1
      ? box.dataset.msgPage.replace("{page}", page + 1).replace("{pages}", pages) + (paused ? " · " + box.dataset.msgPaused : "")
      : "";
    box.querySelector("[data-pager-more]").textContent = more ? box.dataset.msgMore.replace("{n}", more) : "";
    box.querySelector("[data-pager-total]").textContent = box.dataset.msgTotal.replace("{n}", total);
  }

  function turn() {
    var el = wall();
    if (!el || el.dataset.pagesTurn === "0" || pages < 2) return;
    page = (page + 1) % pages;
    layout();
  }
  function restartTurning() {
    if (turnTimer) clearInterval(turnTimer);
    turnTimer = setInterval(turn, TURN_EVERY);
  }

  // Tests and the console's preview may turn a page at once.
  window.labbetWall = { turn: function () { page = (page + 1) % pages; layout(); }, layout: layout };

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; layout(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    layout();
    restartTurning();
    document.body.addEventListener("htmx:wsAfterMessage", soon);
    document.body.addEventListener("htmx:afterSettle", soon);
    window.addEventListener("resize", soon);
  });
})();
