"""Benchmark: whole training steps, data loading included, at each precision: images per second of a real `train` run.

Each row is one `probmcl.trainer.train` run of one epoch capped at `--steps` steps (the first stage only: ProbMCL's
contrastive stage, or ASL end to end), with the run's own loader, augmentation and workers; images/s counts the
images of the timed epoch (each image gives 2 views in the contrastive stage). `amp` shows what was asked and what
`amp='auto'` resolved to on this machine (metrics.json's `precision`).

    python bench/bench_precision.py                      # main job + Lite0 @128 on miml; no, bf16, auto
    python bench/bench_precision.py --cases main --amps no auto --workers 0 1
"""
import argparse, csv, tempfile
from pathlib import Path
import torch
from probmcl.config import recipe
from probmcl.trainer import train
from probmcl.mdn import lite0_checkpoint

ROOT = Path(__file__).resolve().parents[1]
MIML = ROOT.parent / 'shared' / 'data' / 'miml'


def case_config(case, method, steps, batch):
    "The TrainConfig of a case: the main job's recipe, or ImageNet Lite0 at 128 px on the real miml photos."
    kw = dict(method=method, epochs=1, cls_epochs=1, max_steps=steps, quiet=True, overwrite=True)   # only the first stage is timed
    if case == 'main': return recipe('quickstart', **kw)
    return recipe('lite0-128', csv=str(MIML / 'train.csv'), test_csv=str(MIML / 'test.csv'), data_root=str(MIML / 'images'),
                  pretrained=str(lite0_checkpoint(ROOT / 'runs' / 'weights')), batch_size=batch, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cases', nargs='+', default=['main', 'miml'], choices=['main', 'miml'])
    ap.add_argument('--methods', nargs='+', default=['asl', 'probmcl'])
    ap.add_argument('--amps', nargs='+', default=['no', 'bf16', 'auto'])
    ap.add_argument('--workers', nargs='+', type=int, default=[1], help='DataLoader workers (each a process)')
    ap.add_argument('--threads', type=int, default=2, help='torch threads of the training process')
    ap.add_argument('--steps', type=int, default=12)
    ap.add_argument('--batch', type=int, default=32, help='miml batch (the main job keeps its recipe batch)')
    ap.add_argument('--csv', default=None, help='also append the rows here')
    a = ap.parse_args()
    rows = []
    head = f"{'case':<6}{'method':<9}{'amp asked':>10}{'used':>6}{'ch.last':>8}{'workers':>8}{'steps':>6}{'s/step':>8}{'img/s':>8}"
    print(f"torch {torch.__version__}, {a.threads} threads"); print(head)
    for case in a.cases:
        for method in a.methods:
            for amp in a.amps:
                for w in a.workers:
                    with tempfile.TemporaryDirectory() as d:
                        cfg = case_config(case, method, a.steps, a.batch).replace(out=d, amp=amp, workers=w, threads=a.threads)
                        r = train(cfg)
                    ep = r['history'][0]; n = cfg.max_steps * cfg.batch_size
                    row = dict(case=case, method=method, amp=amp, used=r['precision']['amp'], channels_last=r['precision']['channels_last'],
                               workers=w, threads=a.threads, steps=cfg.max_steps, batch=cfg.batch_size, s_per_step=ep['time_s'] / cfg.max_steps,
                               images_per_s=n / ep['time_s'])
                    rows.append(row)
                    if a.csv:                       # one row at a time, so that a stopped benchmark keeps what it measured
                        new = not Path(a.csv).exists()
                        with open(a.csv, 'a', newline='') as f:
                            wr = csv.DictWriter(f, list(row)); new and wr.writeheader(); wr.writerow(row)
                    print(f"{case:<6}{method:<9}{amp:>10}{row['used']:>6}{str(row['channels_last']):>8}{w:>8}{row['steps']:>6}"
                          f"{row['s_per_step']:>8.3f}{row['images_per_s']:>8.1f}", flush=True)


if __name__ == '__main__':
    main()
