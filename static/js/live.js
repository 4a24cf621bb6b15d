/* Live pages: one socket per tab (/ws/live) for every element marked data-live-topic, and for the chat.
 *
 * Each push {"kind": …} becomes a `live:<kind>` event on <body>; elements listen with
 * hx-trigger="…, live:<kind> from:body" and HTMX refetches their fragment from the normal page URL (the
 * request carries X-Live-Refresh: 1). The cart badge takes its count straight from the push.
 * While the socket is open, the elements' own polling requests are cancelled (htmx:beforeRequest); when it
 * cannot connect they poll as before, and after a reconnect every live element refreshes once (it may have
 * missed pushes). Without JavaScript the pages are plain server-rendered pages.
 *
 * A page script that talks over the socket (the chat: topic chat:<id>, the staff inbox: inbox) calls
 * window.storefrontLive.join(topic, {after, onFrame, onState}) before DOMContentLoaded: its topic rides on the
 * same socket, frames carrying that topic (and error frames naming none) go to onFrame, `after()` (the last
 * message id it has) is asked at every (re)connect, and join returns {send(object) → false when not open}.
 */
(function () {
  "use strict";

  var MAX_BACKOFF_MS = 30000;
  var open = false;
  var socket = null;
  var channels = {}; // topic → the handlers a page script joined with

  function send(data) {
    if (!open || !socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(data));
    return true;
  }

  window.storefrontLive = {
    join: function (topic, handlers) {
      channels[topic] = handlers;
      return { send: send };
    },
  };

  function eachChannel(callback) {
    Object.keys(channels).forEach(function (topic) { callback(channels[topic], topic); });
  }

  function topics() {
    var seen = {};
    var list = Object.keys(channels);
    list.forEach(function (topic) { seen[topic] = true; });
    document.querySelectorAll("[data-live-topic]").forEach(function (element) {
      var topic = element.getAttribute("data-live-topic");
      if (topic && !seen[topic]) {
        seen[topic] = true;
        list.push(topic);
      }
    });
    return list;
  }

  function socketUrl(list) {
    var url = new URL("/ws/live", window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("topics", list.join(","));
    eachChannel(function (channel) {
      var after = channel.after ? channel.after() : null;
      if (after !== null && after !== undefined) url.searchParams.set("after", String(after));
    });
    return url.toString();
  }

  function kindOf(topic) {
    return topic.split(":")[0]; // order:12 → order; cart, orders, unread as they are
  }

  function setCartCount(count) {
    var badge = document.querySelector("#cart-badge [data-testid='cart-count']");
    if (badge && typeof count === "number") badge.textContent = String(count);
  }

  function fire(kind, detail) {
    if (kind === "cart") {
      setCartCount(detail.count);
      return;
    }
    if (window.htmx) window.htmx.trigger(document.body, "live:" + kind, detail);
  }

  function connect(list) {
    var attempt = 0;
    var everOpen = false;

    function start() {
      socket = new WebSocket(socketUrl(list));
      socket.addEventListener("message", function (event) {
        var data;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (!data || typeof data.kind !== "string") return;
        if (data.kind === "ready") {
          open = true;
          attempt = 0;
          document.body.dataset.live = "open";
          if (everOpen) {
            // Pushes sent while we were away are lost: refresh every live element once (a joined channel
            // catches up by itself, through `after`).
            list.forEach(function (topic) {
              if (kindOf(topic) !== "cart" && !channels[topic]) fire(kindOf(topic), {});
            });
          }
          everOpen = true;
          eachChannel(function (channel) { if (channel.onState) channel.onState("open"); });
          return;
        }
        if (typeof data.topic === "string" && channels[data.topic]) {
          channels[data.topic].onFrame(data);
          return;
        }
        if (data.kind === "error") {
          eachChannel(function (channel) { channel.onFrame(data); }); // a refused frame names no topic
          return;
        }
        fire(data.kind, data);
      });
      socket.addEventListener("close", function (event) {
        open = false;
        document.body.dataset.live = "closed";
        eachChannel(function (channel) { if (channel.onState) channel.onState("closed"); });
        if (event.code === 1008) return; // the session ended: reconnecting would only be refused
        var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
        attempt += 1;
        window.setTimeout(start, delay);
      });
    }

    start();
  }

  function isLivePush(trigger) {
    return !!(trigger && typeof trigger.type === "string" && trigger.type.indexOf("live:") === 0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = topics();
    if (!list.length || !window.WebSocket) return;
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      var element = event.detail.elt;
      if (!open || !element || !element.hasAttribute || !element.hasAttribute("data-live-topic")) return;
      var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
      if (!trigger) event.preventDefault(); // a poll: the socket says when there is something new
    });
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (isLivePush(event.detail.triggeringEvent)) event.detail.headers["X-Live-Refresh"] = "1";
    });
    connect(list);
  });
})();
