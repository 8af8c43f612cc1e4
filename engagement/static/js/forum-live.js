// Live thread page: new posts, edits, reactions, hides, session ideas and presence arrive over a
// WebSocket without reloading. The page works fully without this file (every action is a form
// POST and a reload shows everything); this only keeps it up to date.
//
// Protocol (engagement/forums/consumers.py): the server greets with {"event":"hello"}; the page
// sends {"type":"resume","after":<last event id seen>} on every (re)connect and gets every event it
// missed, in order, then live ones: {"event":"forum","id","kind","target","html","announce"}.
// Presence arrives as {"event":"presence","count"}; {"event":"gap"} means too much was missed.
//
// Plain ES2017 in a classic deferred script: no modules, no eval, no inline script (strict CSP).
// User-facing words come from data-text-* attributes on the [data-forum-live] element, so they are
// translated by Django; the English below is only a fallback. data-append-posts="false" (on an
// older page of a paginated thread) keeps new posts from being added to the list shown.
(function () {
  "use strict";

  var PING_MS = 25000;
  var FIRST_DELAY_MS = 1000;
  var MAX_DELAY_MS = 30000;
  var ANNOUNCE_DELAY_MS = 400;
  var COUNTDOWN_MS = 30000;
  // Closed for good: not signed in, no access (or removed), no such thread.
  var FINAL_CLOSE_CODES = [4401, 4403, 4404];
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  var FALLBACK_TEXT = {
    live: "Live",
    presence: "%(count)s here",
    reconnecting: "Reconnecting\u2026",
    paused: "Paused",
    pausedWaiting: "Paused (%(count)s waiting)",
    off: "Live updates are off: reload the page",
    gap: "Reload to see everything",
    updates: "%(count)s new updates",
    minuteLeft: "1 minute left",
    minutesLeft: "%(minutes)s minutes left",
    timeUp: "Time is up",
  };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function textFor(root, name) {
    var key = "text" + name.charAt(0).toUpperCase() + name.slice(1);
    return root.dataset[key] || FALLBACK_TEXT[name];
  }

  function parseFragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  // --- Fragments: per-reader touches the server cannot render once for everyone ---------------

  function prepare(root, element) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var token = meta ? meta.getAttribute("content") : "";
    element.querySelectorAll("input[data-csrf]").forEach(function (input) {
      input.value = token;
    });
    var userId = root.dataset.userId;
    if (userId) {
      element.querySelectorAll("[data-author-id]").forEach(function (control) {
        if (control.getAttribute("data-author-id") === userId) control.removeAttribute("hidden");
      });
    }
  }

  // Where focus is inside ``element``, as something that can be found again in its replacement:
  // the focused element's id, or else its position among the focusable elements.
  function focusInside(element) {
    var active = document.activeElement;
    if (!active || active === document.body || !element.contains(active)) return null;
    var spot = { id: active.id, index: -1, value: null, start: null, end: null };
    if (active !== element) {
      spot.index = Array.prototype.indexOf.call(element.querySelectorAll(FOCUSABLE), active);
    }
    if (active.tagName === "TEXTAREA" || (active.tagName === "INPUT" && active.type === "text")) {
      spot.value = active.value;
      spot.start = active.selectionStart;
      spot.end = active.selectionEnd;
    }
    return spot;
  }

  function restoreFocus(element, spot) {
    var target = null;
    if (spot.id) target = document.getElementById(spot.id);
    if (!target && spot.index >= 0) target = element.querySelectorAll(FOCUSABLE)[spot.index];
    // The control is gone (a hidden post loses its buttons): keep focus on the post itself.
    if (!target || !element.contains(target)) target = element;
    if (spot.value !== null && "value" in target) {
      target.value = spot.value;
    }
    if (target === element && !target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
    if (spot.start !== null && typeof target.setSelectionRange === "function") {
      try {
        target.setSelectionRange(spot.start, spot.end);
      } catch (_error) {
        // not a text field after all
      }
    }
  }

  // --- Countdown for timed co-design sessions ------------------------------------------------

  function updateCountdowns(root) {
    document.querySelectorAll("time[data-countdown]").forEach(function (time) {
      var ends = Date.parse(time.getAttribute("datetime"));
      if (isNaN(ends)) return;
      var minutes = Math.ceil((ends - Date.now()) / 60000);
      if (minutes <= 0) time.textContent = textFor(root, "timeUp");
      else if (minutes === 1) time.textContent = textFor(root, "minuteLeft");
      else time.textContent = format(textFor(root, "minutesLeft"), { minutes: minutes });
    });
  }

  // --- The live thread ------------------------------------------------------------------------

  function ForumLive(root) {
    this.root = root;
    this.last = parseInt(root.dataset.lastEvent, 10) || 0;
    this.paused = false;
    this.queue = [];
    this.socket = null;
    this.delay = FIRST_DELAY_MS;
    this.stopped = false;
    this.state = null;
    this.presence = null;
    this.pingTimer = null;
    this.retryTimer = null;
    this.announcements = [];
    this.announceTimer = null;
    this.posts = document.getElementById("posts");
    this.status = document.getElementById("live-status");
    this.presenceSpot = document.getElementById("live-presence");
    this.announcer = document.getElementById("live-announcer");
    this.pauseButton = document.getElementById("live-pause");
  }

  ForumLive.prototype.start = function () {
    var self = this;
    prepare(this.root, this.root);
    if (this.pauseButton) {
      this.pauseButton.setAttribute("aria-pressed", "false");
      this.pauseButton.removeAttribute("hidden");
      this.pauseButton.addEventListener("click", function () {
        self.setPaused(!self.paused);
      });
    }
    window.addEventListener("online", function () {
      if (!self.socket && !self.stopped) self.connect();
    });
    this.connect();
  };

  ForumLive.prototype.connect = function () {
    var self = this;
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    var scheme = window.location.protocol === "https:" ? "wss" : "ws";
    var socket = new WebSocket(scheme + "://" + window.location.host + this.root.dataset.wsPath);
    this.socket = socket;
    socket.addEventListener("open", function () {
      self.delay = FIRST_DELAY_MS;
      socket.send(JSON.stringify({ type: "resume", after: self.last }));
      self.pingTimer = setInterval(function () {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, PING_MS);
      self.setState(self.paused ? "paused" : "live");
    });
    socket.addEventListener("message", function (message) {
      var data;
      try {
        data = JSON.parse(message.data);
      } catch (_error) {
        return;
      }
      self.receive(data);
    });
    socket.addEventListener("close", function (event) {
      clearInterval(self.pingTimer);
      self.socket = null;
      if (FINAL_CLOSE_CODES.indexOf(event.code) !== -1) {
        self.stopped = true;
        self.setState("off");
        return;
      }
      self.setState("reconnecting");
      var wait = self.delay / 2 + Math.random() * (self.delay / 2);
      self.delay = Math.min(self.delay * 2, MAX_DELAY_MS);
      self.retryTimer = setTimeout(function () {
        self.connect();
      }, wait);
    });
  };

  ForumLive.prototype.receive = function (data) {
    if (data.event === "forum") {
      if (typeof data.id !== "number" || data.id <= this.last) return; // seen (a resume overlap)
      this.last = data.id;
      this.root.dataset.lastEvent = String(this.last);
      if (this.paused) {
        this.queue.push(data);
        this.setState("paused");
      } else {
        this.apply(data);
      }
    } else if (data.event === "presence") {
      this.presence = data.count;
      this.showPresence();
    } else if (data.event === "gap") {
      this.setState("gap");
      this.announce(textFor(this.root, "gap"));
    }
  };

  ForumLive.prototype.apply = function (event) {
    var element = parseFragment(event.html || "");
    if (!element) return;
    prepare(this.root, element);
    var existing = document.getElementById(event.target);
    if (existing) {
      var spot = focusInside(existing);
      existing.replaceWith(element);
      if (spot) restoreFocus(element, spot);
    } else if (event.kind === "post" && this.posts && this.root.dataset.appendPosts !== "false") {
      this.posts.appendChild(element);
    } else if (event.kind === "session") {
      var slot = document.querySelector("[data-forum-session-slot]");
      if (slot) slot.appendChild(element);
      else if (this.posts) this.posts.parentNode.insertBefore(element, this.posts);
    } else {
      return; // nothing on this page to update (e.g. the state panel is not shown)
    }
    updateCountdowns(this.root);
    if (event.announce) this.announce(event.announce);
  };

  // Polite and brief: announcements made close together (a catch-up) are read as one summary.
  ForumLive.prototype.announce = function (text) {
    var self = this;
    if (!this.announcer) return;
    this.announcements.push(text);
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(function () {
      var items = self.announcements;
      self.announcements = [];
      self.announcer.textContent =
        items.length === 1 ? items[0] : format(textFor(self.root, "updates"), { count: items.length });
    }, ANNOUNCE_DELAY_MS);
  };

  ForumLive.prototype.setPaused = function (paused) {
    this.paused = paused;
    if (this.pauseButton) this.pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
    if (!paused) {
      var queued = this.queue;
      this.queue = [];
      for (var i = 0; i < queued.length; i += 1) this.apply(queued[i]);
    }
    if (this.state === "live" || this.state === "paused") this.setState(paused ? "paused" : "live");
  };

  ForumLive.prototype.setState = function (state) {
    this.state = state;
    if (!this.status) return;
    var text;
    if (state === "paused" && this.queue.length) {
      text = format(textFor(this.root, "pausedWaiting"), { count: this.queue.length });
    } else {
      text = textFor(this.root, state);
    }
    var label = this.status.querySelector("[data-live-state]");
    if (!label) {
      label = document.createElement("span");
      label.setAttribute("data-live-state", "");
      this.status.insertBefore(label, this.status.firstChild);
    }
    label.textContent = text;
    this.status.removeAttribute("hidden");
    this.showPresence();
  };

  ForumLive.prototype.showPresence = function () {
    if (!this.presenceSpot) return;
    var shown = this.presence !== null && (this.state === "live" || this.state === "paused");
    this.presenceSpot.textContent = shown
      ? " \u2014 " + format(textFor(this.root, "presence"), { count: this.presence })
      : "";
  };

  function init() {
    var root = document.querySelector("[data-forum-live]");
    if (root && "WebSocket" in window && root.dataset.wsPath) new ForumLive(root).start();
    // A session (and its countdown) may arrive live, so the live page always keeps time.
    if (root || document.querySelector("time[data-countdown]")) {
      var textRoot = root || document.body;
      updateCountdowns(textRoot);
      setInterval(function () {
        updateCountdowns(textRoot);
      }, COUNTDOWN_MS);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
