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
uses 2,000 canvases and 4 + 4 epochs. Runs are cached in runs/multifashion/ (`probmcl.runs.train_cached`): a
second call prints the tables without training. Wall times are from a shared 2-core CPU.
"""
import argparse, time
import numpy as np, torch
from pathlib import Path
import pandas as pd
from probmcl.config import recipe
from probmcl.runs import train_cached
from probmcl.metrics import METRIC_KEYS as KEYS
from probmcl.canvases import MultiFashion
from probmcl.transforms import test_transforms_of, preprocess_for
from probmcl.runfolder import identity_digest
from probmcl.compare import write_rows
from probmcl.mdn import Encoder, lite0_checkpoint
from probmcl.spl import fit_linear_spl, expected_positives, single_positive
from probmcl.metrics import multilabel_metrics

ROOT = Path(__file__).resolve().parents[1]
RUNS, DATA = ROOT / 'runs' / 'multifashion', ROOT / 'data'
BASE = dict(seed=0, quiet=True)                    # over the `multifashion` recipe (probmcl.config.RECIPES)
TWO_STAGE = dict(epochs=6, cls_epochs=6)
ONE_STAGE = dict(epochs=12)


def run(name, base=BASE, recipe_name='multifashion', **kw):
    "Train (or reuse) one configuration; a row of metrics in % and the wall time."
    cfg = recipe(recipe_name, **{**base, **kw})
    cfg = cfg.replace(out=str(RUNS / f'{name}-{identity_digest(cfg)}'))   # the run's folder: what makes it this run
    t0 = time.time()
    r = train_cached(cfg)
    print(f'  {name}: mAP {100 * r["mAP"]:.2f}  ({r["timings"]["total_s"]:.0f} s; this call {time.time() - t0:.0f} s)', flush=True)
    val = r.get('val') or {}
    return dict(run=name, **{k: round(100 * r[k], 2) for k in KEYS}, **{f'val_{k}': round(100 * val[k], 2) for k in KEYS if k in val},
                wall_s=round(r['timings']['total_s']), out=cfg.out)


def table(rows, csv, cols=('run',) + KEYS + ('wall_s',)):
    df = pd.DataFrame(rows)[list(cols)]
    DATA.mkdir(exist_ok=True); write_rows(DATA / csv, df.astype(object).where(df.notna(), '').to_dict('records'), cols)
    md = ['| ' + ' | '.join(map(str, df.columns)) + ' |', '|' + '---|' * len(df.columns)]
    md += ['| ' + ' | '.join(map(str, r)) + ' |' for r in df.itertuples(index=False)]
    print(f'\n{csv}\n' + '\n'.join(md) + '\n', flush=True)
    return df


def methods():
    rows = [run('probmcl', method='probmcl', **TWO_STAGE),
            run('probmcl (frozen stage 2)', method='probmcl', finetune=False, **TWO_STAGE),
            run('supcon', method='supcon', **TWO_STAGE),
            run('asl', method='asl', **ONE_STAGE),
            run('bce', method='bce', **ONE_STAGE),
            run('kmcl', method='kmcl', **ONE_STAGE)]
    return table(rows, 'multifashion_methods.csv')


SPL = dict(labels='single-positive')

def spl():
    rows = [run(f'single positive, {loss}' if loss != 'bce' else 'full labels, bce (upper bound)',
                method='asl', spl_loss=loss, **SPL, **ONE_STAGE)
            for loss in ('bce', 'an', 'an_ls', 'wan', 'epr', 'role')]
    rows.append(run('single positive, probmcl (observed positives) + role', method='probmcl', spl_loss='role', **SPL, **TWO_STAGE))
    return table(rows, 'multifashion_spl.csv')


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


def q2l():
    rows = [run('asl', method='asl', **ONE_STAGE),                                  # linear head (cached from `methods`)
            run('q2l', method='q2l', **ONE_STAGE),
            run('probmcl_q2l', method='probmcl_q2l', **TWO_STAGE)]
    return table(rows, 'multifashion_q2l.csv')


SWEEP = dict(n_train=2000, epochs=4, cls_epochs=4)
GRID = dict(tau=(0.1, 0.2, 0.5), alpha=(0.3, 0.6, 0.9), lam=(0.3, 1.0, 3.0), overlap=('jaccard', 'cosine'))

def sweep():
    rows = []
    for p, values in GRID.items():
        for v in values:
            r = run(f'{p}={v}', method='probmcl', **SWEEP, **{p: v})
            rows.append(dict(param=p, value=v, **{k: r[k] for k in KEYS}, wall_s=r['wall_s']))
    return table(rows, 'ablation_multifashion.csv', ('param', 'value') + KEYS + ('wall_s',))


PAPER_SCALES = dict(nll_norm='none', sim_dim=None, lam=0.3, mdn_init='paper')
FROZEN = dict(finetune=False, cls_epochs=4, cls_lr=5e-3)

def scales():
    """The quick-start's departures from the paper's loss scales, one at a time (MultiDigits 1,800 / 200 val / 500 test,
    6 epochs stage 1). Selected on validation: the ProbMCL row with the best val mAP is the quick-start recipe, and
    only that row's test mAP is shown (once, in its own column); the SupCon and ASL rows are references."""
    md = dict(dataset='multidigits', seed=0, quiet=True, val_frac=0.1)
    rows = [run('paper scales, linear head, frozen', md, recipe_name='quickstart', **PAPER_SCALES, head_norm=False, **FROZEN),
            run('nll_norm=per_dim, linear head, frozen', md, recipe_name='quickstart', **{**PAPER_SCALES, 'nll_norm': 'per_dim'}, head_norm=False, **FROZEN),
            run('per_dim, lam 1, BN + linear, frozen', md, recipe_name='quickstart', **{**PAPER_SCALES, 'nll_norm': 'per_dim', 'lam': 1.0}, **FROZEN),
            run('per_dim, lam 1, sim_dim 16, BN + linear, frozen', md, recipe_name='quickstart',
                **{**PAPER_SCALES, 'nll_norm': 'per_dim', 'lam': 1.0, 'sim_dim': 16.0}, **FROZEN),
            run('per_dim, lam 1, MDN init torch, BN + linear, frozen', md, recipe_name='quickstart', **FROZEN),
            run('paper scales, linear head, fine-tuned', md, recipe_name='quickstart', **PAPER_SCALES, head_norm=False),
            run('paper scales, BN + linear, fine-tuned', md, recipe_name='quickstart', **PAPER_SCALES),
            run('per_dim, lam 1, init torch, linear head, fine-tuned', md, recipe_name='quickstart', head_norm=False),
            run('quickstart (per_dim, lam 1, init torch, BN + linear, fine-tuned)', md, recipe_name='quickstart'),
            run('supcon, BN + linear, frozen (reference)', md, recipe_name='quickstart', method='supcon', **FROZEN),
            run('asl end to end, 6 epochs (reference)', md, recipe_name='quickstart', method='asl')]
    df = pd.DataFrame(rows)
    probmcl_rows = ~df.run.str.contains('reference')
    best = df[probmcl_rows].val_mAP.idxmax()
    df['chosen'] = (df.index == best).astype(int)
    df['test_mAP'] = df.mAP.where(df.index == best)                # test scored once: the chosen row only
    return table(df.to_dict('records'), 'scale_ablation_multidigits.csv', ('run', 'val_mAP', 'val_CF1', 'val_OF1', 'chosen', 'test_mAP', 'wall_s'))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=('methods', 'spl', 'spl-linear', 'q2l', 'sweep', 'scales', 'all'))
    a = ap.parse_args()
    for f in ((methods, spl, q2l, sweep) if a.what == 'all' else (globals()[a.what.replace('-', '_')],)): f()
