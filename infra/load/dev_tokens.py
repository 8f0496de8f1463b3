#!/usr/bin/env python3
"""Writes the load test's token file for the dev server, minted by `local token`.

    python3 infra/load/dev_tokens.py --users 20 --agents 3 --out target/load-tokens.json

Users are load-user-001, ...; agents load-agent-1, ... work team-support, team-billing
and team-technical in turn (the teams support conversations are routed to by
category); the service token is the website's backend (group service), which registers
the test's listings. The tokens are signed with SAYPRO_JWT_SECRET (or the dev server's
documented default), so they work only on a dev server with the same secret.
"""

import argparse
import json
import os
import subprocess

TEAMS = ["support", "billing", "technical"]


def mint(local, sub, groups=None, name=None, hours=None):
    args = [local, "token", "--sub", sub]
    if groups:
        args += ["--groups", ",".join(groups)]
    if name:
        args += ["--name", name]
    if hours:
        args += ["--hours", str(hours)]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--hours", type=int, default=12, help="how long the tokens are valid (1 to 24)")
    parser.add_argument("--local", default=os.environ.get("LOCAL", "target/debug/local"))
    parser.add_argument("--out", default="target/load-tokens.json")
    args = parser.parse_args()

    tokens = {
        "service": mint(args.local, "load-website", ["service"], hours=args.hours),
        "users": [],
        "agents": [],
    }
    for i in range(1, args.users + 1):
        sub = f"load-user-{i:03d}"
        tokens["users"].append({"sub": sub, "token": mint(args.local, sub, name=f"Load User {i}", hours=args.hours)})
    for i in range(1, args.agents + 1):
        sub, team = f"load-agent-{i}", TEAMS[(i - 1) % len(TEAMS)]
        token = mint(args.local, sub, ["agent", f"team-{team}"], name=f"Load Agent {i}", hours=args.hours)
        tokens["agents"].append({"sub": sub, "token": token, "teams": [team]})
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(tokens, f, indent=1)
    print(f"{args.out}: {args.users} users, {args.agents} agents, a service token")


if __name__ == "__main__":
    main()
