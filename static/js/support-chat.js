/* Support chat: the one page script HTMX cannot replace.
 *
 * It opens no socket of its own: on a chat page (#support-chat) it joins the chat's topic (chat:<id>) on the
 * tab's one live socket (live.js, /ws/live), sends {"conversation": <id>, "body": …} on Enter (Shift+Enter is a
 * new line), and appends stored messages as they arrive (as text, never HTML); after a dropped socket live.js
 * reconnects with backoff, asking for what the chat missed by the last message id it has. Without a socket the
 * form posts as usual. On the staff inbox (#support-inbox) it joins the inbox topic and asks HTMX to refresh
 * the list.
 */
(function () {
  "use strict";

  // Words and the shop's timezone come from the chat's data- attributes, in the page's language.
  function text(name, fallback) {
    var chat = document.getElementById("support-chat");
    return (chat && chat.dataset[name]) || fallback;
  }

  function formatTime(iso) {
    var zone = text("timezone", "UTC");
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.day + "." + parts.month + "." + parts.year + " " + parts.hour + ":" + parts.minute +
      " (" + text("timezoneName", zone) + ")";
  }

  function messageItem(message) {
    var fromStaff = !!(message.author && message.author.role === "staff");
    var item = document.createElement("li");
    item.id = "message-" + message.id;
    item.className = "chat-message " + (fromStaff ? "from-staff" : "from-shopper");
    item.dataset.id = String(message.id);
    var meta = document.createElement("p");
    meta.className = "chat-meta";
    var name = document.createElement("strong");
    name.textContent = message.author ? message.author.name : text("textFormerUser", "Former user");
    var time = document.createElement("time");
    time.dateTime = message.created_at;
    time.textContent = formatTime(message.created_at);
    meta.append(name, " ", time);
    var body = document.createElement("p");
    body.className = "chat-body";
    body.textContent = message.body; // text, so HTML in a message stays inert
    item.append(meta, body);
    return item;
  }

  function highestId() {
    var highest = 0;
    document.querySelectorAll("#support-messages [data-id]").forEach(function (item) {
      highest = Math.max(highest, Number(item.dataset.id));
    });
    return highest;
  }

  function startChat(root, live) {
    var topic = root.dataset.chatTopic;
    var conversation = Number(topic.split(":")[1]);
    var readSent = 0;
    var lastSent = "";
    var link;

    function status(text) {
      var element = document.getElementById("support-status");
      if (element) element.textContent = text;
    }

    function markRead() {
      var newest = highestId();
      if (!document.hidden && newest > readSent && link.send({ conversation: conversation, read: newest })) {
        readSent = newest;
      }
    }

    function append(message) {
      var list = document.getElementById("support-messages");
      if (!list || document.getElementById("message-" + message.id)) return;
      // Keep id order even when two messages' frames cross on the way.
      var before = null;
      list.querySelectorAll("[data-id]").forEach(function (item) {
        if (!before && Number(item.dataset.id) > message.id) before = item;
      });
      list.insertBefore(messageItem(message), before);
      var empty = document.querySelector("#support-chat .chat-empty");
      if (empty) empty.remove();
      list.lastElementChild.scrollIntoView({ block: "nearest" });
      markRead();
    }

    link = live.join(topic, { after: highestId, onFrame: function (data) {
      if (data.error) {
        status(data.message || text("textNotSent", "The message was not sent."));
        var box = document.getElementById("chat-body");
        if (box && !box.value) box.value = lastSent; // give the text back so nothing typed is lost
        return;
      }
      if (data.id) append(data);
    }, onState: function (state) {
      status(state === "open" ? "" : text("textReconnecting", "Reconnecting…"));
      var current = document.getElementById("support-chat");
      if (current) current.dataset.socket = state; // styling and tests can tell whether it is live
    } });

    function sendBox(box) {
      if (!box.value.trim() || !link.send({ conversation: conversation, body: box.value })) return false;
      lastSent = box.value;
      box.value = "";
      status("");
      return true;
    }

    document.addEventListener("keydown", function (event) {
      var box = event.target;
      if (box.id !== "chat-body" || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      if (!box.value.trim()) return;
      if (!sendBox(box)) box.form.requestSubmit(); // no socket: the form (HTMX or a plain POST) sends it
    });

    // Captured before HTMX sees it: with an open socket the Send button goes through the socket too.
    document.addEventListener("submit", function (event) {
      if (!event.target.classList.contains("chat-form")) return;
      var box = event.target.querySelector("textarea");
      if (box && sendBox(box)) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, true);

    document.addEventListener("visibilitychange", markRead);
  }

  function startInbox(root, live) {
    var pending = null;
    live.join(root.dataset.inboxTopic, { onFrame: function (data) {
      if (data.kind !== "inbox") return;
      // Several changes in a burst become one refresh of the list.
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        if (window.htmx) window.htmx.trigger(document.body, "support:inbox");
      }, 300);
    } });
  }

  // live.js (loaded first, in the page's head) owns the socket; without it or WebSocket the forms post.
  var live = window.storefrontLive;
  var chat = document.getElementById("support-chat");
  if (live && chat && chat.dataset.chatTopic && "WebSocket" in window) startChat(chat, live);
  var inbox = document.getElementById("support-inbox");
  if (live && inbox && inbox.dataset.inboxTopic && "WebSocket" in window) startInbox(inbox, live);
})();
