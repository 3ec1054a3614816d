"""Why ProbMCL's contrastive stage hurts a frozen ImageNet encoder, measured on the pretrained benchmark's runs.

    python bench/diagnose_pretrained.py [--seed 0]    (after `python bench/benchmark.py pretrained --seeds 0`)

Reads the finished runs under runs/benchmark/pretrained/ (ImageNet encoder = the linear probe's frozen encoder,
and the encoders after ProbMCL's and SupCon's contrastive stages) and 1,000 MultiFashion test canvases, and writes:
- data/diagnosis_pretrained.csv: per encoder, the geometry of its features h [N, 1280] and of z = h/|h|
  (participation ratio of the covariance = effective number of dimensions; mean pairwise cosine of z; cosine of z
  with the constant direction 1/sqrt(n), where the MDN's means mu*1 lie), and the test mAP of its frozen probe;
  per loss term, the gradient norm it sends to h (at the start of stage 1: ImageNet encoder + a fresh MDN or
  projection; and at its end), and how sharp Sim is (off-diagonal quantiles at n = 1280 and at sim_dim = 1).
- data/uncertainty_pretrained.csv: AUROC of each per-image uncertainty for detecting a wrong prediction (any label
  wrong at threshold 0.5), for the ProbMCL runs (frozen and fine-tuned).
The gradient measurement uses one batch of 64 test canvases (one view each) with their labels: it measures the
losses' geometry, not a training step.
"""
import argparse, csv
from pathlib import Path
import pandas as pd, torch, torch.nn.functional as F
from probmcl.losses import ProbMCLLoss, gmm_similarity
from probmcl.baselines import MultiLabelSupConLoss
from probmcl.runs import run_test_loader
from probmcl.runfolder import load_run
from probmcl.scoring import score_images, binary_entropy
from probmcl.inference import uncertainty_columns
from probmcl.uncertainty import uncertainty_auroc
from probmcl.mdn import MDN
from probmcl.methods import mlp
from benchmark import plan                     # Python puts the script's own folder (bench/) first on sys.path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / 'data'

def features(run, loader):
    "h [N, n] of the run's encoder over the loader, and the labels."
    hs, ys = [], []
    with torch.no_grad():
        for x, y in loader: hs.append(run.model.encoder.features(x).float()); ys.append(y)
    return torch.cat(hs), torch.cat(ys)

def geometry(h):
    "Participation ratio of cov(h), mean pairwise cosine of z, mean cosine of z with 1/sqrt(n)."
    z = F.normalize(h, dim=1)
    ev = torch.linalg.eigvalsh(torch.cov(h.T.double())).clamp_min(0)
    pr = float(ev.sum() ** 2 / (ev ** 2).sum())
    cos = z @ z.T
    off = cos[~torch.eye(len(z), dtype=bool)]
    ones = torch.full((h.shape[1],), h.shape[1] ** -.5)
    return dict(participation_ratio=round(pr, 1), mean_pair_cos=round(float(off.mean()), 4),
                cos_to_ones=round(float((z @ ones).mean()), 4))

def grad_rank(gr):
    "Effective rank (participation ratio of the squared singular values) of a batch of gradients [B, n]."
    s2 = torch.linalg.svdvals(gr.double()) ** 2
    return float(s2.sum() ** 2 / (s2 ** 2).sum())

def grad_norms(h, y, cfg, mdn=None, proj=None):
    """Per-sample gradient norm at h of each loss term (NLL, lam*PCL; or SupCon), the effective rank of the batch's
    gradient matrix (how many directions of feature space the term moves), and Sim quantiles."""
    h = h.clone().requires_grad_(True)
    out = {}
    z = F.normalize(h, dim=1)
    if mdn is not None:
        g = mdn(h if cfg.mdn_input == 'h' else z)
        for sim_dim in (None, 1.0):
            crit = ProbMCLLoss(cfg.tau, cfg.alpha, cfg.lam, cfg.overlap, sim_dim=sim_dim, nll_norm=cfg.nll_norm)
            parts = crit.parts(z, g, y)
            tag = '' if sim_dim is None else '_simdim1'
            for k, v in (('nll', parts['nll']), ('pcl', crit.lam * parts['pcl'])):
                if tag and k == 'nll': continue
                gr, = torch.autograd.grad(v, h, retain_graph=True)
                out[f'grad_{k}{tag}'] = float(gr.norm(dim=1).mean())
                if not tag: out[f'grad_rank_{k}'] = grad_rank(gr)
            s = gmm_similarity(g, h.shape[1] if sim_dim is None else sim_dim).detach()
            off = s[~torch.eye(len(s), dtype=bool)]
            out[f'sim_median{tag}'] = float(off.median()); out[f'sim_p90{tag}'] = float(off.quantile(.9))
            out[f'sim_below_1e-3{tag}'] = float((off < 1e-3).float().mean())
    if proj is not None:
        loss = MultiLabelSupConLoss(cfg.tau, cfg.alpha, cfg.overlap)(proj(h if cfg.mdn_input == 'h' else z), y)
        gr, = torch.autograd.grad(loss, h)
        out['grad_supcon'] = float(gr.norm(dim=1).mean()); out['grad_rank_supcon'] = grad_rank(gr)
    return {k: float(f'{v:.4g}') for k, v in out.items()}

def uncertainty_rows(run, loader, name):
    """AUROC of each uncertainty for detecting wrong predictions at the run's per-class thresholds (tuned on val):
    per image (any label wrong) for the per-image signals of `probmcl.inference.predict`, and per label for the
    per-class ones (binary entropy of each score; the variance of each class's mixture component)."""
    sc = score_images(run.method, run.model, loader, mdn_input=run.config.mdn_input)
    y, thr = sc.targets, run.thresholds
    cols = uncertainty_columns({k: v for k, v in sc._asdict().items() if v is not None}, thr)
    err = (sc.scores >= thr) != y.bool()
    signals = {f'{k.removeprefix("uncertainty_")} (per image)': v for k, v in cols.items()}
    signals['score entropy (per label)'] = binary_entropy(sc.scores)
    signals['1 - margin to threshold (per label)'] = 1 - (sc.scores - thr).abs()   # [N, C]; its max over classes is predict's near_threshold
    if sc.var is not None: signals['MDN component variance (per label)'] = sc.var
    return [dict(run=name, uncertainty=k, auroc=round(uncertainty_auroc(v, sc.scores, y, thr), 3),
                 wrong=round(float((err.any(1) if v.dim() == 1 else err).float().mean()), 3)) for k, v in signals.items()]

def write(path, rows):
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, keys); w.writeheader(); w.writerows(rows)
    print(f"wrote {path.relative_to(ROOT)}")

def main(seed=0):
    torch.manual_seed(seed); torch.set_num_threads(1)
    bench = {r['entry']: r for r in csv.DictReader(open(DATA / 'benchmark_pretrained.csv')) if int(r['seed']) == seed}
    folders = {e: c.out for e, c in plan('pretrained', [seed])}                 # where `python bench/benchmark.py pretrained` trains them
    folder = lambda entry: bench[entry]['run_dir'] or folders[entry]           # the row's own folder where it recorded one
    probe_map = {'ImageNet (linear probe run)': 'linear probe (ImageNet encoder)', 'after ProbMCL stage 1': 'probmcl (frozen, paper protocol)',
                 'after SupCon stage 1': 'supcon (frozen)'}
    runs = {k: folder(e) for k, e in probe_map.items()}
    loaded = {k: load_run(v) for k, v in runs.items()}
    pcfg = loaded['after ProbMCL stage 1'].config
    loader = run_test_loader(pcfg, loaded['after ProbMCL stage 1'].model, batch_size=100)
    rows, feats = [], {}
    for name, run in loaded.items():
        h, y = features(run, loader); feats[name] = (h, y)
        rows.append(dict(encoder=name, **geometry(h), frozen_probe_test_mAP=bench[probe_map[name]]['mAP']))
    h0, y0 = feats['ImageNet (linear probe run)'][0][:64], feats['ImageNet (linear probe run)'][1][:64].float()
    torch.manual_seed(seed)
    fresh_mdn = MDN(h0.shape[1], y0.shape[1], hidden=tuple(pcfg.mdn_hidden), init=pcfg.mdn_init)
    fresh_proj = mlp(h0.shape[1], tuple(pcfg.mdn_hidden))
    grads = [dict(encoder='ImageNet, fresh MDN / projection (start of stage 1)', **grad_norms(h0, y0, pcfg, fresh_mdn, fresh_proj))]
    hp, yp = feats['after ProbMCL stage 1'][0][:64], feats['after ProbMCL stage 1'][1][:64].float()
    grads.append(dict(encoder='after ProbMCL stage 1, its MDN', **grad_norms(hp, yp, pcfg, loaded['after ProbMCL stage 1'].model.aux)))
    hs, ys = feats['after SupCon stage 1'][0][:64], feats['after SupCon stage 1'][1][:64].float()
    grads.append(dict(encoder='after SupCon stage 1, its projection', **grad_norms(hs, ys, pcfg, proj=loaded['after SupCon stage 1'].model.aux)))
    write(DATA / 'diagnosis_pretrained.csv', rows + grads)
    unc = []
    for name in ('probmcl (frozen, paper protocol)', 'probmcl (fine-tuned)'):
        unc += uncertainty_rows(load_run(folder(name)), loader, name)
    write(DATA / 'uncertainty_pretrained.csv', unc)
    print(pd.DataFrame(rows).to_string(index=False)); print(pd.DataFrame(grads).T.to_string()); print(pd.DataFrame(unc).to_string(index=False))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=0)
    main(ap.parse_args().seed)
