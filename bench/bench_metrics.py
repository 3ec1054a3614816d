"""Benchmark: `probmcl.metrics.multilabel_metrics` vs a per-class scikit-learn AP loop.

40,137 x 80 random scores (the size of MS-COCO val2014), ~5% positives per class (COCO-like),
float32 scores as a model would give them. Times the full `multilabel_metrics` call (AP for every
class + CP/CR/CF1/OP/OR/OF1) against `sklearn.metrics.average_precision_score` called once per class
(AP only), and reports the largest difference in mAP and in per-class AP.

    python bench/bench_metrics.py [--n 40137] [--c 80] [--repeats 5] [--ties] [--device cpu]
"""
import argparse, time
import numpy as np, torch
from sklearn.metrics import average_precision_score
from probmcl.metrics import multilabel_metrics, average_precision


def best_of(fn, repeats):
    "Smallest wall time of `repeats` calls (the least disturbed by other processes) and the last result."
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times)), out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=40137, help='images (COCO val2014: 40,137)')
    ap.add_argument('--c', type=int, default=80, help='classes')
    ap.add_argument('--pos-rate', type=float, default=0.05, help='fraction of positive labels')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--ties', action='store_true', help='round scores to 2 decimals (many ties)')
    ap.add_argument('--device', default='cpu', help='device of the torch tensors (sklearn always runs on CPU)')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    y = rng.random((a.n, a.c)) < a.pos_rate
    logits = rng.normal(size=(a.n, a.c)) + 2.0 * y          # informative scores, like a trained model
    s = (1 / (1 + np.exp(-logits))).astype(np.float32)
    if a.ties: s = np.round(s, 2).astype(np.float32)
    S, Y = torch.from_numpy(s).to(a.device), torch.from_numpy(y).to(a.device)
    sync = (lambda: torch.cuda.synchronize()) if S.is_cuda else (lambda: None)

    def ours():
        m = multilabel_metrics(S, Y); sync(); return m
    def sk():
        return np.array([average_precision_score(y[:, c], s[:, c]) for c in range(a.c)])

    ours(); sk()                                             # warm-up
    t_ours, med_ours, m = best_of(ours, a.repeats)
    t_sk, med_sk, ref = best_of(sk, a.repeats)
    d_map = abs(m['mAP'] - ref.mean())
    d_ap = np.abs(average_precision(S, Y).cpu().numpy() - ref).max()

    print(f"scores {a.n:,} x {a.c} float32 on {a.device}, {a.pos_rate:.0%} positives, ties={a.ties}, "
          f"torch threads={torch.get_num_threads()}, best / median of {a.repeats}")
    print(f"| {'method':<52} | {'best s':>7} | {'median s':>8} |")
    print(f"|{'-' * 54}|{'-' * 9}|{'-' * 10}|")
    print(f"| {'probmcl multilabel_metrics (AP + CP..OF1)':<52} | {t_ours:7.3f} | {med_ours:8.3f} |")
    print(f"| {'sklearn average_precision_score, loop over classes':<52} | {t_sk:7.3f} | {med_sk:8.3f} |")
    print(f"speed-up (best): {t_sk / t_ours:.1f}x   (median: {med_sk / med_ours:.1f}x)")
    print(f"mAP ours {m['mAP']:.6f}  sklearn {ref.mean():.6f}  |dmAP| = {d_map:.2e}  max |dAP_c| = {d_ap:.2e}")
    ok = d_map <= 1e-6
    print('PASS' if ok else 'FAIL', '(|dmAP| <= 1e-6)')
    return 0 if ok else 1


if __name__ == '__main__':
    raise SystemExit(main())
