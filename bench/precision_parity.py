"""Accuracy parity of `amp='auto'` against float32 (`amp='no'`): validation and test mAP, 3 seeds each, of

* the main job: ProbMCL on MultiDigits with the quick-start recipe (`probmcl_train`'s defaults);
* ASL on the real miml photos: ImageNet `tf_efficientnet_lite0` at 128 px, bench/real.py's miml set-up at 4 epochs.

Every (entry, seed) is one `probmcl_compare` run; a seed's two runs share data, split and initialisation, so their
difference is paired. On a CPU without native bf16 'auto' resolves to float32 and the table says so (column `amp`).

    python bench/precision_parity.py [main|miml ...] [--seeds 0 1 2]  -> data/parity_main.csv, data/parity_miml.csv
    python bench/precision_parity.py table                             -> the table, from the committed CSVs
"""
import argparse, os, sys
from pathlib import Path
import pandas as pd
import real
from sampler_posters import ms
from probmcl.config import recipe
from probmcl.compare import compare
from probmcl.verdicts import paired_difference
from probmcl.mdn import lite0_checkpoint

ROOT = Path(__file__).resolve().parents[1]
CASES = {  # name: (what, method, base run)
    'main': ('main job: ProbMCL, MultiDigits, quick-start recipe', 'probmcl', lambda: recipe('quickstart')),
    'miml': ('ASL, miml photos, Lite0 @ 128 px, 4 epochs', 'asl', lambda: real.base_config('miml').replace(epochs=2, cls_epochs=2)),
}


def entries(method): return [f'{method}:amp=no', f'{method}:amp=auto']


def run(cases, seeds):
    os.chdir(ROOT)
    lite0_checkpoint(Path('runs') / 'weights')
    for name in cases:
        _, method, base = CASES[name]
        compare(base(), entries(method), seeds, Path('runs') / 'parity' / name, focus=method, csv_path=Path('data') / f'parity_{name}.csv')



def table():
    "Markdown: per case, float32 and auto (as resolved), mean ± std over seeds, and the paired test-mAP difference."
    lines = ["| run | precision | seeds | val mAP | test mAP | train + test s | paired test difference (auto - float32, 95 % CI) |",
             '|---|---|---|---|---|---|---|']
    for name, (what, method, _) in CASES.items():
        f = ROOT / 'data' / f'parity_{name}.csv'
        if not f.exists(): continue
        df = pd.read_csv(f, keep_default_na=False); df = df[df.error == '']
        for k, e in enumerate(entries(method)):
            d = df[df.entry == e]
            diff = ''
            if k:
                m, h, n = paired_difference(df, e, entries(method)[0])
                diff = f"{m:+.2f} ± {h:.2f} (n = {n})"
            lines.append(f"| {what if not k else ''} | {e.split('=')[1]} -> {'/'.join(sorted(set(d.amp)))} | {len(d)} | "
                         f"{ms(d.val_mAP)} | {ms(d.mAP)} | {d.wall_s.mean():.0f} | {diff} |")
    return '\n'.join(lines)


if __name__ == '__main__':
    if sys.argv[1:2] == ['table']: print(table()); sys.exit()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('cases', nargs='*', metavar='CASE', help=f"{', '.join(CASES)} (default: all)")
    ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    a = ap.parse_args()
    if set(a.cases) - set(CASES): ap.error(f"unknown case(s) {sorted(set(a.cases) - set(CASES))}; cases: {', '.join(CASES)}")
    run(a.cases or list(CASES), a.seeds)
    print(table())
