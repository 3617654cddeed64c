// TenantLine staff console: the light touch of JavaScript the pages need. No build step, no libraries.
// - waiting timers tick every second;
// - regions with data-poll-url refresh themselves (the queue, the transcript), keeping keyboard focus and telling
//   screen-reader users what arrived through one polite live region;
// - the reply box counts characters; an error summary takes focus so it is read first.
// The server escapes all tenant text; this file only ever inserts HTML the console itself rendered.
(function () {
  "use strict";

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function waitedText(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    if (hours > 0) {
      return hours + " h " + String(minutes).padStart(2, "0") + " min";
    }
    return minutes + " min " + String(rest).padStart(2, "0") + " s";
  }

  function tickTimers() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (element) {
      var since = Date.parse(element.getAttribute("data-since"));
      if (!isNaN(since)) {
        element.textContent = waitedText(Math.max(0, Math.floor((now - since) / 1000)));
      }
    });
  }

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) {
      return;
    }
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 100);
  }

  function waitingCount(region) {
    var element = region.querySelector("[data-waiting-count]");
    return element ? Number(element.getAttribute("data-waiting-count")) : null;
  }

  function transcriptState(region) {
    var element = region.querySelector("[data-last-key]");
    if (!element) {
      return null;
    }
    return {
      key: Number(element.getAttribute("data-last-key")),
      speaker: element.getAttribute("data-last-speaker"),
      safety: element.getAttribute("data-last-safety"),
      state: element.getAttribute("data-state")
    };
  }

  function nearBottom(element) {
    return element.scrollHeight - element.scrollTop - element.clientHeight < 80;
  }

  function scrollTranscript(region, force) {
    var list = region.querySelector(".transcript");
    if (list && (force || list.dataset.stick === "yes")) {
      list.scrollTop = list.scrollHeight;
    }
  }

  function replaceRegion(region, html) {
    var active = document.activeElement;
    var focusId = active && region.contains(active) && active.id ? active.id : null;
    var list = region.querySelector(".transcript");
    var stick = list ? nearBottom(list) : false;
    var oldCount = waitingCount(region);
    var oldTranscript = transcriptState(region);

    region.innerHTML = html;

    if (focusId) {
      var again = document.getElementById(focusId);
      if (again) {
        again.focus();
      }
    }
    var newList = region.querySelector(".transcript");
    if (newList) {
      newList.dataset.stick = stick ? "yes" : "no";
      scrollTranscript(region, false);
    }
    tickTimers();

    var newCount = waitingCount(region);
    if (oldCount !== null && newCount !== null && newCount > oldCount) {
      announce(plural(newCount - oldCount, "new conversation") + " waiting. " + newCount + " in the queue.");
      document.title = document.title.replace(/^\(\d+\) /, "");
      document.title = "(" + newCount + ") " + document.title;
    }
    var newTranscript = transcriptState(region);
    if (oldTranscript && newTranscript) {
      if (newTranscript.key > oldTranscript.key && newTranscript.speaker === "tenant") {
        announce(
          newTranscript.safety
            ? "New message from the tenant. Safety: " + newTranscript.safety + "."
            : "New message from the tenant."
        );
      }
      var pageState = region.getAttribute("data-page-state");
      var notice = document.getElementById("stale-notice");
      if (pageState && notice && newTranscript.state !== pageState) {
        notice.hidden = false;
      }
    }
  }

  function startPolling(region) {
    var url = region.getAttribute("data-poll-url");
    var every = Math.max(1, Number(region.getAttribute("data-poll-seconds") || "3")) * 1000;
    var etag = null;
    var busy = false;

    function poll() {
      if (busy || document.hidden) {
        return;
      }
      busy = true;
      var headers = { "X-Console-Fetch": "1" };
      if (etag) {
        headers["If-None-Match"] = etag;
      }
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 401) {
            window.location.reload();
            return null;
          }
          if (response.status !== 200) {
            return null;
          }
          etag = response.headers.get("ETag");
          return response.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined) {
            replaceRegion(region, html);
          }
        })
        .catch(function () {
          // A network blip: the next poll tries again.
        })
        .then(function () {
          busy = false;
        });
    }

    window.setInterval(poll, every);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        poll();
      }
    });
  }

  function startCounters() {
    document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
      var field = document.getElementById(counter.getAttribute("data-counter-for"));
      if (!field) {
        return;
      }
      var limit = Number(field.getAttribute("maxlength") || "0");
      function update() {
        counter.textContent = field.value.length + " of " + limit + " characters";
      }
      field.addEventListener("input", update);
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tickTimers();
    window.setInterval(tickTimers, 1000);
    document.querySelectorAll("[data-poll-url]").forEach(startPolling);
    document.querySelectorAll("[data-poll-url]").forEach(function (region) {
      scrollTranscript(region, true);
    });
    startCounters();
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  });
})();
