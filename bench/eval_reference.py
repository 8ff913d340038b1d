#!/usr/bin/env python3
"""Times one reference evaluator on a ground-truth / detections pair (used by
bench/eval-coco.mjs and bench/eval-lvis.mjs). Prints one JSON line: phase times,
peak RSS, the summary numbers.

  python3 bench/eval_reference.py pycocotools|faster-coco-eval|lvis-api|faster-lvis GT.json DT.json

The tools are development aids built outside the repo (LABELSWEEP_REF, default
/work/ref): see test/fixtures/eval/reference.py.
"""

import contextlib
import io
import json
import os
import resource
import sys
import time
import types

import numpy as np

np.float = float  # removed alias still used by pycocotools (was plain float)
np.bool = bool
REF = os.environ.get("LABELSWEEP_REF", "/work/ref")


def main(tool, gt_path, dt_path):
    t = {}
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if tool == "pycocotools":
            sys.path.insert(0, os.path.join(REF, "cocodataset+cocoapi", "PythonAPI"))
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval

            gt = COCO(gt_path)
            dt = gt.loadRes(dt_path)
            t["load"] = time.perf_counter() - t0
            ev = COCOeval(gt, dt, "bbox")
        elif tool in ("faster-coco-eval", "faster-lvis"):
            sys.path.insert(0, os.path.join(REF, "MiXaiLL76+faster_coco_eval"))
            from faster_coco_eval import COCO, COCOeval_faster

            gt = COCO(gt_path)
            dt = gt.loadRes(dt_path)
            t["load"] = time.perf_counter() - t0
            ev = COCOeval_faster(gt, dt, "bbox", lvis_style=(tool == "faster-lvis"))
            if tool == "faster-lvis":
                ev.params.maxDets = [300]
        elif tool == "lvis-api":
            sys.modules.setdefault("cv2", types.ModuleType("cv2"))
            sys.path.insert(0, os.path.join(REF, "cocodataset+cocoapi", "PythonAPI"))
            sys.path.insert(0, os.path.join(REF, "lvis-dataset+lvis-api"))
            from lvis import LVIS, LVISEval, LVISResults

            gt = LVIS(gt_path)
            dt = LVISResults(gt, dt_path)
            t["load"] = time.perf_counter() - t0
            ev = LVISEval(gt, dt, "bbox")
        else:
            raise SystemExit("unknown tool " + tool)
        t1 = time.perf_counter()
        ev.evaluate()
        t2 = time.perf_counter()
        ev.accumulate()
        t3 = time.perf_counter()
        ev.summarize()
        t4 = time.perf_counter()
    t.update(evaluate=t2 - t1, accumulate=t3 - t2, summarize=t4 - t3, total=t4 - t0)
    if tool == "lvis-api":
        stats = {k: float(v) for k, v in ev.results.items()}
    elif tool == "faster-lvis":
        d = ev.stats_as_dict
        names = ["AP_all", "AP_50", "AP_75", "AP_small", "AP_medium", "AP_large", "APr", "APc", "APf",
                 "AR_all", "AR_small", "AR_medium", "AR_large"]  # lvis-api's order
        stats = [float(d[k]) for k in names]
    else:
        stats = [float(x) for x in ev.stats]
    print(json.dumps({
        "tool": tool,
        "seconds": t,
        "maxRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stats": stats,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:4])
