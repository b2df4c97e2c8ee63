"""Drives Drover's event stream with Debian's python3-marathon (MarathonClient.event_stream).

usage: marathon_events_check.py URL [--app-id /events-check] [--timeout 60]
Creates an app, reads events until its deployment succeeds, checks the event objects the client
built, deletes the app. Prints one line per event type seen and "ALL OK" at the end.
"""
import argparse
import sys
import threading
import time

from marathon import MarathonClient
from marathon.models import MarathonApp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--app-id", default="/events-check")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    client = MarathonClient(args.url)
    seen = {}
    done = threading.Event()
    errors = []
    deployment = {}

    def read_all_events():
        try:
            # no event_type filter: every event Drover sends must be one the client knows
            for event in client.event_stream():
                seen.setdefault(event.event_type, event)
                if event.event_type == "deployment_success" and event.id == deployment.get("id"):
                    done.set()
                    return
                if done.is_set():
                    return
        except Exception as e:  # the client raises on unknown event types or bad JSON
            errors.append(repr(e))
            done.set()

    reader = threading.Thread(target=read_all_events, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while "event_stream_attached" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    if "event_stream_attached" not in seen:
        print("FAIL no event_stream_attached within 10 s")
        return 1

    app = client.create_app(args.app_id, MarathonApp(cmd="exec sleep 600", instances=1, cpus=0.05, mem=16))
    deployment["id"] = app.deployments[0].id
    if not done.wait(args.timeout):
        print(f"FAIL no deployment_success for {deployment['id']} within {args.timeout}s; saw {sorted(seen)}")
        return 1
    if errors:
        print("FAIL event stream error: " + "; ".join(errors))
        return 1
    for t in sorted(seen):
        print(f"EVENT {t}")
    required = ["event_stream_attached", "api_post_event", "deployment_info", "status_update_event", "deployment_success"]
    missing = [t for t in required if t not in seen]
    if missing:
        print(f"FAIL missing events: {missing}")
        return 1
    su = seen["status_update_event"]
    if su.app_id != args.app_id or not su.task_id or not su.task_status.startswith("TASK_"):
        print(f"FAIL status_update_event fields: {su.to_json()}")
        return 1
    if seen["deployment_info"].plan.target is None:
        print("FAIL deployment_info without a target group")
        return 1
    client.delete_app(args.app_id, force=True)
    print("ALL OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
