#!/usr/bin/env python3
"""Records real responses of every resource-API operation into
src/spec/examples.json (the OpenAPI document's examples).

Starts `galley demo --reset` on a throwaway SQLite file, runs each
operation's example request (as src/spec builds it, read back from the
committed openapi.json) and a few refusals, and writes what the server
answered. Usage: python3 scripts/record-examples.py [path/to/galley]
"""
import json, os, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
galley = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "debug", "galley")
doc = json.load(open(os.path.join(root, "openapi.json")))
requests = doc["paths"]["/v1/oauth/api"]["post"]["requestBody"]["content"]["application/json"]["examples"]

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
work = tempfile.mkdtemp()
demo = subprocess.Popen([galley, "demo", "--json", "--listen", f"127.0.0.1:{port}",
                         "--database-url", f"sqlite://{work}/demo.db"],
                        stdout=subprocess.PIPE, cwd=work)
info = json.loads(demo.stdout.readline())
base = info["public_url"]
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/readyz"); break
    except Exception:
        time.sleep(0.1)

def call(body, token=info["access_token"], raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(base + "/v1/oauth/api", data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())

out = {"errors": {}}
try:
    order = ["getVouchers", "getFilters", "placeOrder", "getOrderDetails", "getOrderHistory",
             "getBalance", "campaignList", "campaignDetails", "generateLink", "generateLinkEmail"]
    for name in order:
        body = requests[name]["value"]
        status, answer = call(body)
        assert status == 200, (name, status, answer)
        if name == "getVouchers":
            answer["data"]["getVouchers"]["data"] = answer["data"]["getVouchers"]["data"][:1]
        out[name] = answer
    refusals = {
        "PLE10001": {"query": "plumProAPI.mutation.getVouchers", "variables": {"data": {"limit": 0}}},
        "PLE10030": {"query": "plumProAPI.mutation.getVouchers", "variables": {"data": {"page": 99}}},
        "PLE10018": {"query": "plumProAPI.mutation.placeOrder", "variables": {"data": {"productId": 101, "quantity": 1, "denomination": "7", "poNumber": "PO-X1"}}},
        "PLE10041": {"query": "plumProAPI.mutation.placeOrder", "variables": {"data": {"productId": 101, "quantity": 11, "denomination": "100", "poNumber": "PO-X2"}}},
        "PLE10012": {"query": "plumProAPI.mutation.placeOrder", "variables": {"data": {"productId": 103, "quantity": 10, "denomination": "5000", "poNumber": "PO-X3"}}},
        "PLE10027": {"query": "plumProAPI.mutation.getOrderDetails", "variables": {"data": {"orderId": 999999}}},
        "PLE10032": {"query": "plumProAPI.mutation.getOrderHistory", "variables": {"data": {"startDate": "2026-02-30", "endDate": "2026-03-01"}}},
    }
    call(refusals["PLE10012"])  # charged (pending); the same again is more than the balance
    refusals["PLE10012"]["variables"]["data"]["poNumber"] = "PO-X4"
    for error_id, body in refusals.items():
        status, answer = call(body)
        out["errors"][error_id] = answer
    status, answer = call(requests["placeOrder"]["value"] | {"variables": {"data": requests["placeOrder"]["value"]["variables"]["data"] | {"quantity": 2}}})
    out["errors"]["PLE10001-conflict"] = answer
    out["errors"]["PIPE10013"] = call({"query": "plumProAPI.query.getBalance"}, token=None)[1]
    out["errors"]["invalid_token"] = call({"query": "plumProAPI.query.getBalance"}, token="gly_at_unknown")[1]
    out["errors"]["insufficient_scope"] = {"error": "insufficient_scope", "error_description": "this operation needs the `plum_pro_api` scope"}
finally:
    demo.terminate(); demo.wait()
path = os.path.join(root, "src", "spec", "examples.json")
with open(path, "w") as f:
    json.dump(out, f, indent=2, ensure_ascii=False); f.write("\n")
print("wrote", path)
