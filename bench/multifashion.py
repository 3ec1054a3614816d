"""MultiFashion experiments at an equal, CPU-sized budget; each writes a small CSV under data/ and prints a table.

    python bench/multifashion.py methods   # ProbMCL, SupCon, ASL, BCE, KMCL            -> data/multifashion_methods.csv
    python bench/multifashion.py spl       # single positive labels: BCE (full), AN, AN-LS, WAN, EPR, ROLE,
                                           #   and ProbMCL pre-training on the observed positives + ROLE -> data/multifashion_spl.csv
    python bench/multifashion.py q2l       # Query2Label vs the linear head (both ASL, end to end) -> data/multifashion_q2l.csv
    python bench/multifashion.py sweep     # ProbMCL ablation: tau, alpha, lambda, overlap -> data/ablation_multifashion.csv
    python bench/multifashion.py spl-linear  # single positives, linear protocol on fixed ImageNet EfficientNet-Lite0 features
                                           #                                    -> data/multifashion_spl_linear.csv
    python bench/multifashion.py scales    # MultiDigits: the paper's loss scales vs the named options (18_cli)
                                           #                                    -> data/scale_ablation_multidigits.csv
    python bench/multifashion.py all       # methods, spl, q2l, sweep

Budget (one seed): the `multifashion` recipe (the quick-start's narrow resnet10t, RandAugment, Adam + OneCycle, on
MultiFashion at 56 px), 5,000 training canvases (the first 5,000 of the default 10,000) and the full 2,000-canvas test split; every
method sees 12 epochs: two-stage methods 6 contrastive + 6 classifier epochs, one-stage methods 12 epochs. The sweep
uses 2,000 canvases and 4 + 4 epochs. Runs go through `probmcl.records.run_missing`, as every comparison does: one
row per run in compare's CSV format, appended as the run finishes; a table's rows already in data/ are kept, a killed run
resumes, and a second call prints the tables without training. Wall times are from a shared 2-core CPU.
"""
import argparse, json, time
import numpy as np, torch
from pathlib import Path
import pandas as pd
from probmcl.config import recipe
from probmcl.metrics import METRIC_KEYS as KEYS
from probmcl.canvases import MultiFashion
from probmcl.transforms import test_transforms_of, preprocess_for
from probmcl.runfolder import identity_digest
from probmcl.entries import slug
from probmcl.records import write_rows, run_missing
from probmcl.runfolder import RunLock
from probmcl.mdn import Encoder, lite0_checkpoint
from probmcl.spl import fit_linear_spl, expected_positives, single_positive
from probmcl.metrics import multilabel_metrics

ROOT = Path(__file__).resolve().parents[1]
RUNS, DATA = ROOT / 'runs' / 'multifashion', ROOT / 'data'
BASE = dict(seed=0, quiet=True)                    # over the `multifashion` recipe (probmcl.config.RECIPES)
TWO_STAGE = dict(epochs=6, cls_epochs=6)
ONE_STAGE = dict(epochs=12)


def plan_of(entries, base=BASE, recipe_name='multifashion'):
    "The (entry, TrainConfig) runs of a table: each in runs/multifashion/ENTRY-DIGEST, the digest of what makes it this run."
    runs = []
    for name, kw in entries:
        cfg = recipe(recipe_name, **{**base, **kw})
        runs.append((name, cfg.replace(out=str(RUNS / f'{slug(name)}-{identity_digest(cfg)}'), resume=True)))
    return runs


def run_table(path, entries, **kw):
    """Run the entries that `path` does not hold yet through `probmcl.records.run_missing` (compare's CSV format, one row
    per run as it finishes, a killed run resumed); print the table; return its rows as a DataFrame, in entry order."""
    runs, path = plan_of(entries, **kw), Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with RunLock(path.parent, name=f'.{path.stem}.lock', what='table'):
        rows = run_missing(runs, path, runs[0][1], what=path.stem, rerun_moved=True)   # a row of another configuration runs again
    failed = [r for r in rows if r.get('error')]
    if failed: raise SystemExit(f"{path.name}: {len(failed)} run(s) failed: " + '; '.join(f"{r['entry']}: {r['error']}" for r in failed))
    order = [e for e, _ in entries]
    df = pd.DataFrame(rows).assign(order=lambda d: d.entry.map(order.index)).sort_values('order').drop(columns='order')
    show(df[['entry'] + list(KEYS) + ['val_mAP', 'wall_s']], path.name)
    return df


def show(df, title):
    "Print a small DataFrame as a markdown table."
    md = ['| ' + ' | '.join(map(str, df.columns)) + ' |', '|' + '---|' * len(df.columns)]
    md += ['| ' + ' | '.join(map(str, r)) + ' |' for r in df.itertuples(index=False)]
    print(f'\n{title}\n' + '\n'.join(md) + '\n', flush=True)


def table(rows, csv, cols):
    "A derived table (not one row per run): written with compare's CSV writer and printed."
    df = pd.DataFrame(rows)[list(cols)]
    write_rows(DATA / csv, df.astype(object).where(df.notna(), '').to_dict('records'), cols)
    show(df, csv)
    return df


METHODS_TABLE = [('probmcl', dict(method='probmcl', **TWO_STAGE)),
                 ('probmcl (frozen stage 2)', dict(method='probmcl', finetune=False, **TWO_STAGE)),
                 ('supcon', dict(method='supcon', **TWO_STAGE)),
                 ('asl', dict(method='asl', **ONE_STAGE)),
                 ('bce', dict(method='bce', **ONE_STAGE)),
                 ('kmcl', dict(method='kmcl', **ONE_STAGE))]

def methods(): return run_table(DATA / 'multifashion_methods.csv', METHODS_TABLE)


SPL = dict(labels='single-positive')
SPL_TABLE = [('full labels, bce (upper bound)' if loss == 'bce' else f'single positive, {loss}',
              dict(method='asl', spl_loss=loss, **SPL, **ONE_STAGE)) for loss in ('bce', 'an', 'an_ls', 'wan', 'epr', 'role')] + [
             ('single positive, probmcl (observed positives) + role', dict(method='probmcl', spl_loss='role', **SPL, **TWO_STAGE))]

def spl(): return run_table(DATA / 'multifashion_spl.csv', SPL_TABLE)


def spl_linear():
    """Cole et al.'s linear protocol: a linear classifier on fixed ImageNet features (EfficientNet-Lite0 at 64 px,
    computed once), 25 epochs, batch 16, lr 1e-3, the epoch chosen on a clean validation split (20 % of training)."""
    w = lite0_checkpoint(RUNS / 'weights')
    cache = RUNS / 'lite0_features_64px.pt'
    if not cache.exists():
        enc = Encoder('tf_efficientnet_lite0', pretrained=w).eval()
        tf = test_transforms_of(preprocess_for(enc.model, 64))
        def feats(ds):
            out = []
            with torch.no_grad():
                for s0 in range(0, len(ds), 256):
                    out.append(enc.features(torch.stack([tf(ds.image(i)) for i in range(s0, min(len(ds), s0 + 256))])))
            return torch.cat(out)                                                      # [N, 1280]
        tr, te = MultiFashion('train', n=recipe('multifashion').n_train), MultiFashion('test', n=recipe('multifashion').n_test)
        t0 = time.time()
        torch.save(dict(Ftr=feats(tr), Ytr=torch.as_tensor(tr.labels).float(), Fte=feats(te),
                        Yte=torch.as_tensor(te.labels).float(), seconds=time.time() - t0), cache)
    d = torch.load(cache, weights_only=True)
    print(f"  features: {tuple(d['Ftr'].shape)} train, {tuple(d['Fte'].shape)} test ({d['seconds']:.0f} s to compute)")
    perm = torch.from_numpy(np.random.default_rng(0).permutation(len(d['Ytr'])))
    nv = len(perm) // 5
    val, trn = perm[:nv], perm[nv:]
    Ftr, Ytr = d['Ftr'][trn], d['Ytr'][trn]
    obs = single_positive(Ytr, seed=1200)
    k = expected_positives(Ytr)
    rows = []
    for loss in ('bce', 'an', 'an_ls', 'wan', 'epr', 'role'):
        t0 = time.time()
        lin, _, hist = fit_linear_spl(Ftr, obs, loss, labels=Ytr, val=(d['Ftr'][val], d['Ytr'][val]), expected_positives=k,
                                      epochs=25, lr=1e-3, batch_size=16, seed=0)
        with torch.no_grad(): m = multilabel_metrics(torch.sigmoid(lin(d['Fte'])), d['Yte'])
        name = 'full labels, bce (upper bound)' if loss == 'bce' else f'single positive, {loss}'
        rows.append(dict(run=name, **{key: round(100 * m[key], 2) for key in KEYS}, wall_s=round(time.time() - t0),
                         best_epoch=int(np.argmax(hist)) + 1))
        print(f"  {name}: mAP {rows[-1]['mAP']:.2f} (best epoch {rows[-1]['best_epoch']}, {rows[-1]['wall_s']} s)", flush=True)
    return table(rows, 'multifashion_spl_linear.csv', ('run',) + KEYS + ('best_epoch', 'wall_s'))


Q2L_TABLE = [('asl', dict(method='asl', **ONE_STAGE)),                  # the linear head: the methods table's run
             ('q2l', dict(method='q2l', **ONE_STAGE)),
             ('probmcl_q2l', dict(method='probmcl_q2l', **TWO_STAGE))]

def q2l(): return run_table(DATA / 'multifashion_q2l.csv', Q2L_TABLE)


SWEEP = dict(n_train=2000, epochs=4, cls_epochs=4)
GRID = dict(tau=(0.1, 0.2, 0.5), alpha=(0.3, 0.6, 0.9), lam=(0.3, 1.0, 3.0), overlap=('jaccard', 'cosine'))
SWEEP_TABLE = [(f'{p}={v}', dict(method='probmcl', **SWEEP, **{p: v})) for p, values in GRID.items() for v in values]

def sweep():
    "The Fig. 2 sweep: one entry `PARAM=VALUE` per run (19_runs reads PARAM and VALUE back from the entry)."
    return run_table(DATA / 'ablation_multifashion.csv', SWEEP_TABLE)


PAPER_SCALES = dict(nll_norm='none', sim_dim=None, lam=0.3, mdn_init='paper')
FROZEN = dict(finetune=False, cls_epochs=4, cls_lr=5e-3)

MD = dict(dataset='multidigits', seed=0, quiet=True, val_frac=0.1)
SCALES_TABLE = [
    ('paper scales, linear head, frozen', dict(**PAPER_SCALES, head_norm=False, **FROZEN)),
    ('nll_norm=per_dim, linear head, frozen', dict(**{**PAPER_SCALES, 'nll_norm': 'per_dim'}, head_norm=False, **FROZEN)),
    ('per_dim, lam 1, BN + linear, frozen', dict(**{**PAPER_SCALES, 'nll_norm': 'per_dim', 'lam': 1.0}, **FROZEN)),
    ('per_dim, lam 1, sim_dim 16, BN + linear, frozen', dict(**{**PAPER_SCALES, 'nll_norm': 'per_dim', 'lam': 1.0, 'sim_dim': 16.0}, **FROZEN)),
    ('per_dim, lam 1, MDN init torch, BN + linear, frozen', dict(**FROZEN)),
    ('paper scales, linear head, fine-tuned', dict(**PAPER_SCALES, head_norm=False)),
    ('paper scales, BN + linear, fine-tuned', dict(**PAPER_SCALES)),
    ('per_dim, lam 1, init torch, linear head, fine-tuned', dict(head_norm=False)),
    ('quickstart (per_dim, lam 1, init torch, BN + linear, fine-tuned)', dict()),
    ('supcon, BN + linear, frozen (reference)', dict(method='supcon', **FROZEN)),
    ('asl end to end, 6 epochs (reference)', dict(method='asl'))]

def scales():
    """The quick-start's departures from the paper's loss scales, one at a time (MultiDigits 1,800 / 200 val / 500 test,
    6 epochs stage 1). Selected on validation: the ProbMCL row with the best val mAP is the quick-start recipe, and
    only that row's test mAP is shown (once, in its own column); the SupCon and ASL rows are references. The runs' own
    rows (compare's format, every test metric) stay in runs/multifashion/scales.csv; data/ holds the selection."""
    df = run_table(RUNS / 'scales.csv', SCALES_TABLE, base=MD, recipe_name='quickstart').reset_index(drop=True)
    val = [json.loads((Path(d) / 'metrics.json').read_text())['val'] for d in df.run_dir]       # val CF1 and OF1 of each run
    df = df.assign(run=df.entry, val_CF1=[round(100 * v['CF1'], 2) for v in val], val_OF1=[round(100 * v['OF1'], 2) for v in val])
    best = df[~df.run.str.contains('reference')].val_mAP.astype(float).idxmax()
    df['chosen'] = (df.index == best).astype(int)
    df['test_mAP'] = df.mAP.where(df.index == best)                # test scored once: the chosen row only
    return table(df.to_dict('records'), 'scale_ablation_multidigits.csv', ('run', 'val_mAP', 'val_CF1', 'val_OF1', 'chosen', 'test_mAP', 'wall_s'))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=('methods', 'spl', 'spl-linear', 'q2l', 'sweep', 'scales', 'all'))
    a = ap.parse_args()
    for f in ((methods, spl, q2l, sweep) if a.what == 'all' else (globals()[a.what.replace('-', '_')],)): f()
