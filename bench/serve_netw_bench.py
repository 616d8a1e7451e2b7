#!/usr/bin/env python3
# `cordon serve --stdio` with --network proxy against --network none: the first exec_command of a
# fresh server (sandbox start-up, and in proxy mode the bridge process: fork, listeners, proxy
# threads, ready line) and the median of the five after it (warm; in proxy mode two round trips
# to the bridge for blocked_hosts). Servers alternate in order from pair to pair; prints medians
# and the median of the paired differences (docs/performance.md, Network).
#
#   bench/serve_netw_bench.py CORDON_BINARY PAIRS [WORKSPACE]
import json, subprocess, sys, statistics, time
cordon = sys.argv[1]; runs = int(sys.argv[2])
workspace = sys.argv[3] if len(sys.argv) > 3 else "/tmp"
def one(mode):
    args = [cordon, "serve", "--stdio", "-C", workspace, "--network", mode]
    if mode == "proxy": args += ["--allow-domain", "example.com"]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    walls = []
    for i in range(6):
        t = time.perf_counter()
        p.stdin.write(json.dumps({"jsonrpc":"2.0","id":i,"method":"exec_command","params":{"cmd":["/bin/true"]}})+"\n"); p.stdin.flush()
        r = json.loads(p.stdout.readline()); assert r["result"]["exit_code"] == 0, r
        walls.append((time.perf_counter()-t)*1000)
    p.stdin.close(); p.wait()
    return walls[0], statistics.median(walls[1:])
first = {"none": [], "proxy": []}; later = {"none": [], "proxy": []}; diff_first=[]; diff_later=[]
for i in range(runs):
    order = ["none","proxy"] if i % 2 == 0 else ["proxy","none"]
    res = {m: one(m) for m in order}
    for m in res: first[m].append(res[m][0]); later[m].append(res[m][1])
    diff_first.append(res["proxy"][0]-res["none"][0]); diff_later.append(res["proxy"][1]-res["none"][1])
med = statistics.median
print(f"first exec_command (sandbox start): none {med(first['none']):.2f} ms, proxy {med(first['proxy']):.2f} ms, paired diff median {med(diff_first):.2f} ms")
print(f"later exec_command (warm):          none {med(later['none']):.3f} ms, proxy {med(later['proxy']):.3f} ms, paired diff median {med(diff_later):.3f} ms")
