// A plan page's figures, kept current without reload: the planProgress subscription
// (graphql-transport-ws on /graphql) says when the plan moved; the page is then read again and
// each element marked data-live is swapped for its new version, worded by the server as at load.
// Without this script the page shows the same figures as of its loading.
(function () {
  "use strict";
  var figure = document.querySelector("[data-plan-progress][data-plan-id]");
  if (!figure || !window.WebSocket || !window.fetch || !window.DOMParser) {
    return;
  }
  var planId = figure.getAttribute("data-plan-id");
  var QUERY = "subscription ($id: ID!) { planProgress(planId: $id) { progress } }";
  var delay = 1000;
  var refreshing = null;
  var again = false;

  function current() {
    var element = document.querySelector("[data-plan-progress]");
    return element ? Number(element.getAttribute("data-plan-progress")) : NaN;
  }

  function swap(fresh) {
    var parsed = new DOMParser().parseFromString(fresh, "text/html");
    parsed.querySelectorAll("[data-live]").forEach(function (replacement) {
      var key = replacement.getAttribute("data-live");
      var old = document.querySelector('[data-live="' + CSS.escape(key) + '"]');
      if (old) {
        old.replaceWith(document.importNode(replacement, true));
      }
    });
  }

  function refresh() {
    // One reading at a time; a change during it asks for one more.
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) { if (text) { swap(text); } })
      .catch(function () {})
      .then(function () {
        refreshing = null;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(scheme + "//" + window.location.host + "/graphql", "graphql-transport-ws");
    // The server sends its JSON in binary frames.
    socket.binaryType = "arraybuffer";
    var decoder = new TextDecoder();
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
    };
    socket.onmessage = function (message) {
      var data;
      try {
        data = JSON.parse(typeof message.data === "string" ? message.data : decoder.decode(message.data));
      } catch (error) {
        return;
      }
      if (data.type === "connection_ack") {
        delay = 1000;
        socket.send(JSON.stringify({
          id: "plan", type: "subscribe", payload: { query: QUERY, variables: { id: planId } }
        }));
      } else if (data.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (data.type === "next" && data.payload && data.payload.data && data.payload.data.planProgress) {
        // The first answer is the progress now: the page may already say it.
        if (data.payload.data.planProgress.progress !== current()) {
          refresh();
        }
      }
    };
    socket.onclose = function () {
      // Back off up to a minute: the server may be restarting, or refusing for a while.
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    };
  }

  connect();
})();
