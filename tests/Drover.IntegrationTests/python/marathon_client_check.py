#!/usr/bin/python3
"""Drives a Drover server with Debian's python3-marathon client (0.13), step by step.

Usage: /usr/bin/python3 marathon_client_check.py URL [--app-id /compat-check] [--timeout 120]
                                                 [--username U --password API_TOKEN]

With --password (a server started with --api-token API_TOKEN: Marathon's --http_credentials style basic auth, the
token as the password) the client authenticates, and a first step checks that clients without credentials, or with
a wrong password, are refused (HTTP 401) and that nothing they sent was written.

Prints one "STEP <name>: ok ..." line per step. On the first failure prints
"FAIL <name>: <exception>" (traceback on stderr), deletes the app (best effort) and exits 1.
The last line on success is "ALL OK".
"""
import argparse
import sys
import time
import traceback

from marathon import MarathonClient, MarathonApp
from marathon.exceptions import MarathonHttpError, NotFoundError
from marathon.models import MarathonHealthCheck, MarathonTask  # not re-exported by the package root
from marathon.models.info import MarathonInfo


class StepFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message)


def wait_for(description, probe, timeout):
    """Polls probe() until it returns a truthy value; returns it. Raises StepFailed after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last = value
        except Exception as e:  # keep polling; the server may be converging
            last = e
        if time.monotonic() >= deadline:
            raise StepFailed(f"timed out after {timeout}s waiting for {description}; last: {last!r}")
        time.sleep(0.25)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--app-id", default="/compat-check")
    parser.add_argument("--timeout", type=float, default=120.0, help="per waiting step, seconds")
    parser.add_argument("--username", default="drover")
    parser.add_argument("--password", help="the server's API token (basic auth password)")
    opts = parser.parse_args()

    if opts.password:
        client = MarathonClient(opts.url, username=opts.username, password=opts.password, timeout=10)
    else:
        client = MarathonClient(opts.url, timeout=10)
    app_id = opts.app_id
    timeout = opts.timeout
    state = {"created": False}

    def step_ping():
        pong = client.ping()
        check(pong.strip().strip(b'"') == b"pong", f"ping answered {pong!r}")
        return pong

    def step_refused_without_credentials():
        refused_id = app_id + "-refused"
        outsiders = [("no credentials", MarathonClient(opts.url, timeout=10)),
                     ("a wrong password", MarathonClient(opts.url, username=opts.username, password="wrong", timeout=10))]
        for what, outsider in outsiders:
            check(outsider.ping().strip().strip(b'"') == b"pong", f"ping with {what} must stay open")
            try:
                outsider.create_app(refused_id, MarathonApp(cmd="sleep 1000", instances=1, cpus=0.1, mem=32))
                raise StepFailed(f"create_app with {what} was accepted")
            except MarathonHttpError as e:
                check(e.status_code == 401, f"create_app with {what}: HTTP {e.status_code} {e.error_message!r}, expected 401")
                check(e.error_message, f"the 401 with {what} has no message")
        ids = [a.id for a in client.list_apps()]
        check(refused_id not in ids, f"a refused create_app was written: {ids}")
        return "create_app refused (401) without credentials and with a wrong password; nothing written"

    def step_get_info():
        info = client.get_info()
        check(isinstance(info, MarathonInfo), f"get_info returned {type(info)}")
        check(info.name, "info.name is empty")
        return f"name={info.name} version={info.version} leader={info.leader}"

    def step_get_leader():
        leader = client.get_leader()
        check(isinstance(leader, dict) and leader.get("leader"), f"get_leader returned {leader!r}")
        return leader["leader"]

    def step_create_app():
        app = MarathonApp(
            cmd="python3 -m http.server $PORT0",
            instances=2,
            cpus=0.1,
            mem=64,
            health_checks=[MarathonHealthCheck(
                protocol="HTTP", path="/", port_index=0,
                grace_period_seconds=5, interval_seconds=2, timeout_seconds=2,
                max_consecutive_failures=3)],
        )
        created = client.create_app(app_id, app)
        check(created, "create_app returned False (status was not 201)")
        state["created"] = True
        check(created.id == app_id, f"created app id {created.id!r} != {app_id!r}")
        check(created.instances == 2, f"created app instances {created.instances}")
        return f"version={created.version} deployments={[d.id for d in created.deployments]}"

    def step_list_apps():
        apps = client.list_apps()
        ids = [a.id for a in apps]
        check(app_id in ids, f"{app_id} not in list_apps: {ids}")
        embedded = client.list_apps(embed_tasks=True, embed_counts=True, embed_deployments=True,
                                    embed_last_task_failure=True, embed_task_stats=True)
        check(app_id in [a.id for a in embedded], "app missing from list_apps with embeds")
        return f"{len(apps)} app(s)"

    def step_get_app():
        app = client.get_app(app_id)
        check(app.id == app_id, f"get_app id {app.id!r}")
        check(app.instances == 2, f"instances {app.instances}")
        check(app.cmd == "python3 -m http.server $PORT0", f"cmd {app.cmd!r}")
        check(len(app.health_checks) == 1, f"health checks {app.health_checks!r}")
        hc = app.health_checks[0]
        check(hc.protocol == "HTTP" and hc.grace_period_seconds == 5 and hc.interval_seconds == 2,
              f"health check round-trip {hc!r}")
        return f"version={app.version}"

    def running(n):
        def probe():
            app = client.get_app(app_id)
            return app if app.tasks_running == n and len([t for t in app.tasks if t.started_at]) == n else None
        return probe

    def step_wait_running_2():
        app = wait_for("tasks_running == 2", running(2), timeout)
        return f"tasks={[t.id for t in app.tasks]}"

    def step_wait_healthy_2():
        app = wait_for("tasks_healthy == 2", lambda: (lambda a: a if a.tasks_healthy == 2 else None)(client.get_app(app_id)), timeout)
        return f"healthy={app.tasks_healthy}"

    def step_list_tasks():
        tasks = client.list_tasks(app_id)
        check(len(tasks) == 2, f"list_tasks({app_id}) gave {len(tasks)} tasks")
        for t in tasks:
            check(isinstance(t, MarathonTask), f"not a task: {t!r}")
            check(t.app_id == app_id, f"task app id {t.app_id!r}")
            check(t.host, f"task {t.id} has no host")
            check(len(t.ports) == 1 and t.ports[0] > 0, f"task {t.id} ports {t.ports}")
            check(t.started_at is not None, f"task {t.id} has no startedAt")
        every = client.list_tasks()
        check({t.id for t in tasks} <= {t.id for t in every}, "app tasks missing from /v2/tasks")
        return ", ".join(f"{t.id}@{t.host}:{t.ports[0]}" for t in tasks)

    def step_scale_app():
        # the create deployment ends a moment after its tasks are healthy; a scale before that is refused (409)
        wait_for("the create deployment to finish", lambda: client.list_deployments() == [], timeout)
        result = client.scale_app(app_id, instances=3)
        check(isinstance(result, dict) and result.get("deploymentId"), f"scale_app returned {result!r}")
        app = wait_for("tasks_running == 3", running(3), timeout)
        check(app.instances == 3, f"instances after scale {app.instances}")
        return f"deployment={result['deploymentId']}"

    def step_kill_task():
        before = client.list_tasks(app_id)
        victim = before[0].id
        killed = client.kill_task(app_id, victim)
        check(isinstance(killed, MarathonTask) and killed.id == victim, f"kill_task returned {killed!r}")

        def replaced():
            app = client.get_app(app_id)
            ids = [t.id for t in app.tasks if t.started_at]
            return app if victim not in ids and app.tasks_running == 3 and len(ids) == 3 else None

        wait_for(f"task {victim} to be replaced", replaced, timeout)
        return f"killed {victim}"

    def step_list_deployments():
        deployments = client.list_deployments()
        check(isinstance(deployments, list), f"list_deployments returned {deployments!r}")
        for d in deployments:
            check(d.id and d.version and d.current_step >= 1 and d.total_steps >= d.current_step, f"deployment fields {d!r}")
        # a change while a deployment runs is refused unless forced, as in Marathon: wait for them to finish
        wait_for("deployments to finish", lambda: client.list_deployments() == [], timeout)
        return f"{len(deployments)} were running, now done"

    def step_list_versions():
        versions = client.list_versions(app_id)
        check(len(versions) >= 2, f"versions after create+scale: {versions}")
        first = client.get_version(app_id, sorted(versions)[0])
        check(first.id == app_id, f"get_version id {first.id!r}")
        return f"{len(versions)} versions"

    def step_delete_app():
        result = client.delete_app(app_id)
        check(isinstance(result, dict) and result.get("deploymentId"), f"delete_app returned {result!r}")

        def gone():
            try:
                client.get_app(app_id)
                return False
            except NotFoundError:
                return True

        wait_for(f"{app_id} to be gone", gone, timeout)
        state["created"] = False
        return f"deployment={result['deploymentId']}"

    steps = [("refused_without_credentials", step_refused_without_credentials)] if opts.password else []
    steps += [
        ("ping", step_ping),
        ("get_info", step_get_info),
        ("get_leader", step_get_leader),
        ("create_app", step_create_app),
        ("list_apps", step_list_apps),
        ("get_app", step_get_app),
        ("wait_running_2", step_wait_running_2),
        ("wait_healthy_2", step_wait_healthy_2),
        ("list_tasks", step_list_tasks),
        ("scale_app", step_scale_app),
        ("kill_task", step_kill_task),
        ("list_deployments", step_list_deployments),
        ("list_versions", step_list_versions),
        ("delete_app", step_delete_app),
    ]
    for name, fn in steps:
        started = time.monotonic()
        try:
            detail = fn()
        except Exception as e:
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc()
            if state["created"]:
                try:
                    client.delete_app(app_id, force=True)
                except Exception as cleanup_error:
                    print(f"cleanup: delete_app failed: {cleanup_error}", file=sys.stderr)
            return 1
        print(f"STEP {name}: ok ({time.monotonic() - started:.1f}s) {detail if detail is not None else ''}".rstrip(),
              flush=True)
    print("ALL OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
