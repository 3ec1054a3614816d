"""The committed tables against the sentences that quote them: one check per claim, in one place.

    python scripts/check_data.py [DATA_DIR]      (default: the repository's data/)

The notebooks and the README state results from the CSVs in data/ (written by bench/ scripts, never by hand). Each
check below reads one CSV and asserts what a sentence says of it, naming the notebook that says it; a table made
again with other numbers then fails here, with the values, until the sentence is rewritten. These are checks of data,
not of code: the notebooks test the code that makes and reads these tables. The test suite runs this script.
"""
import sys
from pathlib import Path
import pandas as pd

DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / 'data'
CHECKS = []

def check(fn):
    CHECKS.append(fn); return fn

def close(a, b, eps): return abs(a - b) <= eps

@check
def sampler_posters():
    "04_splits: repeat-factor sampling changes posters' test mAP by -0.08 ± 0.39 over 3 seeds (equivalent within ±1 mAP)."
    runs = pd.read_csv(DATA / 'sampler_posters.csv').pivot_table(index='seed', columns='entry', values='mAP')
    d = runs['asl:sampler=repeat-factor'] - runs['asl']
    assert len(d) == 3 and close(d.mean(), -0.08, 0.005) and close(d.std(), 0.39, 0.005), d.describe()

@check
def collapse_diagnosis():
    "06_losses: ProbMCL's stage 1 lowers the participation ratio below half of ImageNet's, SupCon keeps 80 %; the PCL gradient's bottleneck."
    diag = pd.read_csv(DATA / 'diagnosis_pretrained.csv').set_index('encoder')
    im, pm, sc = (diag.loc[k, 'participation_ratio'] for k in ('ImageNet (linear probe run)', 'after ProbMCL stage 1', 'after SupCon stage 1'))
    assert pm < im / 2 and sc > .8 * im, (im, pm, sc)
    st, end = diag.loc['ImageNet, fresh MDN / projection (start of stage 1)'], diag.loc['after ProbMCL stage 1, its MDN']
    assert st.grad_rank_pcl < st.grad_rank_supcon / 2 and end.grad_rank_pcl < 2, (st.grad_rank_pcl, st.grad_rank_supcon, end.grad_rank_pcl)
    assert st.grad_nll < st.grad_pcl / 50 and end['sim_below_1e-3'] > .9, (st.grad_nll, st.grad_pcl, end['sim_below_1e-3'])

@check
def frozen_below_probe():
    "06_losses: in the pretrained benchmark the frozen protocol trails the linear probe, which trails frozen SupCon (means over seeds)."
    b = pd.read_csv(DATA / 'benchmark_pretrained.csv').groupby('entry').mAP.mean()
    assert b['probmcl (frozen, paper protocol)'] < b['linear probe (ImageNet encoder)'] < b['supcon (frozen)'], b

@check
def no_option_beats_base():
    "06_losses and the README: on seed 0 no named option beats the benchmark's scales on val."
    opts = pd.read_csv(DATA / 'probmcl_options_pretrained.csv')
    base = pd.read_csv(DATA / 'benchmark_pretrained.csv').query("entry == 'probmcl (frozen, paper protocol)' and seed == 0")
    assert float(base.val_mAP.iloc[0]) >= opts.val_mAP.max(), (base.val_mAP.iloc[0], opts[['entry', 'val_mAP']])

@check
def real_diagnosis():
    "06_losses: on real photos stage 1 raises the participation ratio; a converged probe loses > 1 mAP on miml and posters, < 1 on odir; frozen trails linear."
    r = pd.read_csv(DATA / 'real_diagnosis.csv').set_index(['set', 'encoder'])
    assert sorted(r.index.get_level_values('set').unique()) == ['miml', 'odir', 'posters']
    for s in ('miml', 'odir', 'posters'):
        im, pm = r.loc[(s, 'ImageNet (linear probe run)')], r.loc[(s, 'after ProbMCL stage 1')]
        assert pm.participation_ratio > im.participation_ratio, (s, pm.participation_ratio, im.participation_ratio)
        drop = im.converged_probe_test_mAP - pm.converged_probe_test_mAP
        assert (drop > 1) if s != 'odir' else (abs(drop) < 1), (s, drop)
        t = pd.read_csv(DATA / f'real_{s}.csv').groupby('entry').mAP.mean()
        assert t['probmcl:frozen'] < t['linear'], (s, t['probmcl:frozen'], t['linear'])

@check
def uncertainty_aurocs():
    "27_inference: near_threshold is the per-image signal that works; the AUROCs quoted there."
    u = pd.read_csv(DATA / 'uncertainty_pretrained.csv').query("run == 'probmcl (fine-tuned)'").set_index('uncertainty').auroc
    img = u[u.index.str.endswith('(per image)')]
    assert img.idxmax() == 'near_threshold (per image)', img
    keys = ['near_threshold (per image)', '1 - margin to threshold (per label)', 'score_entropy (per image)',
            'mdn_var (per image)', 'mixture_entropy (per image)', 'MDN component variance (per label)']
    quoted = [0.78, 0.86, 0.70, 0.45, 0.56, 0.44]
    assert all(close(u[k], q, 0.006) for k, q in zip(keys, quoted)), list(zip(keys, u[keys].round(3), quoted))

@check
def methods_table():
    "17_trainer: the MultiFashion methods table holds probmcl, supcon, asl, bce and kmcl, metrics in percent."
    mf = pd.read_csv(DATA / 'multifashion_methods.csv')
    assert set(mf.entry) >= {'probmcl', 'supcon', 'asl', 'bce', 'kmcl'}, set(mf.entry)
    assert mf[['mAP', 'CF1', 'OF1']].apply(lambda c: c.between(0, 100)).all().all(), mf

@check
def q2l_table():
    "20_query2label: the MultiFashion Query2Label table holds asl, q2l and probmcl_q2l, mAP in percent."
    q = pd.read_csv(DATA / 'multifashion_q2l.csv')
    assert list(q.entry) == ['asl', 'q2l', 'probmcl_q2l'] and q.mAP.between(0, 100).all(), q

@check
def spl_tables():
    "21_spl: 7 label regimes, full labels (about) an upper bound; the linear-probe table's 6 rows, full labels on top."
    t = pd.read_csv(DATA / 'multifashion_spl.csv')
    assert len(t) == 7 and t.mAP.between(0, 100).all() and t.mAP.iloc[0] >= t.mAP.iloc[1:].max() - 1.0, t[['entry', 'mAP']]
    lin = pd.read_csv(DATA / 'multifashion_spl_linear.csv')
    assert len(lin) == 6 and lin.mAP.iloc[0] == lin.mAP.max(), lin[['run', 'mAP']]

@check
def ablation_table():
    "19_runs: the Fig. 2 sweep varies tau, alpha, lam and overlap."
    assert set(pd.read_csv(DATA / 'ablation_multifashion.csv').entry.str.split('=').str[0]) == {'tau', 'alpha', 'lam', 'overlap'}

if __name__ == '__main__':
    failed = 0
    for fn in CHECKS:
        try: fn()
        except Exception as e:
            failed += 1; print(f"FAILED {fn.__name__}: {fn.__doc__}\n    {type(e).__name__}: {e}")
    print(f"[check_data] {len(CHECKS) - failed} of {len(CHECKS)} claims hold")
    sys.exit(1 if failed else 0)
