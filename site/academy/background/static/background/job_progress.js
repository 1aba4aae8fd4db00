/*
 * Background job progress (academy.background): polls each [data-job-progress] element's status URL
 * every second while the job is queued or running, and updates the bar, text, errors and download link.
 * Plain JS, no dependencies; safe to load more than once on a page.
 */
(function () {
  "use strict";

  if (window.academyJobProgress) {
    window.academyJobProgress.scan();
    return;
  }

  var POLL_MS = 1000;
  var MAX_BACKOFF_MS = 10000;

  function setText(root, selector, text) {
    var node = root.querySelector(selector);
    if (node) node.textContent = text;
  }

  function render(root, data) {
    var bar = root.querySelector("[data-job-bar]");
    if (bar) {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
      bar.setAttribute("aria-valuenow", String(data.percent));
      bar.setAttribute("aria-valuetext", data.percent + "%");
    }
    setText(root, "[data-job-percent]", data.percent + "%");
    setText(
      root,
      "[data-job-counts]",
      data.progress_total ? data.progress_done + " / " + data.progress_total : ""
    );
    var status = root.querySelector("[data-job-status]");
    if (status) {
      status.textContent = data.status_label;
      status.className = status.className.replace(/job-progress__status--\w+/, "job-progress__status--" + data.status);
    }
    setText(root, "[data-job-message]", data.message || "");

    var download = root.querySelector("[data-job-download]");
    if (download) {
      var link = download.querySelector("[data-job-download-link]");
      if (data.download_url) {
        link.href = data.download_url;
        setText(download, "[data-job-download-name]", data.download_name);
        download.hidden = false;
      } else {
        download.hidden = true;
      }
    }

    var table = root.querySelector("[data-job-errors]");
    var body = root.querySelector("[data-job-errors-body]");
    if (table && body) {
      body.textContent = "";
      (data.errors || []).forEach(function (error) {
        var row = document.createElement("tr");
        [error.row, error.field, error.message].forEach(function (value) {
          var cell = document.createElement("td");
          cell.textContent = value === null || value === undefined ? "" : String(value);
          row.appendChild(cell);
        });
        body.appendChild(row);
      });
      table.hidden = !(data.errors && data.errors.length);
    }
  }

  function watch(root) {
    if (root.dataset.jobProgressBound) return;
    root.dataset.jobProgressBound = "true";
    if (root.dataset.finished === "true") return;

    var url = root.dataset.statusUrl;
    var delay = POLL_MS;

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 403 || response.status === 404) {
            throw new Error("stop");
          }
          if (!response.ok) throw new Error("retry");
          return response.json();
        })
        .then(function (data) {
          delay = POLL_MS;
          render(root, data);
          if (data.finished) {
            root.dataset.finished = "true";
            if (root.dataset.reloadOnFinish === "true") window.location.reload();
          } else {
            window.setTimeout(poll, delay);
          }
        })
        .catch(function (error) {
          if (error && error.message === "stop") return;
          // A server restart or a dropped connection: keep trying, more slowly.
          delay = Math.min(delay * 2, MAX_BACKOFF_MS);
          window.setTimeout(poll, delay);
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  function scan() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-job-progress]"), watch);
  }

  window.academyJobProgress = { scan: scan, render: render };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scan);
  } else {
    scan();
  }
})();
