"""A comparison on a Ray cluster of three nodes on this machine, with a node killed mid-run, against the local executor.

    python bench/cluster_demo.py [--seeds 0 1] [--no-kill]

The cluster is `ray.cluster_utils.Cluster`: a head that takes no runs and two nodes of one CPU and two logical GPUs each
(on a machine without GPUs Ray still hands out their ids in CUDA_VISIBLE_DEVICES; torch finds no CUDA behind them and
trains on the CPU). `probmcl_compare --executor ray --address HEAD` runs the comparison of tutorial.which_loss (300 / 150
miml photos at 64 px, Lite0, 2 + 2 epochs; linear, asl, probmcl:frozen, probmcl:paper) on it, and the node that trains
the first run to write a checkpoint is removed at that moment (not gracefully, as a machine that dies). Then the same
comparison runs on the local executor with the same threads per run (`--parallel 2`: one thread each). Prints one line
per (entry, seed): the node and device it ran on, its attempts, the checkpoint the last attempt started from, and
whether its metrics equal the local executor's; appends them to data/cluster_demo.csv.
"""
import argparse, json, os, subprocess, sys, tempfile, threading, time
from pathlib import Path
import pandas as pd
from probmcl.records import read_rows
from probmcl.metrics import METRIC_KEYS
from compare_cost import setup            # the tutorial's comparison (bench/ is first on sys.path)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / 'data' / 'cluster_demo.csv'
COMPARE = [sys.executable, '-c', 'from probmcl.compare import probmcl_compare; probmcl_compare()']


def kill_first_checkpointed(out, cluster, nodes, killed):
    "Remove the node of the first run that writes a checkpoint under `out`, once; note (node id, run) in `killed`."
    while True:
        for latest in (out / 'runs').glob('*/ckpt/LATEST'):
            node_id = json.loads((latest.parents[1] / 'ran_on.jsonl').read_text().splitlines()[0])['node_id']
            node = next(n for n in nodes if n.node_id == node_id)
            cluster.remove_node(node, allow_graceful=False)
            killed.append((node_id, latest.parents[1].name)); return
        time.sleep(0.2)


def compare(flags, entries, seeds, out, where):
    t0 = time.perf_counter()
    r = subprocess.run(COMPARE + [*flags, '--methods', *entries, '--seeds', *map(str, seeds), '--out', str(out), *where],
                       capture_output=True, text=True)
    if r.returncode: sys.exit(f"probmcl_compare failed: {r.stderr[-2000:]}")
    return time.perf_counter() - t0, {(x['entry'], int(x['seed'])): x for x in read_rows(out / 'compare.csv')}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    ap.add_argument('--kill', action=argparse.BooleanOptionalAction, default=True, help="remove a node while a run trains on it")
    a = ap.parse_args()
    os.environ.pop('CUDA_VISIBLE_DEVICES', None)
    from ray.cluster_utils import Cluster
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        flags, entries = setup('tutorial', work)
        cluster = Cluster(initialize_head=True, head_node_args=dict(num_cpus=0, num_gpus=0))
        nodes = [cluster.add_node(num_cpus=1, num_gpus=2) for _ in range(2)]
        cluster.wait_for_nodes()
        killed = []
        try:
            if a.kill: threading.Thread(target=kill_first_checkpointed, args=(work / 'ray', cluster, nodes, killed), daemon=True).start()
            ray_wall, on_ray = compare(flags, entries, a.seeds, work / 'ray',
                                       ['--executor', 'ray', '--address', cluster.address, '--gpus-per-run', '1', '--cpus-per-run', '1'])
        finally:
            import ray
            ray.shutdown(); cluster.shutdown()
        local_wall, local = compare(flags, entries, a.seeds, work / 'local', ['--parallel', '2'])
        rows = []
        for (e, s), r in sorted(on_ray.items()):
            ran = json.loads((Path(r['run_dir']) / 'metrics.json').read_text())['ran_on']
            rows.append(dict(entry=e, seed=s, node=ran[-1]['node_id'][:8], devices=ran[-1]['devices'], attempts=len(ran),
                             resumed_from=ran[-1]['from_checkpoint'] or '-', killed_node=(ran[0]['node_id'] in [k for k, _ in killed]) and len(ran) > 1,
                             mAP=r['mAP'], same_metrics=all(r[k] == local[e, s][k] for k in (*METRIC_KEYS, 'val_mAP')), error=r['error']))
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    print(f"\n{len(df)} rows for {len(entries)} entries x {len(a.seeds)} seeds; on Ray {ray_wall:.0f} s, locally (--parallel 2) {local_wall:.0f} s; "
          f"node killed: {killed[0][0][:8] + ' during ' + killed[0][1] if killed else 'none'}; "
          f"metrics equal to the local executor's: {int(df.same_metrics.sum())} of {len(df)}")
    df.assign(ray_wall_s=round(ray_wall), local_wall_s=round(local_wall), date=time.strftime('%Y-%m-%d')).to_csv(
        OUT, mode='a', header=not OUT.exists(), index=False)


if __name__ == '__main__':
    main()
