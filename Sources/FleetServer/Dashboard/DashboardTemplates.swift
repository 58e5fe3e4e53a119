import Mustache

/// The dashboard's pages as Mustache templates, rendered by swift-mustache (already a dependency for discovery
/// templates), kept in the source so the binary carries them and a page cannot go missing at run time.
///
/// Mustache escapes every `{{value}}` for HTML; the one triple mustache, `{{{content}}}`, inserts a page this
/// library rendered (escaped) into the layout. Nothing else may use triple mustaches: values come from commits,
/// tokens' names and instance output, which anyone who can push or run a service controls.
enum DashboardTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [
            ("layout", layout), ("fleet", fleet), ("service", service), ("commit", commit), ("events", events),
            ("signin", signIn), ("message", message), ("markers", markers), ("actions", actions),
            ("eventlist", eventList), ("operatoractions", operatorActions),
        ] {
            // The templates are constants of this file; a test renders every page, so a typo fails there.
            try! library.register(text, named: name)
        }
        return library
    }()

    static func render(_ page: String, _ view: Any, layout: DashboardView.Layout) -> String {
        var layout = layout
        layout.content = library.render(view, withTemplate: page) ?? ""
        return library.render(layout, withTemplate: "layout") ?? ""
    }

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · gitfleet</title>
        <link rel="stylesheet" href="/assets/dashboard.css">
        <script src="/assets/dashboard.js" defer></script>
        </head>
        <body data-event-kinds="{{eventKinds}}" data-last-event="{{lastEventID}}">
        <header class="top">
        <a class="brand" href="/">gitfleet</a>
        <nav><a href="/">Fleet</a> <a href="/events">Events</a></nav>
        <span class="live" id="live-status" aria-live="polite">static</span>
        {{#caller}}<form method="post" action="/signout" class="signout"><span class="who">{{caller}} ({{scope}})</span> <button type="submit">Sign out</button></form>{{/caller}}
        </header>
        {{#flash}}<p class="flash" role="status">{{flash}}</p>{{/flash}}
        <main>
        {{{content}}}
        </main>
        </body>
        </html>

        """

    static let markers = """
        {{#markers}}<span class="marker {{kind}}" title="{{detail}}">{{label}}</span> {{/markers}}
        """

    static let actions = """
        {{^empty(actions)}}
        <form method="post" class="actions" action="{{#first(actions)}}{{path}}{{/first(actions)}}">
        {{#reasonField}}<label>Reason <input name="reason" maxlength="1000" placeholder="optional, recorded with the action"></label>{{/reasonField}}
        {{#actions}}<button type="submit" formaction="{{path}}" class="{{kind}}" data-action="{{label}}">{{label}}</button> {{/actions}}
        </form>
        {{/empty(actions)}}
        """

    static let eventList = """
        <ol class="events">
        {{#events}}<li data-event-id="{{id}}"><time>{{time}}</time> <span class="type">{{type}}</span> {{#service}}<a href="{{servicePath}}">{{service}}</a>{{/service}} {{message}}{{#by}} <span class="by">by {{by}}</span>{{/by}}{{#commit}} <a class="hash" href="{{path}}">{{short}}</a>{{/commit}}</li>
        {{/events}}{{^events}}<li class="none">No events yet.</li>{{/events}}
        </ol>
        """

    static let operatorActions = """
        {{^empty(operatorActions)}}<h2>Operator actions</h2>
        <div class="table"><table class="operator-actions">
        <thead><tr><th>Action</th><th>Service</th><th>By</th><th>When</th><th>Why</th><th>Outcome</th></tr></thead>
        <tbody>
        {{#operatorActions}}<tr><td>{{what}}{{#atCommit}} <small>at <a class="hash" href="{{path}}">{{short}}</a></small>{{/atCommit}}</td><td>{{#service}}<a href="{{servicePath}}">{{.}}</a>{{/service}}{{^service}}the fleet{{/service}}</td><td>{{by}}</td><td>{{when}}</td><td>{{#why}}{{.}}{{/why}}</td><td>{{#outcome}}{{.}}{{/outcome}}</td></tr>
        {{/operatorActions}}
        </tbody></table></div>{{/empty(operatorActions)}}
        """

    static let fleet = """
        <div data-live>
        <h1>{{name}} <span class="phase {{phase}}">{{phase}}</span> {{#suspended}}<span class="marker {{kind}}" title="{{detail}}">{{label}}</span>{{/suspended}} {{#freeze}}<span class="marker {{kind}}" title="{{detail}}">{{label}}</span> {{/freeze}}</h1>
        {{^empty(problems)}}<ul class="problems">{{#problems}}<li>{{.}}</li>{{/problems}}</ul>{{/empty(problems)}}
        <section class="cards">
        <div class="card"><h2>Git</h2><dl>
        <dt>Branch</dt><dd>{{branch}}</dd>
        <dt>Deployed</dt><dd>{{#deployed}}<a class="hash" href="{{path}}">{{short}}</a>{{/deployed}}{{^deployed}}none yet{{/deployed}}</dd>
        <dt>Fetched</dt><dd>{{#fetched}}<a class="hash" href="{{path}}">{{short}}</a>{{/fetched}}{{^fetched}}none yet{{/fetched}}{{#behind}} <span class="marker paused">ahead of deployed</span>{{/behind}}</dd>
        <dt>Last fetch</dt><dd>{{#lastFetch}}{{.}}{{/lastFetch}}{{^lastFetch}}not yet{{/lastFetch}}</dd>
        <dt>Last pass</dt><dd>{{#lastReconcile}}{{.}}{{/lastReconcile}}{{^lastReconcile}}not yet{{/lastReconcile}}</dd>
        </dl></div>
        <div class="card"><h2>Controller</h2><dl>
        <dt>Role</dt><dd>{{#role}}{{.}}{{/role}}{{^role}}single controller{{/role}}</dd>
        <dt>Leader</dt><dd>{{#leader}}{{.}}{{/leader}}{{^leader}}this controller{{/leader}}</dd>
        <dt>Discovery</dt><dd class="{{#discoveryFailing}}bad{{/discoveryFailing}}">{{#discoveryState}}{{.}}{{/discoveryState}}{{^discoveryState}}not configured{{/discoveryState}}</dd>
        {{#nextFreeze}}<dt>Next freeze</dt><dd>{{.}}</dd>{{/nextFreeze}}
        </dl></div>
        </section>
        <h2>Services</h2>
        <div class="table"><table class="services">
        <thead><tr><th>Service</th><th>Phase</th><th>Instances</th><th>Version</th><th>Notes</th></tr></thead>
        <tbody>
        {{#services}}<tr data-service="{{name}}">
        <td><a href="{{path}}">{{name}}</a></td>
        <td><span class="phase {{phase}}">{{phase}}</span>{{#rollout}}<br><small>rollout {{.}}</small>{{/rollout}}</td>
        <td><span class="count">{{ready}}/{{replicas}}</span> <span class="bar"><span style="width: {{percent}}%"></span></span></td>
        <td class="version">{{#desiredImage}}<span title="desired">{{.}}</span>{{/desiredImage}}{{#running}}<br><small>running {{.}}</small>{{/running}}</td>
        <td>{{> markers}}{{#reason}}<small>{{.}}</small>{{/reason}}</td>
        </tr>
        {{/services}}{{^services}}<tr><td colspan="5">No services yet.</td></tr>{{/services}}
        </tbody></table></div>
        <h2>Recent events <a class="more" href="/events">all</a></h2>
        {{> eventlist}}
        </div>
        {{^empty(actions)}}<h2>Fleet actions</h2>{{/empty(actions)}}
        {{> actions}}

        """

    static let service = """
        <p class="crumbs"><a href="/">Fleet</a> / {{name}}</p>
        <div data-live>
        <h1>{{name}} <span class="phase {{phase}}">{{phase}}</span> {{> markers}}</h1>
        {{#reason}}<p class="reason">{{.}}</p>{{/reason}}
        <section class="cards">
        <div class="card"><h2>Desired</h2><dl>
        <dt>Image</dt><dd class="version">{{#desiredImage}}{{.}}{{/desiredImage}}{{^desiredImage}}none{{/desiredImage}}</dd>
        <dt>Spec</dt><dd class="hash">{{#specHash}}{{.}}{{/specHash}}</dd>
        <dt>Commit</dt><dd>{{#revision}}<a class="hash" href="{{path}}">{{short}}</a>{{/revision}}</dd>
        <dt>Ready</dt><dd>{{ready}}/{{replicas}} <span class="bar"><span style="width: {{percent}}%"></span></span></dd>
        </dl></div>
        {{#rollout}}<div class="card"><h2>Rollout <span class="phase {{phase}}">{{phase}}</span></h2><dl>
        <dt>Target</dt><dd class="hash">{{target}}{{#targetRevision}} (<a href="{{path}}">{{short}}</a>){{/targetRevision}}</dd>
        <dt>Last good</dt><dd class="hash">{{#lastGood}}{{.}}{{/lastGood}}{{^lastGood}}none yet{{/lastGood}}{{#lastGoodRevision}} (<a href="{{path}}">{{short}}</a>){{/lastGoodRevision}}</dd>
        {{^empty(failed)}}<dt>Failed</dt><dd class="hash bad">{{#failed}}{{.}}<br>{{/failed}}</dd>{{/empty(failed)}}
        {{#gate}}<dt>Gate</dt><dd>{{.}}</dd>{{/gate}}
        {{#message}}<dt>Why</dt><dd>{{.}}</dd>{{/message}}
        </dl>
        {{^empty(steps)}}<ol class="steps">{{#steps}}<li class="{{state}}">{{text}}</li>{{/steps}}</ol>{{/empty(steps)}}
        </div>{{/rollout}}
        </section>
        <h2>Instances</h2>
        <div class="table"><table class="instances">
        <thead><tr><th>Instance</th><th>State</th><th>Age</th><th>Address</th><th>Image</th><th>Spec</th><th>Logs</th></tr></thead>
        <tbody>
        {{#instances}}<tr data-instance="{{id}}" data-state="{{state}}">
        <td class="hash">{{id}}</td><td><span class="state {{state}}">{{state}}</span>{{#failure}}<br><small>{{.}}</small>{{/failure}}</td>
        <td>{{age}}</td><td>{{#address}}{{.}}{{/address}}</td><td class="hash">{{digest}}</td>
        <td class="hash">{{specHash}}{{^current}} <small>(old)</small>{{/current}}</td><td><a href="{{logsPath}}">logs</a></td>
        </tr>
        {{/instances}}{{^instances}}<tr><td colspan="7">No instances.</td></tr>{{/instances}}
        </tbody></table></div>
        {{^empty(quarantined)}}<h2>Quarantined instances</h2>{{/empty(quarantined)}}
        {{#quarantined}}<details class="kept"><summary><span class="hash">{{id}}</span>{{#failure}}: {{.}}{{/failure}}</summary><pre>{{text}}</pre></details>
        {{/quarantined}}
        <h2>History</h2>
        {{#historyUnavailable}}<p class="reason">{{.}}</p>{{/historyUnavailable}}
        <div class="table"><table class="history">
        <thead><tr><th>Commit</th><th>Author</th><th>Signed</th><th>Result</th><th>Change</th><th>When</th></tr></thead>
        <tbody>
        {{#history}}<tr>
        <td>{{#commit}}<a class="hash" href="{{path}}">{{short}}</a>{{/commit}} <small>{{summary}}</small></td><td>{{author}}</td>
        <td>{{#signer}}{{.}}{{/signer}}{{^signer}}no{{/signer}}</td>
        <td>{{#result}}<span class="phase {{.}}">{{.}}</span>{{/result}}{{#noteReason}}<br><small>{{.}}</small>{{/noteReason}}</td>
        <td class="version">{{#change}}{{.}}{{/change}}</td><td>{{when}}</td>
        </tr>
        {{/history}}{{^history}}<tr><td colspan="6">No deployments noted yet.</td></tr>{{/history}}
        </tbody></table></div>
        {{> operatoractions}}
        </div>
        {{^empty(actions)}}<h2>Actions</h2>{{/empty(actions)}}
        {{> actions}}

        """

    static let commit = """
        <p class="crumbs"><a href="/">Fleet</a> / commit</p>
        <h1><span class="hash">{{short}}</span> <span class="phase {{state}}">{{state}}</span></h1>
        <section class="cards"><div class="card"><dl>
        <dt>Commit</dt><dd class="hash">{{commit}}</dd>
        {{#summary}}<dt>Message</dt><dd>{{.}}</dd>{{/summary}}
        {{#author}}<dt>Author</dt><dd>{{.}}</dd>{{/author}}
        {{#date}}<dt>Date</dt><dd>{{.}}</dd>{{/date}}
        <dt>Signature</dt><dd>{{#signature}}{{.}}{{/signature}}{{^signature}}none verified{{/signature}}</dd>
        {{#handledAs}}<dt>Noted as</dt><dd><a class="hash" href="{{path}}">{{short}}</a></dd>{{/handledAs}}
        {{#notedAt}}<dt>Noted at</dt><dd>{{.}}</dd>{{/notedAt}}
        {{#reason}}<dt>Why</dt><dd>{{.}}</dd>{{/reason}}
        </dl></div></section>
        {{^empty(errors)}}<h2>Errors</h2><ul class="problems">{{#errors}}<li>{{.}}</li>{{/errors}}</ul>{{/empty(errors)}}
        <h2>Services</h2>
        <div class="table"><table>
        <thead><tr><th>Service</th><th>Result</th><th>Change</th><th>Created</th><th>Destroyed</th><th>Took</th></tr></thead>
        <tbody>
        {{#services}}<tr><td><a href="{{path}}">{{name}}</a></td><td><span class="phase {{result}}">{{result}}</span>{{#serviceReason}}<br><small>{{.}}</small>{{/serviceReason}}</td><td class="version">{{#change}}{{.}}{{/change}}</td><td>{{created}}</td><td>{{destroyed}}</td><td>{{#took}}{{.}}{{/took}}</td></tr>
        {{/services}}{{^services}}<tr><td colspan="6">The controller has not noted this commit.</td></tr>{{/services}}
        </tbody></table></div>
        {{> operatoractions}}

        """

    static let events = """
        <div data-live>
        <h1>Events</h1>
        {{> eventlist}}
        </div>

        """

    static let signIn = """
        <h1>Sign in</h1>
        {{#problem}}<p class="flash bad" role="alert">{{.}}</p>{{/problem}}
        {{#open}}<p>This server needs no token. <a href="/">Open the dashboard</a>.</p>{{/open}}
        {{^open}}<form method="post" action="/signin" class="signin">
        <p>Paste an API token (the contents of a token file). The server keeps it in a cookie only this browser sends, for this browser session.</p>
        <label>Token <input type="password" name="token" autocomplete="off" required></label>
        <input type="hidden" name="next" value="{{next}}">
        <button type="submit">Sign in</button>
        </form>{{/open}}

        """

    static let message = """
        <h1>{{heading}}</h1>
        <p>{{message}}</p>
        <p><a href="/">Back to the fleet</a></p>

        """
}
