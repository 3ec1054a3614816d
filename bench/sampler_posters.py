"""Repeat-factor sampling (LVIS, `--sampler repeat-factor`) against the default sampler on the film posters: 24 genres
with a long tail. ASL end to end, 3 seeds, the same base run and budget for both samplers.

    python bench/sampler_posters.py [--seeds 0 1 2]   -> data/sampler_posters.csv (one row per run, probmcl_compare's columns)
                                                       data/sampler_posters_per_class.csv (per run and genre: support, test AP)
    python bench/sampler_posters.py table             -> the table of the 8 rarest genres and the mAP, from the committed CSVs

The base run is `bench/real.py`'s posters set-up: a seeded 2,400-image subset of the training CSV (10 % of it held out
for validation), `tf_efficientnet_lite0` with ImageNet weights at 128 px, RandAugment, batch 32, Adam 1e-3 with
OneCycleLR, 2 epochs, the full 1,251-image test split scored once. The repeat-factor threshold is the default t = 0.1:
a genre on a fraction f < 0.1 of the training images is repeated sqrt(0.1 / f) times, and an epoch keeps its number of
steps (rare images come more often, frequent ones less). "Rarest" is by positives in the training subset.
"""
import argparse, csv, os
from pathlib import Path
import pandas as pd
import real
from probmcl.compare import compare
from probmcl.records import read_rows
from probmcl.mdn import lite0_checkpoint

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ['asl', 'asl:sampler=repeat-factor']
NAMES = {'asl': 'default (each image once per epoch)', 'asl:sampler=repeat-factor': 'repeat-factor (t = 0.1)'}
RUNS_CSV, CLASS_CSV = ROOT / 'data' / 'sampler_posters.csv', ROOT / 'data' / 'sampler_posters_per_class.csv'


def per_class_rows(rows):
    "The per-class report of every finished run (its per_class.csv), as rows to commit."
    out = []
    for r in rows:
        f = ROOT / r['run_dir'] / 'per_class.csv'
        if r.get('error') or not f.exists(): continue
        for c in csv.DictReader(open(f)):
            out.append(dict(entry=r['entry'], seed=r['seed'], genre=c['cls'], n_train=c['n_train'], n_test=c['n_test'], AP=c['AP']))
    return out


def run(seeds):
    os.chdir(ROOT)
    lite0_checkpoint(Path('runs') / 'weights')
    compare(real.base_config('posters'), ENTRIES, seeds, Path('runs') / 'sampler' / 'posters', csv_path=RUNS_CSV)
    pd.DataFrame(per_class_rows(read_rows(RUNS_CSV))).to_csv(CLASS_CSV, index=False)


def ms(s): return f"{s.mean():.2f} ± {s.std(ddof=1):.2f}" if len(s) > 1 else f"{s.mean():.2f}"


def table(n_rare=8):
    "Markdown: AP of the rarest genres and the mAP, mean ± std over seeds, per sampler, with the paired difference."
    runs, pc = pd.read_csv(RUNS_CSV), pd.read_csv(CLASS_CSV)
    support = pc.groupby('genre').n_train.first().sort_values()
    rare = list(support.index[:n_rare])
    a, b = ENTRIES
    lines = [f"| genre | training images with it | {NAMES[a]} | {NAMES[b]} | paired difference |", '|---|---|---|---|---|']
    def row(name, n, xa, xb):
        d = (xb - xa).dropna()
        lines.append(f"| {name} | {n} | {ms(xa)} | {ms(xb)} | {d.mean():+.2f} ± {d.std(ddof=1):.2f} |" if len(d) > 1 else
                     f"| {name} | {n} | {ms(xa)} | {ms(xb)} | {d.mean():+.2f} |")
    for g in rare:
        x = pc[pc.genre == g].pivot_table(index='seed', columns='entry', values='AP')
        row(g, int(support[g]), x[a], x[b])
    x = pc[pc.genre.isin(rare)].groupby(['seed', 'entry']).AP.mean().unstack()
    row(f'mean of the {n_rare} rarest', '', x[a], x[b])
    x = runs.pivot_table(index='seed', columns='entry', values='mAP')
    row('**mAP (24 genres)**', '', x[a], x[b])
    n = runs.groupby('entry').seed.nunique()
    return '\n'.join(lines) + f"\n\nTest AP in %, mean ± std over {n.min()} seeds; paired difference: repeat-factor minus default, per seed."


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', nargs='?', default='run', choices=['run', 'table'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    a = ap.parse_args()
    if a.what == 'run': run(a.seeds)
    print(table())
