import Hummingbird

/// The dashboard's one stylesheet and one script, served by the controller itself: no external assets, no
/// build step. Both are open (no token): they are the same for everyone and hold nothing about the fleet.
enum DashboardAssets {
    static let prefix = "/assets/"
    static let stylesheetPath = "/assets/dashboard.css"
    static let scriptPath = "/assets/dashboard.js"

    static func install(on router: Router<ControllerRequestContext>) {
        router.get(RouterPath(stringLiteral: stylesheetPath)) { _, _ in
            asset(stylesheet, contentType: "text/css; charset=utf-8")
        }
        router.get(RouterPath(stringLiteral: scriptPath)) { _, _ in
            asset(script, contentType: "text/javascript; charset=utf-8")
        }
    }

    private static func asset(_ text: String, contentType: String) -> Response {
        var response = Response.text(text, contentType: contentType)
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    /// Phone width first: the page never scrolls sideways; a wide table scrolls inside its own box.
    static let stylesheet = """
        *, *::before, *::after { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b;
          background: #f5f6f8; overflow-wrap: anywhere; }
        a { color: #0b5cad; }
        header.top { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; padding: .6rem 1rem;
          background: #1d232b; color: #fff; }
        header.top a { color: #fff; text-decoration: none; }
        header.top nav a { margin-right: .8rem; }
        .brand { font-weight: 700; }
        .live { font-size: .8rem; padding: .05rem .5rem; border-radius: 1rem; background: #555; }
        .live.on { background: #1f7a3d; }
        .signout { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
        .who { font-size: .85rem; opacity: .85; }
        main { max-width: 75rem; margin: 0 auto; padding: .5rem 1rem 2rem; }
        h1 { font-size: 1.4rem; margin: .8rem 0; }
        h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
        .more { font-size: .85rem; font-weight: 400; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: .8rem; }
        .card { background: #fff; border: 1px solid #dde1e6; border-radius: .4rem; padding: .5rem .8rem; min-width: 0; }
        .card h2 { margin-top: .2rem; }
        dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2rem .8rem; margin: 0; }
        dt { color: #5b6570; }
        dd { margin: 0; min-width: 0; }
        .table { overflow-x: auto; max-width: 100%; background: #fff; border: 1px solid #dde1e6; border-radius: .4rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #eceff2; vertical-align: top; }
        th { font-size: .8rem; color: #5b6570; font-weight: 600; overflow-wrap: normal; white-space: nowrap; }
        td.version, td.hash, .hash { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
        .table td { overflow-wrap: normal; word-break: normal; }
        .table td.version, .table td.hash { min-width: 10rem; overflow-wrap: anywhere; }
        .phase, .state, .marker { display: inline-block; font-size: .75rem; padding: 0 .45rem; border-radius: .7rem;
          background: #e6e9ed; white-space: nowrap; }
        .phase.converged, .phase.ok, .phase.succeeded, .phase.deployed, .state.serving, .phase.idle { background: #d5f0dc; }
        .phase.progressing, .phase.rolling, .phase.in-progress, .phase.paused, .state.starting, .state.pending, .phase.waiting { background: #fff1c2; }
        .phase.failed, .phase.degraded, .phase.rejected, .state.failed, .state.quarantined, .phase.rolledBack,
          .phase.rollingBack, .phase.rolling-back, .phase.rolled-back, .phase.stalled, .bad { background: #fbd5d5; }
        .marker.suspended { background: #e3d7fb; } .marker.frozen { background: #d3e8fb; }
        .marker.paused { background: #ffe2b8; } .marker.pinned { background: #f7d3ec; }
        .bar { display: inline-block; width: 4rem; height: .45rem; background: #e6e9ed; border-radius: .3rem;
          vertical-align: middle; overflow: hidden; }
        .bar span { display: block; height: 100%; background: #2f8f4e; }
        .events { list-style: none; padding: 0; margin: 0; background: #fff; border: 1px solid #dde1e6; border-radius: .4rem; }
        .events li { padding: .3rem .6rem; border-bottom: 1px solid #eceff2; }
        .events time { color: #5b6570; font-size: .8rem; }
        .events .type { font-size: .75rem; background: #e6e9ed; border-radius: .7rem; padding: 0 .4rem; }
        .by { color: #5b6570; }
        .problems { background: #fbd5d5; border-radius: .4rem; padding: .4rem 1.6rem; }
        .flash { max-width: 75rem; margin: .6rem auto 0; padding: .5rem 1rem; background: #fff1c2; border-radius: .4rem; }
        .steps li.done { color: #2f8f4e; } .steps li.now { font-weight: 700; } .steps li.next { color: #5b6570; }
        .kept pre { max-height: 20rem; overflow: auto; background: #1d232b; color: #e6e9ed; padding: .6rem;
          white-space: pre-wrap; }
        form.actions, form.signin { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center;
          background: #fff; border: 1px solid #dde1e6; border-radius: .4rem; padding: .6rem; }
        form.actions label, form.signin label { flex: 1 1 100%; display: flex; flex-wrap: wrap; gap: .3rem; }
        input { font: inherit; padding: .3rem .4rem; flex: 1 1 12rem; min-width: 0; }
        button { font: inherit; padding: .3rem .8rem; border-radius: .3rem; border: 1px solid #9aa4ae; background: #fff;
          cursor: pointer; }
        button.danger { border-color: #b3261e; color: #b3261e; }
        .crumbs { margin: .5rem 0 0; font-size: .9rem; }

        """

    /// Live updates: on every event of the stream, the page fetches itself again and swaps its live part in,
    /// so what a page shows is always what the server renders, without a second renderer in the browser.
    /// Several events close together cause one fetch. Without this script the pages are the same, only static.
    static let script = """
        "use strict";
        (function () {
          if (!window.EventSource || !window.fetch || !window.DOMParser) { return; }
          var live = document.querySelector("[data-live]");
          var badge = document.getElementById("live-status");
          if (!live) { return; }
          var kinds = (document.body.getAttribute("data-event-kinds") || "").split(" ").filter(Boolean);
          var since = document.body.getAttribute("data-last-event");
          var timer = null, busy = false, again = false;

          function refresh() {
            timer = null;
            if (busy) { again = true; return; }
            busy = true;
            fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
              .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer.status); })
              .then(function (html) {
                var next = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
                if (next) {
                  live.replaceWith(next);
                  live = next;
                  document.body.setAttribute("data-refreshed", String(Date.now()));
                }
              })
              .catch(function () { /* the next event tries again */ })
              .then(function () {
                busy = false;
                if (again) { again = false; schedule(); }
              });
          }

          function schedule() { if (!timer) { timer = window.setTimeout(refresh, 300); } }

          var url = "/api/v1/events?stream=true" + (since ? "&since=" + encodeURIComponent(since) : "");
          var source = new EventSource(url);
          source.onopen = function () { badge.textContent = "live"; badge.className = "live on"; };
          source.onerror = function () { badge.textContent = "reconnecting"; badge.className = "live"; };
          kinds.forEach(function (kind) { source.addEventListener(kind, schedule); });
          source.onmessage = schedule;
        })();

        """
}
