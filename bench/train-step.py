"""PyTorch side of bench/train-step.mjs: the same architecture, input, batch and
optimiser as the tfjs configuration, on CPU with a fixed number of threads.
Prints one JSON line.

    python3 bench/train-step.py '{"model": "net5", "arch": {...}, "threads": 1, "steps": 10, "warmup": 3}'
    python3 bench/train-step.py '{"model": "ssd-lite", "detector": {...}, "threads": 1, ...}'

The detectors mirror src/engine/detect/{backbone,ssd-lite,retinanet-lite}.ts
layer for layer (3x3 convs, ReLU, no normalisation; SSD heads on each level or
a RetinaNet FPN with shared towers), and their losses: anchor matching by IoU
each step, softmax cross-entropy with 3:1 hard-negative mining + smooth-L1 for
SSD, sigmoid focal loss + smooth-L1 (beta 0.1) for RetinaNet.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(int(cfg["threads"]))
torch.manual_seed(int(cfg.get("seed", 1)))
model_name = cfg.get("model", "net5")


def net5(arch):
    layers = []
    for c in arch["convs"]:
        layers += [torch.nn.Conv2d(c["cin"], c["cout"], c["k"], c["stride"], padding=c["k"] // 2), torch.nn.ReLU()]
    net = torch.nn.Sequential(
        *layers,
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(arch["convs"][-1]["cout"], arch["classes"]),
    )
    n, h, w, c = arch["input"]
    x = torch.randn(n, c, h, w)
    y = torch.randint(0, arch["classes"], (n,))
    return net, lambda: F.cross_entropy(net(x), y)


def conv(cin, cout, stride=1, k=3):
    return torch.nn.Conv2d(cin, cout, k, stride, padding=k // 2)


class Backbone(torch.nn.Module):
    def __init__(self, width, levels):
        super().__init__()
        chans = [width, 2 * width, 4 * width, 8 * width]
        self.stages = torch.nn.ModuleList()
        cin = 3
        for s in range(2 + levels):
            cout = chans[min(s, 3)]
            self.stages.append(torch.nn.Sequential(conv(cin, cout, 2), torch.nn.ReLU(), conv(cout, cout), torch.nn.ReLU()))
            cin = cout
        self.channels = [chans[min(s, 3)] for s in range(2, 2 + levels)]

    def forward(self, x):
        outs = []
        for s, stage in enumerate(self.stages):
            x = stage(x)
            if s >= 2:
                outs.append(x)
        return outs


def anchors_for(size, levels, shapes_per_level):
    boxes = []
    for l in range(levels):
        stride = 8 * 2 ** l
        g = math.ceil(size / stride)
        for y in range(g):
            for x in range(g):
                cx, cy = (x + 0.5) * stride, (y + 0.5) * stride
                for w, h in shapes_per_level[l]:
                    boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return torch.tensor(boxes)


def box_iou(a, b):
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def encode(anchors, gt, weights):
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = gt[:, 0] + 0.5 * gw, gt[:, 1] + 0.5 * gh
    wx, wy, ww, wh = weights
    return torch.stack([wx * (gx - ax) / aw, wy * (gy - ay) / ah, ww * torch.log(gw / aw), wh * torch.log(gh / ah)], 1)


def match(anchors, gt, fg, bg, force_best):
    """Per anchor: matched gt index, or -1 background, -2 ignore (detectron2 / SSD rules)."""
    iou = box_iou(anchors, gt)
    best, idx = iou.max(1)
    out = torch.where(best >= fg, idx, torch.where(best < bg, torch.full_like(idx, -1), torch.full_like(idx, -2)))
    gt_best, gt_idx = iou.max(0)
    if force_best:
        out[gt_idx] = torch.arange(len(gt))
    else:
        low = (iou == gt_best[None, :]) & (gt_best[None, :] > 0)
        rows = low.any(1)
        out[rows] = idx[rows]
    return out


def detector(d):
    size, classes, batch = d["size"], d["classes"], d["batch"]
    bb = Backbone(d["width"], d["levels"])
    if model_name == "ssd-lite":
        sizes = [(0.1 + (0.9 - 0.1) * k / (d["levels"] - 1)) * size for k in range(d["levels"] + 1)]
        shapes = []
        for k in range(d["levels"]):
            s, s2 = sizes[k], math.sqrt(sizes[k] * sizes[k + 1])
            shapes.append([(s, s), (s2, s2), (s * math.sqrt(2), s / math.sqrt(2)), (s / math.sqrt(2), s * math.sqrt(2))])
        a = 4
        conf = torch.nn.ModuleList([conv(c, a * (classes + 1)) for c in bb.channels])
        loc = torch.nn.ModuleList([conv(c, a * 4) for c in bb.channels])
        modules = torch.nn.ModuleList([bb, conf, loc])
        k_out = classes + 1

        def heads(feats):
            return [conf[i](f) for i, f in enumerate(feats)], [loc[i](f) for i, f in enumerate(feats)]
    else:
        f_ch = 64
        shapes = []
        for l in range(d["levels"]):
            base = 2 * 8 * 2 ** l
            shapes.append([(base * m / math.sqrt(r), base * m * math.sqrt(r)) for m in (1, 1.26, 1.587) for r in (0.5, 1, 2)])
        a = 9
        lat = torch.nn.ModuleList([conv(c, f_ch, k=1) for c in bb.channels])
        outc = torch.nn.ModuleList([conv(f_ch, f_ch) for _ in bb.channels])
        tower_c = torch.nn.Sequential(conv(f_ch, f_ch), torch.nn.ReLU(), conv(f_ch, f_ch), torch.nn.ReLU())
        tower_b = torch.nn.Sequential(conv(f_ch, f_ch), torch.nn.ReLU(), conv(f_ch, f_ch), torch.nn.ReLU())
        cls_out, box_out = conv(f_ch, a * classes), conv(f_ch, a * 4)
        torch.nn.init.constant_(cls_out.bias, -math.log(99))
        modules = torch.nn.ModuleList([bb, lat, outc, tower_c, tower_b, cls_out, box_out])
        k_out = classes

        def heads(feats):
            ls = [lat[i](f) for i, f in enumerate(feats)]
            for i in range(len(ls) - 2, -1, -1):
                ls[i] = ls[i] + F.interpolate(ls[i + 1], size=ls[i].shape[-2:], mode="nearest")
            ps = [outc[i](x) for i, x in enumerate(ls)]
            return [cls_out(tower_c(p)) for p in ps], [box_out(tower_b(p)) for p in ps]

    anchors = anchors_for(size, d["levels"], shapes)
    x = torch.rand(batch, 3, size, size)
    gts, gcls = [], []
    for _ in range(batch):
        k = int(torch.randint(1, 4, ()))
        wh = (torch.rand(k, 2) * 0.7 + 0.1) * size
        xy = torch.rand(k, 2) * (size - wh)
        gts.append(torch.cat([xy, xy + wh], 1))
        gcls.append(torch.randint(0, classes, (k,)))

    def flat(maps, k):
        return torch.cat([m.permute(0, 2, 3, 1).reshape(batch, -1, k) for m in maps], 1)

    def loss():
        # Targets every step, as the engine assigns them every step.
        labels, deltas = [], []
        for b in range(batch):
            m = match(anchors, gts[b], 0.5, 0.5 if model_name == "ssd-lite" else 0.4, model_name == "ssd-lite")
            lab = torch.where(m >= 0, gcls[b][m.clamp(min=0)], m)
            dl = encode(anchors, gts[b][m.clamp(min=0)], (10, 10, 5, 5) if model_name == "ssd-lite" else (1, 1, 1, 1))
            labels.append(lab)
            deltas.append(dl)
        labels, deltas = torch.stack(labels), torch.stack(deltas)
        cls_maps, box_maps = heads(bb(x))
        cls, box = flat(cls_maps, k_out), flat(box_maps, 4)
        pos = labels >= 0
        n = max(1, int(pos.sum()))
        if model_name == "ssd-lite":
            ce = F.cross_entropy(cls.reshape(-1, k_out), (labels + 1).clamp(min=0).reshape(-1), reduction="none").reshape(batch, -1)
            with torch.no_grad():
                neg_ce = ce.detach().clone()
                neg_ce[labels != -1] = -1
                order = neg_ce.argsort(1, descending=True).argsort(1)
                num_neg = (3 * pos.sum(1, keepdim=True)).clamp(max=labels.shape[1] - 1)
                sel = pos | ((order < num_neg) & (labels == -1))
            l_cls = (ce * sel).sum() / n
            l_box = F.smooth_l1_loss(box[pos], deltas[pos], reduction="sum", beta=1.0) / n
        else:
            valid = labels != -2
            t = F.one_hot(labels.clamp(min=0), k_out).float() * pos[..., None]
            p = torch.sigmoid(cls)
            ce = F.binary_cross_entropy_with_logits(cls, t, reduction="none")
            p_t = p * t + (1 - p) * (1 - t)
            l = ce * (1 - p_t) ** 2 * (0.25 * t + 0.75 * (1 - t))
            l_cls = (l * valid[..., None]).sum() / n
            l_box = F.smooth_l1_loss(box[pos], deltas[pos], reduction="sum", beta=0.1) / n
        return l_cls + l_box

    return modules, loss


if model_name == "net5":
    net, loss_fn = net5(cfg["arch"])
else:
    net, loss_fn = detector(cfg["detector"])
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4 if model_name != "net5" else 0)


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn()
    loss.backward()
    opt.step()
    return float(loss)


for _ in range(int(cfg.get("warmup", 3))):
    step()
ms = []
for _ in range(int(cfg.get("steps", 10))):
    t0 = time.perf_counter()
    step()
    ms.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"model": model_name, "backend": "pytorch", "version": torch.__version__,
                  "threads": torch.get_num_threads(), "msPerStep": ms}))
