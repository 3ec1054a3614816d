"""Prediction speed of a trained run: `probmcl.inference.predict` (decode + transform + model) and the model alone in
torch and in onnxruntime, on the CPU threads given. Prints a table.

    python bench/bench_predict.py RUN_DIR IMAGE_FOLDER [--threads 2] [--repeats 3]
"""
import argparse, tempfile, time
from pathlib import Path
import torch
from probmcl.transforms import open_rgb
from probmcl.runfolder import load_run
from probmcl.inference import predict, expand_inputs, export_onnx

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument('run'); ap.add_argument('folder')
ap.add_argument('--threads', type=int, default=2); ap.add_argument('--repeats', type=int, default=3)
a = ap.parse_args()
torch.set_num_threads(a.threads)
run = load_run(a.run)
paths = expand_inputs([a.folder])
x = torch.stack([run.transform(open_rgb(p)) for p in paths])
def best(f):
    ts = []
    for _ in range(a.repeats):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return min(ts)
rows = [('predict (decode + transform + model), batch 64', len(paths) / best(lambda: predict(run, [a.folder], progress=False)))]
with torch.no_grad(): rows.append(('torch model only, one batch', len(x) / best(lambda: run.model(x))))
import onnxruntime as ort
with tempfile.TemporaryDirectory() as d:
    diff = export_onnx(run, Path(d) / 'm.onnx')
    so = ort.SessionOptions(); so.intra_op_num_threads = a.threads
    sess = ort.InferenceSession(str(Path(d) / 'm.onnx'), so, providers=['CPUExecutionProvider'])
    xn = x.numpy()
    rows.append(('onnxruntime model only, one batch', len(x) / best(lambda: sess.run(None, {'images': xn}))))
print(f"{run.config.backbone} at {run.preprocess['img_size']} px, {len(paths)} images, {a.threads} threads "
      f"(ONNX max |logit diff| {diff:.1e})\n\n| path | images/s |\n|---|---|")
for name, v in rows: print(f"| {name} | {v:.1f} |")
