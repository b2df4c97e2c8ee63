#!/usr/bin/python3
"""Drives a Drover server with Debian's python3-consul client (0.7.1), step by step.

Usage: /usr/bin/python3 consul_client_check.py HOST PORT --app-service NAME [--timeout 60] [--token API_TOKEN]

With --token (a server started with --api-token) the client sends it (?token=, as python-consul does), and a first
step checks that clients without it, or with a wrong one, are refused (ACLPermissionDenied, HTTP 403) and that
nothing they sent was written.

NAME is the service of an app Drover runs (it must have a passing instance). Prints one
"STEP <name>: ok ..." line per step; on the first failure "FAIL <name>: <exception>" (traceback on
stderr) and exits 1. The last line on success is "ALL OK".
"""
import argparse
import sys
import threading
import time
import traceback

import consul


class StepFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message)


def wait_for(description, probe, timeout):
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
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--app-service", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--token", help="the server's API token")
    opts = parser.parse_args()

    c = consul.Consul(opts.host, opts.port, token=opts.token)
    if opts.token:
        # python-consul 0.7.1 adds its token (?token=) to most calls but not to the agent's check pass/warn/fail, service
        # deregister or services/checks listings (Consul would apply its agent's default token there); its users put
        # the token on the session for those, as here
        c.http.session.headers["X-Consul-Token"] = opts.token
    app = opts.app_service
    timeout = opts.timeout

    def step_refused_without_token():
        for what, outsider in [("no token", consul.Consul(opts.host, opts.port)),
                               ("a wrong token", consul.Consul(opts.host, opts.port, token="wrong"))]:
            for action, attempt in [
                ("kv put", lambda: outsider.kv.put("drover-check/denied", "x")),
                ("service register", lambda: outsider.agent.service.register("intruder", service_id="intruder1", port=1)),
                ("service deregister (a GET)", lambda: outsider.agent.service.deregister("intruder1")),
            ]:
                try:
                    result = attempt()
                    raise StepFailed(f"{action} with {what} was accepted: {result!r}")
                except consul.ACLPermissionDenied as e:
                    check(str(e), f"{action} with {what}: refusal without a message")
        _, value = c.kv.get("drover-check/denied")
        check(value is None, f"a refused kv put was written: {value!r}")
        check("intruder1" not in c.agent.services(), "a refused registration was written")
        return "kv put and service register refused (403) without a token and with a wrong one; nothing written"

    def step_status_leader():
        leader = c.status.leader()
        check(isinstance(leader, str) and leader.endswith(f":{opts.port}"), f"leader {leader!r}")
        peers = c.status.peers()
        check(peers == [leader], f"peers {peers!r}")
        return leader

    def step_catalog_services_has_the_app():
        index, services = c.catalog.services()
        check(int(index) >= 1, f"index {index!r}")
        check(app in services, f"{app} not in {services!r}")
        return f"index={index} services={sorted(services)}"

    def step_catalog_service_of_the_app():
        index, nodes = c.catalog.service(app)
        check(len(nodes) >= 1, f"no instances of {app}: {nodes!r}")
        n = nodes[0]
        check(n["ServicePort"] > 0 and n["Address"] and n["ServiceName"] == app, f"instance {n!r}")
        check(n["ServiceMeta"].get("drover_task_id") == n["ServiceID"], f"meta {n['ServiceMeta']!r}")
        return f"{n['ServiceID']} on {n['Node']} {n['Address']}:{n['ServicePort']}"

    def step_health_service_of_the_app_passing():
        index, entries = wait_for(f"{app} passing", lambda: (lambda r: r if r[1] else None)(c.health.service(app, passing=True)), timeout)
        e = entries[0]
        check(all(ch["Status"] == "passing" for ch in e["Checks"]), f"checks {e['Checks']!r}")
        check(e["Node"]["Node"] and e["Service"]["Port"] > 0, f"entry {e!r}")
        return f"{len(entries)} passing instance(s)"

    def step_register_external_service_with_ttl():
        ok = c.agent.service.register("redis", service_id="redis1", address="127.0.0.1", port=6379,
                                      tags=["master"], check=consul.Check.ttl("30s"))
        check(ok is True, f"register returned {ok!r}")
        services = c.agent.services()
        check("redis1" in services and services["redis1"]["Service"] == "redis", f"agent services {services!r}")
        checks = c.agent.checks()
        check(checks.get("service:redis1", {}).get("Status") == "critical", f"agent checks {checks!r}")
        index, entries = c.health.service("redis", passing=True)
        check(entries == [], f"a new TTL check must be critical, got {entries!r}")
        return f"index={index}"

    def step_blocking_health_query_returns_after_ttl_pass():
        index, entries = c.health.service("redis", passing=True)
        result = {}

        def blocked():
            started = time.monotonic()
            result["value"] = c.health.service("redis", passing=True, index=index, wait="30s")
            result["elapsed"] = time.monotonic() - started

        t = threading.Thread(target=blocked)
        t.start()
        time.sleep(0.5)  # let the query block first (the server answers it either way)
        check(t.is_alive(), f"the blocking query returned at once: {result!r}")
        ok = c.agent.check.ttl_pass("service:redis1", "all good")
        check(ok is True, f"ttl_pass returned {ok!r}")
        t.join(20)
        check(not t.is_alive(), "the blocking query did not return after the TTL pass")
        new_index, new_entries = result["value"]
        check(int(new_index) > int(index), f"index {index} -> {new_index}")
        check(len(new_entries) == 1 and new_entries[0]["Service"]["ID"] == "redis1", f"entries {new_entries!r}")
        check(new_entries[0]["Checks"][-1]["Output"] == "all good", f"checks {new_entries[0]['Checks']!r}")
        return f"woke after {result['elapsed']:.2f}s with index {new_index}"

    def step_ttl_warn_drops_from_passing():
        check(c.agent.check.ttl_warn("service:redis1") is True, "ttl_warn")
        _, entries = c.health.service("redis", passing=True)
        check(entries == [], f"warning must drop from passing=True: {entries!r}")
        _, entries = c.health.service("redis")
        check(len(entries) == 1, f"warning instance still listed without passing: {entries!r}")
        check(c.agent.check.ttl_pass("service:redis1") is True, "ttl_pass")
        index, checks = c.health.checks("redis")
        check([ch["Status"] for ch in checks] == ["passing"], f"checks {checks!r}")
        index, states = c.health.state("passing")
        check(any(ch["CheckID"] == "service:redis1" for ch in states), f"state passing {states!r}")
        return "ok"

    def step_kv_put_get():
        check(c.kv.put("drover-check/a", "hello") is True, "put")
        index, data = c.kv.get("drover-check/a")
        check(data is not None and data["Value"] == b"hello", f"get {data!r}")
        check(int(index) == data["ModifyIndex"], f"index {index} vs {data['ModifyIndex']}")
        check(c.kv.put("drover-check/a", "flagged", flags=7) is True, "put with flags")
        _, data = c.kv.get("drover-check/a")
        check(data["Flags"] == 7 and data["Value"] == b"flagged", f"flags {data!r}")
        index, missing = c.kv.get("drover-check/missing")
        check(missing is None and int(index) >= 1, f"missing key {index!r} {missing!r}")
        return f"index={index}"

    def step_kv_cas():
        check(c.kv.put("drover-check/lock", "1", cas=0) is True, "cas=0 on a new key")
        check(c.kv.put("drover-check/lock", "2", cas=0) is False, "cas=0 on an existing key")
        _, data = c.kv.get("drover-check/lock")
        check(c.kv.put("drover-check/lock", "3", cas=data["ModifyIndex"] + 1000) is False, "cas with a wrong index")
        check(c.kv.put("drover-check/lock", "3", cas=data["ModifyIndex"]) is True, "cas with the right index")
        _, data = c.kv.get("drover-check/lock")
        check(data["Value"] == b"3", f"value {data!r}")
        return "ok"

    def step_kv_recurse_keys_delete():
        c.kv.put("drover-check/sub/x", "x")
        _, items = c.kv.get("drover-check/", recurse=True)
        keys = [i["Key"] for i in items]
        check(keys == ["drover-check/a", "drover-check/lock", "drover-check/sub/x"], f"recurse {keys!r}")
        _, keys = c.kv.get("drover-check/", keys=True, separator="/")
        check(keys == ["drover-check/a", "drover-check/lock", "drover-check/sub/"], f"keys {keys!r}")
        check(c.kv.delete("drover-check/a") is True, "delete")
        _, gone = c.kv.get("drover-check/a")
        check(gone is None, f"deleted key still there: {gone!r}")
        check(c.kv.delete("drover-check/", recurse=True) is True, "recursive delete")
        _, items = c.kv.get("drover-check/", recurse=True)
        check(items is None, f"recursive delete left {items!r}")
        return "ok"

    def step_deregister():
        check(c.agent.service.deregister("redis1") is True, "deregister")
        _, nodes = c.catalog.service("redis")
        check(nodes == [], f"still in catalog: {nodes!r}")
        check("service:redis1" not in c.agent.checks(), "check not removed")
        check(c.agent.check.ttl_pass("service:redis1") is False, "pass of a removed check must fail")
        return "ok"

    def step_catalog_nodes():
        index, nodes = c.catalog.nodes()
        names = [n["Node"] for n in nodes]
        check(len(nodes) >= 2, f"nodes {names!r}")
        index, node = c.catalog.node(names[0])
        check(node["Node"]["Node"] == names[0], f"node {node!r}")
        return f"nodes={names}"

    steps = [step_refused_without_token] if opts.token else []
    steps += [
        step_status_leader, step_catalog_services_has_the_app, step_catalog_service_of_the_app,
        step_health_service_of_the_app_passing, step_register_external_service_with_ttl,
        step_blocking_health_query_returns_after_ttl_pass, step_ttl_warn_drops_from_passing,
        step_kv_put_get, step_kv_cas, step_kv_recurse_keys_delete, step_deregister, step_catalog_nodes,
    ]
    for step in steps:
        name = step.__name__[len("step_"):]
        try:
            detail = step()
            print(f"STEP {name}: ok {detail}")
        except Exception as e:
            print(f"FAIL {name}: {e!r}")
            traceback.print_exc()
            sys.exit(1)
    print("ALL OK")


if __name__ == "__main__":
    main()
