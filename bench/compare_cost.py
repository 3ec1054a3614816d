"""Time to a verdict: `probmcl_compare` end to end (a fresh --out, process start included), with and without the reuse
of shared first stages, under each parallel layout (runs at a time x torch threads each) and loader workers. Prints a
table, appends it to data/compare_cost.csv, and checks that every setting gives the same rows (the metrics of every
(entry, seed), digit for digit). `--executor ray` runs the same layouts on a Ray cluster started on this machine
(`ray.cluster_utils.Cluster`: a head without CPUs for runs, and one node per run at a time with THREADS CPUs each), so a
RUNSxTHREADS layout on Ray is RUNS nodes running one run each, against `--parallel RUNS` locally.

    python bench/compare_cost.py tutorial [--layouts 1x2 2x1] [--workers 0 1 2] [--reuse on off]
    python bench/compare_cost.py miml [--layouts 1x2] [--workers 0] [--reuse on off]
    python bench/compare_cost.py odir128 --seeds 0 --reuse on --layouts 1x2 --workers 0 1 2
    python bench/compare_cost.py tutorial --reuse on --layouts 2x1 --executor local ray

`tutorial` is the comparison of tutorial.which_loss (300 / 150 miml photos at 64 px, Lite0, 2 + 2 epochs, linear, asl,
probmcl:frozen, probmcl:paper, seeds 0-2); `miml` is bench/real.py's default comparison at the README's budget
(1,500 photos at 128 px, 3 + 3 epochs, the 8 default entries, seeds 0-2: about an hour per setting on 2 cores);
`odir128` is one ASL run of bench/real.py's odir base run (128 px) cut to 2 epochs of 24 steps: the loader's share at
the real sets' image size, in about a minute per setting.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
from probmcl.entries import DEFAULT_ENTRIES
from probmcl.records import read_rows
from probmcl.metrics import METRIC_KEYS
from probmcl.mdn import lite0_checkpoint
from real import base_config, SHARED          # Python puts the script's own folder (bench/) first on sys.path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / 'data' / 'compare_cost.csv'


def setup(name, work):
    "(probmcl_compare flags of the base run, entries) of a named comparison."
    if name in ('miml', 'odir128'):
        cfg = base_config(name.removesuffix('128'))
        if name == 'odir128': cfg = cfg.replace(epochs=1, cls_epochs=1, max_steps=24)
        (work / 'base.json').write_text(json.dumps(cfg.to_dict()))
        return ['--config', str(work / 'base.json')], (DEFAULT_ENTRIES if name == 'miml' else ['asl'])
    miml = ROOT / SHARED / 'miml'
    pd.read_csv(miml / 'train.csv').sample(300, random_state=0).to_csv(work / 'train.csv', index=False)
    pd.read_csv(miml / 'test.csv').sample(150, random_state=0).to_csv(work / 'test.csv', index=False)
    return (['--dataset', 'csv', '--csv', str(work / 'train.csv'), '--test-csv', str(work / 'test.csv'), '--data-root', str(miml / 'images'),
             '--backbone', 'tf_efficientnet_lite0', '--backbone-kwargs', '{}', '--pretrained', str(lite0_checkpoint(ROOT / 'runs' / 'weights')),
             '--img-size', '64', '--epochs', '2', '--cls-epochs', '2', '--batch-size', '32', '--lr', '1e-3', '--cls-lr', '1e-3'],
            ['linear', 'asl', 'probmcl:frozen', 'probmcl:paper'])


def run(flags, entries, seeds, parallel, threads, workers, reuse, out, address=None):
    "Wall seconds of one `probmcl_compare` in a fresh process, and its rows (on the Ray cluster at `address` if given)."
    where = (['--executor', 'ray', '--address', address, '--gpus-per-run', '0', '--cpus-per-run', str(threads)] if address else
             ['--parallel', str(parallel)] + (['--threads', str(threads)] if parallel == 1 else []))
    cmd = [sys.executable, '-c', 'from probmcl.compare import probmcl_compare; probmcl_compare()', *flags, '--methods', *entries,
           '--seeds', *map(str, seeds), '--workers', str(workers), '--out', str(out),
           '--reuse-stages' if reuse else '--no-reuse-stages', *where]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    rows = read_rows(out / 'compare.csv')
    bad = [f"{x['entry']} seed {x['seed']}: {x['error']}" for x in rows if x.get('error')]
    if r.returncode or bad: sys.exit(f"probmcl_compare failed: {r.stderr[-2000:]} {bad[:1]}")
    return time.perf_counter() - t0, rows


class LocalRayCluster:
    "A Ray cluster on this machine: a head that takes no runs and `nodes` nodes of `cpus` CPUs each (no GPUs)."
    def __init__(self, nodes, cpus):
        from ray.cluster_utils import Cluster
        os.environ.pop('CUDA_VISIBLE_DEVICES', None)
        self.cluster = Cluster(initialize_head=True, head_node_args=dict(num_cpus=0, num_gpus=0))
        for _ in range(nodes): self.cluster.add_node(num_cpus=cpus, num_gpus=0)
        self.cluster.wait_for_nodes()
    def __enter__(self): return self.cluster.address
    def __exit__(self, *exc):
        import ray
        ray.shutdown(); self.cluster.shutdown()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('name', choices=['tutorial', 'miml', 'odir128'])
    ap.add_argument('--layouts', nargs='+', default=['1x2', '2x1'], help="RUNSxTHREADS: runs at a time x torch threads each")
    ap.add_argument('--workers', nargs='+', type=int, default=[0], help="DataLoader workers per run")
    ap.add_argument('--reuse', nargs='+', default=['off', 'on'], choices=['on', 'off'], help="reuse of shared first stages")
    ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    ap.add_argument('--executor', nargs='+', default=['local'], choices=['local', 'ray'], help="local processes, or a Ray cluster on this machine")
    a = ap.parse_args()
    rows, ref = [], None
    with tempfile.TemporaryDirectory() as d:
        flags, entries = setup(a.name, Path(d))
        for reuse in a.reuse:
            for layout in a.layouts:
                parallel, threads = map(int, layout.split('x'))
                for w in a.workers:
                    for ex in a.executor:
                        out = Path(d) / f'{reuse}-{layout}-w{w}-{ex}'
                        if ex == 'ray':
                            with LocalRayCluster(parallel, threads) as address:
                                wall, got = run(flags, entries, a.seeds, parallel, threads, w, reuse == 'on', out, address)
                        else: wall, got = run(flags, entries, a.seeds, parallel, threads, w, reuse == 'on', out)
                        res = {(r['entry'], r['seed']): tuple(r[k] for k in (*METRIC_KEYS, 'val_mAP')) for r in got}
                        ref = ref or res
                        rows.append(dict(comparison=a.name, runs=len(got), reuse=reuse, layout=layout, workers=w, wall_s=round(wall),
                                         same_rows=res == ref, cpu=os.cpu_count(), amp=got[0]['amp'], executor=ex))
                        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    base = df[(df.reuse == 'off')].wall_s.iloc[0] if (df.reuse == 'off').any() else df.wall_s.iloc[0]
    df['speed_up'] = (base / df.wall_s).round(2)
    local = df[df.executor == 'local'].set_index(['reuse', 'layout', 'workers']).wall_s
    key = list(zip(df.reuse, df.layout, df.workers))
    df['ray_extra_s_per_run'] = [round((w - local[k]) / (r / int(l.split('x')[0])), 1) if e == 'ray' and k in local.index else None
                                 for w, k, r, l, e in zip(df.wall_s, key, df.runs, df.layout, df.executor)]   # extra wall of one run slot
    print(df.to_string(index=False))
    old = pd.read_csv(OUT) if OUT.exists() else pd.DataFrame()
    if 'executor' not in old: old['executor'] = 'local'       # rows from before the executor axis ran locally
    pd.concat([old, df], ignore_index=True).to_csv(OUT, index=False)


if __name__ == '__main__':
    main()
