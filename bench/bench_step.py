"""Benchmark: one training step of ProbMCL stage 1 vs ASL end-to-end, same backbone, same two-view batch.

Both steps see the same 2B views [2B, 3, S, S] (B images x 2 RandAugment views) and labels [2B, C]:

* ProbMCL stage 1: encoder -> z = h/||h|| and MDN(h) -> GMM; L = L_NLL + lam L_PCL (float32); backward; Adam step.
* ASL end-to-end: encoder -> linear head on h -> summed ASL; backward; Adam step.

Reports the median (and best) wall time per step over `--steps` timed steps after `--warmup` steps, the ratio
ProbMCL / ASL, and the time of the ProbMCL loss alone (forward + backward on the MDN outputs).

    python bench/bench_step.py                                   # CPU: resnet10t (narrow) @32, B=64, C=10
    python bench/bench_step.py --device cuda --backbone tresnet_m --img-size 224 --batch 64 --classes 80 --amp bf16 --channels-last
"""
import argparse, json, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F
from probmcl.mdn import Encoder, MDN, GMM
from probmcl.losses import ProbMCLLoss, AsymmetricLoss


def timed(fn, steps, warmup, sync):
    for _ in range(warmup): fn()
    sync(); ts = []
    for _ in range(steps):
        t0 = time.perf_counter(); fn(); sync(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--backbone', default='resnet10t')
    ap.add_argument('--backbone-kwargs', default='{"channels": [32, 64, 128, 256], "stem_width": 16}',
                    help='JSON timm kwargs (default: the quick-start narrow resnet10t; use {} for other backbones)')
    ap.add_argument('--img-size', type=int, default=32)
    ap.add_argument('--batch', type=int, default=64, help='images per step (each gives 2 views)')
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--amp', default='no', choices=['no', 'bf16', 'fp16'])
    ap.add_argument('--channels-last', action='store_true')
    ap.add_argument('--compile', action='store_true', help='torch.compile the encoder and head (compile time reported apart)')
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--json', default=None, help='also write the results here')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    kw = json.loads(a.backbone_kwargs)
    if a.backbone != 'resnet10t' and a.backbone_kwargs == ap.get_default('backbone_kwargs'): kw = {}
    dev = torch.device(a.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == 'cuda' else (lambda: None)
    amp_dtype = dict(bf16=torch.bfloat16, fp16=torch.float16).get(a.amp)
    mf = torch.channels_last if a.channels_last else torch.contiguous_format

    torch.manual_seed(0)
    B2, C = 2 * a.batch, a.classes
    x = torch.randn(B2, 3, a.img_size, a.img_size, device=dev).contiguous(memory_format=mf)   # [2B, 3, S, S]
    y = (torch.rand(a.batch, C, device=dev) < 0.2).float(); y[:, 0] = 1; y = torch.cat([y, y])  # [2B, C]
    autocast = lambda: torch.autocast(dev.type, dtype=amp_dtype, enabled=amp_dtype is not None)
    scaler = torch.amp.GradScaler(dev.type, enabled=a.amp == 'fp16')

    def make(extra):
        enc = Encoder(a.backbone, **kw).to(dev).to(memory_format=mf).train()
        head = extra(enc.num_features).to(dev)
        opt = torch.optim.Adam([*enc.parameters(), *head.parameters()], lr=1e-4)
        if a.compile: enc.features, head = torch.compile(enc.features), torch.compile(head)
        return enc, head, opt

    enc1, mdn, opt1 = make(lambda n: MDN(n, C))
    crit1 = ProbMCLLoss(tau=0.2, alpha=0.6, lam=0.3)
    def probmcl_step():
        with autocast():
            h = enc1.features(x); g = mdn(h)
        loss = crit1(F.normalize(h.float(), dim=1), g, y)
        scaler.scale(loss).backward(); scaler.step(opt1); scaler.update(); opt1.zero_grad(set_to_none=True)

    enc2, lin, opt2 = make(lambda n: nn.Linear(n, C))
    crit2 = AsymmetricLoss(4, 0, 0.05)
    def asl_step():
        with autocast(): logits = lin(enc2.features(x))
        loss = crit2(logits.float(), y)
        scaler.scale(loss).backward(); scaler.step(opt2); scaler.update(); opt2.zero_grad(set_to_none=True)

    n = enc1.num_features
    lp = torch.randn(B2, C, device=dev).log_softmax(1).requires_grad_(); mu = (0.05 * torch.randn(B2, C, device=dev)).requires_grad_()
    var = (1 + torch.rand(B2, C, device=dev)).requires_grad_(); z = F.normalize(torch.randn(B2, n, device=dev), dim=1).requires_grad_()
    def loss_only():
        crit1(z, GMM(lp, mu, var), y).backward()

    t0 = time.perf_counter(); probmcl_step(); asl_step(); sync(); first = time.perf_counter() - t0   # compiles here when --compile
    t_p, b_p = timed(probmcl_step, a.steps, a.warmup, sync)
    t_a, b_a = timed(asl_step, a.steps, a.warmup, sync)
    t_l, b_l = timed(loss_only, a.steps, a.warmup, sync)
    dev_name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'cpu ({torch.get_num_threads()} threads)'
    print(f"{a.backbone} @{a.img_size}, {a.batch} images x 2 views, C={C}, n={n}, amp={a.amp}, channels_last={a.channels_last}, "
          f"compile={a.compile} (first steps {first:.1f} s), {dev_name}")
    print(f"{'step':<34}{'median ms':>10}{'best ms':>10}{'ratio':>8}")
    print(f"{'ASL end-to-end':<34}{1e3 * t_a:>10.1f}{1e3 * b_a:>10.1f}{1.0:>8.2f}")
    print(f"{'ProbMCL stage 1 (NLL + PCL)':<34}{1e3 * t_p:>10.1f}{1e3 * b_p:>10.1f}{t_p / t_a:>8.2f}")
    print(f"{'  of which the ProbMCL loss alone':<34}{1e3 * t_l:>10.1f}{1e3 * b_l:>10.1f}{t_l / t_a:>8.2f}")
    if a.json:
        json.dump(dict(vars(a), device_name=dev_name, first_steps_s=first, asl_ms=1e3 * t_a, probmcl_ms=1e3 * t_p, loss_ms=1e3 * t_l,
                       ratio=t_p / t_a), open(a.json, 'w'), indent=1)


if __name__ == '__main__':
    main()
